"""Several relocation sites chosen together: which K candidates to build, and which movers go where.

Each candidate holds ``capacity`` households (from its area at the movers' mean household
size, ``[sites] housing_m2_per_person`` × (1 + ``public_share``), or typed in by the
planner). Movers are assigned to K open sites so that the total road travel time from
their homes is least, never above a site's capacity, and with every whole-village move
(整村搬迁: all of a village's households move) kept at one site.

Solved in two steps with OR-Tools. CP-SAT chooses the sites and how many of each
village's movers go to each: a whole village is one indivisible group (one Boolean per
candidate, a bin-packing constraint no min-cost flow can express), the households of
any other village an integer count per candidate at the village's mean time, and
opening at most K candidates is a fixed-charge decision. Then a min-cost flow
(``SimpleMinCostFlow``) places those other households one by one, from their own homes,
into the opened sites' remaining room: exact for divisible units, and a feasible flow
always exists because CP-SAT's counts are one. One variable per village and candidate
keeps CP-SAT small (a county's thousands of movers are a few hundred villages); a time
limit (``assignment_time_limit_s``) bounds the rare hard case and the status says whether
CP-SAT proved its part optimal.

Travel is by road from each home: one multi-source Dijkstra (hours) from the candidates'
centres over the road graph, plus the walks between home or site and the road at
``[roads] offroad_kmh``; where no road joins them, the straight line at that speed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from analytics.sites import STORED_CRS, MoverPlan, SiteModel, SiteResult, centre_cell
from geodata._errors import InputError

MINUTE_SCALE = 10  # CP-SAT needs integer costs: tenths of a minute


@dataclass(frozen=True)
class Assignment:
    """Where each mover goes, each open site's load and travel, the village → site flows, and the solver status."""

    households: pd.DataFrame  # household_id, village_code, site_id, minutes
    sites: pd.DataFrame  # site_id, capacity, households, villages, village_names, minutes_mean, minutes_max
    flows: pd.DataFrame  # village_code, name, site_id, households, minutes_mean, lon, lat, site_lon, site_lat
    whole_villages: tuple[str, ...]
    status: str  # "optimal" or "feasible" (time limit reached)
    capacities: dict[str, int]  # every candidate's capacity used (from its area, or typed in)


def parse_capacities(items: Iterable[str]) -> dict[str, float]:
    """Capacities typed as ``SITE=N`` (households) into ``{site: N}``; a malformed or negative one is refused."""
    out: dict[str, float] = {}
    for item in items:
        site, _, value = item.partition("=")
        try:
            number = float(value)
        except ValueError as exc:
            msg = f"capacity {item!r}: give a site and a number of households, e.g. S2=60"
            raise InputError(msg) from exc
        if not np.isfinite(number) or number < 0:
            msg = f"capacity {item!r}: a capacity cannot be below zero"
            raise InputError(msg)
        out[site.strip()] = number
    return out


def capacities(result: SiteResult, typed: Mapping[str, float] | None = None) -> np.ndarray:
    """Each candidate's capacity in households: from its area, or as typed in (``{site_id: households}``)."""
    typed = dict(typed or {})
    ids = result.candidates["site_id"].astype(str).tolist()
    unknown = sorted(set(typed) - set(ids))
    if unknown:
        msg = f"capacity given for unknown site {', '.join(unknown)}; the candidates are {', '.join(ids) or 'none'}"
        raise InputError(msg)
    bad = {k: v for k, v in typed.items() if not np.isfinite(v) or v < 0}
    if bad:
        site, value = next(iter(bad.items()))
        msg = f"capacity of {site} must be a number of households of 0 or more, got {value}"
        raise InputError(msg)
    area = result.candidates["capacity"].to_numpy(float)
    return np.array([float(typed.get(s, a)) for s, a in zip(ids, area, strict=True)]).astype(int)


