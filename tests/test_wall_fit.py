"""The wall's KPI tiles fit their boxes on a city store and a county wall, at 1400×900 and 1920×1080.

A city's tiles once ran their figure under the sparkline and cut 较上月 off at 1400 px; here
Chromium measures every tile: nothing wider than its box, figure and sparkline apart, target
and 较上月 apart, 较上月 whole and on top. A long city count ("12,345 / 23,456") is put into
a tile to show the figure shrinks to fit rather than overflow.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from geodata.demo.city import county_code
from harness.browser import SCREENSHOTS, chromium, login, serving
from layers.i18n import t
from layers.wall import TileText, detail_parts, figure_em
from tests.test_wall_page import MAP_DRAWN

# Problems of the wall on screen, as a list of strings (empty: the header, the columns and every tile fit).
WALL_PROBLEMS = r"""() => {
    const box = el => el.getBoundingClientRect();
    const apart = (a, b) => a.right <= b.left + 0.5 || b.right <= a.left + 0.5
        || a.bottom <= b.top + 0.5 || b.bottom <= a.top + 0.5;
    const inside = (r, t) => r.left >= t.left - 0.5 && r.right <= t.right + 0.5 && r.top >= t.top - 0.5
        && r.bottom <= t.bottom + 0.5;
    const problems = [];
    for (const el of document.querySelectorAll('.wall-header > *, .wall-body > *')) {
        const r = box(el);
        if (r.width && (r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)) {
            problems.push(`.${el.className} "${el.textContent.slice(0, 30)}" runs off the screen`);
        }
    }
    const tiles = [...document.querySelectorAll('#wall-tiles .tile')];
    if (tiles.length < 8) { problems.push(`only ${tiles.length} tiles`); }
    for (const tile of tiles) {
        const t = box(tile), id = tile.id;
        for (const el of tile.querySelectorAll('*')) {
            const r = box(el);
            if (getComputedStyle(el).display !== 'inline' && el.scrollWidth > el.clientWidth + 1) {
                problems.push(`${id} .${el.className}: ${el.scrollWidth} px of text in ${el.clientWidth}`);
            }
            if (r.width && !inside(r, t)) {
                problems.push(`${id} .${el.className} "${el.textContent}" outside its tile`);
            }
        }
        const rows = [...tile.children].filter(el => box(el).height > 0);
        rows.forEach((a, i) => rows.slice(i + 1).forEach(b => {
            if (!apart(box(a), box(b))) { problems.push(`${id} .${a.className} overlaps .${b.className}`); }
        }));
        const pairs = [['.tile-figure', '.tile-spark'], ['.tile-target', '.tile-delta']];
        for (const [x, y] of pairs) {
            const a = tile.querySelector(x), b = tile.querySelector(y);
            if (a && b && box(a).width && box(b).width && !apart(box(a), box(b))) {
                problems.push(`${id} ${x} overlaps ${y}`);
            }
        }
        const delta = tile.querySelector('.tile-delta');
        if (delta && delta.textContent) {
            const r = box(delta);
            const range = document.createRange();
            range.selectNodeContents(delta);
            const text = range.getBoundingClientRect();
            if (text.width > r.width + 0.5 || text.left < t.left || text.right > t.right) {
                problems.push(`${id} 较上月 cut: text ${text.width} px in ${r.width}`);
            }
            for (const x of [text.left + 1, (text.left + text.right) / 2, text.right - 1]) {  // nothing drawn over it
                const hit = document.elementFromPoint(x, (text.top + text.bottom) / 2);
                if (!delta.contains(hit)) { problems.push(`${id} 较上月 covered at x=${x} by ${hit && hit.id}`); }
            }
        }
    }
    return problems;
}"""


@pytest.fixture
def city_copy(city_history_path: Path, tmp_path: Path) -> Path:
    """A copy of the 3-county demo city with its snapshots (the session's store stays untouched)."""
    path = tmp_path / "city.gpkg"
    shutil.copy(city_history_path, path)
    return path


def test_figure_em_grows_with_the_figure() -> None:
    short = TileText(value="17", suffix="", target="", delta="", detail="", mark="")
    share = TileText(value="77.9%", suffix="", target="", delta="", detail="", mark="")
    long = TileText(value="12,345", suffix=" / 23,456", target="", delta="", detail="", mark="")
    assert figure_em(short) < figure_em(share) < figure_em(long)
    assert 2.9 <= figure_em(share) <= 3.3  # measured in Chromium: 3.06 em
    assert figure_em(TileText(value="暂无数据", suffix="", target="", delta="", detail="", mark="")) == 4.0
    parts = detail_parts(TileText(value="", suffix="", target="", delta="", detail="识别 82.6% · 录入 90.9%", mark=""))
    assert parts == ["识别 82.6%", "录入 90.9%"]


def _open(page: Page, url: str, lang: str) -> None:
    page.goto(f"{url}/wall?indicator=poverty_incidence&lang={lang}")
    page.wait_for_selector("#tile-kpi_monitoring img.tile-spark", timeout=60_000)
    page.wait_for_function("() => [...document.querySelectorAll('img.tile-spark')].every(i => i.complete)")
    page.wait_for_function(MAP_DRAWN, timeout=60_000)
    page.evaluate("() => document.fonts.ready")


def _check(page: Page, name: str) -> list[Any]:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    return [f"{name}: {p}" for p in page.evaluate(WALL_PROBLEMS)]


@pytest.mark.browser
def test_city_and_county_wall_tiles_fit(city_copy: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[Any] = []
    errors: list[str] = []
    long = TileText(value="12,345", suffix=" / 23,456", target="", delta="", detail="", mark="")
    with serving(city_copy) as url, chromium() as browser:
        screens = ((1400, 900, None, "zh"), (1920, 1080, None, "zh"), (1400, 900, county_code(1), "zh"))
        for width, height, scope, lang in (*screens, (1400, 900, None, "en")):
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            login(page, url, city_copy, "leader", scope=scope)
            _open(page, url, lang)
            name = f"wall_fit_{'county' if scope else 'city'}_{width}x{height}_{lang}"
            assert t("vs_last_month", lang) in (page.text_content("#tile-kpi_water_pass .tile-delta") or "")
            problems += _check(page, name)
            if scope is None and lang == "zh":  # a big city's count: the figure shrinks, the sparkline stays beside it
                page.evaluate(
                    """em => { const v = document.querySelector('#tile-kpi_monitoring .tile-value');
                        v.style.setProperty('--figure-em', em);
                        v.querySelector('.tile-figure').firstChild.textContent = '12,345';
                        v.querySelector('.tile-suffix').textContent = ' / 23,456'; }""",
                    str(figure_em(long)),
                )
                problems += _check(page, f"{name}_long")
                spark = page.eval_on_selector(
                    "#tile-kpi_monitoring .tile-spark", "e => e.getBoundingClientRect().width"
                )
                assert spark > 0.15 * page.eval_on_selector("#tile-kpi_monitoring", "e => e.clientWidth")
            page.close()
    assert not problems, problems
    assert not errors, errors
