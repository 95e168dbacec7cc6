"""The overview page in a real browser: the demo county's villages on a map, no console errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import SCREENSHOTS, chromium, login, serving


@pytest.mark.browser
def test_overview_shows_the_villages(demo_store_path: Path) -> None:
    errors: list[str] = []
    with serving(demo_store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, url, demo_store_path, "leader")
        page.goto(url)
        page.wait_for_selector(".js-plotly-plot .maplibregl-canvas", timeout=30_000)
        page.wait_for_function("document.querySelector('#overview-summary').textContent.includes('行政村')")
        summary = page.text_content("#overview-summary") or ""
        legend = page.locator(".legend .traces").count()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SCREENSHOTS / "overview.png"))
    assert "个乡镇" in summary and "行政村" in summary
    assert 10 <= legend <= 16  # one legend entry per township
    assert not errors, errors
