"""/wall in a real browser at 3840×2160 and 1920×1080: rotation, a live refresh after an import,
no personal data in any response, and a revoked kiosk token stopping the screen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, Response

from battlemap_cli.main import main
from geodata.private.kiosk import create_token, revoke_token
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, response_bodies, serving

PERSONAL = {"households": ("head_name", "id_number", "phone", "helper"), "teams": ("leader",)}


@pytest.fixture
def wall_store(demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GeoPackageStore:
    """A copy of the demo store, and settings that rotate every 3 s and check for new data every 2 s."""
    path = tmp_path / "wall.gpkg"
    shutil.copy(demo_store_path, path)
    settings = tmp_path / "battlemap.toml"
    settings.write_text("[wall]\nrotation_seconds = 3\nrefresh_seconds = 2\n", encoding="utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    return GeoPackageStore(path)


# True once the map has drawn the villages (MapLibre has loaded its sources).
MAP_DRAWN = (
    "() => { const gd = document.querySelector('#wall-map .js-plotly-plot');"
    " return gd && gd.data && gd.data.some(t => t.meta === 'units') && gd._fullLayout.map._subplot.map.loaded(); }"
)


def tile_value(page: Page, key: str) -> str:
    return (page.text_content(f"#tile-{key} .tile-value") or "").strip()


def open_wall(page: Page, url: str, token: str) -> None:
    page.goto(f"{url}/wall?kiosk={token}")
    page.wait_for_selector("#tile-kpi_cd_closed .tile-value", timeout=60_000)
    page.wait_for_function(MAP_DRAWN, timeout=60_000)


# True once every village on the map (MapLibre's own features) is filled with a colour of the
# legend on screen, or the no-data grey: a rotated wall once kept the previous indicator's colours.
MAP_MATCHES_LEGEND = r"""() => {
    const gd = document.querySelector('#wall-map .js-plotly-plot');
    const sub = gd && gd._fullLayout.map && gd._fullLayout.map._subplot;
    if (!sub || Object.keys(sub.traceHash || {}).length !== gd._fullData.length) { return false; }
    const units = gd._fullData.find(t => t.meta === 'units');
    const fills = sub.map.querySourceFeatures('source-' + units.uid).map(f => f.properties.fc);
    const swatch = el => getComputedStyle(el).backgroundColor.replace(/\s/g, '');
    const legend = new Set([...document.querySelectorAll('#wall-legend .swatch')].map(swatch));
    legend.add('rgb(217,217,217)');
    return fills.length > 0 && fills.every(c => legend.has(c.replace(/\s/g, '')));
}"""


@pytest.mark.browser
def test_wall_rotates_refreshes_and_never_leaks(wall_store: GeoPackageStore, tmp_path: Path) -> None:
    token_id, token = create_token(wall_store, "test screen")
    responses: list[Response] = []
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(wall_store.path) as url, chromium() as browser:
        big = browser.new_page(viewport={"width": 3840, "height": 2160})
        for page in (big,):
            page.on("response", lambda r: responses.append(r))  # noqa: PLW0108 - Playwright wraps plain callables
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))  # MapLibre's "Map error." is thrown, not logged
        open_wall(big, url, token)
        big.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
        first = big.text_content("#wall-indicator")
        big.wait_for_function(
            "t => document.querySelector('#wall-indicator').textContent !== t", arg=first, timeout=20_000
        )
        assert big.text_content("#wall-indicator") != first, "the indicator must rotate"
        big.wait_for_function(MAP_MATCHES_LEGEND, timeout=20_000)  # the map shows the new indicator's colours
        big.screenshot(path=str(SCREENSHOTS / "wall_3840x2160.png"))

        before = tile_value(big, "kpi_cd_closed")
        _close_pending_cases(wall_store, tmp_path)
        big.wait_for_function(
            "v => document.querySelector('#tile-kpi_cd_closed .tile-value').textContent.trim() !== v",
            arg=before,
            timeout=30_000,
        )
        assert int(tile_value(big, "kpi_cd_closed").split("/")[0].replace(",", "")) > int(before.split("/")[0])
        assert big.evaluate("() => window.__sameDocument === true"), "the wall must update in place, not reload"

        small = browser.new_page(viewport={"width": 1920, "height": 1080})
        small.on("response", lambda r: responses.append(r))  # noqa: PLW0108
        open_wall(small, url, token)
        small.wait_for_timeout(1500)
        small.screenshot(path=str(SCREENSHOTS / "wall_1920x1080.png"))
        bodies = response_bodies(responses)

        pinned = browser.new_page(viewport={"width": 1920, "height": 1080})
        pinned.goto(f"{url}/wall?kiosk={token}&indicator=water")
        pinned.wait_for_selector("#tile-kpi_cd_closed .tile-value", timeout=60_000)
        pinned.wait_for_timeout(4000)  # longer than one rotation: a pinned wall stays
        assert pinned.text_content("#wall-indicator") == "水质不合格率"

        before_revoke = len(errors)
        revoke_token(wall_store, token_id)
        small.wait_for_selector("#wall-refused", timeout=30_000)  # the open screen stops at its next refresh
        small.goto(f"{url}/wall?kiosk={token}")
        small.wait_for_selector("#wall-refused", timeout=30_000)
        assert small.query_selector("#wall-tiles") is None

    _assert_no_personal_data(wall_store, bodies)
    assert not errors[:before_revoke], errors
    # once revoked, a callback of the big screen still in flight is refused (401); Dash then
    # reports reading the refused response twice. Nothing else may go wrong.
    late = [e for e in errors[before_revoke:] if "401" not in e and "body stream already read" not in e]
    assert not late, late


def _close_pending_cases(store: GeoPackageStore, tmp_path: Path) -> None:
    """Import the C/D ledger again with every pending case accepted and paid (as a township would send it)."""
    housing = pd.DataFrame(store.read("housing"))
    pending = housing["stage"] != "accepted"
    housing.loc[pending, "stage"] = "accepted"
    if "subsidy_paid" in housing:  # a case closes when accepted and its subsidy paid (兑付)
        housing.loc[pending, "subsidy_paid"] = True
    path = tmp_path / "housing.csv"
    housing.to_csv(path, index=False)
    assert main(["--store", str(store.path), "import", "housing", str(path)]) == 0


def _assert_no_personal_data(store: GeoPackageStore, bodies: str) -> None:
    assert "tile-kpi_water_pass" in bodies or "kpi_water_pass" in bodies, "the responses were not captured"
    for layer, columns in PERSONAL.items():
        frame = store.read(layer)
        for column in columns:
            if column not in frame:
                continue
            leaked = [v for v in frame[column].dropna().astype(str).unique() if len(v) > 2 and v in bodies]
            assert not leaked, f"{layer}.{column} reached the wall: {leaked[:3]}"


@pytest.mark.browser
@pytest.mark.slow
def test_wall_soak_short() -> None:
    """A shortened bench/soak_wall.py: 2 minutes, data changing every 30 s, heap growth under 20 % after 30 s."""
    from harness.soak import run

    result = run(
        minutes=2, warmup=0.5, sample_s=15, import_every=0.5, households=2000, rotation_s=3, refresh_s=2, echo=False
    )
    assert result.rotations > 0 and result.refreshes > 0, result
    assert result.growth < 0.20, [s.heap_mb for s in result.samples]


@pytest.mark.browser
def test_wall_in_time_trends_and_rank_moves(wall_store: GeoPackageStore) -> None:
    """With 12 month-end snapshots every tile draws its trend, 较上月 shows on the C/D tile, the red list its moves."""
    assert main(["--store", str(wall_store.path), "history", "--from", "2025-11", "--to", "2026-10"]) == 0
    _token_id, token = create_token(wall_store, "trend screen")
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(wall_store.path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_wall(page, url, token)
        page.wait_for_selector("#tile-kpi_monitoring img.tile-spark", timeout=30_000)
        sparks = page.eval_on_selector_all(".tile img.tile-spark", "els => els.map(e => e.closest('.tile').id)")
        wanted = {"tile-kpi_monitoring", "tile-kpi_cd_closed", "tile-kpi_water_pass", "tile-kpi_inspections"}
        assert wanted <= set(sparks), sparks
        assert page.evaluate("() => [...document.querySelectorAll('img.tile-spark')].every(i => i.naturalWidth > 0)")
        # last month's figures are computed in the background (a request never waits): 较上月 follows on a refresh
        page.wait_for_function(
            "() => (document.querySelector('#tile-kpi_cd_closed .tile-delta')?.textContent || '').includes('较上月')",
            timeout=90_000,
        )
        moves = page.eval_on_selector_all("#wall-red-list .moved", "els => els.map(e => e.textContent)")
        assert len(moves) == get_settings().wall.red_list_length
        assert all(m in {"–", "新"} or m[0] in "↑↓" for m in moves), moves
        page.wait_for_timeout(500)
        page.screenshot(path=str(SCREENSHOTS / "wall_trends_1920x1080.png"))
    assert not errors, errors
