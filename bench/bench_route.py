"""Inspection route planning: plan time, gap to LKH-3, due stops kept, risk weight fitted.

Run: ``python -m bench.bench_route [--households 4000] [--seeds 10] [--draws 100]``.
LKH-3 (pip ``elkai``) is the reference; VROOM (pip ``pyvroom``) is compared when
installed. Both are bench-only (``pip install .[bench]``); without elkai the reference is
the best of three 5-second OR-Tools runs. On the demo county (generated in memory):

- *plan*: per size 10/30/60 drawn stops, ``--seeds`` one-day plans exactly as
  ``battlemap route`` makes them: wall time (median, max; target < 0.2 s at 30) and the
  gap of each day's route to the reference tour through the same stops (worst seed;
  target ≤ 0.5 % at 60);
- *tour*: every drawn stop in one closed tour, no budget: the gap of OR-Tools (the
  settings' limits), nearest-neighbour and VROOM to the reference, and their times;
- *due*: over ``--draws`` seeded 30-stop draws (half around one area, half county-wide),
  the due stops left out although they fit beside the plan's other due stops (target 0)
  and the risk weight fitted, for the weight objective against the count objective and
  against the search as it was before (count objective, no repair, 1 s fixed limit).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import statistics
import time

import numpy as np

from analytics import prepare_records
from analytics.inspection_plan import plan_inspection, route_context
from analytics.route_search import DayProblem, _best_place, search_orders
from analytics.routing import nearest_neighbour, solve_routes, stop_penalties, tour_seconds, travel_matrix
from geodata.demo import make_demo_county
from geodata.settings import get_settings

DATE = dt.date(2026, 12, 1)
STOPS = (10, 30, 60)
OLD_PENALTY = 1_000_000  # the search before: each stop worth the same, due stops ten times more


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=4000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--draws", type=int, default=100)
    args = parser.parse_args()
    settings = get_settings()
    layers = make_demo_county(seed=2026, households=args.households)
    records = prepare_records(layers, as_of=DATE, settings=settings)
    context = route_context(layers["villages"], layers["roads"], layers["facilities"], records, settings)
    cfg = settings.route
    print(f"demo county: {len(layers['villages'])} villages, graph {len(context.graph.xy)} nodes")
    print(f"reference: {REFERENCE}; OR-Tools limit {cfg.time_limit_s} s, patience {cfg.patience_s} s\n")
    print(f"{'stops':>5} {'plan s':>7} {'max s':>6} {'fit':>4} {'gap max':>8} {'gap mean':>9}")
    for n in STOPS:
        times, gaps, fits = [], [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            plan = plan_inspection(records, context, date=DATE, stops=n, seed=seed, settings=settings)
            times.append(time.perf_counter() - t0)
            fits.append(len(plan["stops"]))
            gaps.append(_plan_gap(plan, context, settings))
        print(
            f"{n:>5} {statistics.median(times):>7.3f} {max(times):>6.3f} {statistics.median(fits):>4.0f} "
            f"{max(gaps):>8.2%} {statistics.mean(gaps):>9.2%}"
        )
    print("\nclosed tour through every drawn stop, no budget (gap to the reference; seconds):")
    print(f"{'stops':>5} {'OR max':>7} {'OR mean':>8} {'OR s':>6} {'NN mean':>8} {'VROOM max':>10} {'VROOM s':>8}")
    for n in STOPS:
        rows = [_tour(records, context, n, seed, settings) for seed in range(args.seeds)]
        col = {k: [r[k] for r in rows] for k in rows[0]}
        vroom = f"{max(col['vroom']):>10.2%} {statistics.median(col['vroom_s']):>8.3f}" if VROOM else "  (no pyvroom)"
        print(
            f"{n:>5} {max(col['or']):>7.2%} {statistics.mean(col['or']):>8.2%} {statistics.median(col['or_s']):>6.3f} "
            f"{statistics.mean(col['nn']):>8.2%} {vroom}"
        )
    if args.draws:
        _due(records, context, settings, args.draws)


def _plan_gap(plan: dict, context, settings) -> float:  # type: ignore[no-untyped-def]
    """Extra driving of the plan's days over the reference tours through the same stops."""
    start = (plan["start"]["lon"], plan["start"]["lat"])
    ours = best = 0
    for day in plan["day_summary"]:
        stops = [s for s in plan["stops"] if s["day"] == day["day"]]
        if len(stops) < 2:
            continue
        matrix = _matrix(context, start, stops, settings)
        ours += tour_seconds(matrix, list(range(len(stops))))
        best += _reference(matrix.seconds)
    return ours / best - 1 if best else 0.0


def _matrix(context, start, stops, settings):  # type: ignore[no-untyped-def]
    xy = context.to_metric(np.r_[start[0], [s["lon"] for s in stops]], np.r_[start[1], [s["lat"] for s in stops]])
    return travel_matrix(context.graph, xy, settings)


try:
    import elkai

    REFERENCE = "LKH-3 (elkai, 10 runs)"

    def _reference(seconds: np.ndarray) -> int:
        tour = elkai.DistanceMatrix(seconds.tolist()).solve_tsp(runs=10)
        return int(sum(seconds[a, b] for a, b in itertools.pairwise(tour)))

