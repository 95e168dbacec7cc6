"""A county of a city store that imported none of an optional layer's rows: no data there, on both engines.

The dask engine builds each county alone, so such a county reads the layer as absent;
the in-memory build of the whole store must say the same (无数据, not 0), and the city
row is unknown for it as the roll-up makes it (a sum over counties that miss one is not
the city's figure).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from geodata.store import GeoPackageStore, Store
from tests.conftest import CITY_HOUSEHOLDS, copied, copy_store
from tests.importing import run

AS_OF = "2026-11-01"
GAP = "629902"  # the county whose optional rows are removed
BY_VILLAGE = ("water_tests", "projects", "teams")
BY_HOUSEHOLD = ("housing",)
UNKNOWN_THERE = ("water_samples", "water_fail_rate", "projects", "budget", "cd_cases", "cd_cases_open")


@pytest.fixture(scope="module")
def gap_path(demo_city: Callable[[int], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-county demo city without the middle county's water tests, projects, teams and C/D cases."""
    store = copied(demo_city(CITY_HOUSEHOLDS), tmp_path_factory.mktemp("gap"))
    households = store.read("households", columns=["household_id", "village_code"])
    theirs = set(households.loc[households["village_code"].astype(str).str.startswith(GAP), "household_id"])
    with store.transaction() as tx:
        for name in BY_VILLAGE:
            frame = store.read(name)
            tx.write(name, frame[~frame["village_code"].astype(str).str.startswith(GAP)])
        for name in BY_HOUSEHOLD:
            frame = store.read(name)
            tx.write(name, frame[~frame["household_id"].isin(theirs)])
    assert run(store.target, "build", "--as-of", AS_OF) == 0
    return store.path


def table(store: Store, level: str) -> pd.DataFrame:
    return pd.DataFrame(store.read(f"{level}_indicators")).set_index(f"{level}_code")


def test_the_county_without_rows_has_no_data_and_the_others_keep_theirs(gap_path: Path) -> None:
    store = GeoPackageStore(gap_path)
    county = table(store, "county")
    for name in UNKNOWN_THERE:
        assert pd.isna(county.at[GAP, name]), name
        assert county.drop(index=GAP)[name].notna().all(), name
        assert pd.isna(table(store, "city").at["6299", name]), name
    villages = table(store, "village")
    gap = villages.index.str.startswith(GAP)
    assert villages.loc[gap, "water_samples"].isna().all()
    assert (villages.loc[~gap, "water_samples"] >= 0).all()
    assert county.loc[GAP, "households"] > 0  # the required layers are there


@pytest.mark.parametrize(("unit", "says"), [(GAP, f"no 'water_tests' rows for {GAP}"), ("6299", "a county of 6299")])
def test_explain_says_no_data_for_the_county_and_its_city(
    gap_path: Path, unit: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(gap_path, "explain", unit, "water_samples") == 0
    out = capsys.readouterr().out
    assert "no data (无数据)" in out
    assert says in out
    assert run(gap_path, "explain", "629901", "water_samples") == 0
    assert "rows" in capsys.readouterr().out.splitlines()[0]


@pytest.mark.slow
def test_dask_engine_equals_pandas_for_the_county_without_rows(gap_path: Path, tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "dask.gpkg")
    copy_store(GeoPackageStore(gap_path), store)
    assert run(store.target, "build", "--engine", "dask", "--as-of", AS_OF) == 0
    want = GeoPackageStore(gap_path)
    for level in ("village", "town", "county", "city", "province"):
        got = pd.DataFrame(store.read(f"{level}_indicators")).drop(columns="computed_at")
        expected = pd.DataFrame(want.read(f"{level}_indicators")).drop(columns="computed_at")
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
