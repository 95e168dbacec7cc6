"""Date and weighting rules of DOMAIN.md that the mini county does not exercise.

Entry into the system ≤ 10 days after identification (a household never entered is late
once the 10 days have passed), acceptance of a built C/D house by the end of November,
220 days a year in the village counted to the end of the reference day, and the
check-in rate as a share of members, not a mean of team rates.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.records import _cases, _in_time, _teams
from geodata.settings import Settings

AS_OF = dt.date(2026, 12, 10)


def test_a_household_never_entered_is_late_once_its_days_have_passed() -> None:
    identified = pd.to_datetime(pd.Series(["2026-11-01", "2026-12-05", "2026-11-20", None]))
    entered = pd.to_datetime(pd.Series([None, None, "2026-11-25", None]))
    checked, ok = _in_time(identified, entered, 10, AS_OF)
    assert checked.tolist() == [True, False, True, False]  # 39 days waiting / 5 days, not yet due / done / no date
    assert ok.tolist() == [False, False, True, False]


def test_built_houses_must_be_accepted_by_the_end_of_november() -> None:
    deadlines = pd.to_datetime(["2026-10-31", "2027-10-31", "2026-10-31", "2026-10-31", "2026-12-31"])
    stages = ["completed", "completed", "accepted", "started", "completed"]
    housing = pd.DataFrame({"case_id": list("abcde"), "household_id": "H1", "stage": stages, "deadline": deadlines})
    households = pd.DataFrame({"household_id": ["H1"], "village_code": ["621121100201"]})
    cases = _cases(housing, households, Settings(), AS_OF).set_index("case_id")
    assert cases["overdue"].to_dict() == {"a": True, "b": False, "c": False, "d": True, "e": False}  # e: December
    assert not _cases(housing, households, Settings(), dt.date(2026, 11, 30)).set_index("case_id").at["a", "overdue"]


def test_days_due_count_the_reference_day_and_check_in_is_a_share_of_members() -> None:
    teams = pd.DataFrame(
        {
            "team_id": ["big", "small"],
            "village_code": ["621121100201", "621121100202"],
            "members": [6, 1],
            "checkin_rate": [1.0, 0.5],
            "days_in_village": [200, 200],
        }
    )
    out = _teams(teams, Settings(), dt.date(2026, 12, 31))
    assert out["days_due"].tolist() == pytest.approx([220.0, 220.0])  # the whole year by its last day
    rate = out["checkin_x_members"].sum() / out["checkin_members"].sum()
    assert rate == pytest.approx((6 * 1.0 + 1 * 0.5) / 7)  # not the mean of the two teams' rates (0.75)
