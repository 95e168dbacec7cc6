"""The wall poster (挂图): a print-ready battle map on A0–A3 as a vector PDF (or its 300-dpi PNG).

Title, date, the indicator map with township and village labels that never overlap, legend,
scale bar, north arrow, a locator inset, the key figures, data source and as-of date. Pure
rendering: the caller hands in projected polygons, the indicator table and the unit's row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from fpdf import FPDF

from analytics.measures import MEASURES, RATIOS
from layers.catalog import BY_KEY, format_value, indicator
from layers.i18n import LAYER_NAMES, pick, t
from layers.print_map import PT_MM, Box, Frame, Placed, draw_polygons
from layers.print_pdf import FONT, PAPERS, new_pdf, pdf_bytes
from layers.print_views import PrintedMap, draw_map

# The poster's key figures: indicator-table columns, counts first, then the rates and the index.
KEY_FIGURES = (
    "villages",
    "households",
    "monitored_households",
    "monitored_open_households",
    "cd_cases_open",
    "cd_cases_overdue",
    "water_unsafe_households",
    "poverty_incidence",
    "water_fail_rate",
    "risk_index",
)
NAMES = {m.name: (m.zh, m.en) for m in (*MEASURES, *RATIOS)}


@dataclass(frozen=True)
class PosterContent:
    """Everything a poster shows: the map, the locator's outlines, the unit's indicator row and the sources."""

    title: str  # the mapped unit: 塬川示范县 or 塬川示范县城关镇
    layer: str
    as_of: dt.date
    view: PrintedMap
    county_towns: gpd.GeoDataFrame  # every township of the county, projected (the locator inset)
    highlight: gpd.GeoSeries  # the mapped township, projected (empty for the whole county)
    row: pd.Series  # the mapped unit's row of its indicator table
    sources: Sequence[str]  # store layers the figures come from
    made: dt.date


@dataclass(frozen=True)
class Poster:
    """The finished poster: PDF bytes, the labels placed on it and the map's box."""

    pdf: bytes
    labels: list[Placed]
    map_box: Box


def body_size(paper: str) -> float:
    """Text size in points of village labels: 7 pt on A3, growing with the paper's short side."""
    return 7.0 * min(PAPERS[paper]) / min(PAPERS["A3"])


def figure_text(column: str, value: object, lang: str) -> str:
    """One key figure as people read it."""
    if value is None or pd.isna(value):
        return t("no_data", lang)
    if column in BY_KEY:
        return format_value(float(value), indicator(column), lang)
    return f"{float(value):,.0f}"


def key_figures(row: pd.Series, layer: str, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs of the unit's key figures, the mapped indicator first."""
    columns = [indicator(layer).column, *(c for c in KEY_FIGURES if c != indicator(layer).column)]
    out = []
    for column in columns:
        if column not in row.index:
            continue
        ind = BY_KEY.get(column)
        label = pick((ind.zh, ind.en), lang) if ind else pick(NAMES.get(column, (column, column)), lang)
        out.append((label, figure_text(column, row[column], lang)))
    return out


def poster_pdf(content: PosterContent, *, paper: str, landscape: bool, lang: str = "zh") -> Poster:
    """The poster as a one-page vector PDF with the Chinese font embedded."""
    pdf = new_pdf(paper=paper, landscape=landscape)
    pdf.set_title(f"{content.title} · {t('app_title', lang)}")
    pdf.add_page()
    width, height = pdf.w, pdf.h
    size = body_size(paper)
    margin = min(width, height) * 0.03
    title_h = _title(pdf, content, margin, size, lang)
    side = (width - 2 * margin) * (0.24 if width < height else 0.2)
    footer = size * PT_MM * 3
    map_box = Box(margin, margin + title_h, width - margin - side - margin / 2, height - margin - footer)
    placed = draw_map(pdf, content.view, map_box, size=size, lang=lang)
    column = Box(map_box.x1 + margin / 2, map_box.y0, width - margin, map_box.y1)
    inset_h = _locator(pdf, content, column, size, lang)
    _figures(
        pdf,
        key_figures(content.row, content.layer, lang),
        column,
        column.y0 + inset_h + margin / 2,
        size=size,
        lang=lang,
    )
    _footer(pdf, content, margin, height - margin - footer * 0.4, size=size, lang=lang)
    return Poster(pdf_bytes(pdf), placed, map_box)


def _title(pdf: FPDF, content: PosterContent, margin: float, size: float, lang: str) -> float:
    """Title and subtitle across the top; returns the height they take."""
    ind = indicator(content.layer)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "B", size * 4)
    title = t("print_poster_title", lang, unit=content.title)
    pdf.text((pdf.w - pdf.get_string_width(title)) / 2, margin + size * 4 * PT_MM, title)
    pdf.set_font(FONT, "", size * 1.8)
    sub = t("print_poster_subtitle", lang, name=pick((ind.zh, ind.en), lang), date=f"{content.as_of:%Y-%m-%d}")
    pdf.text((pdf.w - pdf.get_string_width(sub)) / 2, margin + size * PT_MM * (4 + 3.2), sub)
    return size * PT_MM * 9


