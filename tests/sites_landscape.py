"""A hand-built 10 km × 10 km county whose right relocation answers are known, for the site-selection tests.

Coordinates are metres in EPSG:4544 (CGCS2000 GK zone 35, central meridian 105°E) from
the county's south-west corner; layers are handed to the analytics in EPSG:4490 like the
store's. A hardened county road runs west–east at y = 2 km; a hardened village road runs
north from (5, 2) km to the origin hamlet at (5, 9) km.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analytics.sites import SiteModel, build_landscape, site_model
from geodata.settings import Settings

EPSG = 4544
X0, Y0 = 480_000.0, 3_940_000.0
SIDE = 10_000.0
ORIGIN = (5000.0, 9000.0)
GOOD = (8000.0, 2000.0)  # facilities beside the road, outside any hazard
FLOODED = (2000.0, 2000.0)  # facilities in the middle of a flood zone
FLOOD_BOX = (500.0, 500.0, 3500.0, 3500.0)
STEEP_BOX = (6500.0, 5000.0, 9000.0, 8000.0)  # a 35° hillside
STEEP = (7700.0, 6500.0)  # facilities on the hillside


def at(x: float, y: float) -> shapely.Point:
    """A point at local metres (x, y)."""
    return shapely.Point(X0 + x, Y0 + y)


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A box in local metres."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _frame(table: dict, geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(table, geometry=geoms, crs=EPSG).to_crs(4490)


def _facilities(places: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    kinds = ["clinic", "school", "township_gov", "water_plant"]
    rows = [(k, x + 50 * i, y + 50) for x, y in places for i, k in enumerate(kinds)]
    return _frame(
        {
            "facility_id": [f"F{i}" for i in range(len(rows))],
            "name": [f"设施{i}" for i in range(len(rows))],
            "kind": [r[0] for r in rows],
            "capacity": [None] * len(rows),
            "village_code": ["621199100201"] * len(rows),
        },
        [at(x, y) for _, x, y in rows],
    )


def _elevation(steep: bool) -> pd.DataFrame:
    """A 200 m lattice: flat at 1500 m, with a 35° hillside rising eastwards inside STEEP_BOX."""
    step = 200.0
    xs = np.arange(-1000.0, SIDE + 1001.0, step)
    ys = np.arange(SIDE + 1000.0, -1001.0, -step)
    gx, gy = np.meshgrid(xs, ys)
    rows, cols = np.indices(gx.shape)
    elev = np.full(gx.shape, 1500.0)
    if steep:
        x0, y0, x1, y1 = STEEP_BOX
        inside = (gy >= y0) & (gy <= y1)
        elev += np.where(inside, np.tan(np.radians(35)) * np.clip(gx - x0, 0, x1 - x0), 0.0)
    return pd.DataFrame(
        {
            "row": rows.ravel(),
            "col": cols.ravel(),
            "x": X0 + gx.ravel(),
            "y": Y0 + gy.ravel(),
            "elev_m": elev.ravel(),
            "gk_epsg": EPSG,
        }
    )


def layers(*, facilities: list[tuple[float, float]], flood: bool = False, steep: bool = False) -> dict:
    """The county's layers (EPSG:4490) with facility clusters at ``facilities``."""
    roads = [
        shapely.LineString([(X0, Y0 + 2000), (X0 + SIDE, Y0 + 2000)]),
        shapely.LineString([(X0 + 5000, Y0 + 2000), (X0 + 5000, Y0 + 9500)]),
    ]
    if steep:
        roads.append(shapely.LineString([(X0 + 8000, Y0 + 2000), (X0 + 8000, Y0 + STEEP[1])]))
    out = {
        "villages": _frame(
            {
                "village_code": ["621199100201", "621199100202"],
                "name": ["西村", "东村"],
                "town_code": ["621199100"] * 2,
                "population": [100, 100],
                "collective_income": [0.0, 0.0],
                "former_poverty_village": [False, False],
            },
            [box(0, 0, SIDE / 2, SIDE), box(SIDE / 2, 0, SIDE, SIDE)],
        ),
        "roads": _frame(
            {
                "road_id": [f"R{i}" for i in range(len(roads))],
                "name": [None] * len(roads),
                "road_class": ["county"] + ["village"] * (len(roads) - 1),
                "hardened": [True] * len(roads),
            },
            roads,
        ),
        "facilities": _facilities(facilities),
        "elevation": _elevation(steep),
    }
    if flood:
        out["hazards"] = _frame({"hazard_id": ["H1"], "kind": ["flood"], "level": ["high"]}, [box(*FLOOD_BOX)])
    return out


def households(count: int = 40) -> pd.DataFrame:
    """``count`` households of the origin hamlet, all in a high hazard zone (so the rule moves them)."""
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "household_id": [f"H{i:03d}" for i in range(count)],
            "village_code": "621199100201",
            "members": 3,
            "hazard_level": "high",
            "in_hazard": True,
            "km_clinic": 3.0,
            "km_school": 3.0,
            "housing_grade": "B",
            "x": X0 + ORIGIN[0] + rng.normal(0, 80, count),
            "y": Y0 + ORIGIN[1] + rng.normal(0, 80, count),
        }
    )


def model(settings: Settings, **kw: object) -> SiteModel:
    """The site model of :func:`layers` with the origin hamlet's households."""
    land = build_landscape(layers(**kw), settings=settings)  # type: ignore[arg-type]
    return site_model(land, households(), settings=settings)


def local_xy(geom: shapely.Geometry) -> tuple[float, float]:
    """A candidate's centroid (EPSG:4490 geometry) in local metres."""
    p = gpd.GeoSeries([geom], crs=4490).to_crs(EPSG).iloc[0].centroid
    return p.x - X0, p.y - Y0


def local(geom: shapely.Geometry) -> shapely.Geometry:
    """A candidate's geometry in local metres."""
    g = gpd.GeoSeries([geom], crs=4490).to_crs(EPSG).iloc[0]
    return shapely.affinity.translate(g, -X0, -Y0)
