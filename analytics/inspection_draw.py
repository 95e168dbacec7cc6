"""Whom an unannounced inspection (四不两直) visits: a risk-weighted random draw of villages, teams and households.

Each candidate is a village (with its work teams, if any). Its weight is a base weight plus
risk components scaled 0–1 (check-in and days-in-village shortfall, time since the last
inspection, open findings, overdue findings — open past their rectification deadline — and
rectified findings not yet verified by a follow-up visit (回访), open monitored households,
open C/D cases, failing water samples; see ``settings.inspection``). Villages inspected in
the last ``exclude_days`` are left out. So that every team is seen once per cycle — by
default as many calendar months as the county's teams need at ``inspection.teams_per_month``
(about 30 teams a month: 81 teams make 3-month cycles, 196 teams 7-month ones), not every
team every month — the teams not yet visited this cycle are spread over the inspection days
left in it: each draw first takes its share of them, then fills the rest by weight. So that
a day's stops fit its hours, they are drawn around one area (``inspection.cluster_km``): the
first stop is drawn county-wide, the others with their weights damped by distance from it.

The draw must not be predictable by those inspected: without a seed it uses the operating
system's randomness (:class:`secrets.SystemRandom`); with a seed it is reproducible, for
tests and for re-checking a plan. Sampling without replacement uses Efraimidis–Spirakis keys
``u ** (1 / w)``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics.records import Records
from geodata.settings import InspectionSettings, Settings

COMPONENTS = (
    "checkin",
    "days",
    "since_inspected",
    "open_findings",
    "overdue_findings",
    "unverified_findings",
    "monitored_open",
    "cd_open",
    "water_failing",
)
HOUSEHOLD_FLAGS = ("monitored_open", "cd", "water_unsafe", "education_gap", "uninsured", "poor")


@dataclass(frozen=True)
class Draw:
    """The drawn stops (one row per village) and how the draw was made.

    ``stops`` columns: ``village_code``, ``name``, ``town_code``, ``team_ids`` (list),
    ``households`` (list of household ids), ``forced`` (a team due this cycle),
    ``weight``, ``reasons`` (the largest risk components), one column per component.
    """

    date: dt.date
    seed: int | None
    stops: pd.DataFrame
    candidates: int
    excluded: int
    due_this_cycle: int
    warnings: list[dict[str, Any]] = field(default_factory=list)  # {"code": ..., **numbers}, worded by layers


def make_rng(seed: int | None) -> random.Random:
    """OS randomness (unpredictable) without a seed; a reproducible generator with one."""
    return secrets.SystemRandom() if seed is None else random.Random(seed)


def cycle_months(teams: int, settings: InspectionSettings) -> int:
    """Calendar months per cycle: ``cycle_months``, else enough for ``teams_per_month`` to see ``teams`` (1–12)."""
    months = settings.cycle_months or math.ceil(teams / max(settings.teams_per_month, 1))
    return min(max(months, 1), 12)


def cycle_bounds(date: dt.date, settings: InspectionSettings, teams: int = 0) -> tuple[dt.date, dt.date]:
    """First and last day of the inspection cycle holding ``date`` in a county with ``teams`` work teams."""
    if settings.cycle_days > 0:
        jan1 = dt.date(date.year, 1, 1)
        k = (date - jan1).days // settings.cycle_days
        start = jan1 + dt.timedelta(days=k * settings.cycle_days)
        end = min(start + dt.timedelta(days=settings.cycle_days - 1), dt.date(date.year, 12, 31))
        return start, end
    months = cycle_months(teams, settings)
    first = (date.month - 1) // months * months + 1
    last = min(first + months - 1, 12)
    return dt.date(date.year, first, 1), dt.date(date.year, last, calendar.monthrange(date.year, last)[1])


def inspection_days_left(date: dt.date, settings: InspectionSettings, teams: int = 0) -> int:
    """Inspection days from ``date`` to the end of its cycle, counting ``date`` itself (at least 1)."""
    _, end = cycle_bounds(date, settings, teams)
    days = (date + dt.timedelta(days=k) for k in range((end - date).days + 1))
    counted = sum(d.weekday() in settings.inspection_weekdays for d in days)
    return max(1, counted + (date.weekday() not in settings.inspection_weekdays))


def candidates(records: Records, *, date: dt.date, settings: Settings) -> pd.DataFrame:
    """Every village that may be inspected on ``date`` with its risk components, weight and last visit.

    Columns: ``village_code``, ``name``, ``town_code``, ``team_ids``, ``last_visit``,
    ``excluded``, ``due`` (has a team not yet visited this cycle), the components and ``weight``.
    """
    cfg = settings.inspection
    villages = records["villages"][["village_code", "name"]].copy()
    villages["town_code"] = villages["village_code"].str[:9]
    teams = records["teams"]
    team_ids = teams.groupby("village_code")["team_id"].agg(lambda s: sorted(map(str, s)))
    villages["team_ids"] = villages["village_code"].map(team_ids)
    villages["team_ids"] = villages["team_ids"].apply(lambda v: v if isinstance(v, list) else [])
    if not cfg.villages_without_team:
        villages = villages[villages["team_ids"].str.len() > 0]
    frame = villages.set_index("village_code")
    last = _last_visits(records, date)
    frame["last_visit"] = last.reindex(frame.index)
    since = (pd.Timestamp(date) - frame["last_visit"]).dt.days
    frame["excluded"] = since.le(cfg.exclude_days).fillna(False).astype(bool)
    cycle_start, _ = cycle_bounds(date, cfg, len(teams))
    visited_in_cycle = frame["last_visit"].ge(pd.Timestamp(cycle_start)).fillna(False).astype(bool)
    frame["due"] = (frame["team_ids"].str.len() > 0) & ~visited_in_cycle
    raw = _raw_components(records, frame.index, since, date, settings)
    for name in COMPONENTS:
        scale = cfg.full_scale.get(name, 1.0)
        frame[name] = (raw[name].astype(float) / scale).clip(0, 1).fillna(0.0).round(3)
    w = pd.Series({k: float(cfg.weights.get(k, 0.0)) for k in COMPONENTS})
    frame["weight"] = cfg.base_weight + frame[list(COMPONENTS)].mul(w, axis=1).sum(axis=1)
    contrib = frame[list(COMPONENTS)].mul(w, axis=1).to_numpy()
    top = np.argsort(-contrib, axis=1, kind="stable")[:, :3]
    frame["reasons"] = [[COMPONENTS[j] for j in row if c[j] > 0] for row, c in zip(top, contrib, strict=True)]
    return frame.reset_index().sort_values("village_code", ignore_index=True)


def _last_visits(records: Records, date: dt.date) -> pd.Series:
    """The last inspection of each village up to ``date``: from the inspections and the teams' own date."""
    visits = records["inspections"]
    visits = visits[pd.to_datetime(visits["date"]) <= pd.Timestamp(date)]
    by_village = pd.to_datetime(visits["date"]).groupby(visits["village_code"]).max()
    teams = records["teams"]
    if "last_inspected_on" in teams and len(teams):
        team_last = pd.to_datetime(teams["last_inspected_on"])
        team_last = team_last.where(team_last <= pd.Timestamp(date))
        by_team = team_last.groupby(teams["village_code"]).max()
        by_village = pd.concat([by_village, by_team], axis=1).max(axis=1)
    return by_village.astype("datetime64[ns]")


