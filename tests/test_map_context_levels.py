"""Above the county the map sends only the context groups shown there; from the county down, every group."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from callbacks.map_page import _context_options, map_content
from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from geodata.demo.city import county_code
from geodata.store import GeoPackageStore
from layers.geometry import pixel_degrees, simplified


def _groups(figure: dict) -> set[str]:
    return {str(trace.get("meta")) for trace in figure["data"]}


def test_a_city_view_holds_no_roads_and_says_where_they_are_shown(city_history_path: Path) -> None:
    data = StoreData(GeoPackageStore(city_history_path))  # read only
    assert data.store.has("roads") and len(data.layer("roads"))

    city = map_content(data, MapState(top="city"))
    assert "roads" not in _groups(city.figure) and "hazards" in _groups(city.figure)
    assert city.offered == ["hazards"]
    boxes = {o["value"]: o for o in _context_options(city.offered, "zh")}
    assert boxes["roads"]["disabled"] and "县" in boxes["roads"]["label"].title
    assert not boxes["hazards"].get("disabled")

    county = map_content(data, MapState(top="city", area=county_code(0)))
    assert {"roads", "hazards"} <= _groups(county.figure)
    assert not any(o.get("disabled") for o in _context_options(county.offered, "en"))


def _vertices(figure: dict, group: str) -> int:
    """Vertices of a context group's hazard outlines in a figure (rings as sent: arrays or lists)."""
    trace = next(tr for tr in figure["data"] if tr.get("meta") == group)
    features = trace["geojson"]["features"]
    return sum(len(ring) for f in features for ring in shapely_rings(f["geometry"]))


def shapely_rings(geometry: dict) -> list:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for polygon in polygons for ring in polygon]


def test_context_outlines_are_as_fine_as_the_view_shows_them(city_history_path: Path) -> None:
    data = StoreData(GeoPackageStore(city_history_path))  # read only
    stored = int(shapely.get_num_coordinates(data.layer("hazards").geometry.values).sum())
    city = map_content(data, MapState(top="city"))
    assert len(next(tr for tr in city.figure["data"] if tr.get("meta") == "hazards")["locations"]) == len(
        data.layer("hazards")
    )  # every zone is still drawn
    assert _vertices(city.figure, "hazards") < stored * 0.6
    village = next(iter(data.indicators("village").index))
    close = map_content(data, MapState(top="city", town=village[:9], village=village))
    trace = next(tr for tr in close.figure["data"] if tr.get("meta") == "hazards")
    outlines = data.layer("hazards").set_index("hazard_id").geometry
    pixel = 360 / (512 * 2 ** close.figure["layout"]["map"]["zoom"])
    for feature in trace["geojson"]["features"]:  # a village's zones: no vertex more than a quarter pixel off
        sent = shapely.geometry.shape(_listed(feature["geometry"]))
        assert sent.hausdorff_distance(outlines[feature["properties"]["hazard_id"]]) <= pixel / 4


def _listed(value: object) -> object:
    """GeoJSON with its arrays as lists, for shapely."""
    if isinstance(value, dict):
        return {k: _listed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_listed(v) for v in value]
    return value.tolist() if isinstance(value, np.ndarray) else value


def test_simplified_keeps_points_and_valid_outlines() -> None:
    square = shapely.Polygon([(0, 0), (0.5, 0.0001), (1, 0), (1, 1), (0, 1)])
    frame = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"]},
        geometry=[square, shapely.Point(3, 3), shapely.LineString([(0, 0), (1, 0.0001), (2, 0)])],
        crs=4490,
    )
    out = simplified(frame, 0.001)
    assert list(out["id"]) == ["a", "b", "c"]
    assert shapely.get_num_coordinates(out.geometry.values).tolist() == [5, 1, 2]
    assert out.geometry.is_valid.all() and out.crs == frame.crs
    assert 0.0015 < pixel_degrees(np.array([104.0, 35.0, 105.0, 36.0])) < 0.003  # a degree across ~500 px
