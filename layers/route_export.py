"""An inspection plan as GPX (phone navigation), a standalone HTML map with its checklist, and JSON.

GPX is written with gpxpy: the start and every stop are waypoints (numbered, with the
arrival time), each day is a route (``rte``: the stops in order, for apps that route
themselves) and a track (``trk``: the road geometry the plan was timed on). Coordinates
are CGCS2000, which GPS readers take as WGS84 (they differ by less than a metre). The
HTML map is Folium with Leaflet inlined (:func:`layers.export_html.offline_map`), so it
opens with no internet; numbers are Leaflet ``DivIcon`` labels, which need no font
server, and all text is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import folium
import geopandas as gpd
import gpxpy.gpx
import numpy as np

from geodata.io.crs import wgs84_to_gcj02
from geodata.settings import MapSettings
from layers.basemap import to_gcj02_frame
from layers.checklist import checklist_html, day_lines, reasons_text, start_name
from layers.export_html import offline_map
from layers.i18n import t
from layers.leaflet_text import with_tooltip

DAY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
UNFITTED_COLOUR = "#8a8f98"
OUTLINE_STYLE = {"color": "#9aa3ad", "weight": 1, "fill": False}
NUMBER_CSS = (
    "<style>.stop-no{background:#fff;border:2px solid var(--c);border-radius:50%;width:22px;height:22px;"
    "line-height:20px;text-align:center;font:bold 12px sans-serif;color:#111;box-sizing:border-box}"
    ".stop-start{background:#111;color:#fff;border-color:#111}</style>"
)


def plan_json(plan: dict[str, Any]) -> str:
    """The plan as indented UTF-8 JSON."""
    return json.dumps(plan, ensure_ascii=False, indent=1)


def plan_gpx(plan: dict[str, Any], lang: str = "zh") -> str:
    """The plan as GPX 1.1 text: waypoints, one route and one track per day."""
    gpx = gpxpy.gpx.GPX()
    gpx.name = f"{t('route', lang)} {plan['date']}"
    gpx.creator = "Battlemap 乡村振兴作战图"
    start = plan["start"]
    gpx.waypoints.append(
        gpxpy.gpx.GPXWaypoint(start["lat"], start["lon"], name=f"0 {start_name(plan, lang)}", symbol="Flag")
    )
    for stop in plan["stops"]:
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                stop["lat"],
                stop["lon"],
                name=f"{stop['number']} {stop['village']}",
                description=f"{t('day_n', lang, n=stop['day'])} {stop['arrive'][-5:]}–{stop['depart'][-5:]} "
                f"{stop['village_code']}",
                time=_time(stop["arrive"]),
                symbol="Flag",
            )
        )
    for summary, path in zip(plan["day_summary"], plan["paths"], strict=True):
        day = summary["day"]
        stops = [s for s in plan["stops"] if s["day"] == day]
        if not stops:
            continue
        label = t("day_n", lang, n=day)
        route = gpxpy.gpx.GPXRoute(name=f"{label} {summary['date']}")
        first = summary.get("start_place") or {**start, "name": ""}  # plans stored before day places existed
        route.points.append(
            gpxpy.gpx.GPXRoutePoint(first["lat"], first["lon"], name=first["name"] or start_name(plan, lang))
        )
        route.points.extend(
            gpxpy.gpx.GPXRoutePoint(s["lat"], s["lon"], name=f"{s['number']} {s['village']}") for s in stops
        )
        night = summary.get("end_place")
        if plan.get("overnight") and night and day < len(plan["day_summary"]):
            route.points.append(gpxpy.gpx.GPXRoutePoint(night["lat"], night["lon"], name=night["name"]))
        gpx.routes.append(route)
        segment = gpxpy.gpx.GPXTrackSegment([gpxpy.gpx.GPXTrackPoint(lat, lon) for lon, lat in path])
        track = gpxpy.gpx.GPXTrack(name=f"{label} {summary['distance_km']} km")
        track.segments.append(segment)
        gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def _time(clock: str) -> dt.datetime:
    return dt.datetime.strptime(clock, "%Y-%m-%d %H:%M").replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def plan_bounds(plan: dict[str, Any]) -> tuple[float, float, float, float]:
    """Lon/lat bounds of the start, the stops (routed and unfitted) and the paths."""
    pts = [(plan["start"]["lon"], plan["start"]["lat"])]
    pts += [(s["lon"], s["lat"]) for s in plan["stops"] + plan["unfitted"]]
    pts += [tuple(p) for path in plan["paths"] for p in path]
    arr = np.array(pts, float)
    return float(arr[:, 0].min()), float(arr[:, 1].min()), float(arr[:, 0].max()), float(arr[:, 1].max())


def plan_map(
    plan: dict[str, Any],
    lang: str,
    *,
    basemap: MapSettings | None = None,
    outlines: gpd.GeoDataFrame | None = None,
    height: str = "100%",
) -> str:
    """A standalone HTML page: the route map with numbered stops (and nothing else)."""
    fmap = _route_map(plan, lang, basemap=basemap, outlines=outlines, height=height)
    return fmap.get_root().render()


def plan_html(
    plan: dict[str, Any], lang: str, *, basemap: MapSettings | None = None, outlines: gpd.GeoDataFrame | None = None
) -> str:
    """The standalone HTML export: the map, the day summaries, and the printable checklist of every stop."""
    root = _route_map(plan, lang, basemap=basemap, outlines=outlines, height="70vh").get_root()
    summary = "".join(f"<li>{html.escape(line)}</li>" for line in day_lines(plan, lang))
    unfitted = "".join(
        f"<li>{html.escape(s['village'])} ({html.escape(s['village_code'])})</li>" for s in plan["unfitted"]
    )
    body = (
        f"<div style='font:14px sans-serif;margin:1em'><h1 style='font-size:20px'>"
        f"{html.escape(t('route_title', lang))} · {html.escape(plan['date'])}</h1><ul>{summary}</ul>"
        + (f"<h3>{html.escape(t('unfitted', lang))}</h3><ul>{unfitted}</ul>" if unfitted else "")
        + "</div>"
    )
    page = root.render()  # Folium adds the map's div while rendering: the text goes after it, before </body>
    head, tail = page.rsplit("</body>", 1)
    return f"{head}{body}{checklist_html(plan, lang)}</body>{tail}"


def _route_map(
    plan: dict[str, Any], lang: str, *, basemap: MapSettings | None, outlines: gpd.GeoDataFrame | None, height: str
) -> folium.Map:
    """The Folium map of a plan: one coloured line per day, numbered stops, the start, unfitted stops in grey.

    ``outlines`` (village polygons, EPSG:4490) are drawn as thin grey lines for orientation.
    """
    title = f"{t('route_title', lang)} · {plan['date']}"
    fmap, gcj02 = offline_map(plan_bounds(plan), title=title, basemap=basemap, height=height)
    fmap.get_root().header.add_child(folium.Element(NUMBER_CSS), name="route_css")
    shift = _gcj02 if gcj02 else _same
    if outlines is not None and len(outlines):
        shapes = to_gcj02_frame(outlines[["geometry"]]) if gcj02 else outlines[["geometry"]]
        folium.GeoJson(shapes.to_json(), style_function=lambda _f: OUTLINE_STYLE, interactive=False).add_to(fmap)
    for day, path in enumerate(plan["paths"], start=1):
        if path:
            lonlat = shift(np.array(path, float))
            line = folium.PolyLine(
                lonlat[:, ::-1].tolist(), color=DAY_COLOURS[(day - 1) % len(DAY_COLOURS)], weight=4, opacity=0.85
            )
            with_tooltip(line, t("day_n", lang, n=day)).add_to(fmap)
    start = plan["start"]
    ((s_lon, s_lat),) = shift(np.array([[start["lon"], start["lat"]]]))
    _marker(
        fmap,
        s_lat,
        s_lon,
        "0",
        colour="#111",
        tip=f"{t('start_point', lang)}: {start_name(plan, lang)}",
        css="stop-no stop-start",
    )
    for stop in plan["stops"]:
        ((lon, lat),) = shift(np.array([[stop["lon"], stop["lat"]]]))
        colour = DAY_COLOURS[(stop["day"] - 1) % len(DAY_COLOURS)]
        text = f"{stop['number']}. {stop['village']} · {stop['arrive'][-5:]} · {reasons_text(stop, lang)}"
        _marker(fmap, lat, lon, str(stop["number"]), colour=colour, tip=text)
    for stop in plan["unfitted"]:
        ((lon, lat),) = shift(np.array([[stop["lon"], stop["lat"]]]))
        _marker(fmap, lat, lon, "–", colour=UNFITTED_COLOUR, tip=f"{t('unfitted', lang)}: {stop['village']}")
    return fmap


def _marker(
    fmap: folium.Map, lat: float, lon: float, label: str, *, colour: str, tip: str, css: str = "stop-no"
) -> None:
    """A round numbered label (escaped text) with an escaped tooltip."""
    icon = folium.DivIcon(
        html=f'<div class="{css}" style="--c:{colour}">{html.escape(label)}</div>',
        icon_size=(22, 22),
        icon_anchor=(11, 11),
    )
    with_tooltip(folium.Marker([lat, lon], icon=icon), tip).add_to(fmap)


def _gcj02(lonlat: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_to_gcj02(lonlat[:, 0], lonlat[:, 1])
    return np.c_[lon, lat]


def _same(lonlat: np.ndarray) -> np.ndarray:
    return lonlat
