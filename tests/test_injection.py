"""User-supplied text stays text: a script-like village name in /map, the household card and the
offline HTML export (no alert fires), and a formula-like name in the exported CSV."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geodata.io.spreadsheet import safe_csv
from geodata.store import GeoPackageStore
from harness.browser import chromium, login, serving
from layers.data_views import table_xlsx

EVIL_VILLAGE = "<img src=x onerror=alert(1)>"
EVIL_NAME = '=HYPERLINK("http://x")'


def test_formula_cells_open_as_text() -> None:
    frame = pd.DataFrame({"name": [EVIL_NAME, "+1", "-2+3", "@SUM(A1)", "张三"], "n": [1, -2, 3, 4, 5]})
    rows = list(csv.reader(io.StringIO(safe_csv(frame, index=False))))
    assert [r[0] for r in rows[1:]] == ["'" + EVIL_NAME, "'+1", "'-2+3", "'@SUM(A1)", "张三"]
    assert [r[1] for r in rows[1:]] == ["1", "-2", "3", "4", "5"]  # numbers stay numbers


def test_workbook_cells_from_uploads_are_text_not_formulas() -> None:
    rows = [{"value": EVIL_NAME, "n": 3}, {"value": "=1+1", "n": -1}]
    book = openpyxl.load_workbook(io.BytesIO(table_xlsx(rows, {"value": "值", "n": "n"}, sheet="report")))
    cells = [(c.value, c.data_type) for row in book.active.iter_rows(min_row=2) for c in row]
    assert cells == [(EVIL_NAME, "s"), (3, "n"), ("=1+1", "s"), (-1, "n")]


@pytest.fixture
def evil_store(demo_store_path: Path, tmp_path: Path) -> tuple[GeoPackageStore, str, str]:
    """A copy of the demo county with one village renamed to markup and its first head of household to a formula."""
    path = tmp_path / "evil.gpkg"
    shutil.copyfile(demo_store_path, path)
    store = GeoPackageStore(path)
    villages, households = store.read("villages"), store.read("households")
    code = str(villages["village_code"].iloc[0])
    villages.loc[villages["village_code"] == code, "name"] = EVIL_VILLAGE
    first = households.index[households["village_code"] == code][0]
    households.loc[first, "head_name"] = EVIL_NAME
    with store.transaction() as tx:  # logged like an import, so the indicator tables are recomputed
        tx.write("villages", villages)
        tx.write("households", households)
        tx.log(action="import:replace", layer="villages", rows=len(villages))
        tx.log(action="import:replace", layer="households", rows=len(households))
    return store, code, str(households.loc[first, "household_id"])


@pytest.mark.browser
def test_markup_and_formulas_stay_text(evil_store: tuple[GeoPackageStore, str, str], tmp_path: Path) -> None:
    store, code, household_id = evil_store
    dialogs: list[str] = []
    with serving(store.path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        login(page, url, store.path, "leader")
        page.goto(f"{url}/map?village={code}")
        page.wait_for_selector("#crumb-village", timeout=120_000)  # indicators recomputed after the renaming
        page.wait_for_selector("#map-graph .js-plotly-plot .maplibregl-canvas", timeout=60_000)
        page.mouse.move(500, 450)  # a hover card over the village
        page.wait_for_timeout(500)
        assert page.text_content("#crumb-village") == EVIL_VILLAGE
        page.wait_for_selector("#household-grid .ag-row", timeout=30_000)
        page.locator(f"#household-grid .ag-row[row-id='{household_id}'] .ag-checkbox-input").first.click()
        page.wait_for_function(
            "id => document.querySelector('#household-card').textContent.includes(id)", arg=household_id
        )
        assert page.query_selector("img[src='x']") is None

        with page.expect_download() as csv_download:
            page.click("#grid-export")
        rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text("utf-8-sig"))))
        head = next(r for r in rows if r[0] == household_id)[1]
        assert head.startswith("'="), head  # masked, and still a text cell when a spreadsheet opens it

        with page.expect_download() as html_download:
            page.click("#export-html")
        exported = tmp_path / "village.html"
        html_download.value.save_as(exported)
        assert EVIL_VILLAGE not in exported.read_text("utf-8")  # only its escaped form
        offline = browser.new_page(viewport={"width": 1200, "height": 900})
        offline.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        offline.route("http*://**", lambda route: route.abort())
        offline.goto(exported.as_uri())
        offline.wait_for_selector(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas", timeout=15_000)
        offline.mouse.click(600, 450)  # the village's popup
        offline.wait_for_timeout(800)
        assert offline.query_selector("img[src='x']") is None
    assert not dialogs, dialogs
