"""/sites in a real browser: moving a weight slider re-ranks the candidates without a page reload."""

from __future__ import annotations

from pathlib import Path

import docx
import pandas as pd
import pytest
from playwright.sync_api import Page

from analytics.sites import CRITERIA
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, serving
from layers.i18n import t

ROWS = "#sites-comparison .site-row"
GRAPH = "#sites-graph"


def ranking(page: Page) -> list[str]:
    """The candidates' centres (lon,lat) in rank order, as the table shows them."""
    return page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.dataset.site)")


def top_value(page: Page, criterion: str) -> float:
    """The first candidate's value (0–100) on ``criterion`` from the comparison table."""
    column = 7 + CRITERIA.index(criterion)
    return float(page.eval_on_selector(ROWS, f"r => r.children[{column}].textContent"))


@pytest.mark.browser
def test_weight_slider_reranks_sites(demo_store_path: Path) -> None:
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(demo_store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1150})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        login(page, url, demo_store_path, "planner")
        page.goto(f"{url}/sites")
        page.wait_for_selector(ROWS, timeout=180_000)
        assert page.locator(ROWS).count() == 5
        assert "户搬迁对象" in (page.text_content("#sites-summary") or "")
        before, origin_before = ranking(page), top_value(page, "origin")
        reason = page.text_content("#sites-comparison .reason-row") or ""
        assert reason.startswith("第1名"), reason
        page.evaluate("window.__same_page = true")  # gone if the page reloaded

        page.locator("#weight-origin [role=slider]").focus()
        page.keyboard.press("End")  # weight of the distance from the origin villages → 1
        page.wait_for_function(
            "([sel, old]) => { const rows = [...document.querySelectorAll(sel)].map(r => r.dataset.site);"
            " return rows.length > 0 && rows.join() !== old.join(); }",
            arg=[ROWS, before],
            timeout=60_000,
        )
        after = ranking(page)
        assert after != before
        assert top_value(page, "origin") > origin_before  # the new winner is nearer the origin villages
        assert page.evaluate("window.__same_page === true"), "the page reloaded"
        page.wait_for_function(  # the map shows the new winner's marker where the table says
            "site => document.querySelector('#sites-graph .js-plotly-plot').data.some(t => t.meta === 'candidates'"
            " && t.lon.length === 1 && `${t.lon[0].toFixed(4)},${t.lat[0].toFixed(4)}` === site)",
            arg=after[0],
            timeout=30_000,
        )
        page.wait_for_timeout(800)  # let MapLibre draw the patched image
        page.screenshot(path=str(SCREENSHOTS / "sites.png"), full_page=True)
        _ahp_applies_consistent_and_refuses_inconsistent(page)
        _robustness_and_assignment(page)
        built = GeoPackageStore(demo_store_path).read("facilities").query("kind == 'relocation_site'")
        _built_sites_audited(page, len(built))
        _households_typed_in_are_checked(page)
        with page.expect_download() as download:
            page.click("#sites-export_geojson")
        assert download.value.suggested_filename == "sites.geojson"
    assert not errors, errors


def _households_typed_in_are_checked(page: Page) -> None:
    """An unknown household ID is named in Chinese; a known one joins the movers (the summary counts it)."""
    page.fill("#sites-add-hh", "NOSUCH-1，NOSUCH-2")
    page.press("#sites-add-hh", "Enter")
    page.wait_for_selector("#sites-input-error")
    assert "没有这些户编号：NOSUCH-1、NOSUCH-2" in (page.text_content("#sites-input-error") or "")
    page.click("#sites-export_sites_csv")  # no file, and the reason beside the buttons
    page.wait_for_selector("#sites-export-error")
    assert "没有这些户编号：NOSUCH-1、NOSUCH-2" in (page.text_content("#sites-export-error") or "")
    page.screenshot(
        path=str(SCREENSHOTS / "sites_export_refused.png"), clip={"x": 0, "y": 0, "width": 1600, "height": 160}
    )
    page.fill("#sites-add-hh", "")
    page.press("#sites-add-hh", "Enter")
    page.wait_for_selector(ROWS, timeout=60_000)


