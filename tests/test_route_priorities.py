"""What a plan keeps when not every stop fits: every due stop that fits, then the most risk weight."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from analytics import INPUT_LAYERS, prepare_records
from analytics.inspection_plan import RouteContext, plan_inspection, route_context
from analytics.route_search import DayProblem, repair
from analytics.routing import solve_routes, stop_penalties, travel_matrix
from geodata.settings import Settings
from geodata.store import GeoPackageStore

DATE = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo(demo_store_path: Path) -> tuple:
    store = GeoPackageStore(demo_store_path)
    layers = {n: store.read(n) for n in INPUT_LAYERS if store.has(n)}
    settings = Settings()
    records = prepare_records(layers, as_of=DATE, settings=settings)
    context = route_context(layers["villages"], layers.get("roads"), layers.get("facilities"), records, settings)
    return records, context, settings


def test_a_due_stop_outweighs_every_other_stop_together() -> None:
    forced = np.array([True, False, False, False])
    weight = np.array([0.25, 9.0, 8.0, 7.5])
    penalty = stop_penalties(forced, weight, 8 * 3600)
    assert penalty[0] > penalty[1:].sum()
    assert penalty[1] > penalty[2] > penalty[3] > 8 * 3600  # more weight costs more; any weight beats all driving


def line_problem(forced: list[bool], weight: list[float], budget_s: int) -> DayProblem:
    """Stops on a line 600 s apart from the start, 0 s on site: a day reaches as far as its budget allows."""
    n = len(forced)
    pos = np.arange(n + 1) * 600
    travel = np.abs(pos[:, None] - pos[None, :]).astype(np.int64)
    f = np.array(forced)
    return DayProblem(travel, np.zeros(n, np.int64), [0], [0], budget_s, stop_penalties(f, np.array(weight), 10**6), f)


def test_repair_puts_back_a_due_stop_left_out_by_leaving_out_lighter_ones() -> None:
    problem = line_problem([False, False, False, True], [3.0, 2.0, 1.0, 0.5], budget_s=2 * 4 * 600)
    fixed = repair(problem, [[0, 1, 2]])  # a search result without the far due stop
    assert 3 in fixed[0]
    assert problem.day_seconds(0, fixed[0]) <= problem.budget_s


def test_repair_leaves_a_due_stop_out_only_when_it_cannot_fit() -> None:
    problem = line_problem([False, True], [1.0, 1.0], budget_s=2 * 600 + 100)  # the second stop is out of reach
    assert repair(problem, [[0]]) == [[0]]


def draw_problem(context: RouteContext, plan: dict, settings: Settings) -> tuple:
    """The plan's drawn stops (fitted and not) as a matrix, service seconds, due flags and weights."""
    stops = plan["stops"] + plan["unfitted"]
    lon = np.r_[plan["start"]["lon"], [s["lon"] for s in stops]]
    lat = np.r_[plan["start"]["lat"], [s["lat"] for s in stops]]
    matrix = travel_matrix(context.graph, context.to_metric(lon, lat), settings)
    service = np.array([round(s["service_min"] * 60) for s in stops], np.int64)
    forced = np.array([s["forced"] for s in stops], bool)
    weight = np.array([s["weight"] for s in stops])
    return matrix, service, forced, weight


@pytest.mark.parametrize("seed", range(6))
def test_no_due_stop_that_fits_is_left_out_and_weight_beats_count(demo: tuple, seed: int) -> None:
    records, context, settings = demo
    plan = plan_inspection(records, context, date=DATE, stops=24, seed=seed, hours=4, settings=settings)
    matrix, service, forced, weight = draw_problem(context, plan, settings)
    n_kept = len(plan["stops"])
    budget = 4 * 3600
    problem = DayProblem(matrix.seconds, service, [0], [0], budget, stop_penalties(forced, weight, budget), forced)
    kept_due = [i for i in range(n_kept) if forced[i]]
    for s in range(n_kept, len(forced)):
        if forced[s]:  # left out: it must not fit beside the due stops kept, even with every other stop gone
            trials = [[*kept_due[:p], s, *kept_due[p:]] for p in range(len(kept_due) + 1)]
            assert min(problem.day_seconds(0, t) for t in trials) > budget, f"due stop {s} fits but was left out"
    by_count = solve_routes(matrix, service, budget_s=budget, forced=forced, time_limit_s=1.0, patience_s=0.05)
    kept_by_count = [s for d in by_count.days for s in d.stops]
    assert forced[:n_kept].sum() >= forced[kept_by_count].sum()
    assert weight[:n_kept].sum() >= weight[kept_by_count].sum() - 1e-9
