"""/map offers the poster of the current view to every account and the monthly bulletin to leaders and admins."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pypdf
import pytest

from callbacks.documents import last_month
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, serving
from harness.map_clicks import rendered


@pytest.mark.browser
def test_leader_downloads_the_poster_and_the_bulletin(demo_store_path: Path, tmp_path: Path) -> None:
    towns = GeoPackageStore(demo_store_path).read("towns").sort_values("town_code")
    town = towns.iloc[0]
    errors: list[str] = []
    with serving(demo_store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100}, accept_downloads=True)
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, url, demo_store_path, "leader")
        page.goto(f"{url}/map?town={town['town_code']}&layer=poverty_incidence")
        rendered(page, "town", town["town_code"])
        with page.expect_download(timeout=90_000) as poster:
            page.click("#poster-download")
        path = tmp_path / "poster.pdf"
        poster.value.save_as(path)
        assert poster.value.suggested_filename == f"battlemap-poster-{town['town_code']}-poverty_incidence.pdf"
        text = pypdf.PdfReader(path).pages[0].extract_text().replace("\x00", "")
        assert town["name"] in text and "贫困发生率" in text
        with page.expect_download(timeout=90_000) as bulletin:
            page.click("#bulletin-download")
        word = docx.Document(io.BytesIO(Path(bulletin.value.path()).read_bytes()))
        assert bulletin.value.suggested_filename == f"battlemap-bulletin-{town['town_code']}-{last_month()}.docx"
        assert any("月通报" in p.text and town["name"] in p.text for p in word.paragraphs)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "map_documents.png"))
    assert not errors, errors


@pytest.mark.browser
def test_the_bulletin_button_is_hidden_from_inspectors(demo_store_path: Path) -> None:
    with serving(demo_store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        login(page, url, demo_store_path, "inspector")
        page.goto(f"{url}/map")
        rendered(page, "county")
        assert page.is_visible("#poster-download")
        assert not page.is_visible("#bulletin-download")
