"""The field pack on a 390 × 844 phone: one column, big targets, "you are here", and still there with no network.

Chromium's offline emulation does not reach a service worker's own requests (Playwright
issue 2311), so "no network" here is the real thing: the server is stopped, and the page
is reloaded from what the service worker kept.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from geodata.private.plan_store import PlanStore
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, serving
from tests.test_route_phone import PHONE, TOUCH_PX

HERE = {"latitude": 35.59, "longitude": 104.60, "accuracy": 30}  # near the demo county's seat
TARGETS = """() => [...document.querySelectorAll('a, button, summary')]
  .filter(e => e.offsetParent !== null && e.getClientRects().length)
  .map(e => { const r = e.getBoundingClientRect();
              return {text: (e.textContent || '').trim().slice(0, 20), height: r.height, width: r.width,
                      left: r.left, right: r.right}; })"""
CACHES = "async () => [(await caches.keys()).length, (await navigator.serviceWorker.getRegistrations()).length]"


@pytest.mark.browser
def test_the_field_pack_on_a_phone_with_and_without_network(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(**PHONE, geolocation=HERE, permissions=["geolocation"])
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        with serving(store_path) as url:
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            login(page, url, store_path, "inspector", then="/route")
            _open_pack_from_route(page, url)
            page.wait_for_selector("body[data-offline-ready]", timeout=30_000)  # the service worker holds the pack
            plan_id = page.url.split("/field/")[1].strip("/")
            stops = page.locator(".fp-stop").count()
            assert stops >= 10 and page.locator(".fp-day").count() == 2
            _assert_fits(page)
            context.set_geolocation(HERE)  # again: Chromium loses the emulated position across this navigation
            page.wait_for_selector("#here.on")  # the phone's position, drawn over the route
            assert "我的位置" in page.text_content("#fp-here")
            page.screenshot(path=str(SCREENSHOTS / "field_phone.png"))
            page.locator(".fp-checks summary").first.tap()
            page.locator("button[data-stop='1']").tap()
            page.wait_for_selector("#m-1.picked")
            page.screenshot(path=str(SCREENSHOTS / "field_phone_stop.png"))
            amap = page.locator("#stop-1 a[href^='https://uri.amap.com/marker?']")
            baidu = page.locator("#stop-1 a[href^='baidumap://map/marker?']")
            assert amap.count() == 1 and baidu.count() == 1
            assert "coordinate=gaode" in (amap.get_attribute("href") or "")
            context.clear_cookies()  # the login has ended (a trip outlasts it): the kept copy answers the 401
            response = page.reload()
            assert response is not None and response.from_service_worker and response.status == 200
            assert page.locator(".fp-stop").count() == stops
        # the server is gone: nothing answers on its port any more
        context.set_offline(True)
        response = page.reload()
        assert response is not None and response.from_service_worker
        page.wait_for_selector(".fp-stop")
        assert page.locator(".fp-stop").count() == stops
        assert "无网络" in page.text_content("#fp-status")
        context.set_geolocation(HERE)
        page.wait_for_selector("#here.on")
        page.screenshot(path=str(SCREENSHOTS / "field_phone_offline.png"))
        context.close()
    log = PlanStore.beside(GeoPackageStore(store_path)).audit_log(action="route:field")
    assert set(log["target"]) == {plan_id} and set(log["who"]) == {"test-inspector"}
    assert not [e for e in errors if "ERR_CONNECTION_REFUSED" not in e and "ERR_INTERNET" not in e], errors


@pytest.mark.browser
def test_logging_out_removes_the_pack_from_the_phone(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    with serving(store_path) as url, chromium() as browser:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        login(page, url, store_path, "inspector", then="/route")
        plan_id = PlanStore.beside(GeoPackageStore(store_path)).save(_empty_plan(), owner="test-inspector")["plan_id"]
        page.goto(f"{url}/field/{plan_id}/")
        page.wait_for_selector("body[data-offline-ready]", timeout=30_000)
        assert page.evaluate(CACHES) == [1, 1]
        page.goto(f"{url}/route")
        page.wait_for_selector("#route-plan")
        with page.expect_navigation():
            page.evaluate("document.querySelector('.logout-form').submit()")
        assert "/login" in page.url
        assert page.evaluate(CACHES) == [0, 0]
        context.close()


def _open_pack_from_route(page: Any, url: str) -> None:
    """Plan a two-day trip on /route and follow its field pack link (a touch target too)."""
    page.goto(f"{url}/route")
    page.fill("#route-date", "2026-12-01")
    page.fill("#route-stops", "12")
    page.fill("#route-days", "2")
    page.fill("#route-seed", "4")
    page.tap("#route-plan")
    link = page.locator("#route-field-link")
    link.wait_for(timeout=60_000)
    box = link.bounding_box()
    assert box and box["height"] >= TOUCH_PX
    link.tap()


def _empty_plan() -> dict[str, Any]:
    """A one-day plan with no stops (all it takes to keep a pack) at the county seat."""
    day = {"day": 1, "date": "2026-12-01", "stops": 0, "distance_km": 0.0, "travel_h": 0.0}
    day |= {"leave": "2026-12-01 08:30", "end": "2026-12-01 08:30"}
    start = {"lon": 104.60, "lat": 35.59, "name": "县城"}
    plan = {"date": "2026-12-01", "stops": [], "days": 1, "seed": 1, "unfitted": [], "start": start}
    return {**plan, "day_summary": [day], "paths": [[]], "warnings": []}


def _assert_fits(page: Any) -> None:
    """No sideways scrolling; every visible link, button and fold tall enough and inside the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    targets = page.evaluate(TARGETS)
    assert len(targets) >= 30, targets
    small = [c for c in targets if c["height"] < TOUCH_PX or c["width"] < TOUCH_PX]
    assert not small, small
    outside = [c for c in targets if c["left"] < 0 or c["right"] > PHONE["viewport"]["width"]]
    assert not outside, outside
    width = page.locator("#field-map").bounding_box()["width"]
    assert width >= PHONE["viewport"]["width"] - 30  # the map the full width, but for the margins
