"""``battlemap sites --report``: the site-selection report in Word and PDF, its tables the run's, no personal data."""

from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path
from typing import Any

import docx
import pandas as pd
import pypdf
import pytest

from analytics.ahp import consistency
from analytics.suitability import CRITERIA
from app import create_app
from callbacks.sites_page import JUDGEMENTS, PAIRS, judgement_matrix
from geodata.store import GeoPackageStore
from layers.i18n import t
from layers.site_text import criterion_label
from tests.importing import run
from tests.test_access import callback_key, client_for, post_callback
from tests.test_clear_errors import _sites_state
from tests.test_documents import assert_fonts_embedded, docx_text, pdf_text

RUN = ["sites", "--households", "120", "--top", "5", "--judgement", "road:clinic=3", "--judgement", "school:water=2"]


@pytest.fixture(scope="module")
def reports(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("site_report")
    out = {name: folder / name for name in ("report.docx", "report.pdf", "sites.csv", "plain.docx")}
    args = ["--sensitivity", "60", "--sites", "2", "--out", str(out["sites.csv"])]
    reports = ["--report", str(out["report.docx"]), "--report", str(out["report.pdf"])]
    assert run(demo_store_path, *RUN, *args, *reports) == 0
    assert run(demo_store_path, "sites", "--households", "120", "--top", "5", "--report", str(out["plain.docx"])) == 0
    return out


def _tables(path: Path) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in table.rows] for table in docx.Document(str(path)).tables]


def _table_headed(path: Path, first: str) -> list[list[str]]:
    return next(table for table in _tables(path) if table[0][0] == first)


def test_docx_has_criteria_ahp_weights_and_a_picture(reports: dict[str, Path]) -> None:
    criteria = _table_headed(reports["report.docx"], t("site_report_col_criterion", "zh"))
    assert criteria[0][2:] == ["满分值", "零分值", "权重"]
    names = [row[0] for row in criteria[1:]]
    assert names == [criterion_label(c, "zh") for c in CRITERIA]
    weights = [float(row[-1]) for row in criteria[1:]]
    assert sum(weights) == pytest.approx(1.0, abs=0.01)
    road, clinic = weights[names.index("距硬化路")], weights[names.index("距卫生室/院")]
    assert road > clinic  # road:clinic=3 given
    text = docx_text(reports["report.docx"])
    cr = re.search(r"一致性比率 CR = (\d\.\d{3})（限值 (\d\.\d+)）", text)
    assert cr and 0 < float(cr[1]) <= float(cr[2])
    matrix = next(table for table in _tables(reports["report.docx"]) if table[0][0] == "")
    assert matrix[1][names.index("距卫生室/院") + 1] == "3" and matrix[names.index("距卫生室/院") + 1][1] == "1/3"
    shares = next(table for table in _tables(reports["report.docx"]) if table[0][-1] == "权重占比")[1:]
    assert sum(float(share.rstrip("%")) for _, share in shares) == pytest.approx(
        100, abs=0.05 * len(CRITERIA)
    )  # each rounded to 0.1
    assert len(docx.Document(str(reports["report.docx"])).inline_shapes) == 1  # the suitability map


def test_docx_top_sites_match_the_csv_ranks(reports: dict[str, Path]) -> None:
    csv = pd.read_csv(reports["sites.csv"], encoding="utf-8-sig")
    sites = _table_headed(reports["report.docx"], "排名")
    assert [int(row[0]) for row in sites[1:]] == list(csv["rank"])
    assert [row[1] for row in sites[1:]] == list(csv["site_id"])
    assert [float(row[2]) for row in sites[1:]] == pytest.approx(list(csv["score"]), abs=0.06)
    assert [row[3] for row in sites[1:]] == list(csv["village_name"])


def test_docx_has_robustness_and_assignment_when_asked(reports: dict[str, Path]) -> None:
    robust = _table_headed(reports["report.docx"], "编号")
    assert robust[0][1:] == ["排第一（%）", "进前三（%）", "排名区间"]
    assert sum(float(row[1]) for row in robust[1:]) <= 100.0 + 1e-6
    assigned = next(table for table in _tables(reports["report.docx"]) if "最远（分钟）" in table[0])
    assert len(assigned) == 3 and sum(int(row[1]) for row in assigned[1:]) == 120
    plain = docx_text(reports["plain.docx"])
    assert t("site_report_no_sensitivity", "zh") in plain and t("site_report_no_assignment", "zh") in plain
    assert "直接给定" in plain and "CR = 0.000" in plain


