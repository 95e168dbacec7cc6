"""Month-end snapshots above the county: the 3-county demo city keeps city and province snapshots.

Each city snapshot is the sum of its counties' snapshot rows (ratios recomputed from the
sums) and equals ``build --as-of`` of that month-end; /map with a month picked shows that
month's city row in its panel; the wall of a city store draws the city's sparklines.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import flask
import numpy as np
import pandas as pd
import pytest

from analytics.measures import MEASURES, RATIOS
from callbacks import map_page, wall_page
from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from geodata.demo.city import CITY_CODE
from geodata.settings import get_settings
from geodata.store import GeoPackageStore, Store
from geodata.store.snapshots import SNAPSHOT_TABLES, read_snapshot, snapshot_dates, write_snapshots
from layers.panel import key_indicators
from tests.importing import run
from tests.test_history import comparable

SEPTEMBER, OCTOBER = dt.date(2026, 9, 30), dt.date(2026, 10, 31)


def test_history_keeps_city_and_province_snapshots(city_history_path: Path) -> None:
    store = GeoPackageStore(city_history_path)
    assert snapshot_dates(store) == [SEPTEMBER, OCTOBER]
    for level in ("city", "province"):
        assert store.has(SNAPSHOT_TABLES[level])
        for as_of in (SEPTEMBER, OCTOBER):
            assert len(read_snapshot(store, level, as_of)) == 1
    assert read_snapshot(store, "city", OCTOBER)["city_code"].tolist() == [CITY_CODE]


@pytest.mark.parametrize("as_of", [SEPTEMBER, OCTOBER])
def test_city_snapshot_is_the_sum_of_its_county_snapshots(city_history_path: Path, as_of: dt.date) -> None:
    store = GeoPackageStore(city_history_path)
    city = read_snapshot(store, "city", as_of).iloc[0]
    counties = read_snapshot(store, "county", as_of)
    assert len(counties) == 3
    for m in MEASURES:
        values = counties[m.name]
        if values.isna().all():
            assert pd.isna(city[m.name]), m.name
            continue
        if not m.keep_unknown and values.isna().any():
            assert pd.isna(city[m.name]), m.name  # a county unknown: the city is unknown, never a partial sum
            continue
        assert city[m.name] == pytest.approx(values.sum(), rel=1e-12), m.name
    for r in RATIOS:  # recomputed from the sums, never an average of the counties' ratios
        if pd.isna(city[r.denominator]) or city[r.denominator] == 0:
            assert pd.isna(city[r.name]), r.name
        else:
            assert city[r.name] == pytest.approx(city[r.numerator] / city[r.denominator], rel=1e-12), r.name


def test_city_snapshot_equals_build_as_of(city_history_path: Path, tmp_path: Path) -> None:
    copy = GeoPackageStore(tmp_path / "copy.gpkg")
    copy.path.write_bytes(Path(city_history_path).read_bytes())
    assert run(copy.target, "build", "--as-of", OCTOBER.isoformat()) == 0
    for level in ("city", "province"):
        built = comparable(copy.read(f"{level}_indicators"))
        kept = comparable(read_snapshot(copy, level, OCTOBER))
        assert list(kept.columns) == list(built.columns)
        pd.testing.assert_frame_equal(kept, built, check_dtype=False)


def test_cli_indicators_of_the_city_as_of_a_month_end(
    city_history_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run(city_history_path, "indicators", "--level", "city", "--as-of", "2026-09-30", "--format", "json") == 0
    rows = pd.read_json(io.StringIO(capsys.readouterr().out))
    kept = read_snapshot(GeoPackageStore(city_history_path), "city", SEPTEMBER)
    assert rows["city_code"].astype(str).tolist() == [CITY_CODE]
    assert rows["monitored_households"].tolist() == kept["monitored_households"].tolist()


def _panel_values(city_history_path: Path, period: str | None) -> list[str]:
    data = StoreData(GeoPackageStore(city_history_path))
    with flask.Flask(__name__).test_request_context():  # nobody logged in: the whole store
        body = map_page._panel(data, MapState(top="city", period=period))
    table = body[0]  # the key-indicator table: value cells in the second column
    return [str(row.children[1].children) for row in table.children[1].children]


def test_map_panel_of_the_city_shows_the_month_picked(city_history_path: Path) -> None:
    store = GeoPackageStore(city_history_path)
    october = read_snapshot(store, "city", OCTOBER).iloc[0]
    current = pd.DataFrame(store.read("city_indicators")).iloc[0]
    expected = [str(i["value"]) for i in key_indicators(october, get_settings(), "zh")]
    now = [str(i["value"]) for i in key_indicators(current, get_settings(), "zh")]
    assert expected != now  # the month differs from today: the test can tell them apart
    assert _panel_values(city_history_path, OCTOBER.isoformat()) == expected
    assert _panel_values(city_history_path, None) == now


def test_city_wall_tiles_have_the_city_sparklines(city_history_path: Path) -> None:
    data = StoreData(GeoPackageStore(city_history_path))
    trends = data.unit_snapshots("city", CITY_CODE)
    assert trends is not None and len(trends) == 2
    with flask.Flask(__name__).test_request_context():
        wall = wall_page._build(data, "poverty_incidence", "zh", (1920, 1080))
    sparks = [str(tile) for tile in wall.tiles if "tile-spark" in str(tile)]
    assert len(sparks) >= 5  # every tile with data has its line over the two month-ends
    spend = data.unit_trend("city", CITY_CODE)["spend_rate"]
    assert np.allclose(spend.to_numpy(float), read_snapshot_series(data, "spend_rate"), equal_nan=True)


def read_snapshot_series(data: StoreData, column: str) -> np.ndarray:
    """The city's ``column`` at each snapshot date, read table by table."""
    return np.array([float(read_snapshot(data.store, "city", d).iloc[0][column]) for d in (SEPTEMBER, OCTOBER)])


def test_city_snapshots_round_trip_through_either_store(city_history_path: Path, store: Store) -> None:
    """Written with the other levels in one transaction and read back as they were, on GeoPackage and PostGIS."""
    source = GeoPackageStore(city_history_path)
    levels = ("village", "town", "county", "city", "province")
    tables = {f"{level}_indicators": read_snapshot(source, level, OCTOBER) for level in levels}
    write_snapshots(store, {OCTOBER: tables})
    assert snapshot_dates(store) == [OCTOBER]
    for level in ("city", "province"):
        pd.testing.assert_frame_equal(
            comparable(read_snapshot(store, level, OCTOBER)),
            comparable(tables[f"{level}_indicators"]),
            check_dtype=False,
        )
    one = {name: table for name, table in tables.items() if not name.startswith(("city", "province"))}
    write_snapshots(store, {SEPTEMBER: one})  # a one-county write: no city table, the kept city rows stay
    assert read_snapshot(store, "city", SEPTEMBER) is None
    assert read_snapshot(store, "city", OCTOBER) is not None
