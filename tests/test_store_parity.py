"""GeoPackage and PostGIS give the same layers and the same indicator tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geodata.store import GeoPackageStore, Store
from geodata.store.postgis import PostGISStore
from harness.browser import SCREENSHOTS, chromium, login, serving
from tests.conftest import copy_store
from tests.importing import run
from tests.test_build_cli import county_files

TABLES = ("village_indicators", "town_indicators", "county_indicators")
AS_OF = "2026-06-30"


def _built(store: Store) -> dict[str, pd.DataFrame]:
    """The indicator tables after `battlemap build`, without the build's own time."""
    assert run(store.target, "build", "--as-of", AS_OF) == 0
    return {name: pd.DataFrame(store.read(name)).drop(columns="computed_at", errors="ignore") for name in TABLES}


def _assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_demo_county_layers_and_indicators_are_identical(
    demo_store_path: Path, postgis_url: str, tmp_path: Path
) -> None:
    gpkg = GeoPackageStore(tmp_path / "demo.gpkg")
    copy_store(GeoPackageStore(demo_store_path), gpkg)
    pg = PostGISStore(postgis_url, state_dir=tmp_path / "state")
    copy_store(gpkg, pg)
    assert sorted(gpkg.layers()) == pg.layers()
    for layer in gpkg.layers():
        pd.testing.assert_frame_equal(gpkg.read(layer), pg.read(layer), obj=layer)
    _assert_same_tables(_built(gpkg), _built(pg))


def test_mini_county_files_give_identical_indicators(
    postgis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stores = [GeoPackageStore(tmp_path / "mini.gpkg"), PostGISStore(postgis_url, state_dir=tmp_path / "state")]
    for layer, path, options in county_files(tmp_path):
        for store in stores:
            assert run(store.target, "import", layer, str(path), *options) == 0, (layer, capsys.readouterr().err)
    _assert_same_tables(*(_built(s) for s in stores))


@pytest.mark.browser
def test_the_app_serves_the_overview_from_postgis(demo_store_path: Path, postgis_url: str, tmp_path: Path) -> None:
    copy_store(GeoPackageStore(demo_store_path), PostGISStore(postgis_url, state_dir=tmp_path / "state"))
    errors: list[str] = []
    with serving(postgis_url) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, url, postgis_url, "leader")
        page.goto(url)
        page.wait_for_selector(".js-plotly-plot .maplibregl-canvas", timeout=30_000)
        page.wait_for_function("document.querySelector('#overview-summary').textContent.includes('行政村')")
        page.wait_for_timeout(1500)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "overview_postgis.png"))
    assert not errors, errors
    assert (tmp_path / "state").is_dir(), "the private file lives in the state folder"
