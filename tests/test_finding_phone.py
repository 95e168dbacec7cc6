"""/map on a 390 × 844 phone: a township leader reports a finding's rectification (整改中) from the village panel.

The panel sits below the full-width map with no sideways scrolling; the finding list shows
the overdue finding in red; a report without a note is refused with nothing stored; with a
note the step is stored (step record, audit) and the card shows 整改中 at once. Every
control of the step form is a 44 px touch target.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from geodata.private.db import PrivateDB
from geodata.private.findings import finding_steps
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, serving
from tests.test_route_phone import PHONE, TOUCH_PX

FORM_CONTROLS = """() => [...document.querySelectorAll(
    '.finding-step-form button, .finding-step-form textarea, .finding-step-form .dash-dropdown, .finding-upload')]
  .filter(e => e.offsetParent !== null).map(e => { const r = e.getBoundingClientRect();
    return {id: e.id || e.className, height: r.height, left: r.left, right: r.right}; })"""


@pytest.mark.browser
def test_a_township_reports_rectification_on_a_phone(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    store = GeoPackageStore(store_path)
    rows = pd.DataFrame(store.read("inspections"))
    finding = rows[rows["status"] == "open"].sort_values("inspection_id").iloc[0]  # past its deadline today
    fid, village = str(finding["inspection_id"]), str(finding["village_code"])
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(store_path) as url, chromium() as browser:
        page = browser.new_context(**PHONE).new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        leader = login(page, url, store_path, "leader", township=village[:9])
        page.goto(f"{url}/map?town={village[:9]}&village={village}")
        page.wait_for_selector("#rect-save", timeout=60_000)
        card = page.locator(f"#rect-row-{fid}")
        assert "overdue" in (card.get_attribute("class") or "")
        assert card.locator(".finding-state").evaluate("e => getComputedStyle(e).color") == "rgb(213, 94, 0)"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        graph, panel = page.locator("#map-graph").bounding_box(), page.locator("#unit-panel").bounding_box()
        assert graph and panel and panel["y"] >= graph["y"] + graph["height"] and panel["width"] >= 360

        page.locator("#rect-pick").tap()
        option = page.locator(".dash-dropdown-option", has_text=fid).first
        assert option.bounding_box()["height"] >= TOUCH_PX
        option.tap()
        page.tap("#rect-save")
        page.wait_for_function("() => document.querySelector('#rect-message').textContent.includes('说明')")
        assert finding_steps(store, fid).empty, "refused: nothing stored"

        page.fill("#rect-note", "已更换入户水管，恢复供水")
        page.tap("#rect-save")
        page.wait_for_function("() => document.querySelector('#rect-message').textContent.includes('已记录')")
        assert "整改中" in (card.text_content() or "") and "已更换入户水管" in (card.text_content() or "")
        for control in page.evaluate(FORM_CONTROLS):
            assert control["height"] >= TOUCH_PX and control["left"] >= 0 and control["right"] <= 390, control
        page.locator("#rect-section").screenshot(path=str(SCREENSHOTS / "map_finding_phone.png"))
        page.screenshot(path=str(SCREENSHOTS / "map_finding_phone_full.png"), full_page=True)

    steps = finding_steps(store, fid)
    assert list(steps["status"]) == ["rectifying"] and list(steps["who"]) == [leader]
    assert str(store.read("inspections").set_index("inspection_id").loc[fid, "status"]) == "rectifying"
    audit = PrivateDB.beside(store).audit_log(action="finding:")
    assert list(audit["who"]) == [leader] and list(audit["target"]) == [fid]
    assert not errors, errors
