"""Month-end snapshots (`battlemap history`): equal to `build --as-of`, replaced month by month, bad input refused.

The mini county (tests/test_indicators_mini.py) runs on both stores; the demo county's
dated records are checked to move from month to month.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.history import compute_history, last_months, month_ends
from analytics.kpis import kpi_trends
from analytics.records import Records, as_recorded_on, cases_on
from battlemap_cli.analysis_commands import read_inputs
from battlemap_cli.main import main
from geodata.settings import Settings, get_settings
from geodata.store import GeoPackageStore, Store
from geodata.store.snapshots import SNAPSHOT_TABLES, read_series, read_snapshot, snapshot_dates
from layers.sparkline import sparkline_svg
from layers.wall import rank_moves, risk_ranks
from tests.conftest import snapshot
from tests.test_indicators_mini import layers

MAY, JUNE = dt.date(2026, 5, 31), dt.date(2026, 6, 30)


def fill(store: Store) -> None:
    with store.transaction() as tx:
        for name, frame in layers().items():
            tx.write(name, frame)


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """A table without the time it was computed at, dtypes as stored, for comparing two writes."""
    out = pd.DataFrame(frame).drop(columns=["computed_at", "geometry"], errors="ignore").reset_index(drop=True)
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    if "settings" in out:  # read back as a category (one copy of the JSON per month); compare the text
        out["settings"] = out["settings"].astype(str)
    return out


def test_snapshots_equal_build_as_of(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    fill(store)
    assert main(["--store", store.target, "history", "--from", "2026-04", "--to", "2026-06"]) == 0
    assert snapshot_dates(store) == [dt.date(2026, 4, 30), MAY, JUNE]
    for as_of in (MAY, JUNE):
        assert main(["--store", store.target, "build", "--as-of", as_of.isoformat()]) == 0
        for level in ("village", "town", "county"):
            built = comparable(store.read(f"{level}_indicators"))
            kept = comparable(read_snapshot(store, level, as_of))
            assert list(kept.columns) == list(built.columns)
            pd.testing.assert_frame_equal(kept, built, check_dtype=False)
    capsys.readouterr()
    assert (
        main(["--store", store.target, "indicators", "--level", "town", "--as-of", "2026-05-31", "--format", "json"])
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    town = read_snapshot(store, "town", MAY)
    assert [r["town_code"] for r in rows] == town["town_code"].tolist()
    assert [r["monitored_households"] for r in rows] == town["monitored_households"].tolist()


def test_rebuilding_a_month_replaces_only_that_month(tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    fill(store)
    assert main(["--store", str(store.path), "history", "--from", "2026-04", "--to", "2026-06"]) == 0
    before = {d: comparable(read_snapshot(store, "village", d)) for d in snapshot_dates(store)}
    households = store.read("households")
    households["status"] = "monitored"  # a changed ledger: only the month rebuilt may show it
    with store.transaction() as tx:
        tx.write("households", households)
    layers_before = {name: store.read(name) for name in ("villages", "households", "housing")}
    assert main(["--store", str(store.path), "history", "--from", "2026-05", "--to", "2026-05"]) == 0
    after = {d: comparable(read_snapshot(store, "village", d)) for d in snapshot_dates(store)}
    assert list(after) == list(before)
    pd.testing.assert_frame_equal(after[dt.date(2026, 4, 30)], before[dt.date(2026, 4, 30)])
    pd.testing.assert_frame_equal(after[JUNE], before[JUNE])
    assert after[MAY]["monitored_households"].sum() > before[MAY]["monitored_households"].sum()
    for name, frame in layers_before.items():
        pd.testing.assert_frame_equal(pd.DataFrame(store.read(name)), pd.DataFrame(frame))
    assert len(store.read(SNAPSHOT_TABLES["county"])) == 3


@pytest.mark.parametrize(
    ("first", "last", "says"),
    [
        ("2026-6", "2026-06", "must be a month YYYY-MM"),
        ("2026-13", "2026-13", "must be a month YYYY-MM"),
        ("2026-06", "2026-04", "is after --to"),
        ("2026-06", "2999-01", "has not ended yet"),
        ("2001-01", "2001-03", "is before the data"),
    ],
)
def test_bad_months_are_refused_and_nothing_is_written(
    store: Store, first: str, last: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(store)
    digest = snapshot(store)
    assert main(["--store", store.target, "history", "--from", first, "--to", last]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err
    assert snapshot(store) == digest


def test_indicators_without_that_snapshot_lists_the_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = GeoPackageStore(tmp_path / "s.gpkg")
    fill(store)
    assert main(["--store", str(store.path), "indicators", "--level", "county", "--as-of", "2026-05-31"]) == 2
    assert "run `battlemap history" in capsys.readouterr().err
    assert main(["--store", str(store.path), "history", "--from", "2026-05", "--to", "2026-06"]) == 0
    assert main(["--store", str(store.path), "indicators", "--level", "county", "--as-of", "2026-05-30"]) == 2
    assert "snapshot dates: 2026-05-31, 2026-06-30" in capsys.readouterr().err


def test_dated_records_are_read_as_they_stood() -> None:
    households = pd.DataFrame(
        {
            "status": ["monitored", "monitored", "monitored"],
            "risk_found_on": pd.to_datetime(["2026-01-02", "2026-05-20", "2026-01-02"]),
            "identified_on": pd.to_datetime(["2026-01-10", "2026-06-02", "2026-01-10"]),
            "eliminated_on": pd.to_datetime(["2026-03-01", None, "2026-06-15"]),
            "risk_eliminated": pd.array([True, False, True], dtype="boolean"),
        }
    )
    may = as_recorded_on(households, MAY)
    assert may["identified_later"].tolist() == [False, True, False]
    assert may["risk_eliminated"].tolist() == [True, False, False]  # the third was eliminated in June
    assert pd.isna(may.at[1, "identified_on"]) and may.at[1, "risk_found_on"] == pd.Timestamp("2026-05-20")
    cases = pd.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "stage": ["accepted", "completed", "started"],
            "appraised_on": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-06-10"]),
            "started_on": pd.to_datetime(["2026-02-01", "2026-03-01", "2026-06-20"]),
            "completed_on": pd.to_datetime(["2026-05-01", "2026-06-05", None]),
            "accepted_on": pd.to_datetime(["2026-06-01", None, None]),
            "subsidy_paid": [True, False, False],
        }
    )
    then = cases_on(cases, MAY)
    assert then["case_id"].tolist() == ["a", "b"]  # c was appraised in June
    assert then["stage"].tolist() == ["completed", "started"]
    assert then["subsidy_paid"].tolist() == [False, False]


def test_the_demo_county_moves_month_to_month(demo_store_path: Path) -> None:
    dates = last_months(dt.date(2026, 11, 1), 12)
    assert dates[0] == dt.date(2025, 11, 30) and dates[-1] == dt.date(2026, 10, 31) and len(dates) == 12
    layers_ = read_inputs(str(demo_store_path))
    months = compute_history(layers_, dates[-4:], settings=get_settings())
    county = pd.DataFrame([t["county_indicators"].iloc[0] for t in months.values()])
    for column in ("monitored_households", "monitored_eliminated_households", "cd_cases", "inspections"):
        assert county[column].is_monotonic_increasing and county[column].nunique() > 1, column
    for column in ("water_fail_rate", "inspection_findings_open", "cd_cases_accepted"):
        assert county[column].nunique() > 1, column


def test_trends_have_no_line_without_snapshots_and_gaps_are_not_zeros() -> None:
    records = Records(as_of=JUNE, settings=Settings(), tables={"inspections": pd.DataFrame()})
    assert kpi_trends(None, records, months=12) == {}
    assert sparkline_svg(pd.Series([0.5])) is None
    line = sparkline_svg(pd.Series([0.2, np.nan, 0.4, 0.5]))
    assert line is not None and line.count("polyline") == 1  # the gap splits the line: one dot, then a line
    assert line.count("circle") == 2


def test_rank_moves_since_last_month() -> None:
    now = risk_ranks(pd.DataFrame({"risk_index": [90.0, 80.0, 70.0, np.nan]}, index=["a", "b", "c", "d"]))
    before = risk_ranks(pd.DataFrame({"risk_index": [60.0, 85.0, 20.0, 10.0]}, index=["a", "b", "c", "d"]))
    assert rank_moves(now, before, length=2, lang="zh") == {"a": "↑1", "b": "↓1"}
    assert rank_moves(now, before, length=3, lang="en") == {"a": "↑1", "b": "↓1", "c": "–"}
    assert rank_moves(now, before, length=1, lang="zh") == {"a": "新"}
    assert rank_moves(now, None, length=2, lang="zh") == {}
    assert month_ends(dt.date(2026, 1, 15), dt.date(2026, 3, 1))[-1] == dt.date(2026, 3, 31)


def test_the_settings_of_a_month_are_kept_once_not_once_per_unit(store: Store) -> None:
    """Every row carries the month's settings (9 kB of JSON); read back, the text is held once per month."""
    fill(store)
    assert main(["--store", store.target, "history", "--from", "2026-05", "--to", "2026-06"]) == 0
    for level in ("village", "county"):
        series = read_series(store, level)
        assert series is not None and series["settings"].dtype == "category"
        assert len(series["settings"].cat.categories) <= 2 < len(series) or level == "county"
