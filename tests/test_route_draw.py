"""The inspection draw: exclusions, every team once per cycle, seeded reproducibility, OS randomness otherwise."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import secrets
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import INPUT_LAYERS, Records, prepare_records
from analytics.inspection_draw import Draw, candidates, cycle_bounds, draw_inspection, inspection_days_left, make_rng
from geodata.io.crs import county_epsg
from geodata.settings import InspectionSettings, Settings
from geodata.store import GeoPackageStore

DATE = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def places(demo_store_path: Path) -> pd.DataFrame:
    """Metric x/y of a point inside each village (the draw's distances)."""
    villages = GeoPackageStore(demo_store_path).read("villages")
    inner = villages.to_crs(county_epsg(villages)).representative_point()
    return pd.DataFrame({"x": inner.x.to_numpy(), "y": inner.y.to_numpy()}, index=villages["village_code"])


@pytest.fixture(scope="module")
def records(demo_store_path: Path) -> Records:
    store = GeoPackageStore(demo_store_path)
    layers = {n: store.read(n) for n in INPUT_LAYERS if store.has(n)}
    return prepare_records(layers, as_of=DATE, settings=Settings())


def with_visits(records: Records, rows: list[dict]) -> Records:
    """A copy of ``records`` with extra inspection rows (the originals are shared by the module)."""
    visits = pd.concat([records["inspections"], pd.DataFrame(rows)], ignore_index=True)
    visits["date"] = pd.to_datetime(visits["date"])
    return dataclasses.replace(records, tables={**records.tables, "inspections": visits})


def visit(team: pd.Series, day: dt.date, household: str | None = None) -> dict:
    return {
        "inspection_id": f"X-{team['team_id']}-{day}",
        "date": pd.Timestamp(day),
        "team_id": team["team_id"],
        "village_code": team["village_code"],
        "household_id": household,
        "open_finding": False,
    }


def test_a_team_inspected_yesterday_is_not_drawn(records: Records) -> None:
    team = records["teams"].iloc[0]
    rec = with_visits(records, [visit(team, DATE - dt.timedelta(days=1))])
    everyone = len(candidates(rec, date=DATE, settings=rec.settings))
    for seed in (None, 1, 2):
        drawn = draw_inspection(rec, date=DATE, stops=everyone, seed=seed).stops
        assert team["village_code"] not in set(drawn["village_code"])
        assert len(drawn) == everyone - 1  # only that village is left out
    # After the exclusion window it may be drawn again.
    later = DATE + dt.timedelta(days=rec.settings.inspection.exclude_days + 1)
    assert team["village_code"] in set(draw_inspection(rec, date=later, stops=everyone, seed=3).stops["village_code"])


@pytest.mark.parametrize("clustered", [False, True])
def test_every_team_is_drawn_within_a_simulated_cycle(records: Records, places: pd.DataFrame, clustered: bool) -> None:
    """The teams are spread over a cycle of teams ÷ 30 months (100 teams: January–April), and every one is seen."""
    settings = Settings().replace(inspection=InspectionSettings(inspection_weekdays=(0, 1, 2, 3, 4)))
    teams = records["teams"].set_index("village_code")
    first, last = cycle_bounds(dt.date(2027, 1, 4), settings.inspection, len(teams))  # a cycle with no visits yet
    assert (first, last) == (dt.date(2027, 1, 1), dt.date(2027, 4, 30))
    rec = records
    seen: set[str] = set()
    by_month: dict[int, set[str]] = {}
    day, stops_per_day = first, 2  # 85 weekdays × 2 stops: 170 stops for the 100 teams among ~200 villages
    while day <= last:
        if day.weekday() < 5:
            draw = draw_inspection(
                rec,
                date=day,
                stops=stops_per_day,
                seed=day.toordinal(),
                settings=settings,
                places=places if clustered else None,
            )
            visited = [teams.loc[c] for c in draw.stops["village_code"] if c in teams.index]
            seen |= {str(t["team_id"]) for t in visited}
            by_month.setdefault(day.month, set()).update(str(t["team_id"]) for t in visited)
            rec = with_visits(rec, [visit(t.to_dict() | {"village_code": t.name}, day) for t in visited])
        day += dt.timedelta(days=1)
    missing = set(records["teams"]["team_id"]) - seen
    assert not missing, f"teams never drawn in the cycle: {sorted(missing)}"
    assert all(len(month) < len(teams) for month in by_month.values())  # not every team every month


def test_a_day_is_drawn_around_one_area(records: Records, places: pd.DataFrame) -> None:
    """With places the stops lie closer together than drawn county-wide, and every area stays possible."""

    def spread_km(draw: Draw) -> float:
        xy = places.loc[draw.stops["village_code"], ["x", "y"]].to_numpy()
        return float(np.hypot(*(xy - xy.mean(axis=0)).T).mean() / 1000)

    seeds = range(12)
    near = [draw_inspection(records, date=DATE, stops=8, seed=s, places=places) for s in seeds]
    far = [draw_inspection(records, date=DATE, stops=8, seed=s) for s in seeds]
    assert np.median([spread_km(d) for d in near]) < 0.6 * np.median([spread_km(d) for d in far])
    assert len({d.stops["village_code"].iloc[0][:9] for d in near}) >= 4  # first stops all over the county
    assert all(len(d.stops) == 8 for d in near)


def test_a_seeded_draw_is_reproducible(records: Records) -> None:
    a = draw_inspection(records, date=DATE, stops=10, seed=42)
    b = draw_inspection(records, date=DATE, stops=10, seed=42)
    assert a.stops["village_code"].tolist() == b.stops["village_code"].tolist()
    assert a.stops["households"].tolist() == b.stops["households"].tolist()
    assert a.seed == 42
    c = draw_inspection(records, date=DATE, stops=10, seed=43)
    assert c.stops["village_code"].tolist() != a.stops["village_code"].tolist()


def test_unseeded_draws_differ_and_use_os_randomness(records: Records) -> None:
    a = draw_inspection(records, date=DATE, stops=10)
    b = draw_inspection(records, date=DATE, stops=10)
    assert a.seed is None
    assert (a.stops["village_code"].tolist(), a.stops["households"].tolist()) != (
        b.stops["village_code"].tolist(),
        b.stops["households"].tolist(),
    )
    assert isinstance(make_rng(None), secrets.SystemRandom)
    assert type(make_rng(5)) is random.Random


def test_households_drawn_in_the_stop_village(records: Records) -> None:
    draw = draw_inspection(records, date=DATE, stops=8, seed=7)
    hh = records["households"].set_index("household_id")["village_code"]
    for code, ids in zip(draw.stops["village_code"], draw.stops["households"], strict=True):
        assert len(ids) == records.settings.inspection.households_per_stop
        assert all(hh[i] == code for i in ids)
        assert len(set(ids)) == len(ids)


def test_risk_raises_the_weight(records: Records) -> None:
    base = candidates(records, date=DATE, settings=records.settings).set_index("village_code")
    code = base.index[0]
    finding = {
        "inspection_id": "F1",
        "date": pd.Timestamp(DATE - dt.timedelta(days=40)),
        "team_id": None,
        "village_code": code,
        "household_id": None,
        "open_finding": True,
    }
    rec = with_visits(records, [finding, {**finding, "inspection_id": "F2"}])
    after = candidates(rec, date=DATE, settings=rec.settings).set_index("village_code")
    assert after.loc[code, "open_findings"] == 1.0
    assert "open_findings" in after.loc[code, "reasons"]
    w = records.settings.inspection.weights
    expected = w["open_findings"] * (1.0 - base.loc[code, "open_findings"]) + w["since_inspected"] * (
        after.loc[code, "since_inspected"] - base.loc[code, "since_inspected"]
    )
    assert after.loc[code, "weight"] - base.loc[code, "weight"] == pytest.approx(expected, abs=0.01)


def test_cycles_and_days_left() -> None:
    month = InspectionSettings(cycle_months=1)
    assert cycle_bounds(dt.date(2026, 2, 10), month, 100) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    derived = InspectionSettings()  # 100 teams at 30 a month: four-month cycles
    assert cycle_bounds(dt.date(2026, 2, 10), derived, 100) == (dt.date(2026, 1, 1), dt.date(2026, 4, 30))
    fortnight = InspectionSettings(cycle_days=14)
    assert cycle_bounds(dt.date(2026, 1, 20), fortnight) == (dt.date(2026, 1, 15), dt.date(2026, 1, 28))
    weekdays = InspectionSettings(inspection_weekdays=(0, 1, 2, 3, 4))
    assert inspection_days_left(dt.date(2026, 12, 28), weekdays) == 4  # Mon 28 … Thu 31
    assert inspection_days_left(dt.date(2026, 12, 27), weekdays) == 5  # a Sunday counts itself


def test_route_and_inspection_settings_from_toml(tmp_path: Path) -> None:
    from geodata._errors import InputError
    from geodata.settings import load_settings

    path = tmp_path / "battlemap.toml"
    path.write_text(
        "[inspection]\nexclude_days = 3\ninspection_weekdays = [0, 2, 4]\n[inspection.weights]\ncheckin = 2.5\n"
        "[route]\nday_hours = 6.5\nstart_lonlat = '104.6,35.6'\n",
        encoding="utf-8",
    )
    s = load_settings(path)
    assert s.inspection.exclude_days == 3 and s.inspection.inspection_weekdays == (0, 2, 4)
    assert s.inspection.weights["checkin"] == 2.5 and s.inspection.weights["days"] == 1.0  # others kept
    assert s.route.day_hours == 6.5 and s.route.start_lonlat == "104.6,35.6"
    path.write_text("[route]\nday_hour = 6\n", encoding="utf-8")
    with pytest.raises(InputError, match="day_hours"):
        load_settings(path)
