"""Every page under its Content-Security-Policy in headless Chromium: nothing refused, the maps drawn."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page

from callbacks import security_headers
from harness.browser import SCREENSHOTS, chromium, login, serving

PAGES = {  # path: what shows that the page has drawn
    "/": "#_pages_content h1",
    "/map": "#_pages_content .maplibregl-canvas",
    "/wall": "#_pages_content .maplibregl-canvas",
    "/sites": "#_pages_content .maplibregl-canvas",
    "/route": "#route-plan",
    "/data": "#_pages_content h1",
    "/audit": "#_pages_content h1",
}


def is_csp_error(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


def watch(page: Page) -> list[str]:
    """Console errors, page errors and CSP violation reports of ``page``, as they arrive."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" or is_csp_error(m.text) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return errors


@pytest.mark.browser
def test_every_page_runs_under_its_policy(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = watch(page)
        response = page.goto(f"{url}/login")
        assert response is not None and "script-src 'self' 'sha256-" in response.headers["content-security-policy"]
        login(page, url, store_path, "admin")
        for path, drawn in PAGES.items():
            response = page.goto(f"{url}{path}")
            assert response is not None
            policy = response.headers["content-security-policy"]
            assert "frame-ancestors 'self'" in policy and "worker-src 'self' blob:" in policy, path
            assert response.headers["x-content-type-options"] == "nosniff"
            page.wait_for_selector(drawn, timeout=60_000)
            page.wait_for_load_state("networkidle")
            assert not [e for e in errors if is_csp_error(e)], (path, errors)

        page.goto(f"{url}/route")
        page.wait_for_selector("#route-plan")
        page.fill("#route-date", "2026-12-01")
        page.fill("#route-stops", "6")
        page.fill("#route-seed", "5")
        page.click("#route-plan")
        page.wait_for_selector("#route-stop-rows tbody tr", timeout=60_000)
        src = page.get_attribute("#route-map", "src") or ""
        assert (
            src.startswith("/route/map/R20261201-") and page.get_attribute("#route-map", "sandbox") == "allow-scripts"
        )
        frame = page.frame_locator("#route-map")
        frame.locator(".stop-no").first.wait_for(timeout=30_000)  # the Folium map ran its inline scripts
        assert frame.locator(".leaflet-overlay-pane canvas").count() >= 1
        page.screenshot(path=str(SCREENSHOTS / "route-csp.png"))
        map_page = page.request.get(f"{url}{src}")
        assert map_page.status == 200
        policy = map_page.headers["content-security-policy"]
        assert "sandbox allow-scripts" in policy and "default-src 'none'" in policy
        assert not [e for e in errors if is_csp_error(e)], errors


def test_the_policy_allows_the_basemap_tiles_and_dash_inline_scripts(tmp_path: Path) -> None:
    settings = tmp_path / "battlemap.toml"
    settings.write_text('[map]\nbasemap = "osm"\n', "utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BATTLEMAP_SETTINGS", str(settings))
        assert security_headers.tile_origins() == ["https://tile.openstreetmap.org"]
        policy = security_headers.app_policy(["'sha256-x'"])
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in policy
    assert "connect-src 'self' data: blob: https://tile.openstreetmap.org" in policy
    assert "script-src 'self' 'sha256-x'" in policy and "unsafe-eval" not in policy
    assert security_headers.tile_origins() == []  # offline (the default): own server only
