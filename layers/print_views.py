"""What a printed map shows: the units coloured by an indicator (as on /map) or by its change since last month.

Pure: projected village and township polygons and indicator tables in, a :class:`PrintedMap`
out; :func:`draw_map` draws one into a box of a PDF page with labels, legend, scale bar and
north arrow.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from fpdf import FPDF

from geodata.settings import get_settings
from layers.catalog import MapIndicator, format_value, indicator, unit_label
from layers.classify import NO_DATA, classify
from layers.i18n import pick, t
from layers.print_map import (
    Box,
    Frame,
    Label,
    Placed,
    anchor_points,
    draw_labels,
    draw_legend,
    draw_north_arrow,
    draw_polygons,
    draw_scale_bar,
    is_dark,
    legend_extent,
    place_labels,
)

# ColorBrewer RdBu (5): worse in red, better in blue, no change in grey-white.
DIVERGING = ("#0571b0", "#92c5de", "#f7f7f7", "#f4a582", "#ca0020")


@dataclass(frozen=True)
class PrintedMap:
    """Projected ``units`` (``code``, ``name``) with their fill ``colours``, township ``towns`` outlines, the legend."""

    units: gpd.GeoDataFrame
    colours: list[str]
    towns: gpd.GeoDataFrame
    legend_title: str
    legend: list[tuple[str, str]]
    label_units: bool = True


def indicator_title(ind: MapIndicator, lang: str) -> str:
    """The indicator's name with its unit: 贫困发生率（%）."""
    return t("print_indicator_unit", lang, name=pick((ind.zh, ind.en), lang), unit=unit_label(ind, lang))