def _robustness_and_assignment(page: Page) -> None:
    """The robustness table and tornado show with the ranking; two sites together draw flows and their table."""
    page.wait_for_selector("#sites-robustness tbody tr")
    assert page.locator("#sites-robustness tbody tr").count() >= 5
    assert page.locator("#sites-tornado .bars path").count() > 0 or page.locator("#sites-tornado .trace").count() > 0
    page.fill("#sites-k", "2")
    page.press("#sites-k", "Enter")
    page.wait_for_selector("#sites-assignment tbody tr", timeout=60_000)
    rows = page.locator("#sites-assignment tbody tr").count()
    assert 1 <= rows <= 2
    page.wait_for_function(
        "() => document.querySelector('#sites-graph .js-plotly-plot').data.some(t => t.meta === 'flows'"
        " && t.lon.length > 0)",
        timeout=30_000,
    )
    page.fill("#sites-capacity", "S1=-5")
    page.press("#sites-capacity", "Enter")
    page.wait_for_selector("#sites-assign-error", timeout=60_000)
    assert "below zero" in (page.text_content("#sites-assign-error") or "")
    page.fill("#sites-capacity", "")
    page.press("#sites-capacity", "Enter")
    page.wait_for_selector("#sites-assignment tbody tr", timeout=60_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(SCREENSHOTS / "sites_assignment.png"), full_page=True)


def _built_sites_audited(page: Page, built: int) -> None:
    """The audit tab: one row per relocation_site facility of the demo, with its follow-up figures; then back."""
    before = ranking(page)
    page.click("#sites-tab-audit")
    page.wait_for_selector("#sites-audit-table tbody tr", timeout=60_000)
    assert page.locator("#sites-audit-table tbody tr").count() == built
    assert "%" in (page.text_content("#sites-audit-table tbody tr") or "")  # occupancy from the demo's ledger
    assert not page.is_visible(GRAPH)
    page.wait_for_selector("#sites-export_sites_csv", state="hidden")  # the ranking's exports are not the audit's
    with page.expect_download() as download:
        page.click("#sites-audit-csv")
    table = pd.read_csv(download.value.path(), dtype={"site_id": str})
    assert len(table) == built and {"site_id", "occupancy", "flags"} <= set(table.columns)
    page.screenshot(path=str(SCREENSHOTS / "sites_audit_tab.png"), full_page=True)
    page.click("#sites-tab-ranking")
    page.wait_for_selector(ROWS)
    assert page.is_visible("#sites-export_sites_csv")
    assert ranking(page) == before and page.is_visible(GRAPH)  # the ranking kept while the audit was shown


def choose(page: Page, pair: int, value: str) -> None:
    """Pick a Saaty value in the AHP row ``pair`` (Dash 4 dropdown: open it, click the option)."""
    page.locator(".ahp-row").nth(pair).locator(".ahp-value").click()
    page.get_by_role("option", name=value, exact=True).first.click()


def road_weight(page: Page) -> str:
    return page.get_attribute("#weight-road [role=slider]", "aria-valuenow") or ""


def _ahp_applies_consistent_and_refuses_inconsistent(page: Page) -> None:
    page.click("#ahp-panel summary")
    page.wait_for_function("() => document.querySelector('#ahp-cr').textContent.includes('0.000')")
    choose(page, 0, "9")  # road ≫ township: one judgement is always consistent enough
    page.wait_for_function("() => !document.querySelector('#ahp-cr').textContent.includes('0.000')")
    old = road_weight(page)
    page.click("#ahp-apply")
    page.wait_for_selector(".ahp-message.ok")
    page.wait_for_function(
        "old => document.querySelector('#weight-road [role=slider]').getAttribute('aria-valuenow') !== old", arg=old
    )
    applied = road_weight(page)
    page.wait_for_timeout(1500)  # the recompute after the apply has settled
    with page.expect_download(timeout=90_000) as report:
        page.click("#sites-export_site_report")
    text = "\n".join(p.text for p in docx.Document(report.value.path()).paragraphs)
    assert t("site_report_ahp_given", "zh") in text  # the judgements just applied, not the weights' ratios
    choose(page, 7, "9")  # township ≫ school ...
    choose(page, 1, "1/9")  # ... yet school ≫ road: a circle
    page.wait_for_function("() => document.querySelector('#ahp-cr').textContent.includes('>')")
    assert "判断不一致" in (page.text_content("#ahp-cr.bad [role=alert]") or "")  # warned before applying
    page.click("#ahp-apply")
    page.wait_for_selector(".ahp-message.bad")
    assert "CR > 0.1" in (page.text_content("#ahp-message") or "")
    assert road_weight(page) == applied, "an inconsistent matrix must not change the weights"
    page.wait_for_timeout(1500)  # the recompute after the first apply has settled
    page.screenshot(path=str(SCREENSHOTS / "sites_ahp.png"), full_page=True)
