"""Every offline HTML export runs in Chromium without a script error, and names stay text.

A name written like JavaScript template syntax (a backtick, ``${…}``) is the case plain
HTML escaping misses: Folium puts tooltip and popup text inside backtick strings. Each
export gets such names, is opened with the network blocked, every tooltip and popup is
opened, and the page must raise no error and no dialog and show the names as text.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from analytics.sites import Selection, plan_movers, rank_sites
from geodata.settings import Settings
from harness.browser import chromium
from layers.catalog import indicator
from layers.classify import classify
from layers.export_html import ChoroplethView, export_map_html
from layers.route_export import plan_html
from layers.site_map import SiteView, origins_lonlat, sites_html
from tests import sites_landscape as ls
from tests.test_route_outputs import hand_plan

PAYLOAD = "`${alert(7)}` <img src=x onerror=alert(8)>"
OPEN_ALL = """() => {
    const maps = Object.values(window).filter(v => v instanceof L.Map);
    let opened = 0;
    for (const map of maps) {
        map.eachLayer(layer => {
            if (layer.getTooltip && layer.getTooltip()) { layer.openTooltip(); opened++; }
            if (layer.getPopup && layer.getPopup() && layer.getLatLng) { layer.openPopup(); opened++; }
        });
    }
    return opened;
}"""


def _map_export() -> str:
    shapes = gpd.GeoDataFrame(
        {"code": ["a"], "name": [PAYLOAD]}, geometry=[shapely.box(104.6, 35.6, 104.62, 35.62)], crs=4490
    )
    values = pd.Series([0.2], index=["a"])
    ind = indicator("poverty_incidence")
    view = ChoroplethView(shapes, values, ind, classify(values, ind, Settings(), "zh"), "zh")
    facilities = gpd.GeoDataFrame(
        {"kind": ["school"], "name": [PAYLOAD]}, geometry=[shapely.Point(104.61, 35.61)], crs=4490
    )
    households = pd.DataFrame({"household_id": [PAYLOAD], "status": ["monitored"], "lon": [104.612], "lat": [35.612]})
    return export_map_html(view, title=PAYLOAD, facilities=facilities, households=households)


def _route_export() -> str:
    plan = hand_plan()
    plan["stops"][0]["village"] = PAYLOAD
    plan["start"]["name"] = PAYLOAD
    return plan_html(plan, "zh")


def _sites_export() -> str:
    model = ls.model(Settings(), facilities=[ls.GOOD, ls.FLOODED], flood=True)
    plan = plan_movers(model, Selection())
    result = rank_sites(model, plan)
    cands = result.candidates.assign(village_name=PAYLOAD)
    hostile = type(result)(**{**result.__dict__, "candidates": cands})
    origins = origins_lonlat(plan.origins.table, ls.EPSG).assign(name=PAYLOAD)
    return sites_html(SiteView(hostile, model.land.grid, model.land.inside, origins, "zh"), title=PAYLOAD)


@pytest.mark.browser
@pytest.mark.parametrize("make", [_map_export, _route_export, _sites_export], ids=["map", "route", "sites"])
def test_export_runs_cleanly_and_shows_names_as_text(make: object, tmp_path: Path) -> None:
    out = tmp_path / "export.html"
    out.write_text(make(), encoding="utf-8")  # type: ignore[operator]
    errors: list[str] = []
    dialogs: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.route(re.compile(r"^https?://.*"), lambda route: route.abort())
        page.goto(out.as_uri())
        page.wait_for_selector(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas", timeout=15_000)
        assert page.evaluate(OPEN_ALL) > 0
        page.wait_for_timeout(300)
        shown = page.evaluate(
            "() => [...document.querySelectorAll('.leaflet-tooltip, .leaflet-popup-content')].map(e => e.textContent)"
        )
        assert page.query_selector("img[src='x']") is None
    assert not errors, errors
    assert not dialogs, dialogs
    assert any(PAYLOAD in text for text in shown), shown[:3]
