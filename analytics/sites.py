"""Relocation site selection end to end: landscape → movers → criteria values → ranked candidate sites.

>>> model = build_site_model(layers, settings=settings)          # seconds, once per store version
>>> plan = plan_movers(model, Selection(households=120))          # once per choice of movers
>>> result = rank_sites(model, plan, weights=settings.sites.weights)  # milliseconds, on every weight change

Three stages, each cached by the caller, so that moving a weight slider re-weights a
cached value stack and re-grows the candidate regions, nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analytics.candidates import find_regions
from analytics.records import Records, prepare_records
from analytics.relocation import choose_movers, household_size, households_fitting, needed_area_m2, propose_movers
from analytics.site_grid import Grid
from analytics.suitability import (
    CRITERIA,
    Landscape,
    Origins,
    build_landscape,
    excluded,
    normalised_weights,
    origin_measures,
    value_stack,
    weighted_score,
)
from geodata._errors import InputError
from geodata.settings import Settings, SiteSettings

STORED_CRS = 4490
SITE_LAYERS = ("villages", "households", "roads", "facilities", "hazards", "elevation", "water_bodies")


@dataclass(frozen=True)
class SiteModel:
    """The landscape and every household with its position, slope and the rule's proposal."""

    land: Landscape
    households: pd.DataFrame  # record rows + x, y (metric), slope_deg, reasons
    settings: Settings


def build_site_model(
    layers: Mapping[str, pd.DataFrame],
    *,
    settings: Settings,
    records: Records | None = None,
    progress: Callable[[str], None] | None = None,
) -> SiteModel:
    """Build the landscape from store layers and propose movers by the rule (``records`` reused when given)."""
    land = build_landscape(layers, settings=settings, progress=progress)
    records = records or prepare_records(dict(layers), as_of=dt.date.today(), settings=settings)
    hh = records["households"].copy()
    layer = layers.get("households")
    metric = layer.to_crs(land.grid.epsg).geometry if layer is not None and len(layer) else None
    hh["x"] = metric.x.to_numpy() if metric is not None else np.empty(0)
    hh["y"] = metric.y.to_numpy() if metric is not None else np.empty(0)
    return site_model(land, hh, settings=settings)


def site_model(land: Landscape, households: pd.DataFrame, *, settings: Settings) -> SiteModel:
    """The model of ``land`` for households (record rows with metric ``x``, ``y``): slope at home, rule applied."""
    hh = households.copy()
    hh["slope_deg"] = land.grid.sample(land.slope, hh["x"].to_numpy(float), hh["y"].to_numpy(float))
    return SiteModel(land, propose_movers(hh, slope_deg=hh["slope_deg"].to_numpy(), sites=settings.sites), settings)


@dataclass(frozen=True)
class Selection:
    """The planner's choice of movers: the rule, plus and minus households or villages, at most ``households``."""

    households: int | None = None
    add_households: tuple[str, ...] = ()
    drop_households: tuple[str, ...] = ()
    add_villages: tuple[str, ...] = ()
    drop_villages: tuple[str, ...] = ()


@dataclass(frozen=True)
class MoverPlan:
    """The movers, their origins, every criterion's measure and the value stack (criteria × rows × cols)."""

    selection: Selection
    movers: pd.DataFrame
    origins: Origins
    measures: dict[str, np.ndarray]
    values: np.ndarray

    @property
    def site_households(self) -> int:
        """Households the site is sized for: the number asked, else the movers."""
        return self.selection.households or len(self.movers)


def plan_movers(model: SiteModel, selection: Selection) -> MoverPlan:
    """Movers for ``selection`` and the criterion values that depend on them."""
    movers = choose_movers(
        model.households,
        add_households=selection.add_households,
        drop_households=selection.drop_households,
        add_villages=selection.add_villages,
        drop_villages=selection.drop_villages,
        limit=selection.households,
    )
    origins, origin = origin_measures(model.land, movers, settings=model.settings)
    measures = {**model.land.measures, **origin}
    return MoverPlan(selection, movers, origins, measures, value_stack(measures, model.settings.sites))


