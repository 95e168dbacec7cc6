"""Work teams, inspections and projects as the policy texts mean them, each rule on a hand-computed case.

- Inspections: the monthly target is about 30 *distinct teams* (seed 000, 庄浪县: 县级总队长每月暗访督查约30支驻村
  帮扶工作队), so the wall counts teams, not visits, and the draw's cycle is as many months as the
  county's teams need at that pace instead of every team every month.
- Team grades: 优秀 ≥ 90, 良好 71–89, 一般 60–70, 差 < 60 on the year-end score (seed 004); the
  monthly score names the county's best and worst 5 % (seed 000).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.inspection_draw import cycle_bounds, cycle_months, inspection_days_left
from analytics.kpis import wall_kpis
from analytics.records import Records, _teams
from geodata.settings import InspectionSettings, Settings, TeamSettings
from layers.i18n import t
from layers.wall import tile_text

V1, V2, V3, V4 = "621121100201", "621121100202", "621121201201", "621121201202"
T100, T201, COUNTY = "621121100", "621121201", "621121"
WEEKDAYS = InspectionSettings(inspection_weekdays=(0, 1, 2, 3, 4))


# --- inspections: distinct teams a month, the cycle as long as the teams need ---------------------------------


def test_the_cycle_is_as_many_months_as_the_teams_need_at_the_monthly_target() -> None:
    default = InspectionSettings()  # 30 teams a month
    assert [cycle_months(n, default) for n in (20, 30, 81, 100, 196, 1000)] == [1, 1, 3, 4, 7, 12]
    # 81 teams (the demo at its default seed): quarters
    assert cycle_bounds(dt.date(2026, 5, 10), default, 81) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    # 196 teams (the seed county): January–July, then a shorter August–December
    assert cycle_bounds(dt.date(2026, 3, 15), default, 196) == (dt.date(2026, 1, 1), dt.date(2026, 7, 31))
    assert cycle_bounds(dt.date(2026, 9, 1), default, 196) == (dt.date(2026, 8, 1), dt.date(2026, 12, 31))
    # a county that wants every team every month says so
    monthly = InspectionSettings(cycle_months=1)
    assert cycle_bounds(dt.date(2026, 2, 10), monthly, 196) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert cycle_bounds(dt.date(2026, 1, 20), InspectionSettings(cycle_days=14), 196)[0] == dt.date(2026, 1, 15)


def test_the_teams_due_are_spread_over_the_whole_cycle() -> None:
    # 1 April 2026 is a Wednesday; April–June hold 22 + 21 + 22 = 65 weekdays.
    assert inspection_days_left(dt.date(2026, 4, 1), WEEKDAYS, 81) == 65
    # so on the first day 81 due teams take ceil(81 / 65) = 2 stops, not ceil(81 / 22) = 4 as in a one-month cycle
    monthly = InspectionSettings(inspection_weekdays=(0, 1, 2, 3, 4), cycle_months=1)
    assert inspection_days_left(dt.date(2026, 4, 1), monthly, 81) == 22


def visit_records(as_of: dt.date, settings: Settings) -> Records:
    teams = pd.DataFrame({"team_id": ["T1", "T2", "T3", "T4"], "village_code": [V1, V3, V2, V4]})
    rows = [  # date, team, village
        ("2026-07-01", "T1", V1),
        ("2026-07-10", "T1", V1),  # the same team again: one team
        ("2026-07-12", None, V3),  # no team id: the team of its village (T2)
        ("2026-07-14", "", "621121100299"),  # a village without a team: no team
        ("2026-07-16", "T3", V2),  # after the reference date
        ("2026-06-05", "T4", V4),  # 1–15 June: T4 only
        ("2026-06-10", "T4", V4),
        ("2026-05-30", "T3", V2),
    ]
    inspections = pd.DataFrame(rows, columns=["date", "team_id", "village_code"])
    inspections["date"] = pd.to_datetime(inspections["date"])
    tables = {"teams": teams, "inspections": inspections, "cases": pd.DataFrame(columns=["deadline", "accepted"])}
    return Records(as_of=as_of, settings=settings, tables=tables)


def test_the_wall_counts_distinct_teams_inspected_this_month() -> None:
    as_of = dt.date(2026, 7, 15)
    row = pd.Series({"inspection_findings_open": 1.0})
    tile = {k.key: k for k in wall_kpis(row, None, visit_records(as_of, Settings()), as_of=as_of, settings=Settings())}
    inspections = tile["kpi_inspections"]
    # T1 and T2 in July (4 visits), T4 alone in 1–15 June; the 30-team target is capped at the county's 4 teams
    assert (inspections.value, inspections.delta, inspections.extra["visits"]) == (2, 1, 4)
    assert inspections.target == round(4 * 15 / 31) == 2 and inspections.status == "ok"
    assert tile_text(inspections, "zh").detail == "暗访 4 次 · 未整改问题 1"
    fewer = Settings().replace(inspection=InspectionSettings(teams_per_month=3))
    tile = {k.key: k for k in wall_kpis(row, None, visit_records(as_of, fewer), as_of=as_of, settings=fewer)}
    assert tile["kpi_inspections"].target == round(3 * 15 / 31) == 1
    assert t("kpi_inspections", "zh") == "本月暗访工作队"


# --- team grades (year-end) and the monthly best and worst -----------------------------------------------------

TEAMS = pd.DataFrame(
    {  # id, village, monthly score, year-end score
        "team_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
        "village_code": [V1, V3, V2, V4, V2, V1],
        "members": 3,
        "checkin_rate": 0.98,
        "days_in_village": 100,
        "monthly_score": [80.0, 95.0, 60.0, 95.0, None, 70.0],
        "year_score": [90.0, 89.9, 60.0, 59.9, 71.0, 70.9],
    }
)


def test_year_end_grades_use_the_four_bands_and_the_month_names_its_ends() -> None:
    out = _teams(TEAMS, Settings(), dt.date(2026, 6, 30)).set_index("team_id")
    band = out[["grade_excellent", "grade_good", "grade_fair", "grade_poor"]].idxmax(axis=1).str[6:]
    # 90 is 优秀; 89.9 and 71 良好; 70.9 and 60 一般; 59.9 差
    assert band.to_dict() == {"T1": "excellent", "T2": "good", "T3": "fair", "T4": "poor", "T5": "good", "T6": "fair"}
    # five monthly scores: round(5 × 5 %) = 0, at least 1 each end; T2 and T4 tie at 95, so both are named
    assert sorted(out.index[out["month_best"]]) == ["T2", "T4"] and list(out.index[out["month_worst"]]) == ["T3"]
    assert not out.loc["T5", ["month_best", "month_worst"]].any()  # no monthly score: not ranked
    ten = Settings().replace(teams=TeamSettings(rank_share=0.4))  # round(5 × 40 %) = 2 each end
    out = _teams(TEAMS, ten, dt.date(2026, 6, 30)).set_index("team_id")
    assert sorted(out.index[out["month_best"]]) == ["T2", "T4"] and sorted(out.index[out["month_worst"]]) == [
        "T3",
        "T6",
    ]
    same = TEAMS.assign(monthly_score=88.0)  # nobody is better or worse than the others
    assert not _teams(same, Settings(), dt.date(2026, 6, 30))[["month_best", "month_worst"]].any().any()
