"""Inspection route planning: time and route length for 10, 30 and 60 stops, against nearest-neighbour.

Run: ``python bench/bench_route.py [--households 4000] [--repeat 3]``. On the demo county
(generated in memory), for each stop count:

- *plan*: the whole plan as ``battlemap route`` makes it — risk-weighted draw, travel
  matrix on the road graph, OR-Tools with the settings' time limit, the 8-hour day —
  median wall time of ``--repeat`` seeded runs (target: under 3 s for 30 stops), and how
  many of the drawn stops fit the day: drawn around one area (``inspection.cluster_km``)
  against drawn county-wide (``cluster_km = 0``, the baseline);
- *tour*: the same stops drawn, all of them in one tour with no time budget, OR-Tools
  against the nearest-neighbour tour on the same matrix in the same run: driving hours
  and kilometres of each and their ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import time

import numpy as np

from analytics import prepare_records
from analytics.inspection_draw import draw_inspection
from analytics.inspection_plan import plan_inspection, route_context
from analytics.routing import nearest_neighbour, solve_routes, travel_matrix
from geodata.demo import make_demo_county
from geodata.settings import get_settings

DATE = dt.date(2026, 12, 1)
STOPS = (10, 30, 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = get_settings()
    started = time.perf_counter()
    layers = make_demo_county(seed=2026, households=args.households)
    records = prepare_records(layers, as_of=DATE, settings=settings)
    context = route_context(layers["villages"], layers["roads"], layers["facilities"], records, settings)
    print(
        f"demo county: {len(layers['villages'])} villages, {len(layers['roads'])} roads, "
        f"graph {len(context.graph.xy)} nodes; prepared in {time.perf_counter() - started:.1f} s"
    )
    print(f"OR-Tools time limit {settings.route.time_limit_s} s, day {settings.route.day_hours} h\n")
    spread = settings.replace(inspection=dataclasses.replace(settings.inspection, cluster_km=0.0))
    head = ("stops", "plan s", "fit/8h", "spread", "OR-Tools h", "km", "solve s", "NN h", "km", "NN s", "OR/NN")
    print("{:>5} {:>7} {:>7} {:>7} {:>11} {:>7} {:>8} {:>7} {:>7} {:>7} {:>6}".format(*head))
    for n in STOPS:
        plan_s = []
        fitted = []
        for k in range(args.repeat):
            t0 = time.perf_counter()
            plan = plan_inspection(records, context, date=DATE, stops=n, seed=k, settings=settings)
            plan_s.append(time.perf_counter() - t0)
            fitted.append(len(plan["stops"]))
        spread_fit = [
            len(plan_inspection(records, context, date=DATE, stops=n, seed=k, settings=spread)["stops"])
            for k in range(args.repeat)
        ]
        tour = _tour(records, context, n, settings)
        print(
            f"{n:>5} {statistics.median(plan_s):>7.2f} {statistics.median(fitted):>7.0f} "
            f"{statistics.median(spread_fit):>7.0f} "
            f"{tour['or_h']:>11.2f} {tour['or_km']:>7.1f} {tour['or_s']:>8.2f} {tour['nn_h']:>7.2f} "
            f"{tour['nn_km']:>7.1f} {tour['nn_s']:>7.3f} {tour['or_h'] / tour['nn_h']:>6.3f}"
        )
    print("\nplan s: draw + matrix + OR-Tools for one 8-hour day (median); fit/8h: stops that fit the day;")
    print(
        f"spread: the same drawn county-wide (cluster_km 0, baseline) instead of around one area "
        f"(cluster_km {settings.inspection.cluster_km:g})."
    )
    print("tour: every drawn stop in one tour, no budget; OR/NN < 1 means OR-Tools drives less than nearest-neighbour.")


def _tour(records, context, n: int, settings) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """OR-Tools and nearest-neighbour tours through the same ``n`` drawn stops, no time budget."""
    stops = draw_inspection(records, date=DATE, stops=n, seed=100 + n, settings=settings).stops
    points = context.points.reindex(stops["village_code"])
    lon, lat = context.start[0], context.start[1]
    xy = context.to_metric(np.r_[lon, points["lon"].to_numpy()], np.r_[lat, points["lat"].to_numpy()])
    t0 = time.perf_counter()
    matrix = travel_matrix(context.graph, xy, settings)
    matrix_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    solution = solve_routes(matrix, np.zeros(n, int), budget_s=10**8, time_limit_s=settings.route.time_limit_s)
    or_s = time.perf_counter() - t0 + matrix_s
    t0 = time.perf_counter()
    order, nn_secs = nearest_neighbour(matrix)
    nn_s = time.perf_counter() - t0 + matrix_s
    nn_km = matrix.legs_metres([0, *[s + 1 for s in order], 0]) / 1000
    return {
        "or_h": solution.travel_s / 3600,
        "or_km": solution.metres / 1000,
        "or_s": or_s,
        "nn_h": nn_secs / 3600,
        "nn_km": nn_km,
        "nn_s": nn_s,
    }


if __name__ == "__main__":
    main()
