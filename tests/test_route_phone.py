"""/route on a 390 × 844 phone (Chromium mobile emulation): one column, no sideways scrolling, a menu."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from harness.browser import SCREENSHOTS, chromium, login, serving

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
TOUCH_PX = 44  # the smallest comfortable touch target (WCAG 2.5.5, Apple's and Android's guidelines)
# every visible control; a checkbox is judged by its label, which is what a finger taps
CONTROLS = """() => [...document.querySelectorAll(
    'button, select, textarea, input:not([type=hidden]):not([aria-hidden=true]), a.lang-switch, #page-nav a')]
  .map(e => e.type === 'checkbox' || e.type === 'radio' ? e.closest('label') || e : e)
  .filter(e => e.offsetParent !== null && e.getClientRects().length)
  .map(e => { const r = e.getBoundingClientRect();
              return {id: e.id || e.className || e.tagName, text: (e.textContent || '').trim().slice(0, 20),
                      height: r.height, left: r.left, right: r.right}; })"""


@pytest.mark.browser
def test_route_on_a_phone(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(store_path) as url, chromium() as browser:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        login(page, url, store_path, "inspector", then="/route")
        page.goto(f"{url}/route")
        page.wait_for_selector("#route-plan")
        _assert_fits(page)
        _assert_menu(page)

        page.fill("#route-date", "2026-12-01")
        page.fill("#route-stops", "6")
        page.fill("#route-seed", "11")
        page.tap("#route-plan")
        page.wait_for_selector("#route-stop-rows tbody tr", timeout=60_000)
        page.frame_locator("#route-map").locator(".stop-no").first.wait_for(timeout=30_000)
        _assert_fits(page)
        form, box = page.locator(".route-inputs").bounding_box(), page.locator("#route-map").bounding_box()
        assert form and box and box["width"] >= 370 and box["y"] >= form["y"] + form["height"], (form, box)
        for button in page.locator("#route-downloads button").all():
            edge = button.bounding_box()
            assert edge and edge["x"] >= 0 and edge["x"] + edge["width"] <= 390, ("cut off", edge)
            assert button.is_enabled()
        page.screenshot(path=str(SCREENSHOTS / "route_phone.png"), full_page=True)
        page.locator("#finding-stop").tap()  # the stop picker's options are touch targets too
        options = page.locator(".dash-dropdown-option")
        options.first.wait_for()
        heights = [options.nth(i).bounding_box()["height"] for i in range(options.count())]
        assert heights and min(heights) >= TOUCH_PX, heights
        options.first.tap()
        page.locator("#route-map").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "route_phone_map.png"))
        context.close()
    assert not errors, errors


def _assert_fits(page: Any) -> None:
    """No sideways scrolling, and every visible control tall enough and inside the screen's width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    controls = page.evaluate(CONTROLS)
    assert len(controls) >= 10, controls
    small = [c for c in controls if c["height"] < TOUCH_PX]
    assert not small, small
    outside = [c for c in controls if c["left"] < 0 or c["right"] > 390]
    assert not outside, outside


def _assert_menu(page: Any) -> None:
    """The page links are folded into the menu button; a tap opens them, choosing or Escape closes them."""
    toggle = page.locator("#nav-toggle")
    links = page.locator("#page-nav a")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not links.first.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "route_phone_top.png"))
    toggle.tap()
    assert toggle.get_attribute("aria-expanded") == "true"
    texts = [links.nth(i).text_content() for i in range(links.count())]
    assert all(links.nth(i).is_visible() for i in range(links.count()))
    assert any("暗访路线" in (x or "") for x in texts) and any("地图" in (x or "") for x in texts), texts
    _assert_fits(page)  # the open menu's links are touch targets too
    page.screenshot(path=str(SCREENSHOTS / "route_phone_menu.png"))
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not links.first.is_visible()
    toggle.focus()
    page.keyboard.press("Enter")  # a keyboard opens it too
    assert toggle.get_attribute("aria-expanded") == "true"
    toggle.tap()
    assert toggle.get_attribute("aria-expanded") == "false"


@pytest.mark.browser
def test_the_menu_button_is_hidden_on_a_desktop(demo_store_path: Path, tmp_path: Path) -> None:
    """At 1366 px the links stay in the bar as before and the menu button is not shown."""
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    with serving(store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        login(page, url, store_path, "inspector", then="/route")
        page.goto(f"{url}/route")
        page.wait_for_selector("#route-plan")
        assert not page.locator("#nav-toggle").is_visible()
        assert page.locator("#page-nav a").first.is_visible()
        form, box = page.locator(".route-inputs").bounding_box(), page.locator("#route-map").bounding_box()
        assert form and box and box["x"] > form["x"] + form["width"]  # the map beside the form
        page.screenshot(path=str(SCREENSHOTS / "route_desktop.png"))