@dataclass(frozen=True)
class SiteResult:
    """Suitability of every cell, the ranked candidates (EPSG:4490) and travel from each origin to each."""

    score: np.ndarray  # 0–1, NaN where excluded
    candidates: gpd.GeoDataFrame
    travel: pd.DataFrame  # site_id, village_code, name, households, road_km, minutes
    weights: dict[str, float]
    households: int
    needed_m2: float
    cells_needed: int
    constraints: dict[str, float] = field(default_factory=dict)
    regions: tuple[np.ndarray, ...] = ()  # flat cell indices of each candidate, in rank order
    per_site: int = 0  # households each candidate is sized for (the movers, or their share when sites are several)

    @classmethod
    def empty(cls, shape: tuple[int, int]) -> SiteResult:
        """No movers, no candidates: what a map shows before the first result."""
        candidates = gpd.GeoDataFrame({"site_id": [], "lon": [], "lat": []}, geometry=[], crs=4490)
        travel = pd.DataFrame(columns=["site_id", "village_code", "name", "households", "road_km", "minutes"])
        return cls(np.full(shape, np.nan), candidates, travel, {}, 0, 0.0, 0)


def rank_sites(
    model: SiteModel,
    plan: MoverPlan,
    *,
    weights: Mapping[str, float] | None = None,
    slope_limit_deg: float | None = None,
    hazard_buffer_m: float | None = None,
    top_k: int | None = None,
    sites: int = 1,
) -> SiteResult:
    """Score every cell with ``weights`` and pick the top ``top_k`` sites (settings fill what is not given).

    With ``sites`` > 1 the movers will be shared by that many sites chosen together
    (:mod:`analytics.site_assignment`), so each candidate is sized for its share plus
    ``[sites] assignment_margin`` rather than for everyone.
    """
    s = model.settings.sites
    land = model.land
    w = normalised_weights(weights if weights is not None else s.weights)
    slope_limit = s.slope_limit_deg if slope_limit_deg is None else slope_limit_deg
    buffer_m = s.hazard_buffer_m if hazard_buffer_m is None else hazard_buffer_m
    score = weighted_score(plan.values, w, excluded(land, slope_limit_deg=slope_limit, hazard_buffer_m=buffer_m))
    households = plan.site_households
    per_site = site_share(households, sites, s)
    size = household_size(plan.movers, model.households)
    need = needed_area_m2(per_site, s, household_size=size)
    cells = int(np.ceil(need / land.grid.cell**2))
    regions = grow_candidates(model, score, cells=cells, top_k=top_k or s.top_k)
    regions = sorted(regions, key=lambda cells_: -float(np.mean(score.ravel()[cells_])))  # ranked by their own score
    weights_used = dict(zip(CRITERIA, w.tolist(), strict=True))
    table, travel = _describe(model, plan, score, regions, w=w, households=households, size=size)
    return SiteResult(
        score,
        table,
        travel,
        weights_used,
        households,
        need,
        cells,
        {"slope_limit_deg": slope_limit, "hazard_buffer_m": buffer_m},
        tuple(regions),
        per_site,
    )


def site_share(households: int, sites: int, s: SiteSettings) -> int:
    """Households one of ``sites`` sites chosen together is sized for (all of them for a single site)."""
    if sites < 1:
        msg = f"the number of sites chosen together must be at least 1, got {sites}"
        raise InputError(msg)
    if sites == 1:
        return households
    return int(np.ceil(households * (1.0 + s.assignment_margin) / sites))


def grow_candidates(model: SiteModel, score: np.ndarray, *, cells: int, top_k: int) -> list[np.ndarray]:
    """Up to ``top_k`` non-overlapping regions of ``cells`` cells on ``score``, in the order they are found."""
    s, cell = model.settings.sites, model.land.grid.cell
    return find_regions(
        score, cells=cells, top_k=top_k, gap_cells=int(np.ceil(s.gap_m / cell)), compactness=s.compactness
    )


