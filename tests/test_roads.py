"""The road graph: T-junctions, crossings, snapping, speeds, and straight lines only where roads cannot reach."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from analytics.roads import build_road_graph, distance_to_nearest
from geodata.settings import RoadSettings, Settings


def roads(lines: list[shapely.LineString], classes: list[str], hardened: list[bool]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"road_id": [f"R{i}" for i in range(len(lines))], "road_class": classes, "hardened": hardened},
        geometry=lines,
        crs=4544,
    )


def test_t_junction_short_of_the_road_and_a_crossing_are_joined() -> None:
    frame = roads(
        [
            shapely.LineString([(0, 0), (1000, 0)]),
            shapely.LineString([(500, 3), (500, 800)]),  # stops 3 m short of the first road
            shapely.LineString([(200, -300), (200, 300)]),  # crosses the first road without a shared vertex
        ],
        ["county", "village", "track"],
        [True, True, False],
    )
    graph = build_road_graph(frame, Settings())
    assert np.unique(graph.component).size == 1
    # From the top of the T-road to the bottom of the crossing road: 797 + 300 along + 300 down.
    d = distance_to_nearest(graph, np.array([500.0]), np.array([800.0]), np.array([200.0]), np.array([-300.0]))
    assert d[0] == pytest.approx(797 + 3 + 300 + 300, abs=5)


def test_travel_time_by_class_and_surface() -> None:
    frame = roads(
        [shapely.LineString([(0, 0), (10000, 0)]), shapely.LineString([(10000, 0), (20000, 0)])],
        ["county", "track"],
        [True, False],
    )
    s = Settings().replace(roads=RoadSettings(speeds_kmh={"county": 50.0, "track": 20.0}, unhardened_factor=0.5))
    graph = build_road_graph(frame, s)
    assert sorted(graph.hours.round(6)) == [0.2, 1.0]  # 10 km at 50 km/h; 10 km at 20 × 0.5 km/h
    assert graph.to_networkx().number_of_edges() == 2


def test_unreachable_targets_fall_back_to_straight_lines() -> None:
    frame = roads(
        [shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(5000, 0), (6000, 0)])],
        ["village", "village"],
        [True, True],
    )
    graph = build_road_graph(frame, Settings())
    # The target sits on the other, unconnected road: no road path, so the straight line counts.
    d = distance_to_nearest(graph, np.array([0.0]), np.array([10.0]), np.array([5500.0]), np.array([0.0]))
    assert d[0] == pytest.approx(np.hypot(5500, 10))


def test_snapping_to_nearby_ends_equals_snapping_to_every_end() -> None:
    """Lines snap to the ends within the tolerance only: the same result as against all ends, in linear time."""
    import numpy as np
    import shapely

    from analytics.roads import _nearby_ends

    lines = np.array(
        [
            shapely.LineString([(0, 0), (100, 0)]),
            shapely.LineString([(50, 3), (50, 80)]),  # a T-junction stopping 3 m short
            shapely.LineString([(0, -2), (-60, -40)]),  # starts 2 m off the first road's end
            shapely.LineString([(5000, 5000), (5100, 5000)]),  # far away: nothing near it
            shapely.LineString(),  # an empty geometry stays empty
        ],
        dtype=object,
    )
    everything = shapely.multipoints(shapely.get_coordinates(shapely.boundary(shapely.get_parts(lines))))
    refs = _nearby_ends(lines, 5.0)
    assert shapely.get_num_geometries(refs[3]) == 2 and shapely.is_empty(refs[4])
    got, want = shapely.snap(lines, refs, 5.0), shapely.snap(lines, everything, 5.0)
    assert shapely.equals_exact(got, want, 0).all()
    assert not shapely.intersects(lines[0], lines[1]) and shapely.intersects(got[0], got[1])  # the T-junction meets
