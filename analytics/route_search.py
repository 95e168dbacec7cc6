"""The search behind :func:`analytics.routing.solve_routes`: OR-Tools, then a repair that keeps due stops.

1. *Search*: OR-Tools routing, one vehicle per day from its start to its end place, a time
   dimension (travel plus time on site) capped at the day's budget, every stop optional
   with the penalty :func:`analytics.routing.stop_penalties` gives it (a due stop outweighs
   all other stops together; then risk weight; driving only breaks ties). Guided local
   search runs until the time limit, or earlier once it has not improved for the
   patience (``settings.route.patience_s``): most plans stop well before the limit.
2. *Repair*: a local search can end with a due stop left out that fits. Each due stop
   left out is inserted where it costs least; if no day has room, the day where it fits
   after leaving out the least weight of other (not due) stops takes it. Then the stops
   left out are put back, heaviest first, wherever they still fit.
3. *Polish*: a day of many stops (``settings.route.polish_min_stops``) is searched again
   with its stops fixed from another first solution (Christofides): guided local search
   from the cheapest-arc start sometimes stalls a few percent above the best tour on long
   days, and a second start catches most of those. The shorter order is kept.

Plain arrays in and out (:class:`DayProblem`), so that it can run in another process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2


@dataclass(frozen=True)
class DayProblem:
    """Travel seconds between matrix rows (0 = start, 1…n = stops, then other places), and the days' rules."""

    travel: np.ndarray  # (rows, rows) int64
    service: np.ndarray  # (n,) seconds on site at each stop
    starts: list[int]  # matrix row each day leaves from
    ends: list[int | None]  # matrix row each day ends at; None = at its last stop
    budget_s: int
    penalty: np.ndarray  # (n,) cost of leaving each stop out
    forced: np.ndarray  # (n,) due this cycle

    @property
    def stops(self) -> int:
        """Number of stops."""
        return len(self.service)

    def day_seconds(self, day: int, order: list[int]) -> int:
        """Travel and time on site of visiting ``order`` (stop indices) on ``day``."""
        return self.day_travel(day, order) + int(self.service[order].sum())

    def day_travel(self, day: int, order: list[int]) -> int:
        """Travel seconds of visiting ``order`` on ``day``, from its start to its end place."""
        rows = [self.starts[day], *[s + 1 for s in order]]
        if self.ends[day] is not None:
            rows.append(self.ends[day])
        return int(self.travel[rows[:-1], rows[1:]].sum()) if len(rows) > 1 else 0


def plan_days(problem: DayProblem, time_limit_s: float, patience_s: float, polish_min: int) -> list[list[int]]:
    """Each day's stops in visiting order: search, repair, polish days of ``polish_min`` stops or more (see above)."""
    stops = list(range(problem.stops))
    days = list(range(len(problem.starts)))
    orders = search_orders(problem, days, stops, optional=True, time_limit_s=time_limit_s, patience_s=patience_s)
    orders = repair(problem, orders)
    return [
        polish(problem, day, order, time_limit_s, patience_s, polish_min) if len(order) >= polish_min else order
        for day, order in enumerate(orders)
    ]


def search_orders(
    problem: DayProblem,
    days: list[int],
    stops: list[int],
    *,
    optional: bool,
    time_limit_s: float,
    patience_s: float,
    first: int = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC,
) -> list[list[int]]:
    """OR-Tools on ``stops`` over ``days``: the stops of each day in order (empty days when nothing fits).

    The model holds only the places it needs (each day's start and end, a free end node
    when a day ends at its last stop, the stops), so unused places are never visited.
    """
    depots = sorted({problem.starts[d] for d in days} | {problem.ends[d] for d in days if problem.ends[d] is not None})
    rows = depots + [s + 1 for s in stops]
    free = len(rows)  # a zero-cost end node, only for days that end at their last stop
    size = free + any(problem.ends[d] is None for d in days)
    travel = np.zeros((size, size), np.int64)
    travel[:free, :free] = problem.travel[np.ix_(rows, rows)]
    service = np.zeros(size, np.int64)
    service[len(depots) : free] = problem.service[stops]
    node = {row: i for i, row in enumerate(depots)}
    starts = [node[problem.starts[d]] for d in days]
    ends = [free if problem.ends[d] is None else node[problem.ends[d]] for d in days]
    manager = pywrapcp.RoutingIndexManager(size, len(days), starts, ends)
    model = pywrapcp.RoutingModel(manager)
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(travel.tolist()))
    time_cb = model.RegisterTransitMatrix((travel + service[:, None]).tolist())  # service at the node left
    model.AddDimension(time_cb, 0, problem.budget_s if optional else 10**12, True, "time")
    if optional:
        for k, s in enumerate(stops):
            model.AddDisjunction([manager.NodeToIndex(len(depots) + k)], int(problem.penalty[s]))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = first
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    _stop_when_idle(model, patience_s)
    solution = model.SolveWithParameters(params)
    if solution is None:
        return [[] for _ in days]
    found = []
    for v in range(len(days)):
        index, order = model.Start(v), []
        while not model.IsEnd(index := solution.Value(model.NextVar(index))):
            i = manager.IndexToNode(index)
            if len(depots) <= i < free:
                order.append(stops[i - len(depots)])
        found.append(order)
    return found


