"""Above the county the map sends only the context groups shown there; from the county down, every group."""

from __future__ import annotations

from pathlib import Path

from callbacks.map_page import _context_options, map_content
from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from geodata.demo.city import county_code
from geodata.store import GeoPackageStore


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
