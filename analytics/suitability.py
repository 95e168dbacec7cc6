"""Site suitability on the county grid: criteria measured per cell, value functions, weights and constraints.

Criteria (``CRITERIA``), each a raster of a measure turned into a value 0–1 by a linear
ramp from ``settings.sites.value_ramps`` (1 at or below *full*, 0 at or beyond *zero*):

============  ==============================================================  ======
key           measure                                                         unit
============  ==============================================================  ======
road          road distance to the nearest hardened road (硬化路)              km
township      road distance to the nearest township government (乡镇驻地)      km
school        road distance to the nearest school (学校)                       km
clinic        road distance to the nearest clinic or health centre (卫生室/院)  km
water         road distance to the nearest water plant (水厂)                  km
slope         ground slope (坡度)                                              degree
origin        households-weighted road distance from the origin villages       km
elevation     households-weighted elevation change from the origin homes       m
============  ==============================================================  ======

"Road distance" is one multi-source Dijkstra per criterion over the road graph, plus the
cell's straight walk to its nearest road node (straight line where no road connects).
The first six do not depend on who moves and are computed once per store version
(:func:`build_landscape`); the last two once per set of movers (:func:`origin_measures`).
A weight change only re-weights the cached value stack (:func:`weighted_score`): one
``tensordot`` over the grid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from analytics.records import CLINIC_KINDS
from analytics.roads import min_weight_matrix, node_distances
from analytics.site_grid import (
    HALF_DIAGONAL,
    Grid,
    RoadAccess,
    distance_to_geoms,
    elevation_raster,
    rasterise,
    road_access,
    slope_raster,
)
from geodata._errors import InputError
from geodata.io.crs import county_epsg
from geodata.settings import Settings, SiteSettings

CRITERIA = ("road", "township", "school", "clinic", "water", "slope", "origin", "elevation")
TARGET_KINDS = {"township": ("township_gov",), "school": ("school",), "clinic": CLINIC_KINDS, "water": ("water_plant",)}
EXACT_HAZARD_M = 2000.0  # hazard distances are exact up to this (the largest buffer a planner may ask for)
UNITS = {
    "road": "km",
    "township": "km",
    "school": "km",
    "clinic": "km",
    "water": "km",
    "slope": "°",
    "origin": "km",
    "elevation": "m",
}


@dataclass(frozen=True)
class Landscape:
    """What does not change with weights or movers: grid, terrain, masks, fixed criterion measures."""

    grid: Grid
    elev: np.ndarray
    slope: np.ndarray
    inside: np.ndarray  # cell centre inside the county (by at least half a cell)
    hazard_m: np.ndarray  # metres from the cell centre to the nearest hazard zone of an excluding level (0 in it)
    water: np.ndarray  # cell touches a water body
    measures: dict[str, np.ndarray]  # road, township, school, clinic, water (km), slope (degrees)
    access: RoadAccess | None
    villages: gpd.GeoDataFrame  # village_code, name, metric geometry


def build_landscape(
    layers: Mapping[str, pd.DataFrame],
    *,
    settings: Settings,
    progress: Callable[[str], None] | None = None,
) -> Landscape:
    """Grid, terrain, constraint rasters and fixed criteria from store layers (EPSG:4490).

    Uses ``villages`` (required), ``roads``, ``facilities``, ``hazards``, ``elevation`` and an
    optional ``water_bodies`` polygon layer; absent layers leave their criterion uninformative.
    ``progress`` is called after each stage (for tqdm).
    """
    step = progress or (lambda _label: None)
    s = settings.sites
    villages = layers.get("villages")
    if villages is None or not len(villages):
        msg = "site selection needs the villages layer: import villages (or run `battlemap demo`) first"
        raise InputError(msg)
    epsg = county_epsg(villages)
    metric = villages.to_crs(epsg)[["village_code", "name", "geometry"]].reset_index(drop=True)
    county = shapely.union_all(np.asarray(metric.geometry.values)).buffer(1.0).buffer(-1.0)  # close sliver gaps
    grid = Grid.covering(tuple(county.bounds), s.cell_m, epsg)
    inside = rasterise(grid, np.array([shapely.buffer(county, -s.cell_m * HALF_DIAGONAL)]))  # the whole cell inside
    elev = elevation_raster(layers.get("elevation"), grid)
    slope = slope_raster(elev, s.cell_m)
    step("terrain")
    hazards = _metric(layers.get("hazards"), epsg)
    if hazards is not None:
        hazards = hazards[hazards["level"].isin(s.hazard_levels)]
    hazard_geoms = np.asarray(hazards.geometry.values) if hazards is not None else np.empty(0)
    hazard_m = distance_to_geoms(grid, hazard_geoms, exact_within_m=EXACT_HAZARD_M)
    water = _touching(grid, _metric(layers.get("water_bodies"), epsg))
    step("constraints")
    roads = _metric(layers.get("roads"), epsg)
    access = road_access(roads, grid, settings)
    step("road graph")
    measures = _fixed_measures(grid, access, roads, _metric(layers.get("facilities"), epsg))
    measures["slope"] = slope
    step("criteria")
    return Landscape(grid, elev, slope, inside, hazard_m, water, measures, access, metric)


def _metric(frame: pd.DataFrame | None, epsg: int) -> gpd.GeoDataFrame | None:
    return frame.to_crs(epsg).reset_index(drop=True) if frame is not None and len(frame) else None


def _touching(grid: Grid, frame: gpd.GeoDataFrame | None) -> np.ndarray:
    """Cells that may touch a polygon of ``frame`` (centre within half a cell diagonal)."""
    geoms = np.asarray(frame.geometry.values) if frame is not None else np.empty(0)
    return rasterise(grid, geoms, grow_m=grid.cell * HALF_DIAGONAL)


def _fixed_measures(
    grid: Grid, access: RoadAccess | None, roads: gpd.GeoDataFrame | None, facilities: gpd.GeoDataFrame | None
) -> dict[str, np.ndarray]:
    """Road km from every cell to the nearest hardened road and to each facility kind."""
    out: dict[str, np.ndarray] = {}
    if access is not None and roads is not None:
        graph = access.graph
        hardened = roads["hardened"].astype("boolean").fillna(False).to_numpy(bool)[graph.road_index]
        nodes = np.unique(graph.edges[hardened])
        out["road"] = cell_road_km(grid, access, graph.xy[nodes, 0], graph.xy[nodes, 1])
    else:
        out["road"] = np.full(grid.shape, np.inf)
    kind = facilities["kind"].to_numpy() if facilities is not None else np.empty(0)
    for key, kinds in TARGET_KINDS.items():
        sel = np.isin(kind, kinds)
        if facilities is None or not sel.any():
            out[key] = np.full(grid.shape, np.inf)
            continue
        xy = shapely.get_coordinates(np.asarray(facilities.geometry.values)[sel])
        out[key] = cell_road_km(grid, access, xy[:, 0], xy[:, 1])
    return out


def cell_road_km(grid: Grid, access: RoadAccess | None, tx: np.ndarray, ty: np.ndarray) -> np.ndarray:
    """Km from every cell to the nearest target: walk to the nearest road node, then by road (one Dijkstra).

    Where no road joins a cell to any target, the straight-line distance counts instead.
    """
    gx, gy = grid.centres()
    straight, _ = cKDTree(np.c_[tx, ty]).query(np.c_[gx.ravel(), gy.ravel()])
    if access is None or not len(access.graph.xy):
        return (straight / 1000.0).reshape(grid.shape)
    by_road = node_distances(access.graph, tx, ty)[access.node] + access.gap_m
    return (np.where(np.isfinite(by_road), by_road, straight) / 1000.0).reshape(grid.shape)


@dataclass(frozen=True)
class Origins:
    """Origin villages of the movers: one row per village, and road metres and hours from each to every node."""

    table: pd.DataFrame  # village_code, name, households, x, y, elev, node, gap_m
    node_m: np.ndarray  # (villages, nodes)
    node_h: np.ndarray  # (villages, nodes)


def origin_measures(
    land: Landscape, movers: pd.DataFrame, *, settings: Settings
) -> tuple[Origins, dict[str, np.ndarray]]:
    """The movers' origin villages, and the ``origin`` (km) and ``elevation`` (m) measures of every cell.

    ``movers`` has one row per household with ``village_code`` and metric ``x``, ``y``.
    Each origin village is its movers' mean position; a cell's measure is the mean over
    origins weighted by their households.
    """
    if movers.empty:
        shape = land.grid.shape
        empty = pd.DataFrame(columns=["village_code", "name", "households", "x", "y", "elev", "node", "gap_m"])
        return Origins(empty, np.empty((0, 0)), np.empty((0, 0))), {
            "origin": np.zeros(shape),
            "elevation": np.zeros(shape),
        }
    elev = land.grid.sample(land.elev, movers["x"].to_numpy(), movers["y"].to_numpy())
    table = (
        movers.assign(elev=elev)
        .groupby("village_code", sort=True)
        .agg(households=("x", "size"), x=("x", "mean"), y=("y", "mean"), elev=("elev", "mean"))
        .reset_index()
    )
    table["name"] = table["village_code"].map(land.villages.set_index("village_code")["name"])
    node_m, node_h = _from_origins(land.access, table, settings)
    table["node"], table["gap_m"] = _attach(land.access, table)
    gx, gy = land.grid.centres()
    cells = np.c_[gx.ravel(), gy.ravel()]
    weight = table["households"].to_numpy(float) / table["households"].sum()
    origin = np.zeros(land.grid.size)
    change = np.zeros(land.grid.shape)
    for i, row in enumerate(table.itertuples()):
        straight = np.hypot(cells[:, 0] - row.x, cells[:, 1] - row.y)
        if land.access is not None and node_m.size:
            by_road = node_m[i, land.access.node] + land.access.gap_m
            straight = np.where(np.isfinite(by_road), by_road, straight)
        origin += weight[i] * straight
        change += weight[i] * np.abs(land.elev - row.elev)
    origins = Origins(table, node_m, node_h)
    return origins, {"origin": origin.reshape(land.grid.shape) / 1000.0, "elevation": change}


def _attach(access: RoadAccess | None, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Nearest road node of each origin and the straight metres to it (-1 and NaN without roads)."""
    if access is None or not len(access.graph.xy):
        return np.full(len(table), -1), np.full(len(table), np.nan)
    return access.graph.nearest_nodes(table["x"].to_numpy(), table["y"].to_numpy())