def _locator(pdf: FPDF, content: PosterContent, column: Box, size: float, lang: str) -> float:
    """The county's townships in grey with the mapped area in red, at the top of the side column."""
    pdf.set_font(FONT, "B", size * 1.3)
    pdf.set_text_color(0, 0, 0)
    pdf.text(column.x0, column.y0 + size * 1.3 * PT_MM, t("print_locator", lang))
    top = column.y0 + size * PT_MM * 2.2
    box = Box(column.x0, top, column.x1, top + column.width * 0.8)
    frame = Frame.fit(content.county_towns.total_bounds, box, padding=0.9)
    towns = content.county_towns.geometry
    draw_polygons(pdf, towns, frame, fills=["#eeeeee"] * len(towns), stroke="#888888", width_mm=0.1 * size / 7)
    red = "#b30000"
    draw_polygons(pdf, content.highlight, frame, fills=["#e34a33"] * len(content.highlight), stroke=red,
                  width_mm=0.25 * size / 7)  # fmt: skip
    if not len(content.highlight):  # the whole county: its outline
        draw_polygons(pdf, [towns.union_all()], frame, fills=[None], stroke=red, width_mm=0.4 * size / 7)
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.1 * size / 7)
    pdf.rect(box.x0, box.y0, box.width, box.height)
    return box.y1 - column.y0


def _figures(pdf: FPDF, figures: list[tuple[str, str]], column: Box, y: float, *, size: float, lang: str) -> None:
    """The key figures as label–value lines under the locator."""
    line = size * PT_MM * 2.1
    pdf.set_font(FONT, "B", size * 1.3)
    pdf.text(column.x0, y + size * 1.3 * PT_MM, t("print_key_figures", lang))
    y += line * 1.3
    for label, value in figures:
        pdf.set_font(FONT, "", size * 1.05)
        pdf.set_text_color(60, 60, 60)
        pdf.text(column.x0, y + line * 0.5, label)
        pdf.set_font(FONT, "B", size * 1.2)
        pdf.set_text_color(0, 0, 0)
        pdf.text(column.x1 - pdf.get_string_width(value), y + line * 0.5, value)
        pdf.set_draw_color(210, 210, 210)
        pdf.line(column.x0, y + line * 0.75, column.x1, y + line * 0.75)
        y += line


def _footer(pdf: FPDF, content: PosterContent, margin: float, y: float, *, size: float, lang: str) -> None:
    """Data source, as-of date and when the poster was made, along the bottom."""
    layers = "、".join(pick(LAYER_NAMES.get(name, (name, name)), lang) for name in content.sources)
    text = t("print_source", lang, layers=layers, as_of=f"{content.as_of:%Y-%m-%d}", made=f"{content.made:%Y-%m-%d}")
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(80, 80, 80)
    pdf.text(margin, y, text)
    pdf.set_text_color(0, 0, 0)