def _describe(
    model: SiteModel,
    plan: MoverPlan,
    score: np.ndarray,
    regions: Sequence[np.ndarray],
    *,
    w: np.ndarray,
    households: int,
    size: float,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """One row per region: score, criteria breakdown, area, capacity, place; and the travel table."""
    land, grid, s = model.land, model.land.grid, model.settings.sites
    rows, travel = [], []
    flat_values = plan.values.reshape(len(CRITERIA), -1)
    flat_measures = {c: np.asarray(plan.measures[c]).ravel() for c in CRITERIA}
    for rank, cells in enumerate(regions, start=1):
        site_id = f"S{rank}"
        area = len(cells) * grid.cell**2
        values = flat_values[:, cells].mean(axis=1)
        centre = centre_cell(grid, cells)
        row = {
            "site_id": site_id,
            "rank": rank,
            "score": float(np.nanmean(score.ravel()[cells]) * 100),
            "area_ha": area / 1e4,
            "cells": len(cells),
            "capacity": households_fitting(area, s, household_size=size),
            "households": households,
        }
        row.update(_place(land, grid, centre))
        for k, c in enumerate(CRITERIA):
            row[f"value_{c}"] = float(values[k] * 100)
            row[f"points_{c}"] = float(values[k] * w[k] * 100)
            row[f"measure_{c}"] = float(
                np.mean(np.where(np.isfinite(flat_measures[c][cells]), flat_measures[c][cells], np.nan))
            )
        trips = _travel(model, plan.origins, centre)
        trips.insert(0, "site_id", site_id)
        travel.append(trips)
        row["minutes_mean"] = _weighted_mean(trips["minutes"], trips["households"])
        row["minutes_max"] = float(trips["minutes"].max()) if len(trips) else np.nan
        row["geometry"] = shapely.union_all(grid.cell_boxes(cells))
        rows.append(row)
    columns = [
        "site_id",
        "rank",
        "score",
        "area_ha",
        "cells",
        "capacity",
        "households",
        "village_code",
        "village_name",
        "lon",
        "lat",
        "minutes_mean",
        "minutes_max",
        *(f"{p}_{c}" for c in CRITERIA for p in ("value", "points", "measure")),
        "geometry",
    ]
    frame = gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=grid.epsg).to_crs(STORED_CRS)
    trips = (
        pd.concat(travel, ignore_index=True)
        if travel
        else pd.DataFrame(columns=["site_id", "village_code", "name", "households", "road_km", "minutes"])
    )
    return frame, trips


def centre_cell(grid: Grid, cells: np.ndarray) -> int:
    """The region's cell nearest to its centroid (a region need not be convex)."""
    r, c = np.divmod(cells, grid.shape[1])
    k = int(np.argmin((r - r.mean()) ** 2 + (c - c.mean()) ** 2))
    return int(cells[k])


def _place(land: Landscape, grid: Grid, cell: int) -> dict[str, object]:
    """The village a site's centre lies in, and the centre's lon/lat."""
    gx, gy = grid.centres()
    x, y = gx.ravel()[cell], gy.ravel()[cell]
    hit = land.villages.sindex.query(shapely.Point(x, y), predicate="intersects")
    row = land.villages.iloc[int(hit[0])] if len(hit) else None
    lonlat = gpd.GeoSeries([shapely.Point(x, y)], crs=land.grid.epsg).to_crs(STORED_CRS).iloc[0]
    return {
        "village_code": row["village_code"] if row is not None else None,
        "village_name": row["name"] if row is not None else None,
        "lon": lonlat.x,
        "lat": lonlat.y,
    }


def _travel(model: SiteModel, origins: Origins, cell: int) -> pd.DataFrame:
    """Road km and minutes from each origin village to the site's centre (walks to and from the road included)."""
    table = origins.table
    out = pd.DataFrame(
        {"village_code": table["village_code"], "name": table["name"], "households": table["households"]}
    )
    access = model.land.access
    if access is None or not origins.node_m.size:
        out["road_km"], out["minutes"] = np.nan, np.nan
        return out
    node, gap = access.node[cell], access.gap_m[cell]
    walk_h = gap / 1000.0 / model.settings.roads.offroad_kmh
    out["road_km"] = (origins.node_m[:, node] + gap) / 1000.0
    out["minutes"] = (origins.node_h[:, node] + walk_h) * 60.0
    out.loc[~np.isfinite(out["minutes"]), ["road_km", "minutes"]] = np.nan  # no road joins them
    return out


def _weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    ok = values.notna()
    return float(np.average(values[ok], weights=weights[ok])) if ok.any() else float("nan")
