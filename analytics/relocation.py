"""Who moves (搬迁对象): the settings' rule proposes households, the planner adds or removes some, the area follows.

The rule (``settings.sites``) proposes a household when any of these holds:

- ``hazard``: it lies in a hazard zone of a level in ``move_hazard_levels`` (high by default);
- ``remote``: the nearest clinic *or* school is farther than ``move_service_km`` by road;
- ``house``: it is of a status in ``move_statuses`` (脱贫户, 监测对象) and has no house
  (``none``, 无房户) or a house graded in ``move_housing_grades`` (D) that cannot be rebuilt
  in place — it stands in any hazard zone or on ground steeper than ``unrebuildable_slope_deg``.

The planner then adds or removes single households or whole villages. The site must hold
persons × ``housing_m2_per_person`` (the 25 m² cap) × (1 + ``public_share``) square metres.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from geodata._errors import InputError
from geodata.settings import SiteSettings

REASONS = ("hazard", "house", "remote")  # also the priority order when only the first N are taken


def propose_movers(households: pd.DataFrame, *, slope_deg: np.ndarray, sites: SiteSettings) -> pd.DataFrame:
    """The households with a ``reasons`` column (``;``-joined REASONS, empty when the rule does not propose them).

    ``households`` are the record table's rows (``hazard_level``, ``in_hazard``, ``km_clinic``,
    ``km_school``, ``housing_grade``, ``status``); ``slope_deg`` is the ground slope at each of
    them. Without a ``status`` column every household may move for its house.
    """
    h = households
    level = h["hazard_level"] if "hazard_level" in h else pd.Series(None, index=h.index)
    in_hazard = h["in_hazard"].astype(bool) if "in_hazard" in h else pd.Series(False, index=h.index)
    grade = h["housing_grade"] if "housing_grade" in h else pd.Series(None, index=h.index, dtype=object)
    status_ok = h["status"].isin(sites.move_statuses) if "status" in h and sites.move_statuses else True
    unrebuildable = in_hazard.to_numpy() | (np.asarray(slope_deg) > sites.unrebuildable_slope_deg)
    house = grade.isin(sites.move_housing_grades) & (grade.eq("none") | unrebuildable)  # no house: none to rebuild
    flags = {
        "hazard": level.isin(sites.move_hazard_levels).to_numpy(),
        "house": (house & status_ok).to_numpy(),
        "remote": (
            np.fmax(h["km_clinic"].astype(float), h["km_school"].astype(float)) > sites.move_service_km
        ).to_numpy(),
    }
    reasons = [";".join(r for r in REASONS if flags[r][i]) for i in range(len(h))]
    return h.assign(reasons=reasons)


def choose_movers(
    households: pd.DataFrame,
    *,
    add_households: Iterable[str] = (),
    drop_households: Iterable[str] = (),
    add_villages: Iterable[str] = (),
    drop_villages: Iterable[str] = (),
    limit: int | None = None,
) -> pd.DataFrame:
    """The movers: proposed households, plus and minus the planner's choices, at most ``limit`` of them.

    Dropping wins over adding. With ``limit``, households are taken by priority — hazard,
    then house, then remote, then those the planner added — and within a priority from
    the villages with most such households first, so that neighbours move together.
    Unknown ids or village codes are refused with the list of what was not found.
    """
    h = households
    add_households, drop_households = set(map(str, add_households)), set(map(str, drop_households))
    add_villages, drop_villages = set(map(str, add_villages)), set(map(str, drop_villages))
    _check_known("household", add_households | drop_households, set(h["household_id"].astype(str)))
    _check_known("village", add_villages | drop_villages, set(h["village_code"].astype(str)))
    ids, codes = h["household_id"].astype(str), h["village_code"].astype(str)
    chosen = h["reasons"].ne("") | ids.isin(add_households) | codes.isin(add_villages)
    chosen &= ~(ids.isin(drop_households) | codes.isin(drop_villages))
    movers = h[chosen.to_numpy()].copy()
    first = movers["reasons"].str.split(";").str[0]
    movers["priority"] = first.map({r: i for i, r in enumerate(REASONS)}).fillna(len(REASONS)).astype(int)
    movers["together"] = -movers.groupby(["village_code", "priority"])["household_id"].transform("size")
    movers = movers.sort_values(["priority", "together", "village_code", "household_id"], kind="stable")
    if limit is not None:
        movers = movers.head(limit)
    return movers.drop(columns=["priority", "together"]).reset_index(drop=True)


def _check_known(what: str, asked: set[str], known: set[str]) -> None:
    unknown = sorted(asked - known)
    if unknown:
        msg = f"unknown {what} {', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}: not in the households layer"
        raise InputError(msg)


def plot_m2(household_size: float, sites: SiteSettings) -> float:
    """Land one household of ``household_size`` people needs: the housing cap per person plus the public share."""
    return max(household_size, 1.0) * sites.housing_m2_per_person * (1.0 + sites.public_share)


def needed_area_m2(households: int, sites: SiteSettings, *, household_size: float) -> float:
    """Land a site needs for ``households`` of ``household_size`` people on average."""
    if households <= 0:
        msg = f"a site must be for at least one household, got {households}"
        raise InputError(msg)
    return households * plot_m2(household_size, sites)


def households_fitting(area_m2: float, sites: SiteSettings, *, household_size: float) -> int:
    """How many households of ``household_size`` people on average a site of ``area_m2`` can take."""
    return int(area_m2 / plot_m2(household_size, sites) + 1e-9)  # an exact fit is not lost to rounding


def household_size(movers: pd.DataFrame, everyone: pd.DataFrame) -> float:
    """Mean members of the moving households (of ``everyone`` when there are none); unknown sizes count 1."""
    pool = movers if len(movers) else everyone
    if "members" not in pool or not len(pool):
        return 1.0
    return float(pd.to_numeric(pool["members"], errors="coerce").fillna(1).clip(lower=1).mean())
