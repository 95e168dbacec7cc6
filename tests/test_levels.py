"""Levels above the county: the 3-county demo city, its hierarchy, city and province tables, bad codes."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from analytics.levels import Top, chain, children, parent, store_levels, top_level, top_unit, top_units, units
from analytics.measures import MEASURES, RATIOS
from geodata._errors import InputError
from geodata.demo import make_demo_county
from geodata.demo.city import CITY_CODE, county_code, make_demo_city
from geodata.divisions import division_table
from geodata.store import GeoPackageStore, Store
from tests.conftest import CITY_HOUSEHOLDS, copy_store, snapshot
from tests.importing import run

AS_OF = "2026-11-01"
HOUSEHOLDS = CITY_HOUSEHOLDS  # per county, in the shared demo city (conftest)
SEED = 2026
METRIC = 4544  # the demo's Gauss-Krüger zone


@pytest.fixture(scope="module")
def city(city_path: Path) -> GeoPackageStore:
    return GeoPackageStore(city_path)


@pytest.fixture
def store(city: Store, tmp_path: Path) -> GeoPackageStore:
    """A copy of the city to change (GeoPackage only: the store parity tests cover PostGIS)."""
    copy = GeoPackageStore(tmp_path / "copy.gpkg")
    copy_store(city, copy)
    return copy


def test_three_counties_tile_one_fictional_city(city: Store) -> None:
    regions = city.read("regions")
    counties = regions[regions["level"] == "county"].to_crs(METRIC)
    assert counties["code"].tolist() == [county_code(k) for k in range(3)] == ["629901", "629902", "629903"]
    assert counties["name"].is_unique
    assert CITY_CODE not in set(division_table()["code"])  # the shipped table has every Gansu city: 6299 is none
    for a, b in itertools.combinations(counties.geometry, 2):
        assert a.intersection(b).area < 1.0  # m²: not overlapping
    shared = [
        sum(a.boundary.intersection(b.boundary).length for b in counties.geometry if b is not a)
        for a in counties.geometry
    ]
    assert min(shared) > 5000  # m: each county borders another
    villages = city.read("villages").to_crs(METRIC)
    assert villages.area.sum() == pytest.approx(villages.union_all().area)
    assert villages["village_code"].str[:6].value_counts().min() >= 150
    households = city.read("households")
    assert len(households) == 3 * HOUSEHOLDS
    for column in ("household_id", "id_number"):
        assert households[column].is_unique
    assert (households["id_number"].str[:6] == households["village_code"].str[:6]).all()
    for layer, key in (("teams", "team_id"), ("projects", "project_id"), ("roads", "road_id")):
        assert city.read(layer)[key].is_unique, layer


def test_one_county_is_the_demo_county_and_the_city_starts_with_it() -> None:
    alone = make_demo_county(seed=5, households=300)
    one = make_demo_city(counties=1, seed=5, households=300)
    assert set(one) == set(alone)
    for name in alone:
        pd.testing.assert_frame_equal(one[name], alone[name])
    first = make_demo_city(counties=2, seed=5, households=300)["villages"]
    first = first[first["village_code"].str.startswith("629901")].reset_index(drop=True)
    assert first["village_code"].str[6:].tolist() == alone["villages"]["village_code"].str[6:].tolist()
    assert first.geometry.geom_equals(alone["villages"].geometry).all()


def test_hierarchy_of_the_store(city: Store) -> None:
    villages = city.read("villages")
    codes = villages["village_code"]
    assert top_level(codes) == "city"
    assert store_levels(codes) == ["city", "county", "town", "village"]
    assert top_units(codes) == ["6299"]
    assert children(codes, "6299") == ["629901", "629902", "629903"]
    assert children(codes, "629902") == sorted(codes[codes.str.startswith("629902")].str[:9].unique())
    assert parent("629902") == "6299" and parent("62") is None
    assert top_level(codes[codes.str.startswith("629901")]) == "county"
    other_province = pd.concat([codes, pd.Series(["510101001001"])])
    assert top_level(other_province) == "province"
    regions = city.read("regions")
    city_unit = units(villages, "city", regions=regions)
    assert city_unit[["code", "name", "level"]].values.tolist() == [["6299", "塬州示范市", "city"]]
    province = units(villages, "province")  # no regions layer: the shipped table names it, the villages draw it
    assert province[["code", "name", "parent_code"]].values.tolist() == [["62", "甘肃省", None]]
    area = gpd.GeoSeries(province.geometry).to_crs(METRIC).area.iloc[0]
    assert area == pytest.approx(villages.to_crs(METRIC).area.sum(), rel=1e-4)
    county_units = units(villages, "county", regions=regions)
    assert county_units["parent_code"].tolist() == ["6299"] * 3
    assert county_units["name"].str.endswith("示范县").all()


def test_city_row_is_the_sum_of_its_counties(city: Store) -> None:
    county = pd.DataFrame(city.read("county_indicators"))
    for level in ("city", "province"):
        top = pd.DataFrame(city.read(f"{level}_indicators"))
        assert len(top) == 1
        row = top.iloc[0]
        for m in MEASURES:
            # a county without the figure leaves the city's unknown, except where unknown rows are skipped anyway
            known = m.keep_unknown or county[m.name].notna().all()
            total = county[m.name].sum(min_count=1) if known else float("nan")
            if pd.isna(total):
                assert pd.isna(row[m.name]), m.name
            elif m.integer:
                assert row[m.name] == total, m.name  # counts: exactly
            else:
                assert row[m.name] == pytest.approx(total, rel=1e-12), m.name
        for r in RATIOS:
            if row[r.denominator] > 0:
                assert row[r.name] == pytest.approx(row[r.numerator] / row[r.denominator], rel=1e-12), r.name
        assert row["poor_villages"] == county["poor_villages"].sum()
        assert row["days_since_inspection"] == county["days_since_inspection"].min()
    households = city.read("households")
    assert pd.DataFrame(city.read("city_indicators"))["income_median"].iloc[0] == pytest.approx(
        households["per_capita_income"].median()
    )


@pytest.mark.slow
def test_dask_engine_equals_pandas_at_every_level(city: Store, store: Store) -> None:
    # Seed 7 with 150 households per county once differed near a county border (the workers read roads and
    # facilities only within their villages' box; now [cluster] context_margin_km around it, test_county_reader.py);
    # a county with no rows of a layer: tests/test_county_gaps.py.
    assert run(store.target, "build", "--engine", "dask", "--as-of", AS_OF) == 0
    for level in ("village", "town", "county", "city", "province"):
        got = pd.DataFrame(store.read(f"{level}_indicators")).drop(columns="computed_at")
        want = pd.DataFrame(city.read(f"{level}_indicators")).drop(columns="computed_at")
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)


@pytest.mark.parametrize(("level", "rows"), [("province", 1), ("city", 1), ("county", 3), ("town", None)])
def test_cli_indicators_at_every_level(
    city_path: Path, level: str, rows: int | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(city_path, "indicators", "--level", level, "--format", "json") == 0
    table = json.loads(capsys.readouterr().out)
    assert len(table) == (rows or len(GeoPackageStore(city_path).read("town_indicators")))
    assert all(len(r[f"{level}_code"]) == {"province": 2, "city": 4, "county": 6, "town": 9}[level] for r in table)


@pytest.mark.parametrize("unit", ["62", "6299", "629902"])
def test_explain_at_every_level(city_path: Path, unit: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(city_path, "explain", unit, "monitored_open_households") == 0
    head = capsys.readouterr().out.splitlines()[0]
    level = {2: "province", 4: "city", 6: "county"}[len(unit)]
    table = pd.DataFrame(GeoPackageStore(city_path).read(f"{level}_indicators")).set_index(f"{level}_code")
    assert head.endswith(f": {table.at[unit, 'monitored_open_households']} rows")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("explain", "62990", "households"), "has 5 characters"),
        (("explain", "6298", "households"), "not in"),
        (("demo", "--counties", "0"), "between 1 and"),
        (("indicators", "--level", "city", "--as-of", "2026-10-31"), "has no snapshot as of 2026-10-31"),
    ],
)
def test_bad_codes_exit_2_and_write_nothing(
    city: Store, store: Store, args: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(store)
    assert run(store.target, *args) == 2
    assert message in capsys.readouterr().err
    assert snapshot(store) == before


def test_one_county_store_has_no_city_table(city: Store, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    villages = store.read("villages")
    one = villages[villages["village_code"].str.startswith("629901")]
    with store.transaction() as tx:
        tx.write("villages", one)
    assert run(store.target, "build", "--as-of", AS_OF) == 0
    assert run(store.target, "indicators", "--level", "city") == 2  # the city table of the 3-county build is stale
    assert "holds one county (629901)" in capsys.readouterr().err


def _villages_file(villages: gpd.GeoDataFrame, path: Path) -> Path:
    villages.drop(columns=["town_name"]).to_file(path, driver="GPKG")
    return path


def test_village_of_another_county_than_its_town_code_is_refused(city: Store, store: Store, tmp_path: Path) -> None:
    villages = city.read("villages").head(5).copy()
    villages.loc[0, "town_code"] = "629902" + villages.loc[0, "town_code"][6:]
    before = snapshot(store)
    assert run(store.target, "import", "villages", str(_villages_file(villages, tmp_path / "v.gpkg"))) == 2
    assert snapshot(store) == before


def test_second_county_under_a_stored_code_is_refused(
    city: Store, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    villages = city.read("villages")
    third = villages[villages["village_code"].str.startswith("629903")].copy()
    for column in ("village_code", "town_code"):
        third[column] = "629901" + third[column].str[6:]  # county 3 coded as county 1 by mistake
    before = snapshot(store)
    path = _villages_file(third, tmp_path / "third.gpkg")
    assert run(store.target, "import", "villages", str(path), "--mode", "append") == 2
    assert "county code 629901 is already in the store" in capsys.readouterr().err
    assert snapshot(store) == before
    again = villages[villages["village_code"].str.startswith("629901")].head(20)  # the same county again: fine
    path = _villages_file(again, tmp_path / "again.gpkg")
    assert run(store.target, "import", "villages", str(path), "--mode", "append") == 0


def test_regions_layer_codes_must_match_their_level(store: Store, tmp_path: Path) -> None:
    table = tmp_path / "regions.csv"
    rows = ["区划代码(省市县),区划名称,区划级别", "6299,塬州示范市,市", "629,坏代码,县", "62,甘肃省,市"]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert run(store.target, "validate", "regions", str(table)) == 2


def test_top_unit_of_a_store_and_of_a_scope(city: Store) -> None:
    codes = city.read("villages")["village_code"]
    town = str(codes[codes.str.startswith("629902")].iloc[0])[:9]
    assert top_unit(codes) == Top("city", "6299")
    assert top_unit(codes, None) == top_unit(codes, "6299") == top_unit(codes, "62") == Top("city", "6299")
    assert top_unit(codes, "629902") == Top("county", "629902")
    assert top_unit(codes, town) == Top("town", town)
    one = codes[codes.str.startswith("629901")]
    assert top_unit(one) == top_unit(one, "6299") == Top("county", "629901")
    with pytest.raises(InputError, match="holds no village"):
        top_unit(codes, "629909")
    with pytest.raises(InputError, match="expected digits only"):
        top_unit(codes, "62990")
    two_provinces = pd.concat([codes, pd.Series(["510101001001"])])
    assert top_unit(two_provinces) == Top("province", None)
    assert top_unit(two_provinces, "51") == Top("province", "51")  # one province of several: its own top
    assert chain(Top("city", "6299"), None) == ["6299"]
    assert chain(Top("city", "6299"), f"{town}001") == ["6299", town[:6], town, f"{town}001"]
    assert chain(Top("county", "629901"), "629901101") == ["629901", "629901101"]
    assert chain(Top("city", "6299"), "519901") == ["6299"]  # outside the top: the top alone
    assert chain(Top("province", None), "629901") == ["62", "6299", "629901"]
