"""Rank robustness of candidate sites: whether the ranking survives slightly different weights.

N weight vectors are drawn around the chosen ones (``[sites] sensitivity_method``):

- ``dirichlet`` (the default): ``w' ~ Dirichlet(c·w)`` over the criteria with a positive
  weight, ``c`` chosen so that a weight of average size (1/n) varies by
  ``sensitivity_spread`` (±20 %, one standard deviation); larger weights vary less in
  relative terms, smaller ones more, and the draws always sum to 1. It needs nothing but
  the weights, so it works for slider weights as well as AHP ones.
- ``saaty``: every pairwise judgement — the planner's AHP matrix when there is one, else
  the ratios ``w_i / w_j`` of the weights — moves one step down, none or up on Saaty's
  1–9 scale (equally likely, independently), and the weights are the principal
  eigenvector of each perturbed matrix (one batched ``numpy.linalg.eig``). It says how
  much the ranking depends on each judgement being exactly right. The scale is coarser
  near 1 than near 9, so these draws lean a little towards equal weights.

The candidates ranked in every draw are the sites shown plus further non-overlapping
alternatives grown on the same surface (``sensitivity_pool`` areas in all), each with the
mean of its cells' criterion values (V, areas × criteria). All N rankings come from one
product ``S = V · Wᵀ`` and one ``argsort`` down the areas; nothing loops over draws.

The tornado moves one criterion's weight at a time from 0 to 1, the others scaled to fill
the rest: every area's score is then linear in that weight, so the weights at which the
first site changes are exact crossings of lines, not a scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.sites import CRITERIA, MoverPlan, SiteModel, SiteResult, grow_candidates
from geodata._errors import InputError

METHODS = ("dirichlet", "saaty")
SAATY_STEPS = 8  # positions −8 … 8 on the 1/9 … 9 scale
TIE = 1e-9
TOP = 3  # p_top3: the share of draws in the first three (the definition)
QUANTILES = (0.05, 0.95)  # the rank range reported: 5th to 95th percentile


@dataclass(frozen=True)
class Robustness:
    """Per area: shares of draws ranked first and in the top 3, 5th–95th percentile rank; the tornado per criterion."""

    table: pd.DataFrame  # site_id, shown, p_top1, p_top3, rank_p05, rank_p95 (the shown sites first)
    tornado: pd.DataFrame  # criterion, weight, low, high, site_low, site_high (NaN / None: no change on that side)
    draws: int
    method: str

    def properties(self) -> pd.DataFrame:
        """The per-site columns for the shown candidates, indexed by ``site_id`` (to join onto them)."""
        shown = self.table[self.table["shown"]]
        return shown.set_index("site_id")[["p_top1", "p_top3", "rank_p05", "rank_p95"]]


def draw_weights(
    weights: np.ndarray,
    draws: int,
    *,
    method: str,
    spread: float,
    seed: int,
    judgements: np.ndarray | None = None,
) -> np.ndarray:
    """``draws`` weight vectors (draws × criteria, each summing to 1) around ``weights``.

    Parameters
    ----------
    weights
        The chosen weights (non-negative, summing to 1); zero weights stay zero.
    draws
        How many vectors.
    method
        ``"dirichlet"`` or ``"saaty"`` (see the module).
    spread
        Dirichlet: relative standard deviation of a weight of average size.
    seed
        Seed of the generator (the same arguments give the same draws).
    judgements
        Saaty: the planner's pairwise matrix (criteria × criteria); the weights' ratios when None.

    """
    if method not in METHODS:
        msg = f"unknown sensitivity method {method!r}; use one of {', '.join(METHODS)} ([sites] sensitivity_method)"
        raise InputError(msg)
    if draws < 1:
        msg = f"the number of weight draws must be at least 1, got {draws}"
        raise InputError(msg)
    w = np.asarray(weights, float)
    rng = np.random.default_rng(seed)
    live = np.flatnonzero(w > 0)
    out = np.zeros((draws, len(w)))
    if len(live) == 1:
        out[:, live] = 1.0
        return out
    if method == "dirichlet":
        if not spread > 0:
            msg = f"[sites] sensitivity_spread must be above 0, got {spread}"
            raise InputError(msg)
        mean = 1.0 / len(live)
        concentration = (1.0 - mean) / (mean * spread**2) - 1.0
        out[:, live] = rng.dirichlet(concentration * w[live] / w[live].sum(), size=draws)
        return out
    m = np.asarray(judgements, float)[np.ix_(live, live)] if judgements is not None else None
    out[:, live] = _saaty_draws(w[live], draws, rng, m)
    return out


def _saaty_draws(w: np.ndarray, draws: int, rng: np.random.Generator, matrix: np.ndarray | None) -> np.ndarray:
    """Eigenvector weights of ``draws`` matrices whose judgements each moved one Saaty step (−1, 0 or +1)."""
    n = len(w)
    m = matrix if matrix is not None else w[:, None] / w[None, :]
    iu = np.triu_indices(n, 1)
    position = np.where(m[iu] >= 1, m[iu] - 1.0, 1.0 - 1.0 / m[iu])
    moved = np.clip(position[None, :] + rng.integers(-1, 2, size=(draws, len(position))), -SAATY_STEPS, SAATY_STEPS)
    upper = np.where(moved >= 0, moved + 1.0, 1.0 / (1.0 - np.minimum(moved, 0)))
    stack = np.ones((draws, n, n))
    stack[:, iu[0], iu[1]] = upper
    stack[:, iu[1], iu[0]] = 1.0 / upper
    values, vectors = np.linalg.eig(stack)
    k = np.argmax(values.real, axis=1)
    v = np.abs(vectors[np.arange(draws), :, k].real)
    return v / v.sum(axis=1, keepdims=True)


def rank_draws(values: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Rank (1 = first) of every area in every draw (areas × draws): one matrix product, one argsort.

    Ties go to the area listed first (the better-ranked under the chosen weights).
    """
    scores = np.asarray(values, float) @ np.asarray(draws, float).T  # areas × draws
    order = np.argsort(-scores, axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, len(scores) + 1)[:, None].repeat(scores.shape[1], 1), axis=0)
    return ranks


