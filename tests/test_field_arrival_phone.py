"""An arrival outside the stop's village is flagged on the phone at once, with no network; the server agrees.

The pack carries each stop's village outline in the map's units; with the context offline
the inspector taps "Arrived" at stop 1 inside its village (no flag) and at stop 2 from a
point east of its village (flagged with the distance). Back online the server, the
authority, computes its own distance from the stored outline: it flags the same arrival,
and its distance is within a few map units of the phone's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import shapely

from geodata.private.field_records import FieldRecords, village_distance_m
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, serving
from tests.field_plans import demo_with_plan, open_pack


def inside_point(store: GeoPackageStore, code: str) -> tuple[float, float]:
    """A point well inside the village ``code``."""
    village = store.read("villages", where={"village_code": code}).geometry.iloc[0]
    point = shapely.point_on_surface(village)
    return point.x, point.y


@pytest.mark.browser
def test_an_arrival_outside_the_village_is_flagged_offline_before_the_server_answers(
    demo_store_path: Path, tmp_path: Path
) -> None:
    store_path = tmp_path / "county.gpkg"
    store, plan = demo_with_plan(demo_store_path, store_path)
    first, second = plan["stops"][:2]
    lon, lat = inside_point(store, first["village_code"])
    far = (second["lon"] + 0.03, second["lat"])  # ~3 km east of the stop's point
    true_far = village_distance_m(store, second["village_code"], (*far, None))
    tolerance = get_settings().field_pack.arrival_tolerance_m
    assert true_far is not None and true_far > tolerance + 100
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(store_path) as url, chromium() as browser:
        here = {"latitude": lat, "longitude": lon, "accuracy": 10}
        context, page = open_pack(browser, url, store_path, plan, here=here, errors=errors)
        context.set_offline(True)
        page.locator("#stop-1 button[data-act='arrival']").tap()
        page.wait_for_selector("body[data-unsent='1']")
        assert "已到达" in page.text_content("#stop-1 .fp-arrived")
        assert "不在本村" not in page.text_content("#stop-1 .fp-findings")  # inside its village: no flag
        context.set_geolocation({"latitude": far[1], "longitude": far[0], "accuracy": 10})
        page.locator("#stop-2 button[data-act='arrival']").tap()
        page.wait_for_selector("body[data-unsent='2']")
        shown = page.text_content("#stop-2 .fp-arrived")
        match = re.search(r"位置不在本村（(\d+)米）", shown or "")
        assert match, shown
        phone_m = int(match.group(1))
        assert "位置不在本村" in page.text_content("#stop-2 .fp-saved li.queued .flag")
        page.locator("#stop-2 .fp-findings").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "field_arrival_outside_offline.png"))
        context.set_offline(False)
        page.wait_for_selector("body[data-unsent='0']", timeout=30_000)
        assert "位置不在本村" in page.text_content("#stop-2 .fp-saved li.sent .flag")
        context.close()
    assert not errors, errors
    records, _ = FieldRecords.beside(store).records(plan["plan_id"])
    arrivals = records.set_index("stop")
    assert not arrivals.loc[1, "flagged"] and arrivals.loc[2, "flagged"]
    server_m = float(arrivals.loc[2, "distance_m"])
    assert server_m == pytest.approx(true_far) and abs(phone_m - server_m) < max(50.0, 0.02 * server_m)
