"""A month kept without its city/province snapshot: every past level goes through the one roll-up rule.

Two stores copied from the 3-county demo city with the snapshots of September and October:
``gap`` lost October's city and province rows (history kept before those tables existed),
``one`` lost October's rows of two of the three counties as well (history kept while the
store held one county, counties added since). The city of a month is the sum of its
counties' snapshot rows with ratios recomputed from the sums; with a county missing it is
unknown (无数据) — never today's figures, never zero. The /map panel, the map's pool of
values, the city's sparklines and the wall's 较上月 all read it so.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import flask
import pandas as pd
import pytest

from analytics.kpis import wall_kpis
from analytics.measures import MEASURES, RATIOS
from battlemap_cli.month_tables import month_tables
from callbacks import map_page, wall_page
from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from geodata.demo.city import CITY_CODE
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from geodata.store.snapshots import SNAPSHOT_TABLES, read_snapshot
from layers.i18n import t
from layers.panel import key_indicators
from tests.importing import run

SEPTEMBER, OCTOBER = dt.date(2026, 9, 30), dt.date(2026, 10, 31)
KEPT_COUNTY = "629901"
PROVINCE = CITY_CODE[:2]
# Not sums of the counties' rows: a county row does not carry the income counts or the failing tests.
NOT_FROM_COUNTIES = {"income_median", "water_worst_indicator"}


def _drop_rows(store: GeoPackageStore, level: str, as_of: dt.date, prefix: str = "") -> None:
    """Remove ``level``'s snapshot rows of ``as_of`` whose code starts with ``prefix`` ("" : all of them)."""
    table = SNAPSHOT_TABLES[level]
    frame = pd.DataFrame(store.read(table))
    code = frame[frame.columns[0]].astype(str)
    gone = (pd.to_datetime(frame["as_of"]) == pd.Timestamp(as_of)) & code.str.startswith(prefix)
    with store.transaction() as tx:
        tx.write(table, frame[~gone].reset_index(drop=True))


def _copy(source: Path, target: Path) -> GeoPackageStore:
    target.write_bytes(Path(source).read_bytes())
    return GeoPackageStore(target)


