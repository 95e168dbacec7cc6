"""Audit of the relocation sites already built (已建安置点): hazards, slope, services, occupancy, follow-up support.

One row per ``relocation_site`` facility: the hazard zones it lies in or near (within
``[sites] hazard_buffer_m``) and the distance to the nearest, the ground slope, the road
time to the nearest school, clinic or health centre, township seat and market (one
multi-source Dijkstra by travel time per kind, plus the walks to and from the road), and
its occupancy against capacity. From an optional ``relocated_households`` table
(household_id, site, moved_on, employed_members, income_before, income_after, subsidies;
``site`` is the facility's id or name) come the follow-up indicators of 后续扶持:
employed members per household, the change of per-capita income, and households whose
income after the move is below ``[poverty] monitoring_line``. A site is flagged for every
constraint a new site must meet that it fails: a hazard zone or its buffer, a slope above
``slope_limit_deg``, a school or clinic farther than ``move_service_km`` by road (the distance
for which the rule moves a household away), more
households than its capacity. Without the table occupancy and follow-up are unknown (NaN),
never 0.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from analytics.records import CLINIC_KINDS
from analytics.roads import RoadGraph, min_weight_matrix
from analytics.sites import STORED_CRS, SiteModel
from geodata._errors import InputError

SERVICES = {"school": ("school",), "clinic": CLINIC_KINDS, "township": ("township_gov",), "market": ("market",)}
FLAGS = ("hazard", "slope", "remote", "over_capacity")
FOLLOW_UP = ("household_id", "site", "employed_members", "income_before", "income_after")


def audit_sites(
    model: SiteModel,
    facilities: gpd.GeoDataFrame,
    *,
    hazards: gpd.GeoDataFrame | None = None,
    relocated: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """One row per built site (EPSG:4490 points) with exposure, services, occupancy, follow-up and flags.

    Parameters
    ----------
    model
        The site model (grid, slope, road access) of the county.
    facilities
        The facilities layer (EPSG:4490); its ``relocation_site`` rows are audited.
    hazards
        The hazard zones (EPSG:4490), if any.
    relocated
        The ``relocated_households`` table, if any.

    """
    kinds = facilities["kind"].astype(str) if len(facilities) else pd.Series(dtype=str)
    built = facilities[kinds.eq("relocation_site").to_numpy()].reset_index(drop=True)
    if built.empty:
        msg = "no built relocation site to audit: the facilities layer has no kind relocation_site (安置点)"
        raise InputError(msg)
    s, epsg = model.settings.sites, model.land.grid.epsg
    metric = built.to_crs(epsg)
    x, y = metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()
    out = pd.DataFrame(
        {
            "site_id": built["facility_id"].astype(str),
            "name": built["name"],
            "village_code": built.get("village_code"),
            "capacity": pd.to_numeric(built.get("capacity"), errors="coerce"),
            "lon": built.geometry.x,
            "lat": built.geometry.y,
            "slope_deg": model.land.grid.sample(model.land.slope, x, y),
        }
    )
    cell = model.land.grid.flat_index(x, y)
    for key in ("school", "clinic"):  # road km, as the rule measures a household's distance (move_service_km)
        out[f"km_{key}"] = np.asarray(model.land.measures[key]).ravel()[cell]
    out = out.join(_hazard_exposure(metric, hazards, epsg, s.hazard_buffer_m))
    others = facilities.to_crs(epsg)
    for key, wanted in SERVICES.items():
        targets = others[others["kind"].isin(wanted)]
        out[f"minutes_{key}"] = _minutes_to(model, x, y, targets)
    out = out.join(_follow_up(out, built, relocated, model.settings.poverty.monitoring_line))
    out["flags"] = _flags(out, model)
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["lon"], out["lat"]), crs=STORED_CRS)


def _hazard_exposure(
    sites: gpd.GeoDataFrame, hazards: gpd.GeoDataFrame | None, epsg: int, buffer_m: float
) -> pd.DataFrame:
    """Metres to the nearest hazard zone and the kinds/levels of the zones within the buffer (empty: none)."""
    if hazards is None or not len(hazards):
        return pd.DataFrame({"hazard_m": np.inf, "hazard_zones": ""}, index=sites.index)
    zones = hazards.to_crs(epsg).reset_index(drop=True)
    geoms = np.asarray(zones.geometry.values)
    dist = shapely.distance(np.asarray(sites.geometry.values)[:, None], geoms[None, :])
    labels = zones["kind"].astype(str) + "/" + zones["level"].astype(str)
    near = [";".join(sorted(set(labels[dist[i] <= buffer_m]))) for i in range(len(sites))]
    return pd.DataFrame({"hazard_m": dist.min(axis=1), "hazard_zones": near}, index=sites.index)


def _minutes_to(model: SiteModel, x: np.ndarray, y: np.ndarray, targets: gpd.GeoDataFrame) -> np.ndarray:
    """Minutes from each point to the nearest target by road (straight at walking speed where no road joins)."""
    if not len(targets):
        return np.full(len(x), np.nan)  # no such facility: unknown, not 0
    walk = 60.0 / 1000.0 / model.settings.roads.offroad_kmh
    tx, ty = targets.geometry.x.to_numpy(), targets.geometry.y.to_numpy()
    straight = np.hypot(x[:, None] - tx[None, :], y[:, None] - ty[None, :]).min(axis=1) * walk
    access = model.land.access
    if access is None or not len(access.graph.xy):
        return straight
    graph = access.graph
    node, gap = graph.nearest_nodes(x, y)
    by_road = _node_hours(graph, tx, ty, walk / 60.0)[node] * 60.0 + gap * walk
    return np.where(np.isfinite(by_road), by_road, straight)


def _node_hours(graph: RoadGraph, tx: np.ndarray, ty: np.ndarray, walk_h_per_m: float) -> np.ndarray:
    """Hours from every node to its nearest target: one Dijkstra from a virtual source tied to every target."""
    t_node, t_gap = graph.nearest_nodes(tx, ty)
    n = len(graph.xy)
    a, b = graph.edges[:, 0], graph.edges[:, 1]
    virtual = np.full(len(t_node), n)
    walk = t_gap * walk_h_per_m
    full = min_weight_matrix(
        np.r_[a, b, virtual, t_node], np.r_[b, a, t_node, virtual], np.r_[graph.hours, graph.hours, walk, walk], n + 1
    )
    return dijkstra(full, directed=False, indices=n)[:n]


def _follow_up(sites: pd.DataFrame, built: pd.DataFrame, relocated: pd.DataFrame | None, line: float) -> pd.DataFrame:
    """Occupancy and the 后续扶持 indicators per site (NaN without the relocated_households table)."""
    columns = ["households", "occupancy", "employed_per_household", "income_change", "below_monitoring_line"]
    if relocated is None:
        return pd.DataFrame(np.nan, index=sites.index, columns=columns)
    missing = [c for c in FOLLOW_UP if c not in relocated]
    if missing:
        msg = f"relocated_households lacks the columns {missing}; it needs {list(FOLLOW_UP)}"
        raise InputError(msg)
    by_name = dict(zip(built["name"].astype(str), built["facility_id"].astype(str), strict=True))
    rows = relocated.assign(site=relocated["site"].astype(str).map(lambda v: by_name.get(v, v)))
    unknown = sorted(set(rows["site"]) - set(sites["site_id"]))
    if unknown:
        msg = f"relocated_households names sites that are not built relocation sites: {', '.join(unknown[:5])}"
        raise InputError(msg)
    before = pd.to_numeric(rows["income_before"], errors="coerce")
    after = pd.to_numeric(rows["income_after"], errors="coerce")
    rows = rows.assign(
        employed=pd.to_numeric(rows["employed_members"], errors="coerce"),
        change=after - before,
        below=(after < line).where(after.notna()),
    )
    grouped = rows.groupby("site").agg(
        households=("household_id", "size"),
        employed_per_household=("employed", "mean"),
        income_change=("change", "mean"),
        below_monitoring_line=("below", "sum"),
    )
    out = grouped.reindex(sites["site_id"]).reset_index(drop=True)
    out["households"] = out["households"].fillna(0)  # the table is there: a site nobody moved to holds 0
    out["below_monitoring_line"] = out["below_monitoring_line"].fillna(0)
    out["occupancy"] = out["households"] / sites["capacity"].where(sites["capacity"] > 0)
    out.index = sites.index
    return out[columns]


def _flags(sites: pd.DataFrame, model: SiteModel) -> list[str]:
    """The constraints a new site must meet that each built site fails, ``;``-joined (empty: none)."""
    s = model.settings.sites
    failed = {
        "hazard": (sites["hazard_m"] <= s.hazard_buffer_m).to_numpy(),
        "slope": (sites["slope_deg"] > s.slope_limit_deg).to_numpy(),
        "remote": (np.fmax(sites["km_school"], sites["km_clinic"]) > s.move_service_km).to_numpy(),
        "over_capacity": (sites["occupancy"] > 1).to_numpy(),
    }
    return [";".join(f for f in FLAGS if failed[f][i]) for i in range(len(sites))]
