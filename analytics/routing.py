"""Inspection day routes on the road graph: OR-Tools vehicle routing with time budgets and optional stops.

Travel times come from the road graph (:mod:`analytics.roads`, speed by road class) with
one multi-source ``scipy.sparse.csgraph.dijkstra`` call; each place joins the graph at
its nearest node on foot (``settings.roads.offroad_kmh``). Places the roads do not
connect are charged a straight line at ``settings.route.unreachable_kmh``.

Each day is one OR-Tools vehicle from its start to its end place; a time dimension
(travel plus the service time of each stop) is capped at the day's budget, so no day
ever runs over. Every stop is optional: due stops first, then risk weight, then the
least driving (:func:`stop_penalties`, :mod:`analytics.route_search`); stops that do not
fit are listed, never lost silently. The search ends at ``settings.route.time_limit_s``
or once it has not improved for ``settings.route.patience_s``.
"""

from __future__ import annotations

import dataclasses
import itertools
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from analytics.roads import RoadGraph
from analytics.route_search import DayProblem, plan_days
from geodata.settings import Settings


@dataclass(frozen=True)
class TravelMatrix:
    """Travel seconds between places (row 0 = the start), and each leg's path and length along the roads."""

    seconds: np.ndarray  # (n, n) int64
    xy: np.ndarray  # (n, 2) metric positions of the places
    node: np.ndarray  # nearest road node of each place (-1 without roads)
    graph: RoadGraph
    predecessors: np.ndarray  # (unique source nodes, graph nodes) from dijkstra
    source_row: dict[int, int]  # road node → row of ``predecessors``

    def path(self, a: int, b: int) -> np.ndarray:
        """The metric polyline from place ``a`` to place ``b``: on foot to the road, along it, on foot again."""
        na, nb = int(self.node[a]), int(self.node[b])
        if na < 0 or nb < 0 or not self._connected(na, nb):
            return np.vstack([self.xy[a], self.xy[b]])
        pred = self.predecessors[self.source_row[na]]
        nodes = [nb]
        while nodes[-1] != na:
            nodes.append(int(pred[nodes[-1]]))
        return np.vstack([self.xy[a], self.graph.xy[nodes[::-1]], self.xy[b]])

    def _connected(self, na: int, nb: int) -> bool:
        return na == nb or self.predecessors[self.source_row[na], nb] >= 0

    def metres(self, a: int, b: int) -> float:
        """Length in metres of the leg from place ``a`` to place ``b`` (see :meth:`path`)."""
        return float(np.hypot(*np.diff(self.path(a, b), axis=0).T).sum()) if a != b else 0.0

    def legs_metres(self, places: list[int]) -> float:
        """Length in metres of visiting ``places`` in order."""
        return sum(self.metres(a, b) for a, b in itertools.pairwise(places))


def travel_matrix(graph: RoadGraph, xy: np.ndarray, settings: Settings) -> TravelMatrix:
    """Fastest road travel between every pair of metric points ``xy`` (first row = the start)."""
    xy = np.asarray(xy, float)
    n = len(xy)
    straight = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    unreachable_h = straight / 1000.0 / settings.route.unreachable_kmh
    if len(graph.xy) == 0:
        secs = np.rint(unreachable_h * 3600).astype(np.int64)
        return TravelMatrix(secs, xy, np.full(n, -1), graph, np.empty((0, 0), int), {})
    node, gap = graph.nearest_nodes(xy[:, 0], xy[:, 1])
    sources = np.unique(node)
    hours, pred = dijkstra(graph.matrix("hours"), directed=False, indices=sources, return_predecessors=True)
    row = {int(s): i for i, s in enumerate(sources)}
    r = np.array([row[int(v)] for v in node])
    walk_h = gap / 1000.0 / settings.roads.offroad_kmh
    by_road = walk_h[:, None] + hours[r][:, node] + walk_h[None, :]
    same_node = node[:, None] == node[None, :]
    by_road = np.where(same_node, np.minimum(by_road, straight / 1000.0 / settings.roads.offroad_kmh), by_road)
    total_h = np.where(np.isfinite(by_road), by_road, unreachable_h)
    np.fill_diagonal(total_h, 0.0)
    return TravelMatrix(np.rint(total_h * 3600).astype(np.int64), xy, node, graph, pred, row)


@dataclass(frozen=True)
class DayRoute:
    """One day: the stops in visiting order (indices into the stop list) with times in seconds from leaving.

    ``start`` and ``end`` are matrix rows (0 = the plan's start; rows after the stops are
    extra places such as overnight seats); ``end`` is None when the day ends at its last stop.
    """

    day: int
    stops: list[int]
    arrive_s: list[int]
    depart_s: list[int]
    end_s: int  # at the day's end place, or leaving the last stop
    travel_s: int
    metres: float
    start: int = 0
    end: int | None = 0

    def places(self) -> list[int]:
        """Matrix rows visited in order: the start, the stops, the end place (if any and if the day goes out)."""
        tail = [self.end] if self.end is not None and (self.stops or self.end != self.start) else []
        return [self.start, *[s + 1 for s in self.stops], *tail]


@dataclass(frozen=True)
class RouteSolution:
    """The days, the stops that did not fit, and the matrix the solution was found on."""

    days: list[DayRoute]
    unfitted: list[int]
    matrix: TravelMatrix
    return_to_start: bool

    @property
    def travel_s(self) -> int:
        """Total travel time of every day (seconds)."""
        return sum(d.travel_s for d in self.days)

    @property
    def metres(self) -> float:
        """Total road distance of every day (metres)."""
        return sum(d.metres for d in self.days)


