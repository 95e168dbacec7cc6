"""/route in a real browser: plan a route, see it numbered on the map, download its GPX, record a finding."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gpxpy
import pytest

from analytics.inspection_plan import township_seats
from callbacks import route_page
from geodata.private.plan_store import PlanStore
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, serving

KML = "{http://www.opengis.net/kml/2.2}"


@pytest.mark.browser
def test_plan_a_route_and_download_its_gpx(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        inspector = login(page, url, store_path, "inspector")
        page.goto(f"{url}/route")
        page.wait_for_selector("#route-plan")
        assert "四不两直暗访路线" in (page.text_content("h1") or "")
        assert page.is_disabled("#route-gpx"), "nothing to download before a plan exists"
        page.fill("#route-date", "2026-12-01")
        page.fill("#route-stops", "8")
        page.fill("#route-seed", "11")
        page.click("#route-plan")
        page.wait_for_selector("#route-stop-rows tbody tr", timeout=60_000)
        rows = page.locator("#route-stop-rows tbody tr").count()
        assert 1 <= rows <= 8
        summary = page.text_content("#route-summary") or ""
        assert "第1天" in summary and "公里" in summary
        frame = page.frame_locator("#route-map")
        frame.locator(".stop-no").first.wait_for(timeout=30_000)
        unfitted = 8 - rows
        assert frame.locator(".stop-no").count() == rows + 1 + unfitted  # start, numbered stops, unfitted stops
        assert frame.locator(".leaflet-overlay-pane canvas").count() >= 1  # the route lines (canvas renderer)
        checklist = page.text_content("#route-checklist") or ""
        assert "驻村不住村" in checklist and "发现问题登记" in checklist
        page.screenshot(path=str(SCREENSHOTS / "route.png"), full_page=False)

        assert not page.is_disabled("#route-gpx")
        with page.expect_download() as info:
            page.click("#route-gpx")
        gpx_path = tmp_path / "route.gpx"
        info.value.save_as(gpx_path)
        gpx = gpxpy.parse(gpx_path.read_text("utf-8"))
        assert len(gpx.waypoints) == rows + 1
        assert gpx.tracks and len(gpx.tracks[0].segments[0].points) > rows
        _assert_kml_download(page, rows)

        page.locator("#finding-stop").click()
        page.locator(".dash-dropdown-option").first.click()
        page.fill("#finding-text", "暗访测试第一书记不在岗")
        page.click("#finding-save")
        page.wait_for_function("() => document.querySelector('#finding-message').textContent.includes('DC')")

    _assert_stored_and_audited(store_path, inspector)
    assert not errors, errors


def _assert_kml_download(page: Any, rows: int) -> None:
    with page.expect_download() as info:
        page.click("#route-kml")
    kml = ET.fromstring(Path(info.value.path()).read_bytes())
    marks = [m for m in kml.iter(f"{KML}Placemark") if m.find(f"{KML}Point") is not None]
    assert len(marks) == rows + 1  # the start and every stop
    assert page.locator("#route-overnight input").is_enabled()  # the demo county has township seats
    with page.expect_download() as sheet:  # the A4 route sheet beside the GPX/KML downloads
        page.click("#route-sheet")
    assert sheet.value.suggested_filename.endswith(".pdf")
    assert Path(sheet.value.path()).read_bytes().startswith(b"%PDF")


def _assert_stored_and_audited(store_path: Path, inspector: str) -> None:
    plans = PlanStore.beside(GeoPackageStore(store_path))
    mine = plans.plans(viewer=inspector)
    assert len(mine) == 1 and mine["seed"].iloc[0] == 11
    log = plans.audit_log()
    actions = log[log["action"].str.startswith("route:")]
    assert set(actions["who"]) == {inspector}
    assert actions["action"].iloc[0] == "route:create"
    assert {"route:view", "route:export:gpx", "route:export:pdf"} <= set(actions["action"])
    findings = GeoPackageStore(store_path).read("inspections")
    assert (findings["finding"] == "暗访测试第一书记不在岗").sum() == 1


def test_the_overnight_box_says_why_it_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without township government seats the checkbox is disabled and a note explains it."""
    monkeypatch.setattr(route_page, "_context", lambda _data, _county=None: SimpleNamespace(seats=township_seats(None)))
    box = route_page._overnight_box(None, "zh")  # type: ignore[arg-type]
    checklist, note = box.children
    assert checklist.options[0]["disabled"] is True
    assert "township_gov" in note.children and "乡镇政府" in note.children


def test_a_county_of_a_city_routes_on_the_roads_around_it_only(city_history_path: Path) -> None:
    """One county's road graph is built from the roads near its villages, not from the whole city's."""
    from callbacks.route_page import _context
    from callbacks.store_data import StoreData
    from geodata.settings import get_settings
    from layers.geometry import around_bounds

    data = StoreData(GeoPackageStore(city_history_path), shared=None)
    villages = data.layer("villages")
    county = str(villages["village_code"].iloc[0])[:6]
    own = villages[villages["village_code"].astype(str).str.startswith(county)]
    x0, y0, x1, y1 = around_bounds(own.total_bounds, get_settings().route.road_margin_km)
    assert x1 - x0 > own.total_bounds[2] - own.total_bounds[0] + 0.09  # 5 km on each side: about 0.05° of longitude
    whole, part = _context(data), _context(data, county)
    assert 0 < len(part.graph.xy) < len(whole.graph.xy)
    assert len(part.points) == len(own)
    lon, lat = part.to_lonlat(part.graph.xy).T
    inside = (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    assert inside.mean() > 0.9  # the roads meeting the box (a road leaving it keeps its far end)
