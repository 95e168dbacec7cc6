"""The field pack's map: the county's own roads and village outlines around a plan, its route and stops, as SVG.

No tiles and no map library: everything the phone draws with no network is in the page.
Lon/lat (CGCS2000; a phone's GPS gives WGS84, within a metre of it) are projected to a
local plane — x east, y south, longitude scaled by the cosine of the middle latitude so
that one unit is the same distance both ways — in whole units, about 5 m each on a
50 km plan. The page's script (``layers/field_static/field.js``) places the phone's
position with the same numbers, written on the ``<svg>`` as data attributes. Roads and
outlines are cut to the box of the plan's stops and paths plus ``[field_pack]
margin_km``; roads are simplified to ``[field_pack] simplify_m``. All text is escaped.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geodata.settings import FieldSettings
from layers.i18n import t
from layers.route_export import DAY_COLOURS, plan_bounds, start_name

UNITS = 10_000  # the longer side of the map, in SVG units
METRES_PER_DEGREE = math.pi * 6_371_008.8 / 180  # of latitude, on the mean Earth sphere
ROAD_CLASSES = ("county", "township", "village", "track")  # drawn from the thinnest up; any other class as "track"


@dataclasses.dataclass(frozen=True)
class MapFrame:
    """The local plane of one field map: where lon/lat land in SVG units."""

    west: float
    north: float
    kx: float  # units per degree of longitude
    ky: float  # units per degree of latitude
    width: int
    height: int
    unit_m: float  # metres per unit

    @classmethod
    def around(cls, bounds: tuple[float, float, float, float], *, margin_km: float) -> MapFrame:
        """The frame of ``bounds`` (lon/lat) widened by ``margin_km`` on every side."""
        west, south, east, north = bounds
        m_lat = METRES_PER_DEGREE
        m_lon = METRES_PER_DEGREE * math.cos(math.radians((south + north) / 2))
        west, east = west - margin_km * 1000 / m_lon, east + margin_km * 1000 / m_lon
        south, north = south - margin_km * 1000 / m_lat, north + margin_km * 1000 / m_lat
        unit_m = max((east - west) * m_lon, (north - south) * m_lat, 1.0) / UNITS
        kx, ky = m_lon / unit_m, m_lat / unit_m
        return cls(west, north, kx, ky, math.ceil((east - west) * kx), math.ceil((north - south) * ky), unit_m)

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The frame's lon/lat box (west, south, east, north)."""
        return self.west, self.north - self.height / self.ky, self.west + self.width / self.kx, self.north

    def xy(self, lonlat: np.ndarray) -> np.ndarray:
        """Lon/lat rows → unit rows."""
        return np.c_[(lonlat[:, 0] - self.west) * self.kx, (self.north - lonlat[:, 1]) * self.ky]

    def point(self, lon: float, lat: float) -> tuple[int, int]:
        """One lon/lat point in whole units."""
        ((x, y),) = np.rint(self.xy(np.array([[lon, lat]], float))).astype(int)
        return int(x), int(y)


def field_svg(
    plan: dict[str, Any],
    *,
    roads: gpd.GeoDataFrame | None,
    outlines: gpd.GeoDataFrame | None,
    lang: str,
    settings: FieldSettings,
) -> str:
    """The map of a plan as one ``<svg>`` element: outlines, roads, village names, each day's path, the stops.

    ``roads`` (``road_class``, lines) and ``outlines`` (``code``, ``name``, village polygons) are in
    EPSG:4490; either may be None (a store without the layer): the map then has the route
    alone, and says so in its caption.
    """
    frame = plan_frame(plan, settings)
    parts = [_outlines(frame, outlines), _roads(frame, roads, settings.simplify_m), _names(frame, outlines)]
    parts += [_day_path(frame, day, path) for day, path in enumerate(plan["paths"], start=1) if path]
    parts.append(_start(frame, plan, lang))
    parts += [_stop(frame, stop) for stop in plan["stops"]]
    here = '<g id="here" hidden><circle class="acc"/><circle class="dot"/></g>'
    attrs = {
        "id": "field-map",
        "viewBox": f"0 0 {frame.width} {frame.height}",
        "role": "img",
        "aria-label": t("field_map", lang),
        "data-west": f"{frame.west:.7f}",
        "data-north": f"{frame.north:.7f}",
        "data-kx": f"{frame.kx:.4f}",
        "data-ky": f"{frame.ky:.4f}",
        "data-unit-m": f"{frame.unit_m:.4f}",
        "style": f"--s:{frame.width / 390:.3f}",  # units per screen pixel until the script measures it
    }
    head = " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
    return f'<svg xmlns="http://www.w3.org/2000/svg" {head}>{"".join(parts)}{here}</svg>'


def plan_frame(plan: dict[str, Any], settings: FieldSettings) -> MapFrame:
    """The frame of a plan's map: its stops and paths plus ``[field_pack] margin_km``."""
    return MapFrame.around(plan_bounds(plan), margin_km=settings.margin_km)


