"""Maps of a site selection: the suitability surface as one small PNG, candidate sites and origin villages.

The surface (~270 k cells on the demo county) reaches the browser as a single PNG image
layer resampled onto a lon/lat-aligned raster (tens of KB), not as polygons. Candidates
are drawn as outlined areas with a rank-coloured marker (names live in hover cards and the
legend: the offline map has no glyphs). The same pieces build the Plotly figure of the
page and the standalone Folium map of the export.
"""

from __future__ import annotations

import base64
import html
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from pyproj import Transformer

from analytics.site_grid import Grid
from analytics.sites import SiteResult
from geodata.io.crs import wgs84_to_gcj02
from geodata.settings import MapSettings
from layers.export_html import offline_map
from layers.geometry import line_coordinates
from layers.i18n import t
from layers.leaflet_text import lines_popup, with_tooltip
from layers.site_text import criterion_label, reasons, travel_text
from layers.unit_map import Context, context_traces, esc, map_figure

SURFACE_STOPS = ((255, 255, 204), (194, 230, 153), (120, 198, 121), (49, 163, 84), (0, 104, 55))  # YlGn
SURFACE_LEVELS = 20  # colour steps: reads like contour bands, and the PNG compresses several-fold
EXCLUDED_RGBA = (120, 120, 120, 150)
RANK_COLOURS = ("#D55E00", "#0072B2", "#CC79A7", "#E69F00", "#009E73", "#56B4E9", "#000000", "#999933")
ORIGIN_COLOUR = "#6a3d9a"  # the villages the movers come from


@dataclass(frozen=True)
class SiteView:
    """What a site map shows: the result, the grid it was scored on, the county mask and the origin villages."""

    result: SiteResult
    grid: Grid
    inside: np.ndarray
    origins: pd.DataFrame  # village_code, name, households, lon, lat
    lang: str
    flows: pd.DataFrame | None = None  # village → site: name, site_id, households, minutes_mean, lon/lat, site_lon/lat


@dataclass(frozen=True)
class Surface:
    """The suitability PNG (data URL), its lon/lat bounds and the score range its colours span (0–100)."""

    url: str
    bounds: tuple[float, float, float, float]
    low: float
    high: float


def png_bytes(rgba: np.ndarray) -> bytes:
    """An RGBA uint8 array (rows × cols × 4) as PNG bytes (no imaging library needed)."""
    h, w, _ = rgba.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgba.reshape(h, w * 4)], axis=1).tobytes()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def surface(view: SiteView, *, max_px: int = 640) -> Surface:
    """The score raster resampled to a lon/lat-aligned PNG: green is better, grey is excluded, outside clear."""
    grid, score = view.grid, view.result.score
    rows, cols = grid.shape
    h = grid.cell / 2
    xs = np.r_[np.linspace(grid.x0 - h, grid.x0 + (cols - 0.5) * grid.cell, 50)]
    ys = np.r_[np.linspace(grid.y0 + h, grid.y0 - (rows - 0.5) * grid.cell, 50)]
    ex = np.r_[xs, xs, np.full(50, xs[0]), np.full(50, xs[-1])]
    ey = np.r_[np.full(50, ys[0]), np.full(50, ys[-1]), ys, ys]
    lon, lat = Transformer.from_crs(grid.epsg, 4490, always_xy=True).transform(ex, ey)
    lon0, lon1, lat0, lat1 = lon.min(), lon.max(), lat.min(), lat.max()
    scale = min(1.0, max_px / max(rows, cols))
    width, height = max(int(cols * scale), 1), max(int(rows * scale), 1)
    plon, plat = np.meshgrid(
        lon0 + (np.arange(width) + 0.5) * (lon1 - lon0) / width,
        lat1 - (np.arange(height) + 0.5) * (lat1 - lat0) / height,
    )
    px, py = Transformer.from_crs(4490, grid.epsg, always_xy=True).transform(plon, plat)
    r, c = grid.rowcol(px, py)
    r, c = np.round(r).astype(int), np.round(c).astype(int)
    on = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
    r, c = np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)
    value = np.where(on, score[r, c], np.nan)
    inside = on & view.inside[r, c]
    finite = score[np.isfinite(score)]
    low, high = (float(np.percentile(finite, 5)), float(finite.max())) if finite.size else (0.0, 1.0)
    rgba = np.zeros((height, width, 4), np.uint8)
    ok = np.isfinite(value)
    level = np.round(np.clip((value[ok] - low) / max(high - low, 1e-9), 0, 1) * SURFACE_LEVELS) / SURFACE_LEVELS
    rgba[ok] = _colour(level)
    rgba[inside & ~ok] = EXCLUDED_RGBA
    url = "data:image/png;base64," + base64.b64encode(png_bytes(rgba)).decode("ascii")
    return Surface(url, (float(lon0), float(lat0), float(lon1), float(lat1)), low * 100, high * 100)