def home_minutes(model: SiteModel, movers: pd.DataFrame, result: SiteResult) -> np.ndarray:
    """Minutes from every mover's home to every candidate's centre (movers × candidates)."""
    land, roads = model.land, model.settings.roads
    cells = np.array([centre_cell(land.grid, r) for r in result.regions], dtype=int)
    gx, gy = land.grid.centres()
    sx, sy = gx.ravel()[cells], gy.ravel()[cells]
    hx, hy = movers["x"].to_numpy(float), movers["y"].to_numpy(float)
    walk = 60.0 / 1000.0 / roads.offroad_kmh  # minutes a metre off road
    straight = np.hypot(hx[:, None] - sx[None, :], hy[:, None] - sy[None, :]) * walk
    access = land.access
    if access is None or not len(access.graph.xy) or not len(cells):
        return straight
    hours = dijkstra(access.graph.matrix("hours"), directed=False, indices=access.node[cells])  # candidates × nodes
    node, gap = access.graph.nearest_nodes(hx, hy)
    by_road = hours[:, node].T * 60.0 + (gap[:, None] + access.gap_m[cells][None, :]) * walk
    return np.where(np.isfinite(by_road), by_road, straight)


def whole_villages(movers: pd.DataFrame, everyone: pd.DataFrame) -> list[str]:
    """Villages all of whose households move (整村搬迁)."""
    moving = movers.groupby("village_code")["household_id"].size()
    total = everyone.groupby("village_code")["household_id"].size()
    return sorted(str(v) for v, n in moving.items() if n >= total.get(v, np.inf))


