"""Rank robustness: weight draws around the chosen weights, ranks of every draw at once, the tornado's crossings."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.site_robustness import (
    METHODS,
    draw_weights,
    rank_draws,
    rank_shares,
    site_robustness,
    tornado,
    with_robustness,
)
from analytics.sites import CRITERIA, Selection, plan_movers, rank_sites
from geodata._errors import InputError
from geodata.settings import Settings
from tests import sites_landscape as ls

WEIGHTS = np.array([0.2, 0.1, 0.15, 0.15, 0.1, 0.15, 0.1, 0.05])


@pytest.mark.parametrize("method", METHODS)
def test_draws_sum_to_one_keep_zero_weights_and_centre_on_the_weights(method: str) -> None:
    w = WEIGHTS.copy()
    w[7], w[0] = 0.0, 0.25
    drawn = draw_weights(w, 4000, method=method, spread=0.2, seed=1)
    assert drawn.shape == (4000, len(CRITERIA))
    assert np.allclose(drawn.sum(axis=1), 1.0)
    assert (drawn[:, 7] == 0).all() and (drawn >= 0).all()
    # Saaty's scale is coarser near 1 (one step from 1 is ×2, from 5 only ×1.2), so its draws lean towards equal
    assert np.allclose(drawn.mean(axis=0), w, atol=0.01 if method == "dirichlet" else 0.03)
    assert (drawn.std(axis=0)[w > 0] > 0.005).all(), "the draws must actually vary"
    again = draw_weights(w, 4000, method=method, spread=0.2, seed=1)
    assert np.array_equal(drawn, again), "the same seed gives the same draws"


def test_dirichlet_spread_is_the_relative_spread_of_an_average_weight() -> None:
    w = np.full(len(CRITERIA), 1 / len(CRITERIA))
    drawn = draw_weights(w, 20000, method="dirichlet", spread=0.2, seed=2)
    assert drawn.std(axis=0) / w == pytest.approx(np.full(len(CRITERIA), 0.2), rel=0.05)


def test_saaty_draws_move_each_judgement_by_at_most_one_step() -> None:
    judgements = np.ones((len(CRITERIA), len(CRITERIA)))  # all equal: one step is 1/2 … 2
    drawn = draw_weights(np.full(len(CRITERIA), 1 / 8), 500, method="saaty", spread=0.2, seed=3, judgements=judgements)
    ratios = drawn[:, :, None] / drawn[:, None, :]
    assert ratios.max() < 4 and ratios.min() > 1 / 4  # no pair of weights further apart than two steps allow


def test_ranks_of_every_draw_match_a_loop_over_draws() -> None:
    rng = np.random.default_rng(4)
    values, drawn = rng.random((12, len(CRITERIA))), draw_weights(WEIGHTS, 50, method="dirichlet", spread=0.3, seed=5)
    ranks = rank_draws(values, drawn)
    for n, w in enumerate(drawn):
        order = sorted(range(12), key=lambda i: -float(values[i] @ w))
        assert [int(ranks[i, n]) for i in order] == list(range(1, 13))


def test_a_dominant_site_is_first_in_every_draw() -> None:
    rng = np.random.default_rng(6)
    values = rng.random((10, len(CRITERIA))) * 0.6
    values[3] = 0.95  # best on every criterion
    for method in METHODS:
        drawn = draw_weights(WEIGHTS, 500, method=method, spread=0.2, seed=7)
        shares = rank_shares([f"S{i + 1}" for i in range(10)], rank_draws(values, drawn), shown=5)
        assert shares.loc[3, "p_top1"] == 1.0 and shares.loc[3, "p_top3"] == 1.0
        assert shares.loc[3, "rank_p05"] == shares.loc[3, "rank_p95"] == 1
        assert shares["p_top1"].sum() == pytest.approx(1.0)


def test_tornado_gives_the_weights_where_the_first_site_changes() -> None:
    rng = np.random.default_rng(8)
    values = rng.random((15, len(CRITERIA)))
    ids = [f"S{i + 1}" for i in range(15)]
    table = tornado(values, WEIGHTS, ids)
    first = ids[int(np.argmax(values @ WEIGHTS))]

    def winner(c: int, t: float) -> str:
        rest = np.delete(WEIGHTS, c)
        w = np.insert(rest / rest.sum() * (1 - t), c, t)
        return ids[int(np.argmax(values @ w))]

    assert table["criterion"].tolist() == list(CRITERIA)
    for c, row in table.iterrows():
        grid = np.linspace(0, 1, 2001)
        holds = np.array([winner(int(c), t) == first for t in grid])
        low = 0.0 if np.isnan(row["low"]) else row["low"]
        high = 1.0 if np.isnan(row["high"]) else row["high"]
        inside = (grid > low + 1e-3) & (grid < high - 1e-3)
        assert holds[inside].all(), row.to_dict()
        if not np.isnan(row["high"]):
            assert winner(int(c), row["high"] + 1e-6) == row["site_high"]
        if not np.isnan(row["low"]):
            assert winner(int(c), row["low"] - 1e-6) == row["site_low"]


def test_on_the_landscape_shares_of_the_shown_sites_sum_to_at_most_one() -> None:
    s = Settings()
    model = ls.model(s, facilities=[ls.GOOD, ls.FLOODED], flood=True)
    plan = plan_movers(model, Selection())
    result = rank_sites(model, plan)
    robust = site_robustness(model, plan, result, draws=300, method="dirichlet")
    table = robust.table
    assert table["shown"].sum() == len(result.candidates) and len(table) <= s.sites.sensitivity_pool
    assert table["p_top1"].sum() == pytest.approx(1.0)  # over the whole pool every draw has one first
    assert table.loc[table["shown"], "p_top1"].sum() <= 1.0
    assert (table["p_top3"] >= table["p_top1"]).all() and (table["rank_p05"] <= table["rank_p95"]).all()
    cands = with_robustness(result.candidates, robust)
    assert {"p_top1", "p_top3", "rank_p05", "rank_p95"} <= set(cands.columns)
    assert cands["p_top1"].notna().all()
    with pytest.raises(InputError, match="unknown sensitivity method"):
        site_robustness(model, plan, result, draws=10, method="monte")
    with pytest.raises(InputError, match="at most"):
        site_robustness(model, plan, result, draws=s.sites.max_sensitivity_draws + 1)
