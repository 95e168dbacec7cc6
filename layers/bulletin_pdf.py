"""The monthly bulletin as an A4 PDF (fpdf2): the Chinese font embedded, page numbers, the maps drawn as vectors."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.fonts import FontFace

from layers.bulletin_text import BulletinDoc, Section, Table
from layers.i18n import t
from layers.print_map import Box
from layers.print_pdf import FONT, new_pdf, pdf_bytes
from layers.print_views import PrintedMap, draw_map

MARGIN = 22.0
WIDTH = 210.0 - 2 * MARGIN
MAP_HEIGHT = 120.0
RED = (192, 0, 0)


class _Pages(FPDF):
    """A document whose footer carries the page number."""

    lang = "zh"

    def footer(self) -> None:
        """— n — centred at the bottom of every page."""
        self.set_y(-15)
        self.set_font(FONT, "", 10)
        self.cell(0, 8, t("bulletin_page", self.lang, page=self.page_no()), align="C")


def bulletin_pdf(doc_text: BulletinDoc, maps: list[PrintedMap], *, lang: str = "zh") -> bytes:
    """The bulletin as PDF bytes; ``maps`` are drawn, as vectors, in the section that asks for them."""
    pdf = new_pdf(cls=_Pages)
    pdf.lang = lang  # type: ignore[attr-defined]
    pdf.set_title(doc_text.title)
    pdf.set_margins(MARGIN, 25, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()
    pdf.set_text_color(*RED)
    _line(pdf, doc_text.issuer, 22, bold=True, align="C")
    pdf.set_text_color(0, 0, 0)
    _line(pdf, doc_text.number, 11, align="C")
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.8)
    pdf.line(MARGIN, pdf.get_y() + 2, MARGIN + WIDTH, pdf.get_y() + 2)
    pdf.ln(6)
    _line(pdf, doc_text.title, 17, bold=True, align="C")
    _line(pdf, doc_text.issue, 13, align="C")
    for part in doc_text.sections:
        _section(pdf, part, maps, lang)
    pdf.ln(4)
    for line in doc_text.signature:
        _line(pdf, line, 11, align="R")
    return pdf_bytes(pdf)


def _line(pdf: FPDF, text: str, size: float, *, bold: bool = False, align: str = "L", indent: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    if indent:
        pdf.set_x(MARGIN + size * 0.7)  # a two-character first-line indent is not in fpdf2: indent the block
    pdf.multi_cell(WIDTH - (size * 0.7 if indent else 0), size * 0.55, text, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _section(pdf: FPDF, part: Section, maps: list[PrintedMap], lang: str) -> None:
    if part.new_page or (part.maps and pdf.get_y() + MAP_HEIGHT + 15 > pdf.h - 25):
        pdf.add_page()
    pdf.ln(2)
    _line(pdf, part.heading, 13, bold=True)
    for text in part.paragraphs:
        _line(pdf, text, 11, indent=True)
    if part.table is not None:
        _table(pdf, part.table)
    if part.maps:
        for view in maps:
            if pdf.get_y() + MAP_HEIGHT > pdf.h - 25:
                pdf.add_page()
            top = pdf.get_y() + 2
            draw_map(pdf, view, Box(MARGIN, top, MARGIN + WIDTH, top + MAP_HEIGHT), size=6.5, lang=lang)
            pdf.set_y(top + MAP_HEIGHT + 4)


def _table(pdf: FPDF, table: Table) -> None:
    pdf.set_font(FONT, "", 8.5)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(255, 255, 255)  # the maps leave their last fill colour behind
    total = sum(table.widths)
    widths = tuple(WIDTH * w / total for w in table.widths)
    heading = FontFace(family=FONT, emphasis="BOLD", fill_color=(235, 235, 235))
    with pdf.table(col_widths=widths, headings_style=heading, line_height=4.6, text_align="CENTER") as grid:
        for values in [table.header, *table.rows]:
            row = grid.row()
            for value in values:
                row.cell(value)
    pdf.ln(3)