def _colour(x: np.ndarray) -> np.ndarray:
    """RGBA of values 0–1 along the surface palette."""
    stops = np.array(SURFACE_STOPS, float)
    pos = x * (len(stops) - 1)
    i = np.clip(pos.astype(int), 0, len(stops) - 2)
    f = (pos - i)[:, None]
    rgb = stops[i] * (1 - f) + stops[i + 1] * f
    return np.c_[rgb, np.full(len(x), 215)].astype(np.uint8)


def surface_legend(s: Surface, lang: str) -> list[tuple[str, str]]:
    """(css colour, label) pairs: the palette's ends with their scores, and the excluded grey."""
    lo, hi = (f"rgb{SURFACE_STOPS[0]}", f"rgb{SURFACE_STOPS[-1]}")
    return [
        (lo, f"{t('suitability', lang)} {s.low:.0f}"),
        (hi, f"{t('suitability', lang)} {s.high:.0f}"),
        (f"rgba{(*EXCLUDED_RGBA[:3], 0.6)}", t("excluded", lang)),
    ]


def image_layer(s: Surface, basemap: MapSettings | None = None) -> dict[str, Any]:
    """The ``layout.map.layers`` entry drawing the surface PNG below the traces."""
    lon0, lat0, lon1, lat1 = s.bounds
    corners = np.array([[lon0, lat1], [lon1, lat1], [lon1, lat0], [lon0, lat0]])
    if basemap is not None and basemap.basemap == "amap":  # GCJ-02 tiles: move the image onto them
        corners = np.c_[wgs84_to_gcj02(corners[:, 0], corners[:, 1])]
    return {
        "sourcetype": "image",
        "source": s.url,
        "coordinates": corners.round(6).tolist(),
        "below": "traces",
        "opacity": 0.85,
    }


def sites_figure(
    view: SiteView, *, context: Context, basemap: MapSettings | None = None, slots: int = 10
) -> tuple[go.Figure, Surface]:
    """The page's map: context layers, the surface image below them, origin villages and ``slots`` candidate slots.

    The result's traces always come last and in a fixed number (one for the origins, two
    per candidate slot, empty when unused), so the page can patch them in place.
    """
    s = surface(view)
    traces = [*context_traces(context, view.lang), *result_traces(view, slots=slots)]
    fig = map_figure(traces, np.array(s.bounds), view="sites", basemap=basemap, height_px=620)
    fig.update_layout(map_layers=[*fig.layout.map.layers, image_layer(s, basemap)])
    return fig, s


def result_traces(view: SiteView, *, slots: int) -> list[go.Scattermap]:
    """Flows (one trace per candidate slot), the origin villages (one trace), two traces per slot (outline, marker).

    The flows come first so that the villages and sites are drawn over their lines.
    """
    return [*flow_traces(view, slots), _origin_trace(view), *_candidate_traces(view, slots)]


def flow_traces(view: SiteView, slots: int) -> list[go.Scattermap]:
    """Per candidate slot, lines from each origin village to that site in the site's colour (empty when unused)."""
    flows = view.flows if view.flows is not None else pd.DataFrame(columns=["site_id"])
    ids = view.result.candidates["site_id"].astype(str).head(slots).tolist()
    unit, hh = (t("minutes_unit", view.lang), "户" if view.lang == "zh" else " households")
    out = []
    for i in range(slots):
        part = flows[flows["site_id"] == ids[i]] if i < len(ids) else flows.iloc[0:0]
        if not len(part):
            out.append(go.Scattermap(lon=[], lat=[], mode="lines", meta="flows", showlegend=False))
            continue
        lon = np.c_[part["lon"], part["site_lon"], np.full(len(part), np.nan)].ravel().round(6)
        lat = np.c_[part["lat"], part["site_lat"], np.full(len(part), np.nan)].ravel().round(6)
        label = [
            esc(f"{n or c} → {s} · {h}{hh} · {m:.0f} {unit}")
            for n, c, s, h, m in zip(
                part["name"],
                part["village_code"],
                part["site_id"],
                part["households"],
                part["minutes_mean"],
                strict=True,
            )
        ]
        out.append(
            go.Scattermap(
                lon=lon,
                lat=lat,
                mode="lines",
                meta="flows",
                showlegend=False,
                line={"color": RANK_COLOURS[i % len(RANK_COLOURS)], "width": 3},
                opacity=0.75,
                hovertext=[x for x in label for _ in range(3)],
                hoverinfo="text",
            )
        )
    return out