def _stop_when_idle(model: pywrapcp.RoutingModel, patience_s: float) -> None:
    """End the search once no better solution has been found for ``patience_s`` seconds (never before the first)."""
    state = {"best": None, "at": time.perf_counter()}

    def seen() -> None:
        cost = model.CostVar().Value()
        if state["best"] is None or cost < state["best"]:
            state["best"], state["at"] = cost, time.perf_counter()

    model.AddAtSolutionCallback(seen)
    idle = lambda: state["best"] is not None and time.perf_counter() - state["at"] > patience_s  # noqa: E731
    model.AddSearchMonitor(model.solver().CustomLimit(idle))


def repair(problem: DayProblem, orders: list[list[int]]) -> list[list[int]]:
    """Put back every due stop left out that fits (making room by leaving out lighter stops), then any that fit."""
    orders = [list(o) for o in orders]
    kept = {s for o in orders for s in o}
    left = sorted((s for s in range(problem.stops) if s not in kept), key=lambda s: -problem.penalty[s])
    for s in (s for s in left if problem.forced[s]):
        if not _insert(problem, orders, s):
            _make_room(problem, orders, s)
    kept = {s for o in orders for s in o}
    for s in (s for s in left if s not in kept and not problem.forced[s]):
        _insert(problem, orders, s)
    return orders


def _best_place(problem: DayProblem, day: int, order: list[int], s: int) -> tuple[int, int] | None:
    """(added seconds, position) of the cheapest place for stop ``s`` in ``order`` within the budget."""
    base = problem.day_seconds(day, order)
    best = None
    for pos in range(len(order) + 1):
        trial = [*order[:pos], s, *order[pos:]]
        total = problem.day_seconds(day, trial)
        if total <= problem.budget_s and (best is None or total - base < best[0]):
            best = (total - base, pos)
    return best


def _insert(problem: DayProblem, orders: list[list[int]], s: int) -> bool:
    """Insert ``s`` where it adds the least time on any day; False when no day has room."""
    places = [(p, d) for d, o in enumerate(orders) if (p := _best_place(problem, d, o, s)) is not None]
    if not places:
        return False
    (_, pos), day = min(places)
    orders[day].insert(pos, s)
    return True


def _make_room(problem: DayProblem, orders: list[list[int]], s: int) -> None:
    """Insert due stop ``s`` on the day where leaving out the least weight of stops not due makes it fit."""
    best = None
    for day, order in enumerate(orders):
        trial, lost = list(order), 0
        for v in sorted((v for v in order if not problem.forced[v]), key=lambda v: problem.penalty[v]):
            trial.remove(v)
            lost += int(problem.penalty[v])
            place = _best_place(problem, day, trial, s)
            if place is not None:
                if best is None or lost < best[0]:
                    best = (lost, day, [*trial[: place[1]], s, *trial[place[1] :]])
                break
    if best is not None and best[0] < problem.penalty[s]:
        orders[best[1]] = best[2]


def polish(  # noqa: PLR0917 - the search's limits travel together
    problem: DayProblem, day: int, order: list[int], time_limit_s: float, patience_s: float, polish_min: int
) -> list[int]:
    """The day's order searched again from other starts, stops fixed; the shortest order is kept.

    A second start (Christofides) catches the local optima where guided local search from the
    cheapest-arc start stalls on long days; tours of :data:`MORE_STARTS_FACTOR` times the
    polish threshold (60 stops: +1.11 % → +0.27 % over LKH-3 at worst, bench_route) also try
    savings and local cheapest insertion. A shorter drive never breaks the budget (time on
    site is the same).
    """
    best = order
    for first in _starts(len(order), polish_min):
        (found,) = search_orders(
            problem, [day], best, optional=False, time_limit_s=time_limit_s, patience_s=patience_s, first=first
        )
        if sorted(found) == sorted(order) and problem.day_travel(day, found) < problem.day_travel(day, best):
            best = found
    return best


MORE_STARTS_FACTOR = 3  # a day of 3 × polish_min_stops (36 by default) stops or more gets all starts


def _starts(stops: int, polish_min: int) -> list[int]:
    """The first-solution strategies a polish tries: Christofides, and two more on very long days."""
    strategy = routing_enums_pb2.FirstSolutionStrategy
    more = stops >= MORE_STARTS_FACTOR * polish_min
    return [strategy.CHRISTOFIDES, *((strategy.SAVINGS, strategy.LOCAL_CHEAPEST_INSERTION) if more else ())]