except ImportError:  # pragma: no cover - the bench still runs, against long OR-Tools runs
    REFERENCE = "no elkai: best of three 5 s OR-Tools runs"

    def _reference(seconds: np.ndarray) -> int:
        n = len(seconds) - 1
        problem = DayProblem(seconds, np.zeros(n, np.int64), [0], [0], 10**9, np.ones(n, np.int64), np.zeros(n, bool))
        runs = [search_orders(problem, [0], list(range(n)), optional=False, time_limit_s=5, patience_s=5)[0]]
        return min(problem.day_travel(0, r) for r in runs * 3)


try:
    import vroom

    VROOM = True
except ImportError:  # pragma: no cover
    VROOM = False


def _vroom_tour(seconds: np.ndarray) -> int:
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=seconds.astype(np.uint32))
    problem.add_vehicle(vroom.Vehicle(0, start=0, end=0, profile="car"))
    problem.add_job([vroom.Job(i, location=i) for i in range(1, len(seconds))])
    return int(problem.solve(exploration_level=5, nb_threads=1).summary.cost)


def _tour(records, context, n: int, seed: int, settings) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Gaps of OR-Tools, nearest-neighbour and VROOM closed tours through ``n`` drawn stops, and their times."""
    plan = plan_inspection(records, context, date=DATE, stops=n, seed=100 + seed, settings=settings, hours=24, days=7)
    stops = plan["stops"] + plan["unfitted"]
    matrix = _matrix(context, context.start, stops, settings)
    ref = _reference(matrix.seconds)
    t0 = time.perf_counter()
    cfg = settings.route
    solution = solve_routes(
        matrix, np.zeros(len(stops), int), budget_s=10**8, time_limit_s=cfg.time_limit_s, patience_s=cfg.patience_s
    )
    out = {"or": solution.travel_s / ref - 1, "or_s": time.perf_counter() - t0}
    out["nn"] = nearest_neighbour(matrix)[1] / ref - 1
    if VROOM:
        t0 = time.perf_counter()
        out["vroom"] = _vroom_tour(matrix.seconds) / ref - 1
        out["vroom_s"] = time.perf_counter() - t0
    return out


def _due(records, context, settings, draws: int) -> None:  # type: ignore[no-untyped-def]
    """Due stops left out that fit, and risk weight fitted, by objective, over seeded 30-stop draws."""
    spread = settings.replace(inspection=dataclasses.replace(settings.inspection, cluster_km=0.0))
    cfg = settings.route
    budget = round(cfg.day_hours * 3600)
    tally = {k: {"missed": 0, "weight": 0.0, "due": 0} for k in ("weight", "count", "before")}
    for k in range(draws):
        plan = plan_inspection(records, context, date=DATE, stops=30, seed=1000 + k, settings=(settings, spread)[k % 2])
        stops = plan["stops"] + plan["unfitted"]
        matrix = _matrix(context, (plan["start"]["lon"], plan["start"]["lat"]), stops, settings)
        service = np.array([round(s["service_min"] * 60) for s in stops], np.int64)
        forced = np.array([s["forced"] for s in stops], bool)
        weight = np.array([s["weight"] for s in stops])
        orders = {"weight": [list(range(len(plan["stops"])))]}
        count = solve_routes(
            matrix, service, budget_s=budget, forced=forced, time_limit_s=cfg.time_limit_s, patience_s=cfg.patience_s
        )
        orders["count"] = [d.stops for d in count.days]
        old = DayProblem(matrix.seconds, service, [0], [0], budget, np.where(forced, 10, 1) * OLD_PENALTY, forced)
        orders["before"] = search_orders(old, [0], list(range(len(stops))), optional=True, time_limit_s=1, patience_s=1)
        problem = DayProblem(matrix.seconds, service, [0], [0], budget, stop_penalties(forced, weight, budget), forced)
        for key, found in orders.items():
            kept = {s for o in found for s in o}
            tally[key]["weight"] += float(weight[list(kept)].sum())
            tally[key]["due"] += int(forced[list(kept)].sum())
            tally[key]["missed"] += sum(
                _fits(problem, found, s) for s in range(len(stops)) if forced[s] and s not in kept
            )
    print(f"\n{draws} seeded 30-stop one-day draws (half clustered, half county-wide):")
    base = tally["count"]["weight"]
    for key, label in (("weight", "weight objective (now)"), ("count", "count objective"), ("before", "before")):
        t = tally[key]
        print(
            f"  {label:<24} due kept {t['due']:>4}, due left out that fit {t['missed']:>3}, "
            f"risk weight {t['weight']:>8.1f} ({t['weight'] / base - 1:+.1%} vs count)"
        )


def _fits(problem: DayProblem, orders: list[list[int]], s: int) -> bool:
    """Whether due stop ``s`` fits a day beside that day's due stops (other stops may make room)."""
    return any(
        _best_place(problem, d, [v for v in order if problem.forced[v]], s) is not None
        for d, order in enumerate(orders)
    )


if __name__ == "__main__":
    main()
