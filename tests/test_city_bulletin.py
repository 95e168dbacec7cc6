"""The city's monthly bulletin (月通报) on the 3-county demo: its counties where a county's has townships.

Every number is a cell of the month-end city and county tables (the snapshots `battlemap
history` kept, equal to `battlemap indicators --level city|county --as-of`); Word and PDF
say the same, the PDF embeds its CJK font, no personal data is printed, and a leader
downloads the city's bulletin from /map.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pypdf
import pytest

from analytics.bulletin import APPENDIX, bulletin
from app import create_app
from battlemap_cli.documents import county_maps
from battlemap_cli.month_tables import month_tables
from callbacks.documents import last_month
from geodata.demo.city import COUNTY_NAMES
from geodata.private.db import PrivateDB
from geodata.store import GeoPackageStore
from geodata.store.snapshots import read_snapshot
from harness.browser import account
from layers.bulletin_text import cell
from tests.importing import run
from tests.test_access import log_in, post_callback
from tests.test_documents import assert_fonts_embedded, docx_text, number, pdf_text, personal_values

MONTH, OCTOBER = "2026-10", dt.date(2026, 10, 31)
CITY_NAME = "塬州示范市"


@pytest.fixture(scope="module")
def documents(city_history_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("city-bulletin")
    out = {kind: folder / f"bulletin.{kind}" for kind in ("docx", "pdf")}
    for path in out.values():
        assert run(city_history_path, "bulletin", "--month", MONTH, "--out", str(path)) == 0
    return out


@pytest.fixture(scope="module")
def tables(city_history_path: Path) -> dict[str, pd.DataFrame]:
    return month_tables(GeoPackageStore(city_history_path), OCTOBER)


@pytest.fixture(scope="module")
def county_codes(city_history_path: Path) -> pd.Series:
    """County name → code, as the bulletin names them."""
    regions = GeoPackageStore(city_history_path).read("regions")
    counties = regions[regions["level"] == "county"]
    return pd.Series(counties["code"].astype(str).to_numpy(), index=counties["name"])


def test_the_month_tables_are_the_kept_city_and_county_snapshots(
    tables: dict[str, pd.DataFrame], city_history_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = GeoPackageStore(city_history_path)
    for level in ("city", "county"):
        kept = read_snapshot(store, level, OCTOBER).set_index(f"{level}_code")
        assert list(tables[level].index) == list(kept.index)
        for column in APPENDIX:
            pd.testing.assert_series_equal(tables[level][column], kept[column], check_names=False, check_dtype=False)
    capsys.readouterr()
    assert run(city_history_path, "indicators", "--level", "city", "--as-of", "2026-10-31", "--format", "json") == 0
    printed = pd.read_json(io.StringIO(capsys.readouterr().out)).iloc[0]
    assert printed["households"] == tables["city"].iloc[0]["households"]


def test_city_bulletin_ranks_and_tables_the_counties(
    documents: dict[str, Path], tables: dict[str, pd.DataFrame], county_codes: pd.Series
) -> None:
    document = docx.Document(str(documents["docx"]))
    county = tables["county"]
    ranking = document.tables[0]
    assert [c.text for c in ranking.rows[0].cells][:3] == ["排名", "县区", "综合风险指数"]
    assert len(ranking.rows) == 1 + len(county) == 4
    for row in ranking.rows[1:]:
        rank, name, risk = (c.text for c in row.cells[:3])
        code = county_codes[name]
        assert risk == cell("risk_index", county.loc[code, "risk_index"])
        assert int(rank) == int(county["risk_index"].rank(method="min")[code])
    appendix = document.tables[-1]
    assert appendix.rows[0].cells[0].text == "县区"
    assert len(appendix.rows) == 1 + len(county)
    for row in appendix.rows[1:]:
        values = [c.text for c in row.cells]
        code = county_codes[values[0]]
        for column, text in zip(APPENDIX, values[1:], strict=True):
            assert text == cell(column, county.loc[code, column]), (values[0], column)
    assert len(document.inline_shapes) == 2  # the indicator map and the change map, with the counties outlined


def test_city_summary_is_the_city_row_and_the_sum_of_its_counties(
    documents: dict[str, Path], tables: dict[str, pd.DataFrame]
) -> None:
    city, counties = tables["city"].iloc[0], tables["county"]
    text = docx_text(documents["docx"])
    assert f"{CITY_NAME}乡村振兴工作月通报" in text
    assert "二、县区综合排名（红黑榜）" in text and "附件：各县区主要指标" in text and "市督查组" in text
    households = cell("households", city["households"])
    assert f"{CITY_NAME}共有农户{households}户" in text
    assert number(households) == counties["households"].sum()
    open_now = cell("monitored_open_households", city["monitored_open_households"])
    assert f"风险未消除{open_now}户" in text
    assert number(open_now) == counties["monitored_open_households"].sum()
    ledger = "、".join(  # the rectification total is the city row's, each step the sum of the counties'
        f"{label}{cell(c, city[c])}个"
        for label, c in (("待整改", "inspection_findings_step_open"), ("整改中", "inspection_findings_rectifying"))
    )
    assert ledger in text
    assert city["inspection_findings_step_open"] == counties["inspection_findings_step_open"].sum()


def test_findings_and_tasks_name_each_township_with_its_county(
    documents: dict[str, Path], city_history_path: Path, county_codes: pd.Series
) -> None:
    store = GeoPackageStore(city_history_path)
    inspections = store.read("inspections")
    dates = pd.to_datetime(inspections["date"])
    found = inspections[(dates.dt.strftime("%Y-%m") == MONTH) & inspections["finding"].notna()]
    document = docx.Document(str(documents["docx"]))
    table = next(t for t in document.tables if t.rows[0].cells[3].text == "问题")
    assert len(table.rows) == 1 + len(found) and len(found) > 0
    towns = county_maps(store).towns.set_index("town_code")["name"]
    county_of = pd.Series(county_codes.index, index=county_codes.to_numpy())
    named = {f"{county_of[code[:6]]}{name}" for code, name in towns.items()}
    assert {r.cells[1].text for r in table.rows[1:]} <= named


def test_city_bulletin_pdf_says_the_same_with_its_font_embedded(
    documents: dict[str, Path], tables: dict[str, pd.DataFrame], county_codes: pd.Series
) -> None:
    text = pdf_text(documents["pdf"])
    assert all(name in text for name in county_codes.index)
    for value in tables["county"]["risk_index"]:
        assert cell("risk_index", value) in text
    assert cell("households", tables["city"].iloc[0]["households"]) in text
    assert_fonts_embedded(pypdf.PdfReader(documents["pdf"]))


def test_no_personal_data_in_the_city_bulletin(documents: dict[str, Path], city_history_path: Path) -> None:
    secrets = personal_values(GeoPackageStore(city_history_path))
    assert secrets
    for text in (docx_text(documents["docx"]), pdf_text(documents["pdf"])):
        assert not sorted(s for s in secrets if s in text)[:5]


def _bulletin_download(app: Any, client: Any) -> Any:
    key = next(k for k in app.callback_map if k.startswith("documents-download.data@"))
    return post_callback(
        client,
        key,
        [{"id": "bulletin-download", "property": "n_clicks", "value": 1}],
        [{"id": "map-state", "property": "data", "value": {"lang": "zh"}}],
    )


def test_a_city_leader_downloads_the_city_bulletin_from_the_map(city_history_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    shutil.copyfile(city_history_path, path)
    app = create_app(str(path))
    client = app.server.test_client()
    log_in(client, account(path, "leader", scope="6299"))
    response = _bulletin_download(app, client)
    assert response.status_code == 200
    sent = response.get_json()["response"]["documents-download"]["data"]
    assert sent["filename"] == f"battlemap-bulletin-city-{last_month()}.docx"
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(base64.b64decode(sent["content"]))).paragraphs)
    assert f"{CITY_NAME}乡村振兴工作月通报" in text


def test_a_county_leader_downloads_the_bulletin_of_the_county_alone(city_history_path: Path, tmp_path: Path) -> None:
    """An account scoped to a county of the city gets its county's bulletin (townships ranked), audited."""
    path = tmp_path / "city.gpkg"
    shutil.copyfile(city_history_path, path)
    app = create_app(str(path))
    client = app.server.test_client()
    log_in(client, account(path, "leader", scope="629902", name="county-leader"))
    response = _bulletin_download(app, client)
    assert response.status_code == 200
    sent = response.get_json()["response"]["documents-download"]["data"]
    assert sent["filename"] == f"battlemap-bulletin-629902-{last_month()}.docx"
    (tmp_path / "sent.docx").write_bytes(base64.b64decode(sent["content"]))
    text = docx_text(tmp_path / "sent.docx")
    assert f"{COUNTY_NAMES[1]}乡村振兴工作月通报" in text and "二、乡镇综合排名（红黑榜）" in text
    for other in (CITY_NAME, COUNTY_NAMES[0], COUNTY_NAMES[2]):
        assert other not in text, other
    audit = PrivateDB.beside(GeoPackageStore(path)).audit_log(action="export:bulletin")
    assert list(audit["who"]) == ["county-leader"] and list(audit["target"]) == ["629902"]


def test_a_month_before_the_store_held_several_counties_leaves_the_changes_unknown(
    tables: dict[str, pd.DataFrame],
) -> None:
    """Last month's snapshot of a one-county store has no city row: the bulletin says no change, not a KeyError."""
    one_county = {level: table for level, table in tables.items() if level not in ("city", "province")}
    made = bulletin(
        tables,
        one_county,
        as_of=OCTOBER,
        before_as_of=dt.date(2026, 9, 30),
        findings=None,
        town_names=pd.Series(dtype=str),
    )
    assert made.part == "county" and made.county["households"] == tables["city"].iloc[0]["households"]
    assert made.county_before.isna().all()
