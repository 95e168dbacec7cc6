"""Inspection day routes on the road graph: OR-Tools vehicle routing with time budgets and optional stops.

Travel times come from the road graph (:mod:`analytics.roads`, speed by road class) with
one multi-source ``scipy.sparse.csgraph.dijkstra`` call; each place joins the graph at
its nearest node on foot (``settings.roads.offroad_kmh``). Places the roads do not
connect are charged a straight line at ``settings.route.unreachable_kmh``.

Each day is one OR-Tools vehicle leaving the start; a time dimension (travel plus the
service time of each stop) is capped at the day's budget, so no day ever runs over.
Every stop is optional with a large penalty (larger for stops that must be seen this
cycle): stops that do not fit are dropped by the solver and listed, never lost silently.
Guided local search runs for ``settings.route.time_limit_s``.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from scipy.sparse.csgraph import dijkstra

from analytics.roads import RoadGraph
from geodata.settings import Settings

PENALTY = 1_000_000  # seconds-equivalent cost of leaving out one stop; far above any day's travel
FORCED_PENALTY = 10 * PENALTY


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
    """One day: the stops in visiting order (indices into the stop list) with times in seconds from leaving."""

    day: int
    stops: list[int]
    arrive_s: list[int]
    depart_s: list[int]
    end_s: int  # back at the start, or leaving the last stop
    travel_s: int
    metres: float


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
    time_limit_s: float = 1.0,
    executor: Executor | None = None,
) -> RouteSolution:
    """Order the stops (matrix rows 1…n) into ``days`` routes from row 0, each within ``budget_s``.

    ``service_s`` holds each stop's time on site; ``forced`` marks stops whose omission
    costs ten times more (teams due this cycle). Stops that cannot fit are returned in
    ``unfitted``. OR-Tools holds Python's interpreter lock for the whole search, so a
    server passes an ``executor`` (a process pool) to keep its other threads answering.
    """
    n = len(service_s)
    size = n + 1 if return_to_start else n + 2  # an extra free end node when the day need not return
    travel = np.zeros((size, size), dtype=np.int64)
    travel[: n + 1, : n + 1] = matrix.seconds
    service = np.r_[0, np.asarray(service_s, np.int64), np.zeros(size - n - 1, np.int64)]
    forced = np.zeros(n, bool) if forced is None else np.asarray(forced, bool)
    args = (travel, service, days, int(budget_s), 0 if return_to_start else n + 1, forced, time_limit_s)
    found = executor.submit(search_routes, *args).result() if executor is not None else search_routes(*args)
    if found is None:  # no stop fits at all (OR-Tools found nothing feasible)
        empty = [DayRoute(d, [], [], [], 0, 0, 0.0) for d in range(days)]
        return RouteSolution(empty, list(range(n)), matrix, return_to_start)
    routes = []
    for day, (stops, arrive, depart, end_s) in enumerate(found):
        places = [0, *[s + 1 for s in stops]] + ([0] if return_to_start and stops else [])
        travel_s = sum(int(matrix.seconds[a, b]) for a, b in itertools.pairwise(places))
        routes.append(DayRoute(day, stops, arrive, depart, end_s, travel_s, matrix.legs_metres(places)))
    visited = {s for r in routes for s in r.stops}
    return RouteSolution(routes, [s for s in range(n) if s not in visited], matrix, return_to_start)


DayFound = tuple[list[int], list[int], list[int], int]


def search_routes(  # noqa: PLR0917 - positional, to be submitted to an executor as it is
    travel: np.ndarray,
    service: np.ndarray,
    days: int,
    budget_s: int,
    end: int,
    forced: np.ndarray,
    time_limit_s: float,
) -> list[DayFound] | None:
    """The OR-Tools search: per day the stops in order, their arrival and departure seconds and the day's end.

    Plain arrays in and out, so it can run in another process. ``travel`` is the square
    matrix of seconds between node 0 (start), the stops and (when ``end`` is not 0) a free
    end node; ``service`` the seconds spent at each node. None when no stop fits.
    """
    size, n = len(travel), len(forced)
    manager = pywrapcp.RoutingIndexManager(size, days, [0] * days, [end] * days)
    model = pywrapcp.RoutingModel(manager)
    arc = model.RegisterTransitMatrix(travel.tolist())
    model.SetArcCostEvaluatorOfAllVehicles(arc)
    time_cb = model.RegisterTransitMatrix((travel + service[:, None]).tolist())  # service at the node left
    model.AddDimension(time_cb, 0, budget_s, True, "time")
    dim = model.GetDimensionOrDie("time")
    for stop in range(n):
        model.AddDisjunction([manager.NodeToIndex(stop + 1)], FORCED_PENALTY if forced[stop] else PENALTY)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution = model.SolveWithParameters(params)
    if solution is None:
        return None
    found = []
    for day in range(days):
        index = model.Start(day)
        stops, arrive, depart = [], [], []
        while not model.IsEnd(index := solution.Value(model.NextVar(index))):
            node = manager.IndexToNode(index)
            t = solution.Value(dim.CumulVar(index))
            stops.append(node - 1)
            arrive.append(t)
            depart.append(t + int(service[node]))
        found.append((stops, arrive, depart, int(solution.Value(dim.CumulVar(index))) if stops else 0))
    return found


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