def village_rings(frame: MapFrame, outlines: gpd.GeoDataFrame | None, code: str) -> str:
    """The rings of village ``code`` in the frame's whole units: ``x y x y …`` per ring, rings joined by ``;``.

    The phone tells whether an arrival lies inside (even–odd over every ring, so holes and
    parts count) and how far outside, in the frame's metres (``data-unit-m``); empty
    without the village. Not cut to the frame: a stop's village may reach past it.
    """
    if outlines is None or not len(outlines) or "code" not in outlines:
        return ""
    rings = shapely.get_parts(outlines.geometry[outlines["code"].astype(str) == code].boundary.array)
    out = []
    for ring in rings:
        coords = np.rint(frame.xy(shapely.get_coordinates(ring))).astype(int)
        if len(coords) >= 3:
            out.append(" ".join(f"{x} {y}" for x, y in coords))
    return ";".join(out)


def _path_data(frame: MapFrame, lines: Iterable[shapely.Geometry], *, tolerance: float = 0.0) -> str:
    """One SVG path ``d`` for many lines or rings (lon/lat), in whole units, parts of one point dropped."""
    out = []
    for line in lines:
        xy = shapely.transform(line, frame.xy)
        if tolerance:
            xy = shapely.simplify(xy, tolerance)
        coords = np.rint(shapely.get_coordinates(xy)).astype(int)
        keep = np.r_[True, np.any(np.diff(coords, axis=0) != 0, axis=1)]
        coords = coords[keep]
        if len(coords) >= 2:  # a line needs two points
            out.append("M" + " ".join(f"{x} {y}" for x, y in coords))
    return "".join(out)


def _within(frame: MapFrame, layer: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The features of ``layer`` cut to the frame's box (an empty frame without the layer)."""
    if layer is None or not len(layer):
        return gpd.GeoDataFrame(geometry=[])
    box = frame.box
    near = layer[layer.intersects(shapely.box(*box))]
    return near.set_geometry(shapely.clip_by_rect(near.geometry.array, *box))


def _outlines(frame: MapFrame, outlines: gpd.GeoDataFrame | None) -> str:
    """The villages' boundaries as lines (cut as lines: a cut polygon would draw the frame's edge too)."""
    if outlines is None or not len(outlines):
        return ""
    lines = outlines.set_geometry(outlines.geometry.boundary)
    return f'<path class="outline" d="{_path_data(frame, shapely.get_parts(_within(frame, lines).geometry.array))}"/>'


def _roads(frame: MapFrame, roads: gpd.GeoDataFrame | None, simplify_m: float) -> str:
    near = _within(frame, roads)
    if not len(near):
        return ""
    kind = near["road_class"].where(near["road_class"].isin(ROAD_CLASSES), "track")
    out = []
    for road_class in reversed(ROAD_CLASSES):  # the county roads last, on top
        lines = shapely.get_parts(near.geometry[kind == road_class].array)
        data = _path_data(frame, lines, tolerance=simplify_m / frame.unit_m)
        if data:
            out.append(f'<path class="road r-{road_class}" d="{data}"/>')
    return "".join(out)


def _names(frame: MapFrame, outlines: gpd.GeoDataFrame | None) -> str:
    """Every village's name at a point inside it, for orientation."""
    if outlines is None or not len(outlines) or "name" not in outlines:
        return ""
    at = shapely.get_coordinates(shapely.point_on_surface(outlines.geometry.array))
    west, south, east, north = frame.box
    inside = (at[:, 0] >= west) & (at[:, 0] <= east) & (at[:, 1] >= south) & (at[:, 1] <= north)
    near, xy = outlines[inside], np.rint(frame.xy(at[inside])).astype(int)
    labels = (f'<text x="{x}" y="{y}">{html.escape(str(n))}</text>' for (x, y), n in zip(xy, near["name"], strict=True))
    return f'<g class="vname">{"".join(labels)}</g>'


def _day_path(frame: MapFrame, day: int, path: list[list[float]]) -> str:
    colour = DAY_COLOURS[(day - 1) % len(DAY_COLOURS)]
    data = _path_data(frame, [shapely.LineString(path)])
    return f'<path class="route" data-day="{day}" style="stroke:{colour}" d="{data}"/>'


def _marker(
    frame: MapFrame, lon: float, lat: float, label: str, *, css: str, colour: str, title: str, ident: str = ""
) -> str:
    x, y = frame.point(lon, lat)
    named = f' id="{html.escape(ident)}"' if ident else ""
    return (
        f'<g class="{css}"{named} transform="translate({x} {y})" style="--c:{colour}">'
        f"<title>{html.escape(title)}</title>"
        f"<circle/><text>{html.escape(label)}</text></g>"
    )


def _start(frame: MapFrame, plan: dict[str, Any], lang: str) -> str:
    start = plan["start"]
    title = f"{t('start_point', lang)}: {start_name(plan, lang)}"
    return _marker(frame, start["lon"], start["lat"], "0", css="mark start", colour="#111", title=title)


def _stop(frame: MapFrame, stop: dict[str, Any]) -> str:
    colour = DAY_COLOURS[(stop["day"] - 1) % len(DAY_COLOURS)]
    title = f"{stop['number']}. {stop['village']} {stop['arrive'][-5:]}"
    label = str(stop["number"])
    return _marker(frame, stop["lon"], stop["lat"], label, css="mark", colour=colour, title=title, ident=f"m-{label}")
