"""The monthly bulletin as a Word document (python-docx), for offices to edit and re-issue.

A4, 宋体/黑体 (present wherever Word is used in China), the title block in red as county
offices issue it, tables in a plain grid, the maps as pictures and page numbers in the footer.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from layers.bulletin_text import BulletinDoc, Section, Table

BODY_FONT, HEADING_FONT = "宋体", "黑体"
RED = RGBColor(0xC0, 0x00, 0x00)


def _font(run_or_style: object, name: str, size: float, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    """Set a run's (or style's) Latin and East Asian font, size, weight and colour."""
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name, font.size, font.bold = name, Pt(size), bold
    if colour is not None:
        font.color.rgb = colour
    element = run_or_style.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def _paragraph(doc: Document, text: str, *, size: float = 12, bold: bool = False, font: str = BODY_FONT,
               align: int | None = None, colour: RGBColor | None = None, indent: bool = False) -> None:  # fmt: skip
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    _font(p.add_run(text), font, size, bold=bold, colour=colour)


def _table(doc: Document, table: Table, *, size: float = 9) -> None:
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid.style = "Table Grid"
    total = sum(table.widths)
    for i, width in enumerate(table.widths):
        for c in grid.columns[i].cells:
            c.width = Cm(16.5 * width / total)
    for r, values in enumerate([table.header, *table.rows]):
        for c, value in enumerate(values):
            paragraph = grid.rows[r].cells[c].paragraphs[0]
            _font(paragraph.add_run(value), HEADING_FONT if r == 0 else BODY_FONT, size, bold=r == 0)


def _page_numbers(doc: Document) -> None:
    """A centred PAGE field in the footer: — 1 —."""
    p = doc.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), BODY_FONT, 10)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    p._p.append(field)
    _font(p.add_run(" —"), BODY_FONT, 10)


def bulletin_docx(doc_text: BulletinDoc, maps: list[bytes]) -> bytes:
    """The bulletin as .docx bytes; ``maps`` are PNG pictures placed in the section that asks for them."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    _font(doc.styles["Normal"], BODY_FONT, 12)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(doc, doc_text.issuer, size=22, bold=True, font=HEADING_FONT, align=center, colour=RED)
    _paragraph(doc, doc_text.number, size=12, align=center)
    _paragraph(doc, doc_text.title, size=18, bold=True, font=HEADING_FONT, align=center)
    _paragraph(doc, doc_text.issue, size=14, align=center)
    for part in doc_text.sections:
        _section(doc, part, maps)
    for line in doc_text.signature:
        _paragraph(doc, line, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _page_numbers(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _section(doc: Document, part: Section, maps: list[bytes]) -> None:
    if part.new_page:
        doc.add_section(WD_SECTION.NEW_PAGE)
    _paragraph(doc, part.heading, size=14, bold=True, font=HEADING_FONT)
    for text in part.paragraphs:
        _paragraph(doc, text, indent=True)
    if part.table is not None:
        _table(doc, part.table)
    if part.maps:
        for picture in maps:
            doc.add_picture(io.BytesIO(picture), width=Cm(16.0))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