def solve_routes(
    matrix: TravelMatrix,
    service_s: np.ndarray,
    *,
    days: int = 1,
    budget_s: int,
    return_to_start: bool = True,
    forced: np.ndarray | None = None,
    weight: np.ndarray | None = None,
    time_limit_s: float = 1.0,
    patience_s: float | None = None,
    polish_min_stops: int = 12,
    starts: list[int] | None = None,
    ends: list[int | None] | None = None,
    executor: Executor | None = None,
) -> RouteSolution:
    """Order the stops (matrix rows 1…n) into ``days`` routes, each within ``budget_s``.

    Priorities, in order: every ``forced`` stop (a team due this cycle) that fits is kept,
    then the stops kept carry as much ``weight`` (risk; None = every stop 1, i.e. as many
    stops as fit) as possible, then the days drive as little as possible (see
    :func:`stop_penalties` and :mod:`analytics.route_search`). The search stops after
    ``time_limit_s``, or earlier when it has not improved for ``patience_s``; days of
    ``polish_min_stops`` stops or more are searched again from a second start.

    Day ``d`` leaves ``starts[d]`` and ends at ``ends[d]`` (matrix rows; None = at its last
    stop); by default every day leaves row 0 and returns there (or not, ``return_to_start``).
    ``service_s`` holds each stop's time on site. Stops that cannot fit are returned in
    ``unfitted``. OR-Tools holds Python's interpreter lock for the whole search, so a
    server passes an ``executor`` (a process pool) to keep its other threads answering.
    """
    n = len(service_s)
    starts = [0] * days if starts is None else list(starts)
    ends = [0 if return_to_start else None] * days if ends is None else list(ends)
    forced = np.zeros(n, bool) if forced is None else np.asarray(forced, bool)
    weight = np.ones(n) if weight is None else np.asarray(weight, float)
    problem = DayProblem(
        travel=np.asarray(matrix.seconds, np.int64),
        service=np.asarray(service_s, np.int64),
        starts=starts,
        ends=ends,
        budget_s=int(budget_s),
        penalty=stop_penalties(forced, weight, days * int(budget_s)),
        forced=forced,
    )
    limits = (float(time_limit_s), float(patience_s) if patience_s else float(time_limit_s), int(polish_min_stops))
    call = (plan_days, problem, *limits)
    orders = executor.submit(*call).result() if executor is not None else plan_days(problem, *limits)
    routes = [_day_route(matrix, problem, d, order) for d, order in enumerate(orders)]
    visited = {s for r in routes for s in r.stops}
    return RouteSolution(routes, [s for s in range(n) if s not in visited], matrix, return_to_start)


def stop_penalties(forced: np.ndarray, weight: np.ndarray, travel_bound_s: int) -> np.ndarray:
    """The cost of leaving each stop out, so that the search ranks due stops, then weight, then driving.

    One thousandth of weight is worth more than all the driving a plan can hold
    (``travel_bound_s``), and a due stop more than every other stop together: a plan that
    keeps more due stops always costs less, then one that keeps more weight.
    """
    unit = int(travel_bound_s) + 1
    milli = np.maximum(np.rint(np.asarray(weight, float) * 1000), 1).astype(np.int64) * unit
    due_bonus = int(milli[~forced].sum()) + unit
    return np.where(forced, milli + due_bonus, milli).astype(np.int64)


def _day_route(matrix: TravelMatrix, problem: DayProblem, day: int, order: list[int]) -> DayRoute:
    """A day's times from its order: travel plus time on site, leaving its start at 0."""
    here, t, arrive, depart = problem.starts[day], 0, [], []
    for s in order:
        t += int(problem.travel[here, s + 1])
        arrive.append(t)
        t += int(problem.service[s])
        depart.append(t)
        here = s + 1
    route = DayRoute(day, list(order), arrive, depart, 0, 0, 0.0, problem.starts[day], problem.ends[day])
    places = route.places()
    travel_s = sum(int(problem.travel[a, b]) for a, b in itertools.pairwise(places))
    end_s = travel_s + int(problem.service[order].sum())
    return dataclasses.replace(route, end_s=end_s, travel_s=travel_s, metres=matrix.legs_metres(places))


def nearest_neighbour(matrix: TravelMatrix, *, return_to_start: bool = True) -> tuple[list[int], int]:
    """The greedy tour (always the nearest unvisited stop next) and its travel seconds: the benchmark baseline."""
    n = len(matrix.seconds) - 1
    left, here, order, total = set(range(1, n + 1)), 0, [], 0
    while left:
        nxt = min(left, key=lambda j: (matrix.seconds[here, j], j))
        total += int(matrix.seconds[here, nxt])
        order.append(nxt - 1)
        left.discard(nxt)
        here = nxt
    if return_to_start and order:
        total += int(matrix.seconds[here, 0])
    return order, total


def tour_seconds(matrix: TravelMatrix, order: list[int], *, return_to_start: bool = True) -> int:
    """Travel seconds of visiting stops in ``order`` from the start (and back when asked)."""
    places = [0, *[s + 1 for s in order]] + ([0] if return_to_start else [])
    return sum(int(matrix.seconds[a, b]) for a, b in itertools.pairwise(places))
