"""A store of three counties through every page in Chromium: each page starts at the city.

/map opens on the city with each county a unit (coloured from the city-level tables; with
October picked the panel shows October's city row),
a click on a county drills into its townships, and the breadcrumb's city link comes
back up; /wall shows the city's totals with their trends and ranks its counties; /sites, /route and /data
open without an error. Any console error, page error, 5xx response or Dash error
overlay fails the test; screenshots go to :data:`harness.browser.SCREENSHOTS`.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page

from geodata.demo.city import CITY_CODE, county_code
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from geodata.store.snapshots import read_snapshot
from harness.browser import SCREENSHOTS, chromium, login, serving
from harness.map_clicks import drill, rendered
from layers.panel import key_indicators
from tests.test_pages_minimal_store import settle

OVERLAY = ".dash-fe-error__title, .dash-error-card, .dash-debug-menu__error"


@pytest.fixture(scope="module")
def city_store(city_history_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the 3-county demo city (6299), built, with the snapshots of 2026-09 and 2026-10 (tests/conftest.py)."""
    path = tmp_path_factory.mktemp("city-pages") / "city.gpkg"
    shutil.copyfile(city_history_path, path)
    return path


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    return errors


def _units(page: Page) -> list[str]:
    return page.evaluate(
        "() => document.querySelector('#map-graph .js-plotly-plot').data"
        ".filter(t => t.meta === 'units').flatMap(t => Array.from(t.locations).map(String))"
    )


def _city_in_october(page: Page, url: str, store: GeoPackageStore) -> None:
    """/map with October picked: the counties from their snapshots, the panel October's city row and its trends."""
    page.goto(f"{url}/map?period=2026-10-31")
    rendered(page, "city")
    page.wait_for_selector("#kpi-table img.panel-spark", timeout=60_000)
    october = read_snapshot(store, "city", dt.date(2026, 10, 31)).iloc[0]
    shown = page.locator("#kpi-table tbody tr td:nth-child(2)").all_text_contents()
    assert shown == [str(i["value"]) for i in key_indicators(october, get_settings(), "zh")]
    settle(page)
    page.screenshot(path=str(SCREENSHOTS / "city_map_october.png"))


@pytest.mark.browser
def test_city_store_through_every_page(city_store: Path) -> None:
    store = GeoPackageStore(city_store)
    regions = store.read("regions").set_index("code")
    counties = regions[regions["level"] == "county"]
    second = county_code(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_store) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = _watch(page)
        login(page, url, city_store, "admin")

        page.goto(f"{url}/map")
        rendered(page, "city")
        assert page.text_content("#breadcrumb") == regions.loc[CITY_CODE, "name"]
        assert sorted(_units(page)) == sorted(counties.index)
        settle(page)
        assert page.locator(OVERLAY).count() == 0
        page.screenshot(path=str(SCREENSHOTS / "city_map.png"))

        point = counties.loc[second].geometry.representative_point()
        drill(page, point.x, point.y, "county", second)
        assert f"area={second}" in page.url
        assert page.text_content("#crumb-county") == counties.loc[second, "name"]
        assert _units(page) and all(c.startswith(second) and len(c) == 9 for c in _units(page))
        settle(page)
        page.screenshot(path=str(SCREENSHOTS / "city_map_county.png"))

        page.click("#crumb-city")
        rendered(page, "city")
        assert page.url.endswith("/map")
        _city_in_october(page, url, store)

        page.goto(f"{url}/map?lang=en&area={second}")
        rendered(page, "county", second)
        assert page.text_content("#breadcrumb") == f"{regions.loc[CITY_CODE, 'name']} › {counties.loc[second, 'name']}"

        page.goto(f"{url}/wall")
        page.wait_for_selector("#wall-ranking li .rank", timeout=60_000)
        assert regions.loc[CITY_CODE, "name"] in (page.text_content(".wall-title") or "")
        ranked = page.locator("#wall-ranking li b").all_text_contents()
        assert sorted(ranked) == sorted(counties["name"])
        page.wait_for_selector("#tile-kpi_monitoring img.tile-spark", timeout=30_000)  # the city's trends
        page.screenshot(path=str(SCREENSHOTS / "city_wall.png"))

        for path, ready in (("/sites", "#sites-comparison .site-row"), ("/route", None), ("/data", None)):
            page.goto(f"{url}{path}")
            if ready:  # the site model of three counties takes a while
                page.wait_for_selector(ready, timeout=240_000)
            settle(page)
            assert page.locator(OVERLAY).count() == 0, path
            if path == "/route":  # a plan is drawn in one county: the first is chosen
                assert counties.loc[county_code(0), "name"] in (page.text_content("#route-county") or "")
            page.screenshot(path=str(SCREENSHOTS / f"city_{path.strip('/')}.png"))
    assert not errors, errors