def _from_origins(access: RoadAccess | None, table: pd.DataFrame, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Road metres and hours from each origin (its walk to the road included) to every node: two Dijkstras."""
    if access is None or not len(access.graph.xy):
        return np.empty((len(table), 0)), np.empty((len(table), 0))
    graph = access.graph
    node, gap = graph.nearest_nodes(table["x"].to_numpy(), table["y"].to_numpy())
    a, b = graph.edges[:, 0], graph.edges[:, 1]
    n = len(graph.xy)
    out = []
    for weight, start in ((graph.length_m, gap), (graph.hours, gap / 1000.0 / settings.roads.offroad_kmh)):
        matrix = min_weight_matrix(np.r_[a, b], np.r_[b, a], np.r_[weight, weight], n)
        out.append(dijkstra(matrix, directed=False, indices=node) + start[:, None])
    return out[0], out[1]


def ramp(measure: np.ndarray, full: float, zero: float) -> np.ndarray:
    """The value function: 1 at or below ``full``, 0 at or beyond ``zero``, linear between (NaN → 0)."""
    span = zero - full
    if span <= 0:
        msg = f"a value ramp needs full < zero, got full={full}, zero={zero}; fix [sites] value_ramps"
        raise InputError(msg)
    value = np.clip((zero - np.asarray(measure, float)) / span, 0.0, 1.0)
    return np.nan_to_num(value, nan=0.0)


def value_stack(measures: Mapping[str, np.ndarray], sites: SiteSettings) -> np.ndarray:
    """Criterion values 0–1 as one float32 array (criteria × rows × cols), in the order of ``CRITERIA``."""
    missing = [c for c in CRITERIA if c not in sites.value_ramps]
    if missing:
        msg = f"[sites] value_ramps lacks {missing}; give [full, zero] for every criterion {list(CRITERIA)}"
        raise InputError(msg)
    return np.stack([ramp(measures[c], *sites.value_ramps[c]) for c in CRITERIA]).astype(np.float32)


def normalised_weights(weights: Mapping[str, float]) -> np.ndarray:
    """Weights in the order of ``CRITERIA`` summing to 1; unknown or negative weights are refused."""
    unknown = sorted(set(weights) - set(CRITERIA))
    if unknown:
        msg = f"unknown criteria {unknown} in the weights; criteria are {list(CRITERIA)}"
        raise InputError(msg)
    w = np.array([float(weights.get(c, 0.0)) for c in CRITERIA])
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        msg = f"weights must be non-negative numbers with a positive sum, got {dict(weights)}"
        raise InputError(msg)
    return w / w.sum()


def excluded(land: Landscape, *, slope_limit_deg: float, hazard_buffer_m: float) -> np.ndarray:
    """Cells that can never hold a site: outside the county, on water, in a hazard zone or its buffer, too steep.

    A cell is kept only when its whole square is at least ``hazard_buffer_m`` from every
    hazard zone (centre distance minus half the cell's diagonal).
    """
    if hazard_buffer_m > EXACT_HAZARD_M:
        msg = f"hazard buffer {hazard_buffer_m:.0f} m is above the largest supported, {EXACT_HAZARD_M:.0f} m"
        raise InputError(msg)
    reach = hazard_buffer_m + land.grid.cell * HALF_DIAGONAL
    return ~land.inside | land.water | (land.hazard_m < reach) | (land.slope > slope_limit_deg)


def weighted_score(values: np.ndarray, weights: np.ndarray, exclude: np.ndarray) -> np.ndarray:
    """Suitability 0–1 of every cell (NaN where excluded): the weighted sum of the criterion values."""
    score = np.tensordot(weights.astype(np.float32), values, axes=1)
    score[exclude] = np.nan
    return score
