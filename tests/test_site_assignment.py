"""Several sites together: movers assigned within capacities, whole-village moves never split, bad input refused."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analytics.site_assignment import assign_movers, solve, whole_villages, with_assignment
from analytics.sites import Selection, plan_movers, rank_sites
from geodata._errors import InputError
from geodata.settings import Settings
from tests import sites_landscape as ls


def brute_force(sizes: np.ndarray, cost: np.ndarray, capacity: np.ndarray, k: int) -> float:
    """The least cost over every assignment (tiny cases only)."""
    best = np.inf
    for choice in itertools.product(range(cost.shape[1]), repeat=len(sizes)):
        load = np.bincount(choice, weights=sizes, minlength=cost.shape[1])
        if (load <= capacity).all() and len(set(choice)) <= k:
            best = min(best, sum(cost[g, s] for g, s in enumerate(choice)))
    return best


def test_solver_is_optimal_within_capacity_and_keeps_groups_whole() -> None:
    rng = np.random.default_rng(0)
    for _ in range(8):
        sizes = np.array([5, 3, 1, 1, 1, 4])  # groups: whole villages (5, 3, 4) and single households
        per_household = rng.uniform(1, 60, size=(len(sizes), 3))
        cost = per_household * sizes[:, None]
        capacity = np.array([8, 8, 6])
        k = int(rng.integers(2, 4))
        chosen, status = solve(sizes, cost, capacity, k=k, time_limit_s=10)
        load = np.bincount(chosen, weights=sizes, minlength=3)
        assert (load <= capacity).all()
        assert len(set(chosen.tolist())) <= k
        assert status == "optimal"
        assert cost[np.arange(len(sizes)), chosen].sum() == pytest.approx(brute_force(sizes, cost, capacity, k), abs=1)


@pytest.fixture(scope="module")
def landscape() -> tuple:
    s = Settings()
    model = ls.model(s, facilities=[ls.GOOD, ls.FLOODED], flood=True)
    return s, model


def test_a_whole_village_move_stays_at_one_site(landscape: tuple) -> None:
    _, model = landscape
    plan = plan_movers(model, Selection())
    assert whole_villages(plan.movers, model.households) == ["621199100201"]  # all 40 households move
    result = rank_sites(model, plan, sites=2)
    single = rank_sites(model, plan)
    assert result.per_site == 25 and single.per_site == 40  # 40 × (1 + 25 % margin) / 2 sites
    assert result.needed_m2 == pytest.approx(single.needed_m2 * 25 / 40)
    assignment = assign_movers(model, plan, result, k=2, capacity={"S1": 50, "S2": 50, "S3": 10})
    assert assignment.whole_villages == ("621199100201",)
    assert assignment.households["site_id"].nunique() == 1  # never split, though two sites were allowed
    assert len(assignment.sites) == 1 and assignment.sites["households"].iloc[0] == 40
    assert (assignment.sites["households"] <= assignment.sites["capacity"]).all()
    assert assignment.flows["households"].sum() == 40
    cands = with_assignment(result.candidates, assignment)
    assert cands["assigned_households"].sum() == 40 and cands.loc[cands["chosen"], "capacity_used"].ge(40).all()
    with pytest.raises(InputError, match="village 621199100201 moves whole"):
        assign_movers(model, plan, result, k=3, capacity=dict.fromkeys(result.candidates["site_id"], 30))


def test_a_partial_village_may_share_sites_within_capacity(landscape: tuple) -> None:
    _, model = landscape
    plan = plan_movers(model, Selection(drop_households=("H000",)))  # 39 of 40 move: not a whole-village move
    result = rank_sites(model, plan, sites=3)
    typed = dict.fromkeys(result.candidates["site_id"], 15)
    assignment = assign_movers(model, plan, result, k=3, capacity=typed)
    assert assignment.whole_villages == ()
    load = assignment.households.groupby("site_id").size()
    assert load.sum() == 39 and (load <= 15).all() and len(load) == 3
    row = assignment.sites.iloc[0]
    assert row["minutes_max"] >= row["minutes_mean"] > 0 and row["villages"] == 1


def test_bad_assignment_input_is_refused(landscape: tuple) -> None:
    _, model = landscape
    plan = plan_movers(model, Selection())
    result = rank_sites(model, plan, sites=2)
    with pytest.raises(InputError, match="between 1 and the 5 candidate"):
        assign_movers(model, plan, result, k=6)
    with pytest.raises(InputError, match=r"capacity of S2 must be .* 0 or more, got -5"):
        assign_movers(model, plan, result, k=2, capacity={"S2": -5})
    with pytest.raises(InputError, match="unknown site S9"):
        assign_movers(model, plan, result, k=2, capacity={"S9": 5})
    with pytest.raises(InputError, match="hold at most 20 households"):
        assign_movers(model, plan, result, k=2, capacity=dict.fromkeys(result.candidates["site_id"], 10))
    nobody = plan_movers(model, Selection(drop_villages=("621199100201",)))
    with pytest.raises(InputError, match="movers list is empty"):
        assign_movers(model, nobody, result, k=2)
