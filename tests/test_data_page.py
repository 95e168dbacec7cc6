"""/data in a real browser: upload a GBK ledger with GCJ-02 points, correct a column, validate, import, see the map.

And the other way: a bad file is reported (on screen and as Excel) and the store stays byte-identical.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import shapely
from playwright.sync_api import Page

from geodata.io.crs import wgs84_to_gcj02
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, serving
from tests.conftest import resident_id
from tests.importing import HEADER, digest, two_sheet_workbook, write_csv

MEMBERS_HEADER = "家庭成员"  # not a known spelling of 家庭人口数: the clerk maps it by hand


def gcj_offset_points(village: shapely.Polygon, n: int) -> list[tuple[float, float]]:
    """``n`` true points inside ``village`` whose GCJ-02 positions fall outside it (so the offset shows)."""
    x0, y0, x1, y1 = village.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60))
    x, y = xs.ravel(), ys.ravel()
    inside = shapely.contains_xy(village, x, y)
    gx, gy = wgs84_to_gcj02(x, y)
    shifted_out = ~shapely.contains_xy(village, gx, gy)
    idx = np.flatnonzero(inside & shifted_out)
    assert len(idx) >= n, "the village is too small for the test"
    pick = idx[np.linspace(0, len(idx) - 1, n).astype(int)]
    return [(round(float(gx[i]), 6), round(float(gy[i]), 6)) for i in pick]


def household_file(path: Path, store: GeoPackageStore, *, per_village: int = 4) -> list[tuple[str, str]]:
    """A GBK CSV of new households in three stored villages, coordinates in GCJ-02; returns (id, village)."""
    villages = store.read("villages").sort_values("village_code").iloc[:3]
    rows, ids = [], []
    for v in villages.itertuples():
        for j, (lon, lat) in enumerate(gcj_offset_points(v.geometry, per_village)):
            hid = f"{v.village_code}9{j:03d}"
            ids.append((hid, v.village_code))
            person = ["赵新民", resident_id(900 + len(rows)), "13900001111"]
            rows.append(
                [
                    len(rows) + 1,
                    hid,
                    v.village_code,
                    *person,
                    3,
                    7200,
                    "监测对象",
                    "边缘易致贫户",
                    "因病",
                    "否",
                    "B",
                    "是",
                    "2026-11-02",
                    lon,
                    lat,
                ]
            )
    header = [MEMBERS_HEADER if h == "家庭人口数" else h for h in HEADER]
    write_csv(path, rows, header=header, encoding="gbk")
    return ids


def choose(page: Page, header: str, option: str) -> None:
    """Pick ``option`` in the mapping dropdown of the source column ``header``."""
    row = page.locator("table.mapping tr", has=page.locator("td.source-header", has_text=header))
    row.locator(".map-col").click()
    page.locator(".dash-dropdown-option", has_text=option).first.click()


def upload(page: Page, path: Path) -> None:
    """Give the file to the page's upload box."""
    page.set_input_files("#data-upload input[type=file]", str(path))


def verdict(page: Page, text: str) -> None:
    """Wait until the validation verdict says ``text``."""
    page.wait_for_function(
        "(text) => (document.querySelector('#report-verdict') || {}).textContent?.includes(text)", arg=text
    )


def watch(page: Page) -> list[str]:
    """Collect page errors and console errors."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def see_on_map(page: Page, url: str, household: str, village: str) -> None:
    """The new household is drawn on the village's map."""
    page.goto(f"{url}/map?village={village}")
    page.wait_for_function(
        """(id) => { const gd = document.querySelector('#map-graph .js-plotly-plot');
            return gd && gd.data && gd.data.some(t => t.meta === 'households'
                && Array.from(t.customdata).includes(id)); }""",
        arg=household,
        timeout=60_000,
    )


def see_quality(page: Page, url: str) -> None:
    """The data-quality tab draws its map and list."""
    page.goto(f"{url}/data")
    page.click("#tab-quality")
    page.wait_for_selector("#quality-map .js-plotly-plot")
    page.wait_for_selector("#quality-list .ag-row")
    page.wait_for_function(  # MapLibre has drawn the villages (a busy machine draws seconds after the DOM)
        "() => { const gd = document.querySelector('#quality-map .js-plotly-plot');"
        " const m = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;"
        " return !!m && m.map.loaded(); }",
        timeout=60_000,
    )
    page.screenshot(path=str(SCREENSHOTS / "data_quality.png"), full_page=True)


