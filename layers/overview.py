"""The county overview map: villages coloured by township, outlines of townships, names on hover."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import plotly.graph_objects as go
import shapely

from layers.palette import categorical_colours

SIMPLIFY_DEGREES = 0.0003  # ≈ 30 m: invisible at county zoom, shrinks the page several-fold


def browser_polygons(frame: gpd.GeoDataFrame, *, tolerance: float = SIMPLIFY_DEGREES) -> gpd.GeoDataFrame:
    """Polygons simplified for the browser while keeping shared borders shared (coverage simplify)."""
    out = frame.copy()
    out.geometry = shapely.coverage_simplify(np.asarray(frame.geometry.values), tolerance)
    return out


def village_overview_figure(villages: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, *, title: str = "") -> go.Figure:
    """A MapLibre map of every village, coloured by its township, with no external style or glyphs.

    Village and town names appear in hover text only: map text labels would need glyphs
    from the internet, which government intranets do not reach.
    """
    v = browser_polygons(villages.reset_index(drop=True))
    town_names = dict(zip(towns["town_code"], towns["name"], strict=False))
    order = sorted(v["town_code"].unique())
    colour_of = dict(zip(order, categorical_colours(len(order)), strict=True))
    geojson = json.loads(v[["village_code", "geometry"]].to_json(drop_id=True))
    fig = go.Figure()
    for code in order:
        part = v[v["town_code"] == code]
        town = town_names.get(code, code)
        fig.add_trace(
            go.Choroplethmap(
                geojson=geojson,
                featureidkey="properties.village_code",
                locations=part["village_code"],
                z=np.zeros(len(part)),
                colorscale=[[0, colour_of[code]], [1, colour_of[code]]],
                showscale=False,
                showlegend=True,
                marker={"line": {"width": 0.6, "color": "#ffffff"}, "opacity": 0.85},
                name=town,
                customdata=np.column_stack([part["name"], part["village_code"], part["population"].fillna(0)]),
                hovertemplate=f"<b>%{{customdata[0]}}</b><br>{town}<br>%{{customdata[1]}}"
                "<br>户籍人口 population %{customdata[2]:,}<extra></extra>",
            )
        )
    lon, lat = _centre(v)
    fig.update_layout(
        map={"style": "white-bg", "center": {"lon": lon, "lat": lat}, "zoom": fit_zoom(v.total_bounds)},
        margin={"l": 0, "r": 0, "t": 40 if title else 0, "b": 0},
        title=title,
        showlegend=True,
        legend={"title": {"text": "乡镇 Township"}, "bgcolor": "rgba(255,255,255,0.8)"},
    )
    return fig


def fit_zoom(bounds: np.ndarray, *, width_px: int = 900, height_px: int = 650) -> float:
    """The MapLibre zoom (512-px tiles) at which ``bounds`` (lon/lat) fill a map of the given size."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    mid = np.radians((y0 + y1) / 2)
    lon_zoom = np.log2(width_px * 360.0 / (512.0 * max(x1 - x0, 1e-6)))
    lat_zoom = np.log2(height_px * 360.0 * np.cos(mid) / (512.0 * max(y1 - y0, 1e-6)))
    return float(round(min(lon_zoom, lat_zoom), 2))


def _centre(frame: gpd.GeoDataFrame) -> tuple[float, float]:
    """Centre of the frame's bounding box (lon, lat)."""
    x0, y0, x1, y1 = frame.total_bounds
    return float((x0 + x1) / 2), float((y0 + y1) / 2)
