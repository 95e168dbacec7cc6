"""Routing: optimal on small cases, near the best long run on 30 stops, never over the day's budget."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from analytics.roads import build_road_graph
from analytics.routing import TravelMatrix, nearest_neighbour, solve_routes, tour_seconds, travel_matrix
from geodata.io.crs import county_epsg
from geodata.settings import Settings
from geodata.store import GeoPackageStore

CLASSES = ("county", "township", "village", "track")


def grid_roads(n: int = 9, step: float = 1500.0, seed: int = 0) -> gpd.GeoDataFrame:
    """An n × n street grid (metres) with a random road class on every block edge."""
    rng = np.random.default_rng(seed)
    lines, classes = [], []
    for i, j in itertools.product(range(n), range(n)):
        for di, dj in ((1, 0), (0, 1)):
            if i + di < n and j + dj < n:
                lines.append(shapely.LineString([(i * step, j * step), ((i + di) * step, (j + dj) * step)]))
                classes.append(CLASSES[int(rng.integers(0, 4))])
    return gpd.GeoDataFrame({"road_class": classes, "hardened": True}, geometry=lines, crs=4545)


def random_places(k: int, seed: int, size: float = 12000.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, size, (k, 2))


def matrix_for(points: np.ndarray, roads: gpd.GeoDataFrame | None = None) -> TravelMatrix:
    settings = Settings()
    return travel_matrix(build_road_graph(grid_roads() if roads is None else roads, settings), points, settings)


def brute_force(matrix: TravelMatrix, n: int) -> int:
    return min(tour_seconds(matrix, list(p)) for p in itertools.permutations(range(n)))


@pytest.mark.parametrize(("n", "seed"), [(3, 1), (5, 2), (7, 3), (8, 4)])
def test_small_routes_equal_the_brute_force_optimum(n: int, seed: int) -> None:
    matrix = matrix_for(random_places(n + 1, seed))
    solution = solve_routes(matrix, np.zeros(n, int), budget_s=10**7, time_limit_s=0.5)
    assert not solution.unfitted
    assert sorted(solution.days[0].stops) == list(range(n))
    assert solution.travel_s == brute_force(matrix, n)


def test_open_route_equals_the_brute_force_optimum() -> None:
    n = 7
    matrix = matrix_for(random_places(n + 1, 11))
    solution = solve_routes(matrix, np.zeros(n, int), budget_s=10**7, return_to_start=False, time_limit_s=0.5)
    best = min(tour_seconds(matrix, list(p), return_to_start=False) for p in itertools.permutations(range(n)))
    assert solution.travel_s == best


@pytest.fixture(scope="module")
def demo_roads(demo_store_path: Path) -> gpd.GeoDataFrame:
    roads = GeoPackageStore(demo_store_path).read("roads")
    return roads.to_crs(county_epsg(roads))


def test_thirty_stops_within_two_percent_of_long_runs(demo_roads: gpd.GeoDataFrame) -> None:
    x0, y0, x1, y1 = demo_roads.total_bounds
    rng = np.random.default_rng(30)
    points = np.c_[rng.uniform(x0, x1, 31), rng.uniform(y0, y1, 31)]
    matrix = matrix_for(points, demo_roads)
    service = np.zeros(30, int)
    quick = solve_routes(matrix, service, budget_s=10**7, time_limit_s=Settings().route.time_limit_s)
    long_runs = [solve_routes(matrix, service, budget_s=10**7, time_limit_s=4.0).travel_s for _ in range(3)]
    assert not quick.unfitted
    assert quick.travel_s <= 1.02 * min(long_runs)
    assert quick.travel_s < nearest_neighbour(matrix)[1]  # and better than the greedy baseline


BUDGETS = [(1, 3, 25, True), (2, 4, 30, True), (1, 2, 15, False), (3, 2.5, 40, True)]


@pytest.mark.parametrize(("days", "budget_h", "service_min", "back"), BUDGETS)
def test_time_budget_never_exceeded(days: int, budget_h: float, service_min: int, back: bool) -> None:
    n = 20
    matrix = matrix_for(random_places(n + 1, days * 7 + int(budget_h * 10)))
    service = np.full(n, service_min * 60)
    budget = int(budget_h * 3600)
    solution = solve_routes(matrix, service, days=days, budget_s=budget, return_to_start=back, time_limit_s=0.3)
    assert solution.unfitted, "the budget is meant to be too short for every stop"
    seen = [s for d in solution.days for s in d.stops]
    assert sorted(seen + solution.unfitted) == list(range(n)), "every stop is routed or listed, none lost"
    for day in solution.days:
        assert day.end_s <= budget
        driving = tour_seconds(matrix, day.stops, return_to_start=back and bool(day.stops))
        worked = driving + service_min * 60 * len(day.stops)
        assert worked <= budget, f"day {day.day}: {worked} s of work in a {budget} s day"
        for a, (arrive, depart) in enumerate(zip(day.arrive_s, day.depart_s, strict=True)):
            assert depart - arrive == service_min * 60
            if a:
                assert arrive >= day.depart_s[a - 1]


def test_forced_stops_are_kept_when_not_all_fit() -> None:
    n = 12
    matrix = matrix_for(random_places(n + 1, 5))
    forced = np.zeros(n, bool)
    far = int(np.argmax(matrix.seconds[0, 1:]))  # the costliest stop to reach
    forced[far] = True
    solution = solve_routes(matrix, np.full(n, 1800), budget_s=3 * 3600, forced=forced, time_limit_s=0.3)
    assert solution.unfitted
    assert far in solution.days[0].stops


def test_paths_follow_the_roads() -> None:
    matrix = matrix_for(np.array([[100.0, 50.0], [6050.0, 4480.0]]))
    path = matrix.path(0, 1)
    assert len(path) > 4  # start, road nodes along the grid, end
    assert matrix.metres(0, 1) >= np.hypot(5950, 4430)  # never shorter than the straight line
    assert np.allclose(path[0], [100, 50]) and np.allclose(path[-1], [6050, 4480])
