"""`battlemap poster` and `battlemap bulletin`: numbers equal the month-end tables, fonts embedded, no personal data."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import docx
import pandas as pd
import pypdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from battlemap_cli.documents import build_poster, county_maps
from battlemap_cli.export_command import current_tables
from battlemap_cli.month_tables import indexed, month_end, month_tables, previous_month_end
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS
from layers.bulletin_text import cell
from layers.print_map import Box, Label, place_labels
from layers.print_pdf import new_pdf, pdf_bytes
from tests.importing import run


@pytest.fixture(scope="module")
def month(demo_store_path: Path) -> str:
    """The last month of the demo's inspections (a month that has ended and has findings)."""
    dates = pd.to_datetime(GeoPackageStore(demo_store_path).read("inspections")["date"])
    return f"{dates.max():%Y-%m}"


@pytest.fixture(scope="module")
def tables(demo_store_path: Path, month: str) -> dict[str, pd.DataFrame]:
    return month_tables(GeoPackageStore(demo_store_path), month_end(month))


@pytest.fixture(scope="module")
def documents(demo_store_path: Path, month: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("documents")
    out = {name: folder / name for name in ("bulletin.docx", "bulletin.pdf", "poster.pdf")}
    assert run(demo_store_path, "bulletin", "--month", month, "--out", str(out["bulletin.docx"])) == 0
    assert run(demo_store_path, "bulletin", "--month", month, "--out", str(out["bulletin.pdf"])) == 0
    assert run(demo_store_path, "poster", "--layer", "poverty_incidence", "--paper", "A3", "--out",
               str(out["poster.pdf"])) == 0  # fmt: skip
    return out


def pdf_text(path: Path) -> str:
    """Every page's text; pypdf reads fpdf2's two-byte Identity CMap with a NUL before each character."""
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages).replace("\x00", "")


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def number(text: str) -> float:
    """A cell as a number: 12.3% → 0.123, 1,234 → 1234."""
    value = float(text.replace(",", "").rstrip("%"))
    return value / 100 if text.endswith("%") else value


def test_bulletin_docx_tables_equal_the_month_end_tables(
    documents: dict[str, Path], tables: dict[str, pd.DataFrame], demo_store_path: Path
) -> None:
    document = docx.Document(str(documents["bulletin.docx"]))
    names = county_maps(GeoPackageStore(demo_store_path)).towns.set_index("name")["town_code"]
    town = tables["town"]
    ranking = document.tables[0]
    assert [c.text for c in ranking.rows[0].cells][:3] == ["排名", "乡镇", "综合风险指数"]
    assert len(ranking.rows) == 1 + len(town)
    for row in ranking.rows[1:]:
        rank, name, risk = (c.text for c in row.cells[:3])
        code = names[name]
        assert number(risk) == pytest.approx(town.loc[code, "risk_index"], abs=0.05)
        assert int(rank) == int(town["risk_index"].rank(method="min")[code])
    appendix = document.tables[-1]
    header = [c.text for c in appendix.rows[0].cells]
    assert header[0] == "乡镇" and "户数" in header
    columns = ["villages", "households", "monitored_households", "monitored_open_households", "poverty_incidence",
               "cd_cases_open", "cd_cases_overdue", "water_fail_rate", "water_unsafe_households", "spend_rate",
               "team_checkin_rate", "risk_index"]  # fmt: skip
    for row in appendix.rows[1:]:
        values = [c.text for c in row.cells]
        code = names[values[0]]
        for column, text in zip(columns, values[1:], strict=True):
            expected = town.loc[code, column]
            assert text == cell(column, expected), (values[0], column)
            if text != "—":
                assert number(text) == pytest.approx(float(expected), abs=0.0006 if "%" in text else 0.05)
    county = tables["county"].iloc[0]
    summary = docx_text(documents["bulletin.docx"])
    assert f"共有农户{cell('households', county['households'])}户" in summary
    assert f"风险未消除{cell('monitored_open_households', county['monitored_open_households'])}户" in summary
    assert len(document.inline_shapes) == 2  # the indicator map and the change map


def test_bulletin_findings_are_the_months_inspections(
    documents: dict[str, Path], demo_store_path: Path, month: str
) -> None:
    inspections = GeoPackageStore(demo_store_path).read("inspections")
    dates = pd.to_datetime(inspections["date"])
    found = inspections[(dates.dt.strftime("%Y-%m") == month) & inspections["finding"].notna()]
    text = docx_text(documents["bulletin.docx"])
    assert f"本月暗访发现问题{len(found)}个" in text
    document = docx.Document(str(documents["bulletin.docx"]))
    table = next(t for t in document.tables if t.rows[0].cells[3].text == "问题")
    assert len(table.rows) == 1 + len(found)
    assert {r.cells[3].text for r in table.rows[1:]} == set(found["finding"])


