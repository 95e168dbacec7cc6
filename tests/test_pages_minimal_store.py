"""Every page opens on a county that imported only what every county has.

Two stores cut from the small demo county — villages + households + water tests, and
villages + households alone, each with its indicators built — are served for real and
every page each role may reach is opened in Chromium. Any console error, page error or
5xx response fails the test; tiles and panel rows without their source layer say "no data".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from analytics import compute_indicators
from geodata.store import GeoPackageStore, write_computed
from harness.browser import SCREENSHOTS, chromium, login, serving
from tests.test_access import ROLE_PAGES

KEEP = {"water": ("villages", "households", "water_tests"), "bare": ("villages", "households")}


@pytest.fixture(scope="module", params=list(KEEP))
def minimal_store(
    request: pytest.FixtureRequest, demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A store with only the layers of ``KEEP[param]`` from the demo county, indicators built."""
    demo = GeoPackageStore(demo_store_path)
    store = GeoPackageStore(tmp_path_factory.mktemp(f"minimal-{request.param}") / "county.gpkg")
    layers = {name: demo.read(name) for name in KEEP[request.param]}
    with store.transaction() as tx:
        for name, frame in layers.items():
            tx.write(name, frame)
    as_of = dt.date.today()
    write_computed(store, compute_indicators(layers, as_of=as_of), as_of=as_of, detail={"engine": "pandas"})
    yield request.param, store.path


def settle(page: Page) -> None:
    """Wait until Dash has answered every callback the page started."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=60_000)
    page.wait_for_timeout(500)
    page.wait_for_load_state("networkidle")


@pytest.mark.browser
@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_page_opens_without_optional_layers(minimal_store: tuple[str, Path], role: str) -> None:
    kind, path = minimal_store
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        login(page, url, path, role)
        for target in sorted(ROLE_PAGES[role]):
            page.goto(f"{url}{target}")
            settle(page)
            assert "/login" not in page.url, target
            page.screenshot(path=str(SCREENSHOTS / f"minimal-{kind}-{role}{target.replace('/', '-')}.png"))
            body = page.text_content("body") or ""
            assert "Traceback" not in body and "Internal Server Error" not in body, target
            if target == "/wall":
                page.wait_for_selector("#tile-kpi_inspections")
                assert "无数据" in (page.text_content("#tile-kpi_inspections") or "")
                assert "✗" not in (page.text_content("#tile-kpi_inspections") or "")
    assert not errors, errors