def _raw_components(
    records: Records, index: pd.Index, since: pd.Series, date: dt.date, settings: Settings
) -> pd.DataFrame:
    """The unscaled value of each risk component per village (NaN where it does not apply)."""
    teams = records["teams"]
    out = pd.DataFrame(index=index)
    if len(teams):
        shortfall = (settings.teams.checkin_target - teams["checkin_rate"].astype(float)).clip(lower=0)
        days_short = (1 - teams["days_in_village"].astype(float) / teams["days_due"].replace(0, np.nan)).clip(lower=0)
        out["checkin"] = shortfall.groupby(teams["village_code"]).max()
        out["days"] = days_short.groupby(teams["village_code"]).max()
    else:
        out["checkin"] = out["days"] = np.nan
    full_since = settings.inspection.full_scale.get("since_inspected", 1.0)
    out["since_inspected"] = since.fillna(full_since)  # never inspected counts as long ago
    visits = records["inspections"]
    visits = visits[pd.to_datetime(visits["date"]) <= pd.Timestamp(date)]
    out["open_findings"] = _count(visits, "open_finding", index)
    out["overdue_findings"] = _count(visits, "overdue_finding", index)  # past the deadline: drawn sooner
    out["unverified_findings"] = _count(visits, "unverified_finding", index)  # a follow-up visit (回访) is due
    out["monitored_open"] = _count(records["households"], "monitored_open", index)
    out["cd_open"] = _count(records["cases"], "open", index)
    out["water_failing"] = _count(records["samples"], "failing_in_window", index)
    return out


def _count(table: pd.DataFrame, flag: str, index: pd.Index) -> pd.Series:
    """How many rows of ``table`` per village have ``flag`` set."""
    if not len(table) or flag not in table:
        return pd.Series(0.0, index=index)
    counts = table[flag].astype("boolean").fillna(False).astype(int).groupby(table["village_code"]).sum()
    return counts.reindex(index, fill_value=0).astype(float)


def weighted_sample(keys: list[str], weights: np.ndarray, k: int, rng: random.Random) -> list[str]:
    """``k`` keys without replacement, each with probability proportional to its weight (Efraimidis–Spirakis)."""
    if k <= 0 or not keys:
        return []
    scores = [math.log(1.0 - rng.random()) / max(float(w), 1e-12) for w in weights]  # log(u)/w: larger wins
    order = sorted(range(len(keys)), key=lambda i: scores[i], reverse=True)
    return [keys[i] for i in order[:k]]