def test_bulletin_lists_each_townships_overdue_tasks(
    documents: dict[str, Path], tables: dict[str, pd.DataFrame], demo_store_path: Path
) -> None:
    """The overdue 一村一策 tasks are named by township, as many as the month-end table counts; no person named."""
    document = docx.Document(str(documents["bulletin.docx"]))
    table = next(t for t in document.tables if t.rows[0].cells[2].text == "措施名称")
    names = county_maps(GeoPackageStore(demo_store_path)).towns.set_index("name")["town_code"]
    listed = pd.Series([names[r.cells[0].text] for r in table.rows[1:]]).value_counts()
    expected = tables["town"]["plan_tasks_overdue"].fillna(0).astype(int)
    assert listed.sum() > 0
    assert listed.reindex(expected.index, fill_value=0).to_dict() == expected.to_dict()
    titles = set(GeoPackageStore(demo_store_path).read("tasks")["title"])
    assert {r.cells[2].text for r in table.rows[1:]} <= titles
    persons = set(GeoPackageStore(demo_store_path).read("tasks")["person"].dropna())
    assert not persons & set(docx_text(documents["bulletin.docx"]).split())


def test_bulletin_pdf_text_fonts_and_page_numbers(
    documents: dict[str, Path], tables: dict[str, pd.DataFrame], demo_store_path: Path
) -> None:
    path = documents["bulletin.pdf"]
    text = pdf_text(path)
    for name in county_maps(GeoPackageStore(demo_store_path)).towns["name"]:
        assert name in text
    for value in tables["town"]["risk_index"]:
        assert cell("risk_index", value) in text
    assert cell("households", tables["county"].iloc[0]["households"]) in text
    reader = pypdf.PdfReader(path)
    assert "— 2 —" in reader.pages[1].extract_text().replace("\x00", "")
    assert_fonts_embedded(reader)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = pdfium.PdfDocument(path)
    for i in (0, 1):
        pages[i].render(scale=1.5).to_pil().save(SCREENSHOTS / f"bulletin_page{i + 1}.png")
    pages.close()


def assert_fonts_embedded(reader: pypdf.PdfReader) -> None:
    """Every font of every page carries its font program (FontFile, FontFile2 or FontFile3)."""
    seen = 0
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
            assert "NotoSansCJK" in str(font["/BaseFont"])
            seen += 1
    assert seen


def personal_values(store: GeoPackageStore) -> set[str]:
    """The ID numbers, phones, names of heads of household, inspectors and team leaders a document must not show."""
    households = store.read("households")
    secrets = set(households["id_number"].dropna()) | set(households["phone"].dropna())
    secrets |= {n for n in households["head_name"].dropna() if len(n) >= 2}
    return secrets | set(store.read("inspections")["inspector"].dropna()) | set(store.read("teams")["leader"].dropna())


def test_no_personal_data_in_either_document(documents: dict[str, Path], demo_store_path: Path) -> None:
    secrets = personal_values(GeoPackageStore(demo_store_path))
    texts = {
        "docx": docx_text(documents["bulletin.docx"]),
        "pdf": pdf_text(documents["bulletin.pdf"]),
        "poster": pdf_text(documents["poster.pdf"]),
    }
    for kind, text in texts.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{kind} shows personal data: {leaked[:5]}"


def test_poster_pdf_embeds_the_font_and_labels_never_overlap(documents: dict[str, Path], demo_store_path: Path) -> None:
    reader = pypdf.PdfReader(documents["poster.pdf"])
    assert_fonts_embedded(reader)
    store = GeoPackageStore(demo_store_path)
    county = county_maps(store)
    text = pdf_text(documents["poster.pdf"])
    assert all(name in text for name in county.towns["name"])
    assert "贫困发生率" in text and "数据来源" in text
    stored, as_of = current_tables(store)
    poster = build_poster(county, indexed(stored), as_of, layer="risk_index", town=None, paper="A0", landscape=True)
    boxes = [p.box for p in poster.labels]
    assert len(boxes) > len(county.towns)  # townships and many villages
    assert {p.label.text for p in poster.labels} >= set(county.towns["name"])  # townships go first
    for i, a in enumerate(boxes):
        assert a.within(poster.map_box)
        assert not any(a.overlaps(b) for b in boxes[i + 1 :]), poster.labels[i].label.text


