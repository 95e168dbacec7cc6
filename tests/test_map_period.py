"""/map in time: the month control, "change since month X" and "this month vs month X" side by side.

Fixed breaks: one colour means one value in every month (the legend is the same for each
month; the breaks are computed over every month's values). Drill-down keeps the period.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page

from battlemap_cli.main import main
from geodata.settings import Settings
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, serving
from harness.map_clicks import drill, rendered
from layers.catalog import BY_KEY
from layers.classify import DIVERGING, classify, classify_change

MONTHS = ("2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31")


@pytest.fixture
def period_store(demo_store_path: Path, tmp_path: Path) -> GeoPackageStore:
    """A copy of the demo store with four month-end snapshots."""
    path = tmp_path / "period.gpkg"
    shutil.copy(demo_store_path, path)
    assert main(["--store", str(path), "history", "--from", "2026-07", "--to", "2026-10"]) == 0
    return GeoPackageStore(path)


def test_breaks_are_fixed_across_months() -> None:
    ind = BY_KEY["monitored_open_households"]
    may, june = pd.Series([0.0, 2.0, 5.0]), pd.Series([1.0, 9.0, 30.0])
    pool = pd.concat([may, june])
    labels = {tuple(classify(v, ind, Settings(), "zh", pool=pool).labels) for v in (may, june)}
    assert len(labels) == 1  # the same classes whichever month is shown
    assert classify(may, ind, Settings(), "zh").labels != classify(june, ind, Settings(), "zh").labels
    change = classify_change(june - may, ind, "zh", pool=pool)
    assert change.colours == list(DIVERGING)  # worse (more open risks) is red
    assert change.index.tolist() == [2, 3, 4]  # +1 is about no change; +7 and +25 worse, much worse
    assert classify_change(pd.Series([0.0]), ind, "zh", pool=pool).index.iloc[0] == 2  # zero sits in the middle


def test_natural_breaks_are_the_same_on_every_call() -> None:
    """k-means from a fixed seed: one pool, one set of breaks, however often the page asks."""
    ind = BY_KEY["monitored_open_households"]
    assert ind.scheme == "natural"
    values = pd.Series(np.random.default_rng(7).gamma(2.0, 3.0, 2400).round())
    first = classify(values, ind, Settings(), "zh").labels
    np.random.seed(None)  # whatever the global random state, the breaks stay
    assert all(classify(values, ind, Settings(), "zh").labels == first for _ in range(5))
    assert len(first) == 5


def pick(page: Page, dropdown: str, option: str) -> None:
    """Choose ``option`` in a Dash 4 dropdown: open it, click the option."""
    page.click(f"#{dropdown}")
    page.get_by_role("option", name=option, exact=True).first.click()


CAMERAS_AGREE = """() => { const l = document.querySelector('#map-graph .js-plotly-plot')._fullLayout;
  const a = l.map._subplot.map, b = l.map2._subplot.map, ca = a.getCenter(), cb = b.getCenter();
  return Math.abs(ca.lng - cb.lng) < 1e-9 && Math.abs(ca.lat - cb.lat) < 1e-9
    && Math.abs(a.getZoom() - b.getZoom()) < 1e-9; }"""


def _pan_left_map(page: Page) -> None:
    """Pan the left (earlier month) map once both have loaded, check the right one followed, then pan back.

    The pan is driven through MapLibre (a mouse drag is not reliably delivered to a WebGL
    canvas in headless Chromium); the sync script listens to the same 'move' events either way.
    """
    page.wait_for_function(
        "() => { const l = document.querySelector('#map-graph .js-plotly-plot')._fullLayout;"
        " return l.map2 && l.map._subplot.map.loaded() && l.map2._subplot.map.loaded(); }"
    )
    before = page.evaluate(
        "() => { const m = document.querySelector('#map-graph .js-plotly-plot')._fullLayout.map._subplot.map;"
        " const c = m.getCenter(); m.panBy([-60, 20], {duration: 0}); return [c.lng, c.lat]; }"
    )
    page.wait_for_function(CAMERAS_AGREE)  # the right map followed the left one
    moved = page.evaluate(
        "() => document.querySelector('#map-graph .js-plotly-plot')._fullLayout.map2._subplot.map.getCenter().lng"
    )
    assert abs(moved - before[0]) > 1e-6
    page.evaluate(
        "c => document.querySelector('#map-graph .js-plotly-plot')._fullLayout.map._subplot.map.jumpTo({center: c})",
        before,
    )
    page.wait_for_function(CAMERAS_AGREE)


def legend(page: Page) -> str:
    return (
        (page.text_content("#map-legend .legend-title") or "")
        + "|"
        + " ".join(page.locator("#map-legend .item").all_text_contents())
    )


@pytest.mark.browser
def test_period_control_and_compare_modes(period_store: GeoPackageStore) -> None:
    towns = period_store.read("towns").sort_values("town_code")
    town = towns.iloc[0]
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(period_store.path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        login(page, url, period_store.path, "leader")
        page.goto(f"{url}/map")
        rendered(page, "county")
        now = legend(page)

        pick(page, "period-picker", "2026-08")
        page.wait_for_url("**period=2026-08-31**")
        page.wait_for_function("() => document.querySelector('#map-graph .js-plotly-plot').data.length > 0")
        rendered(page, "county")
        assert legend(page) == now, "one colour must mean one value in every month"
        page.wait_for_selector("#kpi-table img.panel-spark", timeout=30_000)

        pick(page, "compare-picker", "2026-07")
        page.wait_for_url("**compare=2026-07-31**")
        page.wait_for_function("() => document.querySelector('#map-legend').textContent.includes('较2026-07变化')")
        colours = page.evaluate(
            "() => document.querySelector('#map-graph .js-plotly-plot').data"
            ".find(t => t.meta === 'units').colorscale.map(s => s[1])"
        )
        assert set(DIVERGING) <= set(colours)
        page.screenshot(path=str(SCREENSHOTS / "map_change.png"))

        page.get_by_label("并排对比").check()
        page.wait_for_url("**mode=side**")
        page.wait_for_function(
            "() => { const gd = document.querySelector('#map-graph .js-plotly-plot');"
            " return gd._fullLayout.map2 && gd.data.filter(t => t.meta === 'units').length === 2; }"
        )
        assert legend(page) == now  # both months on the fixed breaks
        _pan_left_map(page)
        page.wait_for_timeout(800)
        page.screenshot(path=str(SCREENSHOTS / "map_side_by_side.png"))

        page.get_by_label("较所选月变化").check()
        page.wait_for_function("() => !location.search.includes('mode=side')")
        rendered(page, "county")
        page.wait_for_function("() => document.querySelector('#map-legend').textContent.includes('较2026-07变化')")
        page.wait_for_timeout(500)  # the panel fills after the map: let it settle before clicking
        point = town.geometry.representative_point()
        drill(page, point.x, point.y, "town", town["town_code"])  # drill down in a past month: the period stays
        assert "period=2026-08-31" in page.url and f"town={town['town_code']}" in page.url
        village = period_store.read("villages").query("village_code.str.startswith(@town.town_code)").iloc[0]
        point = village.geometry.representative_point()
        drill(page, point.x, point.y, "village", village["village_code"])
        assert "period=2026-08-31" in page.url
        page.wait_for_selector("#household-grid .ag-row", timeout=20_000)  # the register works in any period
        assert "当前台账" in (page.text_content("#period-note") or "")
    assert not errors, errors