def _values(units: gpd.GeoDataFrame, table: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(table[column], errors="coerce").reindex(units["code"]).astype(float)
    values.index = units["code"].to_numpy()
    return values


def indicator_map(
    units: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, table: pd.DataFrame, *, layer: str, lang: str, labels: bool = True
) -> PrintedMap:
    """``units`` coloured by ``layer`` from ``table`` (indexed by unit code) with /map's classes and colours."""
    ind = indicator(layer)
    classes = classify(_values(units, table, ind.column), ind, get_settings(), lang)
    legend = list(zip(classes.colours, classes.labels, strict=True))
    if (classes.index < 0).any():
        legend.append((NO_DATA, t("no_data", lang)))
    return PrintedMap(units, list(classes.colour_of()), towns, indicator_title(ind, lang), legend, labels)


def change_map(
    units: gpd.GeoDataFrame,
    towns: gpd.GeoDataFrame,
    now: pd.DataFrame,
    before: pd.DataFrame,
    *,
    layer: str,
    lang: str,
) -> PrintedMap:
    """``units`` coloured by the change of ``layer`` between two tables: red worse, blue better, centred on zero."""
    ind = indicator(layer)
    delta = _values(units, now, ind.column) - _values(units, before, ind.column)
    worse = delta if ind.higher_is_worse else -delta
    top = float(np.nanmax(np.abs(worse.to_numpy()))) if worse.notna().any() else 0.0
    half = top / 2
    cut = np.select(
        [worse.isna(), worse.abs() < 1e-12, worse < -half, worse < 0, worse <= half], [-1, 2, 0, 1, 3], default=4
    )
    colours = [NO_DATA if c < 0 else DIVERGING[c] for c in cut]
    change = change_text
    legend = [
        (DIVERGING[4], t("print_worse_more", lang, value=change(half, ind, lang))),
        (DIVERGING[3], t("print_worse_up_to", lang, value=change(half, ind, lang))),
        (DIVERGING[2], t("print_no_change", lang)),
        (DIVERGING[1], t("print_better_up_to", lang, value=change(half, ind, lang))),
        (DIVERGING[0], t("print_better_more", lang, value=change(half, ind, lang))),
    ]
    if (cut < 0).any():
        legend.append((NO_DATA, t("no_data", lang)))
    title = t("print_change_title", lang, name=pick((ind.zh, ind.en), lang))
    return PrintedMap(units, colours, towns, title, legend, label_units=False)


def change_text(value: float, ind: MapIndicator, lang: str) -> str:
    """A change of the indicator as people read it: 2.5 个百分点, 3 户, 4 分."""
    if ind.kind in ("share", "points"):
        return t("print_points", lang, value=f"{abs(value) * 100:.1f}")
    return format_value(abs(value), ind, lang)


def draw_map(pdf: FPDF, view: PrintedMap, box: Box, *, size: float, lang: str) -> list[Placed]:
    """Draw ``view`` into ``box``: fills, township outlines, legend (bottom right), scale bar, north arrow, labels.

    ``size`` is the body text size in points (village labels); township labels are larger.
    Returns the labels placed (none of their rectangles overlap another's or the furniture's).
    """
    frame = Frame.fit(view.units.total_bounds, box)
    thin = 0.08 * size / 7
    draw_polygons(pdf, view.units.geometry, frame, fills=view.colours, stroke="#7f7f7f", width_mm=thin)
    draw_polygons(pdf, view.towns.geometry, frame, fills=[None] * len(view.towns), stroke="#222222", width_mm=thin * 4)
    pad = size * 0.6
    arrow = draw_north_arrow(pdf, box.x1 - pad * 2, box.y0 + pad, size=size * 1.3, north=t("print_north", lang))
    scale = draw_scale_bar(pdf, frame, box.x0 + pad, box.y1 - pad * 2.2, size=size, km_label=t("print_km", lang))
    legend_box = _legend_at_corner(pdf, view, box, size=size)
    labels = _town_labels(view, frame, size) + (_unit_labels(view, frame, size) if view.label_units else [])
    placed = place_labels(pdf, labels, within=box, taken=[arrow, scale, legend_box])
    draw_labels(pdf, placed)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(thin * 3)
    pdf.rect(box.x0, box.y0, box.width, box.height)
    return placed


def _legend_at_corner(pdf: FPDF, view: PrintedMap, box: Box, *, size: float) -> Box:
    """The legend in the bottom-right corner of the map box on a white panel."""
    extent = legend_extent(pdf, view.legend_title, view.legend, size=size)
    pad = size * 0.5
    x, y = box.x1 - extent.width - pad * 2, box.y1 - extent.height - pad * 2
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(150, 150, 150)
    pdf.rect(x - pad, y - pad, extent.width + pad * 2, extent.height + pad * 2, style="DF")
    drawn = draw_legend(pdf, view.legend_title, view.legend, x, y, size=size)
    return Box(drawn.x0 - pad, drawn.y0 - pad, drawn.x1 + pad, drawn.y1 + pad)


def _town_labels(view: PrintedMap, frame: Frame, size: float) -> list[Label]:
    if not len(view.towns):
        return []
    xy = frame.page(anchor_points(view.towns.geometry))
    return [
        Label(str(name), float(x), float(y), size * 1.5, bold=True, rank=0)
        for name, (x, y) in zip(view.towns["name"], xy, strict=True)
    ]


def _unit_labels(view: PrintedMap, frame: Frame, size: float) -> list[Label]:
    """Village labels, larger villages first; white on the dark classes."""
    xy = frame.page(anchor_points(view.units.geometry))
    order = np.argsort(-view.units.geometry.area.to_numpy())
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(1, len(order) + 1)
    return [
        Label(str(name), float(x), float(y), size, colour="#ffffff" if is_dark(fill) else "#222222", rank=int(r))
        for name, (x, y), fill, r in zip(view.units["name"], xy, view.colours, rank, strict=True)
    ]


def map_png(view: PrintedMap, *, width_mm: float, height_mm: float, dpi: int, size: float, lang: str) -> bytes:
    """``view`` alone on a page of the given size, as PNG bytes (for documents that take pictures, e.g. Word)."""
    from layers.print_pdf import new_pdf, page_png, pdf_bytes  # noqa: PLC0415 - only here

    pdf = new_pdf()
    pdf.add_page(format=(width_mm, height_mm))
    draw_map(pdf, view, Box(0.5, 0.5, width_mm - 0.5, height_mm - 0.5), size=size, lang=lang)
    return page_png(pdf_bytes(pdf), dpi=dpi)