def test_place_labels_shifts_or_drops_what_collides() -> None:
    pdf = new_pdf()
    frame = Box(0, 0, 100, 40)
    names = ["红星村", "前进村", "柳树村", "杏园村", "石峡湾村", "安定镇"]
    labels = [Label(name, 50, 20, 10, rank=i) for i, name in enumerate(names)] + [Label("远村", 99, 39, 10, rank=9)]
    placed = place_labels(pdf, labels, within=frame)
    pdf_bytes(pdf)  # closes the font files
    texts = [p.label.text for p in placed]
    assert texts[0] == "红星村" and placed[0].box.x0 < 50 < placed[0].box.x1  # the first keeps its place
    assert "远村" not in texts  # it would stick out of the frame at every position
    assert len(texts) == 5  # centre, above, below, right, left: the sixth at the same point is dropped
    for i, a in enumerate(placed):
        assert not any(a.box.overlaps(b.box) for b in placed[i + 1 :])


def test_png_poster_is_300_dpi(demo_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "poster.png"
    assert run(demo_store_path, "poster", "--layer", "risk_index", "--town", town_code(demo_store_path), "--paper",
               "A3", "--landscape", "--out", str(out)) == 0  # fmt: skip
    image = Image.open(io.BytesIO(out.read_bytes()))
    assert image.size == (round(420 / 25.4 * 300), round(297 / 25.4 * 300))
    assert round(image.info["dpi"][0]) == 300
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.thumbnail((1600, 1600))
    image.save(SCREENSHOTS / "poster_town.png")


def town_code(store_path: Path) -> str:
    return str(GeoPackageStore(store_path).read("villages")["village_code"].iloc[0])[:9]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["poster", "--layer", "nonsense", "--paper", "A3", "--out", "x.pdf"], "unknown layer"),
        (["poster", "--layer", "risk_index", "--paper", "B5", "--out", "x.pdf"], "unknown paper"),
        (["poster", "--layer", "risk_index", "--paper", "A3", "--town", "999", "--out", "x.pdf"], "no township"),
        (["poster", "--layer", "risk_index", "--paper", "A3", "--out", "x.svg"], "must end in .pdf or .png"),
        (["bulletin", "--month", "2019-01", "--out", "x.docx"], "outside the data"),
        (["bulletin", "--month", f"{dt.date.today() + dt.timedelta(days=40):%Y-%m}", "--out", "x.pdf"], "not ended"),
        (["bulletin", "--month", f"{dt.date.today():%Y-%m}", "--out", "x.pdf"], "not ended"),
        (["bulletin", "--month", "2026-13", "--out", "x.pdf"], "YYYY-MM"),
        (["bulletin", "--month", "2026-01", "--town", "12", "--out", "x.pdf"], "no township"),
        (["bulletin", "--month", "2026-01", "--out", "x.odt"], "must end in .docx or .pdf"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    demo_store_path: Path, tmp_path: Path, command: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / command[-1]
    assert run(demo_store_path, *command[:-1], str(out)) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_month_ends() -> None:
    assert month_end("2024-02") == dt.date(2024, 2, 29)
    assert previous_month_end(dt.date(2026, 1, 31)) == dt.date(2025, 12, 31)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f"{month_end('2026-10')}")


def test_documents_of_a_store_with_only_villages_and_households(demo_store_path: Path, tmp_path: Path) -> None:
    demo, store = GeoPackageStore(demo_store_path), GeoPackageStore(tmp_path / "minimal.gpkg")
    with store.transaction() as tx:
        for layer in ("villages", "households"):
            tx.write(layer, demo.read(layer))
    month = f"{pd.to_datetime(demo.read('households')['identified_on']).max():%Y-%m}"
    assert run(store.path, "bulletin", "--month", month, "--out", str(tmp_path / "b.pdf")) == 0
    assert run(store.path, "bulletin", "--month", month, "--out", str(tmp_path / "b.docx")) == 0
    assert (
        run(store.path, "poster", "--layer", "water_fail_rate", "--paper", "A3", "--out", str(tmp_path / "p.pdf")) == 0
    )
    text = pdf_text(tmp_path / "b.pdf")
    assert "未导入暗访记录（无数据）" in text  # no inspections layer: not "no problems found"
    assert "本月暗访未发现问题" not in text
    assert "无数据" in pdf_text(tmp_path / "p.pdf")  # the legend and key figures say so, never 0