def _origin_trace(view: SiteView) -> go.Scattermap:
    o = view.origins
    if not len(o):
        return go.Scattermap(lon=[], lat=[], mode="markers", meta="origins", showlegend=False)
    unit = "户" if view.lang == "zh" else " households"
    return go.Scattermap(
        lon=o["lon"].round(6),
        lat=o["lat"].round(6),
        mode="markers",
        meta="origins",
        showlegend=False,
        marker={
            "size": np.clip(6 + np.sqrt(o["households"].to_numpy(float)) * 1.5, 8, 28),
            "color": ORIGIN_COLOUR,
            "opacity": 0.8,
        },
        customdata=(
            o["name"].fillna(o["village_code"]).astype(str).map(esc)
            + " · "
            + o["households"].astype(int).astype(str)
            + unit
        ),
        hovertemplate=f"{esc(t('origin_villages', view.lang))}: %{{customdata}}<extra></extra>",
    )


def _candidate_traces(view: SiteView, slots: int) -> list[go.Scattermap]:
    """Each candidate: its outline, filled, and a marker at its centre with the rank's colour; empty slots after."""
    cands = view.result.candidates.head(slots)
    lang = view.lang
    why = reasons(cands, lang)
    out: list[go.Scattermap] = []
    for i, row in enumerate(cands.itertuples()):
        colour = RANK_COLOURS[i % len(RANK_COLOURS)]
        lons, lats = line_coordinates(np.array([row.geometry]))
        hover = (
            esc(f"{row.site_id} · {t('score', lang)} {row.score:.1f} · {row.village_name or ''}") + "<br>" + esc(why[i])
        )
        out.append(
            go.Scattermap(
                lon=lons,
                lat=lats,
                mode="lines",
                fill="toself",
                fillcolor=colour,
                line={"color": colour, "width": 2},
                meta="candidates",
                showlegend=False,
                hoverinfo="skip",
            )
        )
        out.append(
            go.Scattermap(
                lon=[round(row.lon, 6)],
                lat=[round(row.lat, 6)],
                mode="markers",
                meta="candidates",
                marker={"size": 26 if i == 0 else 20, "color": colour},
                showlegend=False,
                customdata=[row.site_id],
                hovertext=[hover],
                hoverinfo="text",
            )
        )
    for _ in range(slots - len(cands)):
        out += [go.Scattermap(lon=[], lat=[], mode="lines", meta="candidates", showlegend=False) for _ in range(2)]
    return out


def sites_html(
    view: SiteView, *, title: str, hazards: gpd.GeoDataFrame | None = None, basemap: MapSettings | None = None
) -> str:
    """A standalone HTML map (Folium, Leaflet inlined) of the surface, hazards, origins and candidates."""
    lang = view.lang
    s = surface(view)
    lon0, lat0, lon1, lat1 = s.bounds
    fmap, _gcj02 = offline_map(s.bounds, title=title, basemap=basemap)  # the surface image is not shifted
    folium.raster_layers.ImageOverlay(
        s.url, bounds=[[lat0, lon0], [lat1, lon1]], opacity=0.85, name=t("suitability", lang)
    ).add_to(fmap)
    if hazards is not None and len(hazards):
        style = {"color": "#D55E00", "weight": 1, "fillOpacity": 0.35}
        folium.GeoJson(
            hazards[["geometry"]].to_json(), name=t("hazards", lang), style_function=lambda _f: style
        ).add_to(fmap)
    for o in view.origins.itertuples():
        marker = folium.CircleMarker(
            [o.lat, o.lon],
            radius=5 + np.sqrt(o.households) / 2,
            color=ORIGIN_COLOUR,
            fill=True,
            fill_opacity=0.8,
            weight=1,
        )
        with_tooltip(marker, f"{o.name or o.village_code} · {o.households}").add_to(fmap)
    cands = view.result.candidates
    _folium_flows(fmap, view)
    why = reasons(cands, lang)
    for i, row in enumerate(cands.itertuples()):
        colour = RANK_COLOURS[i % len(RANK_COLOURS)]
        popup = lines_popup(
            [
                f"{row.site_id} · {t('score', lang)} {row.score:.1f}",
                f"{t('located_in', lang)}: {row.village_name or '—'}",
                f"{t('area_ha', lang)}: {row.area_ha:.1f} · {t('capacity', lang)}: {row.capacity}",
                why[i],
                travel_text(view.result.travel, row.site_id, lang),
            ]
        )
        folium.GeoJson(
            shapely.to_geojson(row.geometry),
            style_function=lambda _f, c=colour: {"color": c, "weight": 2, "fillColor": c, "fillOpacity": 0.6},
        ).add_to(fmap)
        marker = folium.CircleMarker([row.lat, row.lon], radius=9, color=colour, fill=True, fill_opacity=1)
        marker.add_child(popup).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend(view, s, title)))
    fmap.fit_bounds([[lat0, lon0], [lat1, lon1]])
    return fmap.get_root().render()


