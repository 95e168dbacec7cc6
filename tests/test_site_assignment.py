"""Several sites together: movers assigned within capacities, whole-village moves never split, bad input refused."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analytics.site_assignment import assign_movers, place_households, solve, whole_villages, with_assignment
from analytics.sites import Selection, plan_movers, rank_sites
from geodata._errors import InputError
from geodata.settings import Settings
from tests import sites_landscape as ls


def brute_force(sizes: np.ndarray, unit: np.ndarray, capacity: np.ndarray, k: int, whole: np.ndarray) -> float:
    """The least cost over every assignment of every household (tiny cases only; a whole group moves as one)."""
    units = [
        (g, int(sizes[g])) if whole[g] else (g, 1)
        for g in range(len(sizes))
        for _ in range(1 if whole[g] else sizes[g])
    ]
    best = np.inf
    for choice in itertools.product(range(unit.shape[1]), repeat=len(units)):
        load = np.zeros(unit.shape[1])
        for (_, n), s in zip(units, choice, strict=True):
            load[s] += n
        if (load <= capacity).all() and len(set(choice)) <= k:
            best = min(best, sum(unit[g, s] * n for (g, n), s in zip(units, choice, strict=True)))
    return best


def test_solver_is_optimal_within_capacity_and_keeps_whole_groups_whole() -> None:
    rng = np.random.default_rng(0)
    sizes = np.array([5, 3, 2, 4])  # villages: two move whole (5, 4), two only in part (3, 2)
    whole = np.array([True, False, False, True])
    capacity = np.array([8, 8, 6])
    for _ in range(6):
        unit = rng.uniform(1, 60, size=(len(sizes), 3))
        k = int(rng.integers(2, 4))
        counts, status = solve(sizes, unit, capacity, k=k, whole=whole, time_limit_s=10)
        assert status == "optimal"
        assert (counts.sum(axis=1) == sizes).all() and (counts.sum(axis=0) <= capacity).all()
        assert ((counts > 0).sum(axis=1)[whole] == 1).all(), "a whole village is never split"
        assert ((counts.sum(axis=0) > 0).sum()) <= k
        assert (counts * unit).sum() == pytest.approx(brute_force(sizes, unit, capacity, k, whole), abs=0.5)


def test_households_go_to_their_nearest_site_with_room() -> None:
    minutes = np.array([[5.0, 9.0], [4.0, 30.0], [8.0, 9.0], [20.0, 2.0]])
    assert place_households(minutes, np.array([4, 4])).tolist() == [0, 0, 0, 1]
    # room for two at the first site: the household that loses least by moving (the third) moves
    assert place_households(minutes, np.array([2, 4])).tolist() == [0, 0, 1, 1]


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
