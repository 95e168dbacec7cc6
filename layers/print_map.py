"""A printed map drawn as vectors into a box of a PDF page: filled units, outlines, labels, scale bar, north arrow.

Shared by the wall poster and the bulletin's maps. Geometries arrive in EPSG:4490 and are
drawn in the county's Gauss-Krüger zone (metres), so the scale bar is true; labels are
placed greedily by priority and dropped when every candidate position would overlap a label
already placed (checked on their bounding boxes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from fpdf import FPDF
from fpdf.enums import PathPaintRule

from geodata.io.crs import county_epsg
from layers.print_pdf import FONT

PT_MM = 25.4 / 72.0  # one typographic point in millimetres
NICE_STEPS = (1.0, 2.0, 5.0)


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in millimetres, y downwards."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two rectangles share any area."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def within(self, other: Box) -> bool:
        """Whether this rectangle lies inside ``other``."""
        return self.x0 >= other.x0 and self.y0 >= other.y0 and self.x1 <= other.x1 and self.y1 <= other.y1

    @property
    def width(self) -> float:
        """Width in millimetres."""
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        """Height in millimetres."""
        return self.y1 - self.y0


@dataclass(frozen=True)
class Frame:
    """Where projected metres land on the page: ``x_mm = box.x0 + (x - x_min) * scale`` (north up)."""

    box: Box
    x_min: float
    y_max: float
    scale: float  # millimetres per metre

    @classmethod
    def fit(cls, bounds: Sequence[float], box: Box, *, padding: float = 0.95) -> Frame:
        """The frame that fits projected ``bounds`` into ``box``, centred, ``padding`` of the box used."""
        x0, y0, x1, y1 = (float(b) for b in bounds)
        scale = padding * min(box.width / max(x1 - x0, 1.0), box.height / max(y1 - y0, 1.0))
        x_min = (x0 + x1) / 2 - box.width / 2 / scale
        y_max = (y0 + y1) / 2 + box.height / 2 / scale
        return cls(box, x_min, y_max, scale)

    def page(self, xy: np.ndarray) -> np.ndarray:
        """Projected coordinates (n × 2) as page millimetres."""
        return np.column_stack(
            [self.box.x0 + (xy[:, 0] - self.x_min) * self.scale, self.box.y0 + (self.y_max - xy[:, 1]) * self.scale]
        )


@dataclass(frozen=True)
class Label:
    """A label to place: ``text`` centred near (``x``, ``y``) page mm, ``size`` points; lower ``rank`` goes first."""

    text: str
    x: float
    y: float
    size: float
    bold: bool = False
    colour: str = "#222222"
    rank: int = 0


@dataclass(frozen=True)
class Placed:
    """A label where it was drawn and the rectangle it takes."""

    label: Label
    box: Box
    shifted: bool = False  # moved off its anchor: drawn dark on a pale panel, whatever lies beneath


def projected(frame: gpd.GeoDataFrame, epsg: int | None = None) -> gpd.GeoDataFrame:
    """``frame`` in the county's Gauss-Krüger zone (or ``epsg``) for drawing in true metres."""
    return frame.to_crs(epsg or county_epsg(frame))


def rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as an RGB triple."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def is_dark(colour: str) -> bool:
    """Whether white text reads better than black on ``colour`` (relative luminance below 0.4)."""
    r, g, b = (c / 255 for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4


def draw_polygons(
    pdf: FPDF,
    geoms: Iterable[shapely.Geometry],
    frame: Frame,
    *,
    fills: Sequence[str | None],
    stroke: str,
    width_mm: float,
) -> None:
    """Each (multi)polygon filled with its colour (None = outline only), holes left open, outlined."""
    for geom, fill in zip(geoms, fills, strict=True):
        if geom is None or geom.is_empty:
            continue
        rule = PathPaintRule.STROKE_FILL_EVENODD if fill else PathPaintRule.STROKE
        with pdf.new_path(paint_rule=rule) as path:
            path.style.stroke_color = stroke
            path.style.stroke_width = width_mm
            path.style.stroke_join_style = "round"
            if fill:
                path.style.fill_color = fill
            for part in shapely.get_parts(geom):
                for ring in (part.exterior, *part.interiors):
                    xy = frame.page(shapely.get_coordinates(ring))
                    path.move_to(*xy[0])
                    for x, y in xy[1:]:
                        path.line_to(x, y)
                    path.close()


def label_box(pdf: FPDF, label: Label, dx: float = 0.0, dy: float = 0.0) -> Box:
    """The rectangle ``label`` takes when centred at its point moved by (dx, dy) mm."""
    pdf.set_font(FONT, "B" if label.bold else "", label.size)
    width = pdf.get_string_width(label.text)
    height = label.size * PT_MM * 1.15
    cx, cy = label.x + dx, label.y + dy
    return Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def place_labels(pdf: FPDF, labels: Sequence[Label], *, within: Box, taken: Sequence[Box] = ()) -> list[Placed]:
    """Labels by rank, each at the first of five positions (centre, above, below, right, left) that overlaps nothing.

    A label that fits nowhere inside ``within`` without overlapping a placed label or one of
    ``taken`` (legend, scale bar …) is dropped.
    """
    placed: list[Placed] = []
    blocked = list(taken)
    for label in sorted(labels, key=lambda lb: (lb.rank, -lb.size)):
        centre = label_box(pdf, label)
        step_y, step_x = centre.height * 1.05, centre.width + centre.height * 0.2
        for dx, dy in ((0.0, 0.0), (0.0, -step_y), (0.0, step_y), (step_x, 0.0), (-step_x, 0.0)):
            box = Box(centre.x0 + dx, centre.y0 + dy, centre.x1 + dx, centre.y1 + dy)
            if box.within(within) and not any(box.overlaps(other) for other in blocked):
                moved = Label(**{**label.__dict__, "x": label.x + dx, "y": label.y + dy})
                placed.append(Placed(moved, box, shifted=(dx, dy) != (0.0, 0.0)))
                blocked.append(box)
                break
    return placed


def draw_labels(pdf: FPDF, placed: Sequence[Placed]) -> None:
    """Write each placed label, centred in its rectangle."""
    for item in placed:
        label = item.label
        colour = label.colour
        if item.shifted:
            colour = "#222222"
            with pdf.local_context(fill_opacity=0.7):
                pdf.set_fill_color(255, 255, 255)
                pdf.rect(item.box.x0, item.box.y0, item.box.width, item.box.height, style="F")
        pdf.set_font(FONT, "B" if label.bold else "", label.size)
        pdf.set_text_color(*rgb(colour))
        baseline = item.box.y0 + item.box.height / 2 + label.size * PT_MM * 0.35
        pdf.text(item.box.x0, baseline, label.text)
    pdf.set_text_color(0, 0, 0)


def anchor_points(geoms: gpd.GeoSeries) -> np.ndarray:
    """A point inside each polygon (the label anchor), as projected coordinates (n × 2)."""
    return shapely.get_coordinates(shapely.point_on_surface(np.asarray(geoms.values)))


def nice_length(metres: float) -> float:
    """The largest 1-2-5 × 10ⁿ length not above ``metres``."""
    power = 10.0 ** math.floor(math.log10(max(metres, 1.0)))
    return max(step * power for step in NICE_STEPS if step * power <= metres)


def draw_scale_bar(pdf: FPDF, frame: Frame, x: float, y: float, *, size: float, km_label: str) -> Box:
    """A four-segment black-and-white scale bar about a fifth of the map wide, its left end at (x, y)."""
    length_m = nice_length(frame.box.width / 5 / frame.scale)
    seg = length_m * frame.scale / 4
    height = size * PT_MM * 0.5
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.15 * size / 8)
    for i in range(4):
        pdf.set_fill_color(*((0, 0, 0) if i % 2 == 0 else (255, 255, 255)))
        pdf.rect(x + i * seg, y, seg, height, style="DF")
    pdf.set_font(FONT, "", size)
    km = length_m / 1000
    text = f"{km:g} {km_label}"
    pdf.text(x - pdf.get_string_width("0") / 2, y + height + size * PT_MM * 1.1, "0")
    pdf.text(x + 4 * seg - pdf.get_string_width(text) / 2, y + height + size * PT_MM * 1.1, text)
    return Box(x - size * PT_MM, y, x + 4 * seg + pdf.get_string_width(text), y + height + size * PT_MM * 1.4)


def draw_north_arrow(pdf: FPDF, x: float, y: float, *, size: float, north: str) -> Box:
    """A north arrow (half-filled triangle and the letter) centred on ``x`` with its top at ``y``."""
    height = size * PT_MM * 3
    half = height * 0.3
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.15 * size / 8)
    pdf.set_fill_color(0, 0, 0)
    top, bottom = y + size * PT_MM * 1.3, y + size * PT_MM * 1.3 + height
    pdf.polygon([(x, top), (x - half, bottom), (x, bottom - height * 0.25)], style="DF")
    pdf.set_fill_color(255, 255, 255)
    pdf.polygon([(x, top), (x + half, bottom), (x, bottom - height * 0.25)], style="DF")
    pdf.set_font(FONT, "B", size)
    pdf.text(x - pdf.get_string_width(north) / 2, y + size * PT_MM, north)
    return Box(x - half, y, x + half, bottom)


def legend_extent(pdf: FPDF, title: str, entries: Sequence[tuple[str, str]], *, size: float) -> Box:
    """The rectangle a legend takes with its top-left corner at the origin."""
    line = size * PT_MM * 1.6
    pdf.set_font(FONT, "B", size * 1.1)
    width = pdf.get_string_width(title)
    pdf.set_font(FONT, "", size)
    width = max([width, *(line * 1.8 + pdf.get_string_width(text) for _, text in entries)])
    return Box(0.0, 0.0, width, (len(entries) + 1) * line + line * 0.3)


def draw_legend(pdf: FPDF, title: str, entries: Sequence[tuple[str, str]], x: float, y: float, *, size: float) -> Box:
    """A legend: ``title`` then one swatch per (colour, text) entry, top-left at (x, y)."""
    line = size * PT_MM * 1.6
    extent = legend_extent(pdf, title, entries, size=size)
    pdf.set_font(FONT, "B", size * 1.1)
    pdf.set_text_color(0, 0, 0)
    pdf.text(x, y + line * 0.7, title)
    pdf.set_font(FONT, "", size)
    pdf.set_draw_color(90, 90, 90)
    pdf.set_line_width(0.1 * size / 8)
    for i, (colour, text) in enumerate(entries, start=1):
        top = y + i * line + line * 0.15
        pdf.set_fill_color(*rgb(colour))
        pdf.rect(x, top, line * 1.4, line * 0.7, style="DF")
        pdf.text(x + line * 1.8, top + line * 0.6, text)
    return Box(x, y, x + extent.width, y + extent.height)
