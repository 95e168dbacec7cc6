"""Multi-day trips that stay overnight at a township government seat (乡镇政府) instead of driving home.

Every day but the last ends at a seat and the next day starts there; the last day ends
where a one-day plan would (home, or its last stop). Which seat is decided with the
route: the first candidate spends every night at the seat nearest the start (the county
seat's own government, usually: as good as driving home), then the days are routed as
round trips from home, and each night's seat is the
one that adds least driving between the last stop of that day and the first stop of the
next (:func:`best_seats`); the days are routed again from and to those seats, and the
seats chosen again from the new days, ``settings.route.overnight_rounds`` times. The
plan kept is the best of the rounds by the routing's own order (due stops, then risk
weight, then driving).
"""

from __future__ import annotations

import itertools
from concurrent.futures import Executor

import numpy as np

from analytics.routing import RouteSolution, TravelMatrix, solve_routes, stop_penalties


def best_seats(seconds: np.ndarray, solution: RouteSolution, seats: list[int]) -> list[int]:
    """For each night, the seat (matrix row) between that day's last stop and the next day's first stop."""
    chosen: list[int] = []
    for day, nxt in itertools.pairwise(solution.days):
        here = day.stops[-1] + 1 if day.stops else (chosen[-1] if chosen else day.start)
        there = nxt.stops[0] + 1 if nxt.stops else here
        cost = [int(seconds[here, s]) + int(seconds[s, there]) for s in seats]
        chosen.append(seats[int(np.argmin(cost))])
    return chosen


def solve_overnight(
    matrix: TravelMatrix,
    service_s: np.ndarray,
    seats: list[int],
    *,
    days: int,
    budget_s: int,
    return_to_start: bool,
    forced: np.ndarray,
    weight: np.ndarray,
    rounds: int,
    time_limit_s: float,
    patience_s: float,
    polish_min_stops: int = 12,
    executor: Executor | None = None,
) -> RouteSolution:
    """Route ``days`` days whose nights are spent at ``seats`` (matrix rows after the stops); see the module."""
    common = {
        "budget_s": budget_s,
        "forced": forced,
        "weight": weight,
        "time_limit_s": time_limit_s,
        "patience_s": patience_s,
        "polish_min_stops": polish_min_stops,
        "executor": executor,
    }
    if days < 2 or not seats:  # a single day has no night
        return solve_routes(matrix, service_s, days=days, return_to_start=return_to_start, **common)
    solution = solve_routes(matrix, service_s, days=days, return_to_start=True, **common)
    penalty = stop_penalties(np.asarray(forced, bool), np.asarray(weight, float), days * budget_s)
    home = seats[int(np.argmin(matrix.seconds[0, seats]))]  # the seat nearest the start: "going home"
    best: tuple[int, int, RouteSolution] | None = None
    for k in range(max(1, rounds) + 1):
        nights = [home] * (days - 1) if k == 0 else best_seats(matrix.seconds, solution, seats)
        solution = solve_routes(
            matrix,
            service_s,
            days=days,
            return_to_start=return_to_start,
            starts=[0, *nights],
            ends=[*nights, 0 if return_to_start else None],
            **common,
        )
        key = (int(penalty[solution.unfitted].sum()), solution.travel_s, solution)
        if best is None or key[:2] < best[:2]:
            best = key
    return best[2] if best is not None else solution
