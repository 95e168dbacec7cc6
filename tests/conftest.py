"""Shared fixtures: a hand-built mini county (two towns, four square villages) in a fresh store."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geodata.idcard import check_char
from geodata.store import GeoPackageStore

# Four 0.02° squares (≈ 1.8 km × 2.2 km) at 104.60–104.64E, 35.60–35.64N.
X0, Y0, D = 104.60, 35.60, 0.02
TOWNS = {"621121100": "安定镇", "621121201": "石峡湾乡"}
VILLAGES = [  # code, name, column, row
    ("621121100201", "红星村", 0, 0),
    ("621121100202", "前进村", 1, 0),
    ("621121201201", "柳树村", 0, 1),
    ("621121201202", "杏园村", 1, 1),
]


def square(col: int, row: int) -> shapely.Polygon:
    """The village square at grid position (col, row)."""
    return shapely.box(X0 + col * D, Y0 + row * D, X0 + (col + 1) * D, Y0 + (row + 1) * D)


def village_frame() -> gpd.GeoDataFrame:
    """The mini county's villages, canonical columns, EPSG:4490."""
    return gpd.GeoDataFrame(
        {
            "village_code": [v[0] for v in VILLAGES],
            "name": [v[1] for v in VILLAGES],
            "town_code": [v[0][:9] for v in VILLAGES],
            "population": [820, 640, 910, 300],
            "collective_income": [52000.0, 0.0, 18000.0, 0.0],
            "former_poverty_village": [False, True, True, False],
        },
        geometry=[square(c, r) for _, _, c, r in VILLAGES],
        crs=4490,
    )


def town_frame() -> gpd.GeoDataFrame:
    """The mini county's two townships (unions of their villages)."""
    v = village_frame()
    towns = v.dissolve("town_code").reset_index()[["town_code", "geometry"]]
    towns["name"] = towns["town_code"].map(TOWNS)
    return towns[["town_code", "name", "geometry"]]


def resident_id(seq: int, birth: str = "19800101") -> str:
    """A valid 18-character resident ID for the county with sequence ``seq``."""
    first17 = f"621121{birth}{seq:03d}"
    return first17 + check_char(first17)


@pytest.fixture
def mini_store(tmp_path: Path) -> GeoPackageStore:
    """A store holding the mini county's towns and villages."""
    store = GeoPackageStore(tmp_path / "mini.gpkg")
    with store.transaction() as tx:
        tx.write("towns", town_frame())
        tx.write("villages", village_frame())
    return store


DEMO_HOUSEHOLDS = 4000  # small enough for quick tests, large enough for every village to have households


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a small deterministic demo county, written once per test session (do not modify)."""
    from geodata.demo_store import write_demo

    store = GeoPackageStore(tmp_path_factory.mktemp("demo") / "demo.gpkg")
    write_demo(store, seed=7, households=DEMO_HOUSEHOLDS)
    return store.path
