"""`battlemap export-map` writes an HTML map that draws in a browser with every network request blocked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium
from layers.catalog import BY_KEY
from tests.conftest import copied
from tests.importing import run


@pytest.mark.browser
def test_exported_map_works_offline(demo_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "poverty.html"
    assert (
        run(demo_store_path, "export-map", "--layer", "poverty_incidence", "--level", "village", "--out", str(out)) == 0
    )
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", text), "nothing may load from the internet"
    villages = GeoPackageStore(demo_store_path).read("villages")
    blocked: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route(re.compile(r"^https?://.*"), lambda route: (blocked.append(route.request.url), route.abort()))
        page.goto(out.as_uri())
        page.wait_for_selector(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas", timeout=15_000)
        assert "贫困发生率" in (page.text_content("#legend") or "")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "export_offline.png"))
        page.mouse.click(700, 500)  # a popup for whichever village is under the centre
        page.wait_for_timeout(300)
    assert not blocked, f"the exported map tried to fetch {blocked[:3]}"
    assert len(villages) > 0


def test_export_refuses_an_unknown_layer(demo_store_path: Path, tmp_path: Path) -> None:
    assert run(demo_store_path, "export-map", "--layer", "nonsense", "--out", str(tmp_path / "x.html")) == 2


def test_every_map_indicator_exports(demo_store_path: Path, tmp_path: Path) -> None:
    """Each indicator the map offers exports too, the derived spending gap among them (from the built tables)."""
    built = copied(demo_store_path, tmp_path).target
    assert run(built, "build") == 0  # the other tests export from an unbuilt store: tables computed on the fly
    for key, ind in BY_KEY.items():
        out = tmp_path / f"{key}.html"
        assert run(built, "export-map", "--layer", key, "--out", str(out)) == 0, key
        assert ind.zh in out.read_text(encoding="utf-8"), key
