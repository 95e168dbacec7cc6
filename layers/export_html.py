"""A standalone HTML map of the current view, made with Folium, that opens with no internet.

Folium normally links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; here the
CDN lists are emptied and the vendored Leaflet (``layers/vendor/leaflet``) is inlined,
so the file works on an intranet or from a USB stick. The map uses the same classes,
colours and legend as the app, and every popup is built from escaped text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from geodata.io.crs import wgs84_to_gcj02
from geodata.settings import MapSettings
from layers.basemap import ATTRIBUTION, leaflet_tiles, to_gcj02_frame
from layers.catalog import MapIndicator, format_value, unit_label
from layers.classify import NO_DATA, Classes, ranks
from layers.i18n import pick, t
from layers.leaflet_text import with_tooltip
from layers.unit_map import FACILITY_COLOUR, ROAD_STYLE, STATUS_COLOUR

# Folium makes every marker with Leaflet's default icon before setting its own: without this
# the browser asks for images/marker-icon.png beside the page (a 404 offline, refused by the
# route map's policy). A blank data: image instead.
NO_DEFAULT_ICON = (
    "L.Icon.Default.imagePath = '';"
    "L.Icon.Default.mergeOptions({iconUrl: L.Util.emptyImageUrl, iconRetinaUrl: L.Util.emptyImageUrl,"
    " shadowUrl: L.Util.emptyImageUrl});"
)


def _vendored(name: str) -> str:
    return resources.files("layers.vendor.leaflet").joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class ChoroplethView:
    """What a choropleth shows: the units, their values, the indicator, its classes and the language."""

    shapes: gpd.GeoDataFrame
    values: pd.Series
    ind: MapIndicator
    classes: Classes
    lang: str
    change: bool = False  # values are changes since an earlier month (diverging classes)


def export_map_html(
    view: ChoroplethView,
    *,
    title: str,
    roads: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    households: pd.DataFrame | None = None,
    basemap: MapSettings | None = None,
) -> str:
    """The HTML text of a self-contained Leaflet map of the view's units coloured by its classes."""
    lang = view.lang
    fmap, gcj02 = offline_map(view.shapes.total_bounds, title=title, basemap=basemap)
    if gcj02:  # GCJ-02 tiles: move every layer onto them
        view, roads, facilities, households = _to_gcj02(view, roads, facilities, households)
    _units(fmap, view)
    if roads is not None and len(roads):
        for cls, (colour, width) in ROAD_STYLE.items():
            part = roads[roads["road_class"] == cls]
            if len(part):
                style = {"color": colour, "weight": width}
                folium.GeoJson(
                    part[["geometry"]].to_json(), name=t("roads", lang), style_function=lambda _f, s=style: s
                ).add_to(fmap)
    if facilities is not None and len(facilities):
        for _, row in facilities.iterrows():
            marker = folium.CircleMarker(
                [row.geometry.y, row.geometry.x],
                radius=5,
                weight=1,
                fill=True,
                fill_opacity=0.9,
                color=FACILITY_COLOUR.get(row["kind"], "#333"),
            )
            with_tooltip(marker, str(row["name"] or "")).add_to(fmap)
    if households is not None and len(households):
        for row in households.itertuples():
            marker = folium.CircleMarker(
                [row.lat, row.lon],
                radius=3,
                weight=0,
                fill=True,
                fill_opacity=0.9,
                color=STATUS_COLOUR.get(row.status, "#999"),
            )
            with_tooltip(marker, str(row.household_id)).add_to(fmap)
    root = fmap.get_root()
    root.html.add_child(folium.Element(_legend_html(view, title)))
    return root.render()