@pytest.fixture(scope="module")
def gap(city_history_path: Path, tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    """October's county, town and village snapshots kept; its city and province rows gone."""
    store = _copy(city_history_path, tmp_path_factory.mktemp("gap") / "city.gpkg")
    for level in ("city", "province"):
        _drop_rows(store, level, OCTOBER)
    return store


@pytest.fixture(scope="module")
def one(city_history_path: Path, tmp_path_factory: pytest.TempPathFactory) -> GeoPackageStore:
    """October as if history was kept while the store held the first county only."""
    store = _copy(city_history_path, tmp_path_factory.mktemp("one") / "city.gpkg")
    for level in ("city", "province"):
        _drop_rows(store, level, OCTOBER)
    for county in ("629902", "629903"):
        for level in ("county", "town", "village"):
            _drop_rows(store, level, OCTOBER, county)
    return store


@pytest.fixture(scope="module")
def original(city_history_path: Path) -> GeoPackageStore:
    return GeoPackageStore(city_history_path)


def _panel_values(data: StoreData, period: str | None) -> list[str]:
    with flask.Flask(__name__).test_request_context():  # nobody logged in: the whole store
        body = map_page._panel(data, MapState(top="city", period=period))
    return [str(row.children[1].children) for row in body[0].children[1].children]


def test_city_of_a_month_without_its_snapshot_is_the_sum_of_its_counties(
    gap: GeoPackageStore, original: GeoPackageStore
) -> None:
    assert read_snapshot(gap, "city", OCTOBER) is None  # the month really lost its city row
    counties = read_snapshot(gap, "county", OCTOBER)
    assert len(counties) == 3
    data = StoreData(gap)
    city = data.indicators_in("city", OCTOBER.isoformat()).loc[CITY_CODE]
    monitored = counties["monitored_households"].sum()
    assert monitored > 0
    assert city["monitored_households"] == monitored
    assert city["households"] == counties["households"].sum()
    for r in RATIOS:  # recomputed from the sums, never an average of the counties' ratios
        if pd.notna(city[r.denominator]) and city[r.denominator] > 0:
            assert city[r.name] == pytest.approx(city[r.numerator] / city[r.denominator], rel=1e-12), r.name
    kept = read_snapshot(original, "city", OCTOBER).iloc[0]  # what `history` wrote when it had the city table
    for name in [m.name for m in MEASURES] + [r.name for r in RATIOS]:
        if name in NOT_FROM_COUNTIES:
            continue
        if pd.isna(kept[name]):
            assert pd.isna(city[name]), name
        else:
            assert city[name] == pytest.approx(kept[name], rel=1e-9), name
    assert city["risk_index"] == pytest.approx(kept["risk_index"], rel=1e-9)
    province = data.indicators_in("province", OCTOBER.isoformat()).loc[PROVINCE]
    assert province["monitored_households"] == monitored


def test_map_panel_of_a_month_without_city_snapshot_shows_the_counties_sum(
    gap: GeoPackageStore, original: GeoPackageStore
) -> None:
    data = StoreData(gap)
    rolled = data.indicators_in("city", OCTOBER.isoformat()).loc[CITY_CODE]
    expected = [str(i["value"]) for i in key_indicators(rolled, get_settings(), "zh")]
    today = [str(i["value"]) for i in key_indicators(data.indicators("city").loc[CITY_CODE], get_settings(), "zh")]
    assert expected != today
    kept = read_snapshot(original, "city", OCTOBER).iloc[0]
    assert expected == [str(i["value"]) for i in key_indicators(kept, get_settings(), "zh")]
    assert _panel_values(data, OCTOBER.isoformat()) == expected


def test_city_of_a_month_missing_a_county_is_unknown(one: GeoPackageStore) -> None:
    data = StoreData(one)
    assert data.indicators_in("county", OCTOBER.isoformat()).index.tolist() == [KEPT_COUNTY]
    for level, code in (("city", CITY_CODE), ("province", PROVINCE)):
        row = data.indicators_in(level, OCTOBER.isoformat()).loc[code]
        for name in [m.name for m in MEASURES] + [r.name for r in RATIOS] + ["risk_index"]:
            assert pd.isna(row[name]), (level, name)  # unknown, not today's value and not 0
    nodata = t("no_data", "zh")
    assert set(_panel_values(data, OCTOBER.isoformat())) == {nodata}
    assert nodata not in _panel_values(data, SEPTEMBER.isoformat())  # the complete month still shows its figures


@pytest.mark.parametrize("level", ["city", "province"])
def test_indicator_pool_reads_months_without_the_level(gap: GeoPackageStore, one: GeoPackageStore, level: str) -> None:
    for store in (gap, one):
        data = StoreData(store)
        pool = data.indicator_pool(level, "monitored_households")
        assert len(pool) == 3  # today, September, October: one unit each
    gap_pool = StoreData(gap).indicator_pool(level, "monitored_households")
    assert gap_pool.iloc[2] == read_snapshot(gap, "county", OCTOBER)["monitored_households"].sum()
    assert pd.isna(StoreData(one).indicator_pool(level, "monitored_households").iloc[2])


def test_city_sparklines_and_last_month_follow_the_rule(gap: GeoPackageStore, one: GeoPackageStore) -> None:
    data = StoreData(gap)
    trend = data.unit_trend("city", CITY_CODE)
    assert [pd.Timestamp(d).date() for d in trend.index] == [SEPTEMBER, OCTOBER]
    october_sum = read_snapshot(gap, "county", OCTOBER)["monitored_households"].sum()
    assert trend["monitored_households"].iloc[1] == october_sum
    top = data.top(None)
    assert top.level == "city"
    assert data.county_last_month(top)["monitored_households"] == october_sum  # 较上月: last month-end is October

    data = StoreData(one)
    trend = data.unit_trend("city", CITY_CODE)
    assert [pd.Timestamp(d).date() for d in trend.index] == [SEPTEMBER, OCTOBER]
    assert (
        trend["monitored_households"].iloc[0] == read_snapshot(one, "city", SEPTEMBER).iloc[0]["monitored_households"]
    )
    assert pd.isna(trend["monitored_households"].iloc[1])
    assert pd.isna(data.county_last_month(data.top(None))["monitored_households"])


def test_cli_and_documents_read_the_month_by_the_same_rule(
    gap: GeoPackageStore, one: GeoPackageStore, capsys: pytest.CaptureFixture[str]
) -> None:
    october_sum = read_snapshot(gap, "county", OCTOBER)["monitored_households"].sum()
    capsys.readouterr()
    assert run(gap.target, "indicators", "--level", "city", "--as-of", OCTOBER.isoformat(), "--format", "json") == 0
    rows = pd.read_json(io.StringIO(capsys.readouterr().out), dtype={"city_code": str})
    assert rows["city_code"].tolist() == [CITY_CODE]
    assert rows["monitored_households"].tolist() == [october_sum]
    assert month_tables(gap, OCTOBER)["city"].loc[CITY_CODE, "monitored_households"] == october_sum
    assert month_tables(gap, OCTOBER)["province"].loc[PROVINCE, "monitored_households"] == october_sum
    unknown = month_tables(one, OCTOBER)["city"].loc[CITY_CODE]
    assert pd.isna(unknown["monitored_households"]) and pd.isna(unknown["poverty_incidence"])


def test_wall_tiles_compare_with_last_month_by_the_rule(gap: GeoPackageStore, one: GeoPackageStore) -> None:
    """较上月 of the water tile: now − October's city (the counties' sum), none when October misses a county."""
    deltas = {}
    for name, store in (("gap", gap), ("one", one)):
        data = StoreData(store)
        top = data.top(None)
        kpis = wall_kpis(
            data.top_row(top), data.county_last_month(top), data.records(), as_of=data.as_of(), settings=get_settings()
        )
        deltas[name] = next(k.delta for k in kpis if k.key == "kpi_water_unsafe")
        with flask.Flask(__name__).test_request_context():
            assert wall_page._build(data, "poverty_incidence", "zh", (1920, 1080)).tiles  # the wall draws either way
    now = StoreData(gap).top_row(StoreData(gap).top(None))["water_unsafe_households"]
    october = read_snapshot(gap, "county", OCTOBER)["water_unsafe_households"].sum()
    assert deltas["gap"] == now - october
    assert deltas["one"] is None