def _folium_flows(fmap: folium.Map, view: SiteView) -> None:
    """Lines from each origin village to the site its movers go to, as wide as their households."""
    flows = view.flows
    if flows is None or not len(flows):
        return
    colour = _site_colours(view)
    unit = t("minutes_unit", view.lang)
    for f in flows.itertuples():
        line = folium.PolyLine(
            [[f.lat, f.lon], [f.site_lat, f.site_lon]],
            color=colour.get(f.site_id, ORIGIN_COLOUR),
            weight=float(np.clip(1.5 + np.sqrt(f.households), 2, 12)),
            opacity=0.75,
        )
        with_tooltip(line, f"{f.name or f.village_code} → {f.site_id} · {f.households} · {f.minutes_mean:.0f} {unit}")
        line.add_to(fmap)


def _site_colours(view: SiteView) -> dict[str, str]:
    """The rank colour of every candidate by site id."""
    ids = view.result.candidates["site_id"].astype(str)
    return {s: RANK_COLOURS[i % len(RANK_COLOURS)] for i, s in enumerate(ids)}


def legend_items(view: SiteView, s: Surface) -> list[tuple[str, str]]:
    """(colour, label) of the legend: the surface palette, each candidate (score, village), the origin villages."""
    items = surface_legend(s, view.lang)
    items += [
        (RANK_COLOURS[i % len(RANK_COLOURS)], f"{r.site_id} {r.score:.1f} {r.village_name or ''}".rstrip())
        for i, r in enumerate(view.result.candidates.itertuples())
    ]
    return [*items, (ORIGIN_COLOUR, t("origin_villages", view.lang))]


def _legend(view: SiteView, s: Surface, title: str) -> str:
    """The export's legend (as HTML, every label escaped)."""
    swatch = '<span style="display:inline-block;width:14px;height:10px;background:{};margin-right:6px"></span>'
    rows = [swatch.format(c) + html.escape(label) for c, label in legend_items(view, s)]
    weights = ", ".join(f"{criterion_label(c, view.lang)} {w:.2f}" for c, w in view.result.weights.items() if w > 0)
    return (
        '<div id="legend" style="position:fixed;bottom:24px;right:12px;z-index:1000;background:#fff;padding:8px 10px;'
        'border:1px solid #ccc;border-radius:4px;font:13px sans-serif;max-width:320px">'
        f"<div style='font-weight:600'>{html.escape(title)}</div>"
        + "".join(f"<div>{r}</div>" for r in rows)
        + f"<div style='color:#555;margin-top:4px'>{html.escape(t('weights', view.lang))}: {html.escape(weights)}</div>"
        "</div>"
    )


def origins_lonlat(origins: pd.DataFrame, epsg: int) -> pd.DataFrame:
    """Origin villages (metric x, y) with lon/lat for the maps."""
    out = origins[["village_code", "name", "households"]].copy()
    if len(origins):
        to_lonlat = Transformer.from_crs(epsg, 4490, always_xy=True)
        lon, lat = to_lonlat.transform(origins["x"].to_numpy(float), origins["y"].to_numpy(float))
    else:
        lon, lat = np.empty(0), np.empty(0)
    out["lon"], out["lat"] = lon, lat
    return out