def solve(
    sizes: np.ndarray,
    unit_cost: np.ndarray,
    capacity: np.ndarray,
    *,
    k: int,
    whole: np.ndarray,
    time_limit_s: float,
) -> tuple[np.ndarray, str]:
    """Households of each group at each candidate: at most ``k`` open, within capacity, least total cost (CP-SAT).

    Parameters
    ----------
    sizes
        Households in each group (the movers of one village).
    unit_cost
        Minutes per household of each group at each candidate (groups × candidates).
    capacity
        Households each candidate can take.
    k
        Most candidates to open (fewer when that is as good: a whole village cannot be split to fill a site).
    whole
        Per group, True when it must go to one candidate (a whole-village move), else it may be shared.
    time_limit_s
        Longest search.

    Returns
    -------
    tuple
        Households of every group at every candidate (groups × candidates), and ``"optimal"`` or
        ``"feasible"`` (the time limit was reached first).

    """
    groups, m = unit_cost.shape
    model = cp_model.CpModel()
    open_ = [model.new_bool_var(f"open{s}") for s in range(m)]
    model.add(sum(open_) <= k)
    count: list[list[Any]] = []
    for g in range(groups):
        size = int(sizes[g])
        if whole[g]:
            pick = [model.new_bool_var(f"x{g}_{s}") for s in range(m)]
            model.add_exactly_one(pick)
            row = [size * b for b in pick]
            for s in range(m):
                model.add_implication(pick[s], open_[s])
        else:
            row = [model.new_int_var(0, size, f"n{g}_{s}") for s in range(m)]
            model.add(sum(row) == size)
            for s in range(m):
                model.add(row[s] <= size * open_[s])
        count.append(row)
    for s in range(m):
        model.add(sum(count[g][s] for g in range(groups)) <= int(capacity[s]) * open_[s])
    scaled = np.rint(unit_cost * MINUTE_SCALE).astype(np.int64)
    model.minimize(sum(int(scaled[g, s]) * count[g][s] for g in range(groups) for s in range(m)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1  # deterministic, and kind to a shared server
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        msg = (
            f"no assignment fits: {k} of the candidates cannot take {int(sizes.sum())} households with whole "
            "villages kept together; raise capacities, choose more sites or move fewer households"
        )
        raise InputError(msg)
    counts = np.array([[int(solver.value(c)) for c in row] for row in count], dtype=int).reshape(groups, m)
    return counts, "optimal" if status == cp_model.OPTIMAL else "feasible"


def place_households(minutes: np.ndarray, room: np.ndarray) -> np.ndarray:
    """The candidate of each household (least total minutes, at most ``room`` per candidate): a min-cost flow.

    Exact for households that may go anywhere among the candidates with room: each is a
    unit of supply, each candidate an arc to the sink with its room as capacity.
    """
    households, m = minutes.shape
    flow = min_cost_flow.SimpleMinCostFlow()
    sink = households + m
    tails = np.r_[np.repeat(np.arange(households), m), households + np.arange(m)]
    heads = np.r_[households + np.tile(np.arange(m), households), np.full(m, sink)]
    caps = np.r_[np.ones(households * m, dtype=np.int64), np.maximum(room, 0).astype(np.int64)]
    costs = np.r_[np.rint(minutes.ravel() * MINUTE_SCALE).astype(np.int64), np.zeros(m, dtype=np.int64)]
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_nodes_supplies(np.r_[np.arange(households), sink], np.r_[np.ones(households, np.int64), -households])
    if flow.solve() != flow.OPTIMAL:
        msg = "the households do not fit in the room left at the chosen sites"  # cannot happen after solve()
        raise InputError(msg)
    used = flow.flows(arcs[: households * m]).reshape(households, m)
    return np.argmax(used, axis=1)


def assign_movers(
    model: SiteModel,
    plan: MoverPlan,
    result: SiteResult,
    *,
    k: int,
    capacity: Mapping[str, float] | None = None,
) -> Assignment:
    """Open at most ``k`` of ``result``'s candidates and assign every mover (whole villages kept together).

    Refuses, naming the fix: no movers, ``k`` below 1 or above the number of candidates, a
    capacity below zero or for an unknown site, a whole village larger than any site, and
    ``k`` sites that together cannot hold the movers.
    """
    movers = plan.movers.reset_index(drop=True)
    n_cands = len(result.candidates)
    if movers.empty:
        msg = "nobody to move: the movers list is empty; give --households N or --add-village CODE"
        raise InputError(msg)
    if not 1 <= k <= n_cands:
        msg = f"--sites {k}: choose between 1 and the {n_cands} candidate sites (raise --top for more candidates)"
        raise InputError(msg)
    cap = capacities(result, capacity)
    ids = result.candidates["site_id"].astype(str).to_numpy()
    whole = whole_villages(movers, model.households)
    codes = movers["village_code"].astype(str).to_numpy()
    villages, group = np.unique(codes, return_inverse=True)
    sizes = np.bincount(group)
    is_whole = np.isin(villages, whole)
    _check_fits(sizes, is_whole, villages, cap, k, ids)
    minutes = home_minutes(model, movers, result)
    unit = np.zeros((len(sizes), n_cands))
    np.add.at(unit, group, minutes)
    unit /= sizes[:, None]
    time_limit = model.settings.sites.assignment_time_limit_s
    counts, status = solve(sizes, unit, cap, k=k, whole=is_whole, time_limit_s=time_limit)
    site = np.argmax(counts, axis=1)[group]  # a whole village's one site
    shared = ~is_whole[group]
    if shared.any():  # the other households, each to its nearest open site with room: exact, not the village mean
        opened = counts.sum(axis=0) > 0
        room = np.where(opened, cap - (counts * is_whole[:, None]).sum(axis=0), 0)
        far = np.where(opened[None, :], minutes[shared], np.inf)
        site[shared] = place_households(np.nan_to_num(far, posinf=1e9), room)
    table = pd.DataFrame(
        {
            "household_id": movers["household_id"].astype(str),
            "village_code": movers["village_code"].astype(str),
            "site_id": ids[site],
            "minutes": minutes[np.arange(len(movers)), site],
        }
    )
    return Assignment(
        table,
        _site_table(table, result, cap, model),
        _flows(table, movers, result, model),
        tuple(whole),
        status,
        dict(zip(ids.tolist(), cap.tolist(), strict=True)),
    )


def _check_fits(  # noqa: PLR0917 - the groups and the sites they must fit
    sizes: np.ndarray, is_whole: np.ndarray, villages: np.ndarray, cap: np.ndarray, k: int, ids: np.ndarray
) -> None:
    """Refuse early, with the figures, what no assignment can satisfy."""
    biggest = np.sort(cap)[::-1][:k]
    if biggest.sum() < sizes.sum():
        msg = (
            f"{k} sites hold at most {int(biggest.sum())} households (the largest capacities), but "
            f"{int(sizes.sum())} move; choose more sites, raise capacities or move fewer households"
        )
        raise InputError(msg)
    too_big = np.flatnonzero(is_whole & (sizes > cap.max()))
    if len(too_big):
        g = int(too_big[0])
        msg = (
            f"village {villages[g]} moves whole ({int(sizes[g])} households) but the largest site, "
            f"{ids[int(np.argmax(cap))]}, holds {int(cap.max())}; raise its capacity or leave the village out"
        )
        raise InputError(msg)


def _site_table(table: pd.DataFrame, result: SiteResult, cap: np.ndarray, model: SiteModel) -> pd.DataFrame:
    """Per open site: capacity, households, villages (count and names), mean and worst minutes."""
    names = model.land.villages.set_index("village_code")["name"]
    capacity = dict(zip(result.candidates["site_id"].astype(str), cap.tolist(), strict=True))
    rows = []
    for site, part in table.groupby("site_id", sort=False):
        villages = sorted(part["village_code"].unique())
        rows.append(
            {
                "site_id": site,
                "capacity": int(capacity[str(site)]),
                "households": len(part),
                "villages": len(villages),
                "village_names": "、".join(str(names.get(v, v)) for v in villages),
                "minutes_mean": float(part["minutes"].mean()),
                "minutes_max": float(part["minutes"].max()),
            }
        )
    order = {s: i for i, s in enumerate(result.candidates["site_id"].astype(str))}
    return pd.DataFrame(rows).sort_values("site_id", key=lambda s: s.map(order)).reset_index(drop=True)


def _flows(table: pd.DataFrame, movers: pd.DataFrame, result: SiteResult, model: SiteModel) -> pd.DataFrame:
    """One row per (origin village, site): households, mean minutes, and both ends in lon/lat."""
    names = model.land.villages.set_index("village_code")["name"]
    frame = table.assign(x=movers["x"].to_numpy(float), y=movers["y"].to_numpy(float))
    flows = (
        frame.groupby(["village_code", "site_id"], sort=True)
        .agg(households=("household_id", "size"), minutes_mean=("minutes", "mean"), x=("x", "mean"), y=("y", "mean"))
        .reset_index()
    )
    flows.insert(1, "name", flows["village_code"].map(names))
    lon, lat = Transformer.from_crs(model.land.grid.epsg, STORED_CRS, always_xy=True).transform(
        flows["x"].to_numpy(), flows["y"].to_numpy()
    )
    ends = result.candidates.set_index(result.candidates["site_id"].astype(str))
    flows["lon"], flows["lat"] = lon, lat
    flows["site_lon"] = flows["site_id"].map(ends["lon"]).to_numpy(float)
    flows["site_lat"] = flows["site_id"].map(ends["lat"]).to_numpy(float)
    return flows.drop(columns=["x", "y"])


def with_assignment(candidates: pd.DataFrame, assignment: Assignment | None) -> pd.DataFrame:
    """The candidates with what the assignment sends them (0 households where a site is not opened)."""
    if assignment is None:
        return candidates
    table = assignment.sites.set_index("site_id")
    out = candidates.copy()
    ids = out["site_id"].astype(str)
    out["chosen"] = ids.isin(table.index)
    out["capacity_used"] = ids.map(assignment.capacities).astype(int)
    out["assigned_households"] = ids.map(table["households"]).fillna(0).astype(int)
    out["assigned_villages"] = ids.map(table["villages"]).fillna(0).astype(int)
    out["assigned_minutes_mean"] = ids.map(table["minutes_mean"])
    out["assigned_minutes_max"] = ids.map(table["minutes_max"])
    return out