def test_pdf_embeds_the_cjk_font_and_names_the_top_sites(reports: dict[str, Path]) -> None:
    reader = pypdf.PdfReader(reports["report.pdf"])
    assert_fonts_embedded(reader)
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}
    assert sizes == {(595, 842)}  # A4
    text = pdf_text(reports["report.pdf"])
    csv = pd.read_csv(reports["sites.csv"], encoding="utf-8-sig")
    assert "易地搬迁安置点选址报告" in text and "一致性比率" in text
    for site, village in zip(csv["site_id"], csv["village_name"], strict=True):
        assert site in text and village in text


def test_no_personal_data_in_either_report(reports: dict[str, Path], demo_store_path: Path) -> None:
    households = GeoPackageStore(demo_store_path).read("households")
    secrets = set(households["id_number"].dropna()) | set(households["phone"].dropna())
    secrets |= {n for n in households["head_name"].dropna() if len(n) >= 2}
    secrets |= set(households["household_id"].dropna())
    for kind in ("report.docx", "report.pdf"):
        text = docx_text(reports[kind]) if kind.endswith("docx") else pdf_text(reports[kind])
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{kind} shows personal data: {leaked[:5]}"


@pytest.mark.parametrize(
    ("name", "message"),
    [("report.odt", "write the report as a .docx or .pdf file"), ("missing/report.pdf", "does not exist")],
)
def test_bad_report_path_exits_2_and_writes_nothing(
    demo_store_path: Path, tmp_path: Path, name: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(demo_store_path, "sites", "--households", "120", "--lang", "en", "--report", str(tmp_path / name)) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_sites_page_button_downloads_the_report(demo_store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, path)
    app = create_app(str(path))
    key = callback_key(app, "sites-report-download")
    click = [{"id": "sites-export_site_report", "property": "n_clicks", "value": 1}]
    response = post_callback(client_for(app, path, "planner"), key, click, _sites_state(None))
    assert response.status_code == 200, response.status_code
    sent = response.json["response"]["sites-report-download"]["data"]
    assert sent["filename"] == "sites-report.docx" and sent["base64"]
    document = docx.Document(io.BytesIO(base64.b64decode(sent["content"])))
    assert "易地搬迁安置点选址报告" in "\n".join(p.text for p in document.paragraphs)
    assert len(document.inline_shapes) == 1
    viewer = post_callback(client_for(app, path, "leader"), key, click, _sites_state(None))
    assert viewer.status_code == 403


def _page_report(app: Any, path: Path, judged: Any, weights: dict[str, float]) -> docx.Document:
    """The report the /sites button sends for these slider weights and applied judgements (the store's value)."""
    state = _sites_state(None)
    state[0] = [
        {"id": {"type": "site-weight", "criterion": c}, "property": "value", "value": weights[c]} for c in CRITERIA
    ]
    next(s for s in state[1:] if s["id"] == JUDGEMENTS)["value"] = judged
    click = [{"id": "sites-export_site_report", "property": "n_clicks", "value": 1}]
    key = callback_key(app, "sites-report-download")
    response = post_callback(client_for(app, path, "planner"), key, click, state)
    assert response.status_code == 200, response.status_code
    sent = response.json["response"]["sites-report-download"]["data"]
    return docx.Document(io.BytesIO(base64.b64decode(sent["content"])))


def _matrix_table(document: docx.Document) -> list[list[str]]:
    return next(
        [[c.text for c in row.cells] for row in table.rows] for table in document.tables if table.cell(0, 0).text == ""
    )


def test_the_page_report_shows_the_judgements_the_planner_applied(demo_store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, path)
    app = create_app(str(path))
    judged = ["1"] * len(PAIRS)
    judged[PAIRS.index(("road", "clinic"))] = "5"
    judged[PAIRS.index(("school", "water"))] = "1/3"
    result = consistency(CRITERIA, judgement_matrix(judged))
    applied = {c: round(w, 2) for c, w in result.weights.items()}  # what the apply button puts on the sliders

    document = _page_report(app, path, judged, applied)
    text = "\n".join(p.text for p in document.paragraphs)
    assert t("site_report_ahp_given", "zh") in text and f"CR = {result.cr:.3f}" in text
    matrix = _matrix_table(document)
    road, clinic, school, water = (1 + CRITERIA.index(c) for c in ("road", "clinic", "school", "water"))
    assert matrix[road][clinic] == "5" and matrix[clinic][road] == "1/5"
    assert matrix[school][water] == "1/3" and matrix[water][school] == "3"

    moved = {**applied, "road": applied["road"] + 0.05}  # a slider moved after applying: the sliders' weights count
    for store, weights in ((judged, moved), (["9"] * (len(PAIRS) - 1) + ["<b>"], applied), ("junk", applied)):
        text = "\n".join(p.text for p in _page_report(app, path, store, weights).paragraphs)
        assert t("site_report_ahp_derived", "zh") in text and t("site_report_ahp_given", "zh") not in text
