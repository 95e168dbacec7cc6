"""/map in a real browser: drill county → township → village → household and back, by clicking.

Clicks are real mouse clicks at the screen position of a place (MapLibre's own projection
turns lon/lat into pixels). Every response the browser receives is kept and searched:
household ids appear only for the selected village, and no full name, ID number or
phone ever does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Response

from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, response_bodies, serving
from harness.map_clicks import click_at, drill, rendered


def units_on_map(page: Page) -> int:
    """How many unit polygons the figure holds (traces whose meta is 'units')."""
    return page.evaluate(
        "() => document.querySelector('#map-graph .js-plotly-plot').data"
        ".filter(t => t.meta === 'units').reduce((n, t) => n + t.locations.length, 0)"
    )


@pytest.mark.browser
def test_drill_down_and_back(demo_store_path: Path) -> None:
    store = GeoPackageStore(demo_store_path)
    towns, villages, households = store.read("towns"), store.read("villages"), store.read("households")
    town = towns.sort_values("town_code").iloc[1]
    in_town = villages[villages["village_code"].str[:9] == town["town_code"]]
    village = in_town.iloc[0]
    in_village = households[households["village_code"] == village["village_code"]]
    household = in_village.iloc[0]
    household_id = re.compile(rf"\b{village['village_code'][:6]}\d{{10}}\b")  # the demo's id: village code + 4
    responses: list[Response] = []
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(demo_store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        page.on("response", lambda r: responses.append(r))  # noqa: PLW0108 - Playwright wraps plain callables only
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        login(page, url, demo_store_path, "leader")
        page.goto(f"{url}/map")
        rendered(page, "county")
        assert page.text_content("#breadcrumb") == "全县"
        assert units_on_map(page) == len(towns)
        assert "综合风险指数" in (page.text_content("#map-legend") or "")
        page.screenshot(path=str(SCREENSHOTS / "map_county.png"))
        page.get_by_label("道路").uncheck()  # context layers toggle on the figure on screen
        page.wait_for_function(
            "() => document.querySelector('#map-graph .js-plotly-plot').data"
            ".filter(t => t.meta === 'roads').every(t => t.visible === 'legendonly')"
        )
        page.get_by_label("道路").check()
        county_bodies = response_bodies(responses)
        assert not household_id.search(county_bodies), "county view must not carry household rows"

        _drill_to_village(page, town, in_town, village)
        _open_household_card(page, household)
        page.go_back()
        rendered(page, "town", town["town_code"])
        assert "village=" not in page.url

        page.click("#crumb-county")
        rendered(page, "county")  # data and camera both back on the county
        assert page.url.endswith("/map")

        bodies = response_bodies(responses)  # read before the language link reloads the page (bodies go with it)
        page.click("#lang-switch")
        page.wait_for_function("() => document.querySelector('#breadcrumb')?.textContent === 'County'")
        assert "lang=en" in page.url
        rendered(page, "county")

    ids = set(household_id.findall(bodies))
    assert ids, "the village view must carry its households"
    assert all(i.startswith(village["village_code"]) for i in ids), "households of other villages were sent"
    for column in ("head_name", "id_number", "phone"):
        leaked = [v for v in households[column].dropna() if len(str(v)) > 2 and str(v) in bodies]
        assert not leaked, f"unmasked {column} reached the browser: {leaked[:3]}"
    assert not errors, errors


def _drill_to_village(page: Page, town: Any, in_town: Any, village: Any) -> None:
    """Click the township, then the village, checking the URL, breadcrumb and what is drawn."""
    point = town.geometry.representative_point()
    drill(page, point.x, point.y, "town", town["town_code"])
    assert f"town={town['town_code']}" in page.url
    assert page.text_content("#crumb-town") == town["name"]
    assert units_on_map(page) == len(in_town)
    page.screenshot(path=str(SCREENSHOTS / "map_township.png"))

    point = village.geometry.representative_point()
    drill(page, point.x, point.y, "village", village["village_code"])
    assert f"village={village['village_code']}" in page.url
    assert page.text_content("#crumb-village") == village["name"]
    page.wait_for_selector("#household-grid .ag-row", timeout=15_000)


def _open_household_card(page: Page, household: Any) -> None:
    """Click the household's point: its card shows, with the guarantees and timeliness."""
    click_at(page, household["lon"], household["lat"])
    page.wait_for_function(
        "id => document.querySelector('#household-card').textContent.includes(id)",
        arg=str(household["household_id"]),
        timeout=30_000,
    )
    card = page.text_content("#household-card") or ""
    assert "户情卡" in card and "识别时效" in card
    page.screenshot(path=str(SCREENSHOTS / "map_village.png"), full_page=True)