def rank_shares(ids: Sequence[str], ranks: np.ndarray, *, shown: int) -> pd.DataFrame:
    """p_top1, p_top3 and the 5th / 95th percentile rank of each area from its ranks over the draws."""
    low, high = np.quantile(ranks, QUANTILES, axis=1, method="inverted_cdf")
    return pd.DataFrame(
        {
            "site_id": list(ids),
            "shown": np.arange(len(ids)) < shown,
            "p_top1": (ranks == 1).mean(axis=1),
            "p_top3": (ranks <= TOP).mean(axis=1),
            "rank_p05": low.astype(int),
            "rank_p95": high.astype(int),
        }
    )


def tornado(values: np.ndarray, weights: np.ndarray, ids: Sequence[str]) -> pd.DataFrame:
    """For each criterion, the weights below and above the chosen one at which the first site changes.

    Moving criterion c's weight to t (the others scaled to 1 − t in their proportions)
    makes area i score ``b_i + t·(v_ic − b_i)``, with ``b_i`` its score on the other
    criteria alone. The first area f keeps first place until the nearest crossing
    with another area's line; ``low``/``high`` are those weights (NaN: none within 0–1)
    and ``site_low``/``site_high`` the areas that take over there.
    """
    v = np.asarray(values, float)
    w = np.asarray(weights, float)
    if not len(v):
        return pd.DataFrame(columns=["criterion", "weight", "low", "high", "site_low", "site_high"])
    f = int(np.argmax(v @ w))
    rows = []
    for c, name in enumerate(CRITERIA[: v.shape[1]]):
        rest = np.delete(w, c)
        others = np.delete(v, c, axis=1)
        base = others @ rest / rest.sum() if rest.sum() > 0 else others.mean(axis=1)
        slope = v[:, c] - base
        with np.errstate(divide="ignore", invalid="ignore"):
            cross = (base[f] - base) / (slope - slope[f])
        up = (slope > slope[f]) & (cross < 1 - TIE)  # a tie at the end of the range changes nothing
        down = (slope < slope[f]) & (cross > TIE)
        hi = int(np.flatnonzero(up)[np.argmin(cross[up])]) if up.any() else None
        lo = int(np.flatnonzero(down)[np.argmax(cross[down])]) if down.any() else None
        rows.append(
            {
                "criterion": name,
                "weight": float(w[c]),
                "low": float(np.clip(cross[lo], 0, w[c])) if lo is not None else np.nan,
                "high": float(np.clip(cross[hi], w[c], 1)) if hi is not None else np.nan,
                "site_low": ids[lo] if lo is not None else None,
                "site_high": ids[hi] if hi is not None else None,
            }
        )
    return pd.DataFrame(rows)


def candidate_pool(model: SiteModel, plan: MoverPlan, result: SiteResult, *, size: int) -> tuple[list[str], np.ndarray]:
    """The shown sites and further alternatives (``size`` in all): their ids and mean criterion values (0–1).

    Alternatives are grown on the result's surface exactly as the candidates were; those
    not already shown follow them, best mean score first, labelled after the shown ones.
    """
    shown = list(result.regions)
    found = grow_candidates(model, result.score, cells=result.cells_needed, top_k=max(size, len(shown)))
    known = {frozenset(r.tolist()) for r in shown}
    flat = result.score.ravel()
    extra = sorted((r for r in found if frozenset(r.tolist()) not in known), key=lambda r: -float(np.mean(flat[r])))
    regions = shown + extra[: max(size - len(shown), 0)]
    stack = plan.values.reshape(len(CRITERIA), -1)
    values = np.array([stack[:, r].mean(axis=1) for r in regions], dtype=float).reshape(len(regions), len(CRITERIA))
    more = (f"S{len(shown) + i + 1}" for i in range(len(regions) - len(shown)))
    ids = [*result.candidates["site_id"].astype(str), *more]
    return ids, values


def site_robustness(
    model: SiteModel,
    plan: MoverPlan,
    result: SiteResult,
    *,
    draws: int,
    method: str | None = None,
    judgements: np.ndarray | None = None,
) -> Robustness:
    """Rank robustness of ``result``'s candidates over ``draws`` weight vectors (settings fill the rest)."""
    s = model.settings.sites
    if draws > s.max_sensitivity_draws:
        msg = f"{draws} weight draws: at most {s.max_sensitivity_draws} allowed ([sites] max_sensitivity_draws)"
        raise InputError(msg)
    method = method or s.sensitivity_method
    weights = np.array([result.weights.get(c, 0.0) for c in CRITERIA])
    drawn = draw_weights(
        weights, draws, method=method, spread=s.sensitivity_spread, seed=s.sensitivity_seed, judgements=judgements
    )
    ids, values = candidate_pool(model, plan, result, size=s.sensitivity_pool)
    table = rank_shares(ids, rank_draws(values, drawn), shown=len(result.regions))
    return Robustness(table, tornado(values, weights, ids), draws, method)


def with_robustness(candidates: pd.DataFrame, robustness: Robustness | None) -> pd.DataFrame:
    """The candidates with ``p_top1``, ``p_top3``, ``rank_p05`` and ``rank_p95`` columns (unchanged without one)."""
    if robustness is None:
        return candidates
    props = robustness.properties()
    out = candidates.copy()
    for column in props.columns:
        out[column] = out["site_id"].map(props[column])
    return out