def offline_map(
    bounds: Any, *, title: str, basemap: MapSettings | None = None, height: str = "100%"
) -> tuple[folium.Map, bool]:
    """An empty Folium map fitted to ``bounds`` (lon/lat) with Leaflet inlined, and whether layers need GCJ-02.

    The basemap's tiles are added when one is configured; the second value is True for
    AMap, whose tiles are in GCJ-02: callers must shift what they draw.
    """
    x0, y0, x1, y1 = bounds
    fmap = folium.Map(
        location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None, control_scale=True, prefer_canvas=True, height=height
    )
    fmap.default_js, fmap.default_css = [], []  # nothing from a CDN
    root = fmap.get_root()
    root.header.add_child(folium.Element(f"<style>{_vendored('leaflet.css')}</style>"), name="leaflet_css")
    root.header.add_child(folium.Element(f"<script>{_vendored('leaflet.js')}</script>"), name="leaflet_js")
    root.header.add_child(folium.Element(f"<script>{NO_DEFAULT_ICON}</script>"), name="no_default_icon")
    root.header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"), name="title")
    tiles = leaflet_tiles(basemap) if basemap is not None else None
    if tiles is not None and basemap is not None:
        folium.TileLayer(tiles[0], attr=ATTRIBUTION[basemap.basemap], name=basemap.basemap, subdomains=tiles[1]).add_to(
            fmap
        )
    fmap.fit_bounds([[y0, x0], [y1, x1]])
    return fmap, tiles is not None and basemap is not None and basemap.basemap == "amap"


def _to_gcj02(view: ChoroplethView, roads: Any, facilities: Any, households: Any) -> tuple[Any, Any, Any, Any]:
    """Every layer of the export moved to GCJ-02 (AMap tiles)."""
    moved = ChoroplethView(to_gcj02_frame(view.shapes), view.values, view.ind, view.classes, view.lang)
    roads = to_gcj02_frame(roads) if roads is not None and len(roads) else roads
    facilities = to_gcj02_frame(facilities) if facilities is not None and len(facilities) else facilities
    if households is not None and len(households):
        households = households.copy()
        households["lon"], households["lat"] = wgs84_to_gcj02(
            households["lon"].to_numpy(), households["lat"].to_numpy()
        )
    return moved, roads, facilities, households


def _units(fmap: folium.Map, view: ChoroplethView) -> None:
    """The classified polygons with an escaped popup per unit."""
    shapes, values, ind, classes, lang = view.shapes, view.values, view.ind, view.classes, view.lang
    rank = ranks(values, ind)
    total = int(values.notna().sum())
    colours = classes.colour_of()
    frame = shapes[["code", "name", "geometry"]].copy()
    frame["fill"] = frame["code"].map(colours).fillna(NO_DATA)
    label = html.escape(pick((ind.zh, ind.en), lang))
    frame["popup"] = [
        f"<b>{html.escape(str(name))}</b><br>{label}: {html.escape(format_value(values.get(code), ind, lang))}"
        + (f"<br>{t('rank', lang)} {int(rank[code])} {t('of', lang)} {total}" if pd.notna(rank.get(code)) else "")
        for code, name in zip(frame["code"], frame["name"], strict=True)
    ]
    folium.GeoJson(
        frame.drop(columns="name").to_json(),  # only escaped text goes into the page's script
        name=label,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#ffffff",
            "weight": 1,
            "fillOpacity": 0.85,
        },
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(fmap)


def _legend_html(view: ChoroplethView, title: str) -> str:
    ind, classes, lang = view.ind, view.classes, view.lang
    rows = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;background:{c};margin-right:6px;'
        f'border:1px solid #999"></span>{html.escape(label)}</div>'
        for c, label in zip(classes.colours, classes.labels, strict=True)
    )
    head = html.escape(f"{pick((ind.zh, ind.en), lang)} ({unit_label(ind, lang)})")
    return (
        '<div id="legend" style="position:fixed;bottom:24px;right:12px;z-index:1000;background:#fff;padding:8px 10px;'
        'border:1px solid #ccc;border-radius:4px;font:13px sans-serif">'
        f"<div style='font-weight:600'>{html.escape(title)}</div><div>{head}</div>{rows}</div>"
    )