def draw_inspection(
    records: Records,
    *,
    date: dt.date,
    stops: int,
    seed: int | None = None,
    settings: Settings | None = None,
    places: pd.DataFrame | None = None,
) -> Draw:
    """Draw ``stops`` villages to inspect on ``date`` and the households to visit in each.

    Teams due this cycle come first (their share of the days left), the rest by weight;
    villages inspected within ``settings.inspection.exclude_days`` are never drawn.
    ``places`` (metric ``x``, ``y`` by village code) lets the stops cluster around the
    first one drawn (``settings.inspection.cluster_km``); without it they spread freely.
    """
    settings = settings or records.settings
    cfg = settings.inspection
    rng = make_rng(seed)
    frame = candidates(records, date=date, settings=settings)
    eligible = frame[~frame["excluded"]].copy()
    due_all = int(frame["due"].sum())
    quota = min(math.ceil(due_all / inspection_days_left(date, cfg, len(records["teams"]))), stops)
    due = eligible[eligible["due"]]
    first_pool = due if quota and len(due) else eligible
    first = weighted_sample(first_pool["village_code"].tolist(), first_pool["weight"].to_numpy(), min(stops, 1), rng)
    eligible["weight"] *= _nearness(eligible["village_code"], first, places, cfg.cluster_km)
    forced = [c for c in first if c in set(due["village_code"])] if quota else []
    due = eligible[eligible["due"] & ~eligible["village_code"].isin(first)]
    forced += weighted_sample(due["village_code"].tolist(), due["weight"].to_numpy(), quota - len(forced), rng)
    rest = eligible[~eligible["village_code"].isin(forced + first)]
    chosen = list(dict.fromkeys(first + forced))
    chosen += weighted_sample(rest["village_code"].tolist(), rest["weight"].to_numpy(), stops - len(chosen), rng)
    warnings: list[dict[str, Any]] = []
    if quota > stops:
        warnings.append({"code": "due_exceeds_stops", "due": due_all, "quota": quota, "stops": stops})
    if len(chosen) < stops:
        warnings.append({"code": "few_eligible", "eligible": len(chosen), "exclude_days": cfg.exclude_days})
    picked = frame.set_index("village_code").loc[chosen].reset_index()
    picked["forced"] = picked["village_code"].isin(forced)
    picked["households"] = _draw_households(records, picked["village_code"].tolist(), date, cfg, rng)
    return Draw(
        date=date,
        seed=seed,
        stops=picked,
        candidates=len(frame),
        excluded=int(frame["excluded"].sum()),
        due_this_cycle=due_all,
        warnings=warnings,
    )


def _nearness(codes: pd.Series, first: list[str], places: pd.DataFrame | None, scale_km: float) -> np.ndarray:
    """exp(−d / scale) for each village, d its distance (km) from the first stop drawn; 1 without clustering."""
    if places is None or not first or scale_km <= 0 or first[0] not in places.index:
        return np.ones(len(codes))
    xy = places.reindex(codes)[["x", "y"]].to_numpy(float)
    d_km = np.hypot(*(xy - places.loc[first[0], ["x", "y"]].to_numpy(float)).T) / 1000.0
    return np.exp(-np.nan_to_num(d_km, nan=np.inf) / scale_km)  # a village without a place counts as far


def _draw_households(
    records: Records, villages: list[str], date: dt.date, cfg: InspectionSettings, rng: random.Random
) -> list[list[str]]:
    """For each drawn village, ``households_per_stop`` households by risk, none visited in the exclusion window."""
    households = records["households"]
    if cfg.households_per_stop <= 0 or not len(households):
        return [[] for _ in villages]
    visits = records["inspections"]
    recent = pd.to_datetime(visits["date"]).between(
        pd.Timestamp(date - dt.timedelta(days=cfg.exclude_days)), pd.Timestamp(date)
    )
    seen = set(visits.loc[recent, "household_id"].dropna().astype(str)) if "household_id" in visits else set()
    flags = [f for f in HOUSEHOLD_FLAGS if f in households]
    w = np.array([cfg.household_weights.get(f, 0.0) for f in flags])
    weights = cfg.household_base_weight + households[flags].astype(float).to_numpy() @ w
    pool = pd.DataFrame(
        {"id": households["household_id"].astype(str), "village": households["village_code"], "w": weights}
    ).sort_values("id")
    pool = pool[~pool["id"].isin(seen)]
    groups = dict(tuple(pool.groupby("village")))
    out = []
    for code in villages:
        g = groups.get(code)
        out.append(
            [] if g is None else weighted_sample(g["id"].tolist(), g["w"].to_numpy(), cfg.households_per_stop, rng)
        )
    return out