@pytest.mark.browser
def test_upload_correct_validate_import_and_see_the_map(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    store = GeoPackageStore(store_path)
    before = len(store.read("households", columns=["household_id"]))
    ledger = tmp_path / "新增监测户.csv"
    new = household_file(ledger, store)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1300}, accept_downloads=True)
        errors = watch(page)
        page.on("dialog", lambda d: d.accept())
        admin = login(page, url, store_path, "admin", then="/data")
        page.wait_for_selector("#data-upload")
        upload(page, ledger)
        page.wait_for_function("() => document.querySelector('#data-detected').textContent.includes('农户')")
        page.wait_for_selector("table.mapping td.source-header")
        page.wait_for_function("() => document.querySelector('#data-hint').textContent.includes('GCJ-02')")
        assert "members" in (page.text_content("#data-missing") or "")
        page.click("#data-use-hint")
        page.wait_for_function("() => !document.querySelector('#data-hint').nextElementSibling.offsetParent")
        choose(page, MEMBERS_HEADER, "members")
        page.wait_for_function("() => document.querySelector('#data-missing').textContent === ''")
        page.get_by_text("追加（按编号更新）").click()
        page.click("#data-validate")
        verdict(page, "可以导入")
        page.wait_for_selector("#data-report .ag-row")
        assert "序号" in (page.text_content("#data-report") or "")  # the numbering column is reported as ignored
        page.screenshot(path=str(SCREENSHOTS / "data_validate.png"), full_page=True)
        page.wait_for_function("() => !document.querySelector('#data-import').disabled")
        page.click("#data-import")
        page.wait_for_selector("#import-done", timeout=60_000)
        assert "新增 12 行" in (page.text_content("#diff-summary") or "")
        assert len(page.locator("#diff-table tbody tr").all()) == 3
        page.wait_for_selector("#rebuild-done", timeout=120_000)
        page.screenshot(path=str(SCREENSHOTS / "data_import.png"), full_page=True)

        see_on_map(page, url, *new[0])
        see_quality(page, url)
        assert not errors, errors

    households = store.read("households")
    assert len(households) == before + 12
    added = households.set_index("household_id").loc[[h for h, _ in new]]
    assert (added["members"] == 3).all()
    assert not added["location_mismatch"].any(), "GCJ-02 points were converted into their villages"
    log = store.import_log()
    entry = log[log["action"] == "import:append"].iloc[-1]
    assert entry["who"] == admin and entry["source"] == ledger.name  # the logged-in administrator
    assert '"added": 12' in entry["detail"]
    assert log["action"].iloc[-1] == "build"


@pytest.mark.browser
def test_a_bad_file_is_reported_and_changes_nothing(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    store = GeoPackageStore(store_path)
    stamp, hash_before = store.stamp(), digest(store_path)
    tail = ["", "", "", "B", "是", "", "", ""]
    rows = [
        [1, "X1", "999999999999", "张三", resident_id(1), "1", "三", 5000, "一般户", *tail],
        [2, "X2", "999999999998", "李四", resident_id(2), "1", 4, "abc", "低保户", *tail],
    ]
    bad = write_csv(tmp_path / "错误台账.csv", rows, encoding="gbk")
    with serving(store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
        errors = watch(page)
        login(page, url, store_path, "admin", then="/data")
        upload(page, bad)
        page.wait_for_selector("table.mapping td.source-header")
        page.click("#data-validate")
        verdict(page, "未作任何改动")
        page.wait_for_selector("#data-report .ag-row")
        text = page.text_content("#data-report") or ""
        assert "村代码不存在" in text and "数值无法识别" in text
        assert "使用本县12位村代码" in text  # the 修改建议 column says what to do
        assert page.is_disabled("#data-import")
        page.screenshot(path=str(SCREENSHOTS / "data_refused.png"), full_page=False)
        with page.expect_download() as info:
            page.click("#data-report-xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
        table = list(sheet.iter_rows(values_only=True))
        assert table[0][:5] == ("行号", "列", "值", "问题", "修改建议")
        assert any(r[3] == "村代码不存在" and r[0] == 2 for r in table[1:])

        broken = tmp_path / "坏文件.xlsx"
        broken.write_bytes(b"PK\x03\x04 not really a workbook")
        upload(page, broken)
        page.wait_for_function("() => document.querySelector('#data-upload-info').textContent.includes('Excel')")

        # a workbook with a summary sheet in front: the ledger sheet is chosen, the others can be picked
        upload(page, two_sheet_workbook(tmp_path / "两张表.xlsx"))
        page.wait_for_function("() => document.querySelector('#data-detected').textContent.includes('农户')")
        assert page.is_visible("#data-sheet-field") and "明细" in (page.text_content("#data-sheet") or "")
        page.locator("#data-sheet").click()
        page.locator(".dash-dropdown-option", has_text="汇总").first.click()
        page.wait_for_function("() => document.querySelector('#data-detected').textContent.includes('1 行')")

        # over the limit: dcc.Upload drops the file silently, the page must still say why (limit lowered here)
        page.evaluate("() => document.querySelector('[data-max-bytes]').setAttribute('data-max-bytes', '10')")
        upload(page, bad)
        page.wait_for_function("() => document.querySelector('#upload-refused').textContent.includes('超过上限')")
        assert "错误台账.csv" in (page.text_content("#upload-refused") or "")
        assert not errors, errors
    assert store.stamp() == stamp and digest(store_path) == hash_before
