"""A printable A4 route sheet per day of a plan (PDF, the Chinese font embedded): stops, times, who to see, notes.

One page (or more, when a day is long) per day with stops: where the day starts and ends,
its distance and driving time, then a table of the stops in order — number, arrival and
departure, village, the work teams to check, the households to visit (masked as in the
plan) and an empty column to tick and write in — and ruled blank lines for notes. The
inspector carries it where phones have no signal.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from layers.checklist import day_places
from layers.i18n import t
from layers.print_pdf import FONT, new_pdf, pdf_bytes

MARGIN = 15.0
WIDTH = 210.0 - 2 * MARGIN
NOTE_LINES = 8
COLUMNS = (("stop_no", 8), ("arrive", 20), ("village", 38), ("teams", 24), ("households_to_visit", 44), ("notes", 46))


def route_sheet_pdf(plan: dict[str, Any], lang: str = "zh") -> bytes:
    """The plan's route sheets as PDF bytes: a page per day with stops."""
    pdf = new_pdf()
    pdf.set_title(f"{t('route_title', lang)} {plan['date']}")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    for day in plan["day_summary"]:
        stops = [s for s in plan["stops"] if s["day"] == day["day"]]
        if stops:
            _day_page(pdf, plan, day, stops, lang)
    if not pdf.page:
        pdf.add_page()  # nothing fitted: one page saying so
        _text(pdf, f"{t('route_title', lang)} · {plan['date']}", 15, bold=True)
        _text(pdf, t("unfitted", lang), 11)
    return pdf_bytes(pdf)


def _day_page(pdf: FPDF, plan: dict[str, Any], day: dict[str, Any], stops: list[dict[str, Any]], lang: str) -> None:
    pdf.add_page()
    _text(pdf, f"{t('route_title', lang)} · {t('day_n', lang, n=day['day'])} {day['date']}", 15, bold=True)
    _text(pdf, day_places(plan, day, lang), 10.5)
    _text(pdf, t("day_total", lang, km=day["distance_km"], travel=day["travel_h"], end=day["end"][-5:]), 10.5)
    pdf.ln(2)
    pdf.set_font(FONT, "", 8.5)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    heading = FontFace(family=FONT, emphasis="BOLD", fill_color=(235, 235, 235))
    widths = tuple(w for _, w in COLUMNS)
    with pdf.table(col_widths=widths, headings_style=heading, line_height=5, text_align="LEFT") as grid:
        row = grid.row()
        for key, _ in COLUMNS:
            row.cell(t(key, lang))
        for stop in stops:
            row = grid.row()
            row.cell(str(stop["number"]))
            row.cell(f"{stop['arrive'][-5:]}–{stop['depart'][-5:]}")
            due = f"\n{t('forced_stop', lang)}" if stop["forced"] else ""
            row.cell(f"{stop['village']}\n{stop['village_code']}{due}")
            row.cell("\n".join(x["team_id"] for x in stop["teams"]) or "—")
            row.cell("\n".join(f"{h['household_id']} {h['head'] or ''}".strip() for h in stop["households"]) or "—")
            row.cell("")  # written in on the spot
    pdf.ln(4)
    _text(pdf, t("notes", lang), 11, bold=True)
    for _ in range(NOTE_LINES):
        y = pdf.get_y() + 8
        if y > pdf.h - MARGIN:
            break
        pdf.line(MARGIN, y, MARGIN + WIDTH, y)
        pdf.set_y(y)


def _text(pdf: FPDF, text: str, size: float, *, bold: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(WIDTH, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
