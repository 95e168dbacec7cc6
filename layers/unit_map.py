"""The drill-down map: a choropleth of one indicator over the units on screen, context layers and households.

Everything is drawn with Plotly MapLibre ``map`` traces on a plain background with no
external style, sprites or glyphs (government intranets have no internet): markers are
circles and names appear in hover cards only. Every user-supplied string that reaches
a hover card is HTML-escaped. Traces carry ``meta`` = their group ("units", "roads", …)
so the page can toggle groups.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from geodata.settings import MapSettings
from layers.basemap import basemap_layers, shift_for_basemap
from layers.catalog import MapIndicator, format_value
from layers.classify import Classes, ranks
from layers.geometry import centre, fit_zoom, line_coordinates
from layers.i18n import FACILITY_KINDS, HAZARD_KINDS, ROAD_CLASSES, pick, t

ROAD_STYLE = {"county": ("#6b4c2a", 2.6), "township": ("#8c6d46", 1.8), "village": ("#a68a64", 1.2),
              "track": ("#c2b49a", 0.8)}  # fmt: skip
FACILITY_COLOUR = {"township_gov": "#332288", "school": "#0072B2", "clinic": "#009E73", "health_center": "#117733",
                   "water_plant": "#56B4E9", "relocation_site": "#CC79A7", "market": "#999933"}  # fmt: skip
HAZARD_COLOUR = {"high": "rgba(213,94,0,0.45)", "medium": "rgba(230,159,0,0.35)", "low": "rgba(240,228,66,0.3)"}
STATUS_COLOUR = {"normal": "#9e9e9e", "lifted": "#0072B2", "monitored": "#E69F00", "monitored_open": "#D55E00"}
CONTEXT_GROUPS = ("roads", "facilities", "hazards", "water_sites")


def esc(value: object) -> str:
    """Text safe to put into a hover card."""
    return html.escape(str(value))


@dataclass(frozen=True)
class Context:
    """Context layers already cut to the area on screen (EPSG:4490)."""

    roads: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    hazards: gpd.GeoDataFrame | None = None
    water_sites: pd.DataFrame | None = None  # site_id, site_name, lon, lat, failing (bool)


def unit_traces(
    shapes: gpd.GeoDataFrame,
    values: pd.Series,
    ind: MapIndicator,
    classes: Classes,
    lang: str,
    *,
    opacity: float = 0.85,
) -> list[go.Choroplethmap]:
    """One choropleth trace per class (clickable; ``customdata[0]`` is the unit code)."""
    geojson = json.loads(shapes[["code", "geometry"]].to_json(drop_id=True))
    rank = ranks(values, ind)
    total = int(values.notna().sum())
    traces = []
    for k, colour in [(-1, "#d9d9d9"), *enumerate(classes.colours)]:
        sel = shapes[classes.index.reindex(shapes["code"]).fillna(-1).to_numpy() == k]
        if sel.empty:
            continue
        label = classes.labels[k] if k >= 0 else t("no_data", lang)
        vals = values.reindex(sel["code"])
        text = [format_value(v, ind, lang) for v in vals]
        rank_text = [
            f"{t('rank', lang)} {int(r)} {t('of', lang)} {total}" if pd.notna(r) else ""
            for r in rank.reindex(sel["code"])
        ]
        traces.append(
            go.Choroplethmap(
                geojson=geojson,
                featureidkey="properties.code",
                locations=sel["code"],
                z=np.zeros(len(sel)),
                colorscale=[[0, colour], [1, colour]],
                showscale=False,
                marker={"line": {"width": 1.0, "color": "#ffffff"}, "opacity": opacity},
                name=label,
                showlegend=False,
                meta="units",
                customdata=np.column_stack([sel["code"], sel["name"].map(esc), text, rank_text]),
                hovertemplate="<b>%{customdata[1]}</b><br>"
                + esc(pick((ind.zh, ind.en), lang))
                + ": %{customdata[2]}<br>%{customdata[3]}<extra></extra>",
            )
        )
    return traces


def outline_trace(shape: gpd.GeoSeries, name: str) -> go.Scattermap:
    """The boundary of the unit drilled into."""
    lons, lats = line_coordinates(shape.boundary.values)
    return go.Scattermap(lon=lons, lat=lats, mode="lines", line={"width": 2.5, "color": "#1b1f24"},
                         hoverinfo="skip", name=esc(name), showlegend=False, meta="outline")  # fmt: skip


def context_traces(ctx: Context, lang: str) -> list[go.Scattermap | go.Choroplethmap]:
    """Hazard zones, roads by class, facilities by kind and water test sites (pass/fail)."""
    return [
        *_hazard_traces(ctx.hazards, lang),
        *_road_traces(ctx.roads, lang),
        *_facility_traces(ctx.facilities, lang),
        *_water_traces(ctx.water_sites, lang),
    ]


def _hazard_traces(hazards: gpd.GeoDataFrame | None, lang: str) -> list[go.Choroplethmap]:
    if hazards is None or not len(hazards):
        return []
    out = []
    hz = hazards.reset_index(drop=True)
    geojson = json.loads(hz[["hazard_id", "geometry"]].to_json(drop_id=True))
    for level, colour in HAZARD_COLOUR.items():
        part = hz[hz["level"] == level]
        if part.empty:
            continue
        kinds = part["kind"].map(lambda k: pick(HAZARD_KINDS.get(k, (k, k)), lang))
        out.append(go.Choroplethmap(
            geojson=geojson, featureidkey="properties.hazard_id", locations=part["hazard_id"],
            z=np.zeros(len(part)), colorscale=[[0, colour], [1, colour]], showscale=False,
            marker={"line": {"width": 0.5, "color": colour}}, meta="hazards", name=f"{t('hazards', lang)} {level}",
            customdata=np.column_stack([kinds.map(esc), [level] * len(part)]),
            hovertemplate="%{customdata[0]} (%{customdata[1]})<extra></extra>", showlegend=False,
        ))  # fmt: skip
    return out


def _road_traces(roads: gpd.GeoDataFrame | None, lang: str) -> list[go.Scattermap]:
    if roads is None or not len(roads):
        return []
    out = []
    for cls, (colour, width) in ROAD_STYLE.items():
        part = roads[roads["road_class"] == cls]
        if part.empty:
            continue
        lons, lats = line_coordinates(part.geometry.values)
        out.append(go.Scattermap(lon=lons, lat=lats, mode="lines", line={"color": colour, "width": width},
                                 name=pick(ROAD_CLASSES[cls], lang), hoverinfo="name", meta="roads"))  # fmt: skip
    return out


def _facility_traces(facilities: gpd.GeoDataFrame | None, lang: str) -> list[go.Scattermap]:
    if facilities is None or not len(facilities):
        return []
    out = []
    for kind, colour in FACILITY_COLOUR.items():
        part = facilities[facilities["kind"] == kind]
        if part.empty:
            continue
        label = pick(FACILITY_KINDS[kind], lang)
        out.append(go.Scattermap(
            lon=part.geometry.x.round(6), lat=part.geometry.y.round(6), mode="markers",
            marker={"size": 11, "color": colour}, name=label, meta="facilities",
            customdata=part["name"].fillna("").map(esc), hovertemplate=f"{label}: %{{customdata}}<extra></extra>",
        ))  # fmt: skip
    return out


def _water_traces(sites: pd.DataFrame | None, lang: str) -> list[go.Scattermap]:
    if sites is None or not len(sites):
        return []
    out = []
    for failing, colour in ((False, "#56B4E9"), (True, "#D55E00")):
        part = sites[sites["failing"] == failing]
        if part.empty:
            continue
        out.append(go.Scattermap(
            lon=part["lon"].round(6), lat=part["lat"].round(6), mode="markers",
            marker={"size": 9, "color": colour}, meta="water_sites",
            name=t("water_sites", lang) + (" ✗" if failing else " ✓"),
            customdata=part["site_name"].fillna(part["site_id"]).map(esc),
            hovertemplate="%{customdata}<extra></extra>",
        ))  # fmt: skip
    return out


def household_traces(households: pd.DataFrame, lang: str) -> list[go.Scattermap]:
    """Households of one village as points coloured by status (``customdata`` = household id)."""
    status = np.where(
        households["status"].eq("monitored") & ~households["risk_eliminated"].astype("boolean").fillna(False),
        "monitored_open",
        households["status"].astype("str"),
    )
    out = []
    for key, colour in STATUS_COLOUR.items():
        part = households[status == key]
        if part.empty:
            continue
        label = t(f"status_{key}", lang)
        out.append(go.Scattermap(
            lon=part["lon"].round(6), lat=part["lat"].round(6), mode="markers",
            marker={"size": 8 if key == "normal" else 10, "color": colour}, name=label, meta="households",
            customdata=part["household_id"].map(esc), hovertemplate=f"{label} %{{customdata}}<extra></extra>",
        ))  # fmt: skip
    return out


def map_figure(
    traces: list, bounds: np.ndarray, *, view: str, basemap: MapSettings | None = None, height_px: int = 640
) -> go.Figure:
    """The figure: a plain background, framed on ``bounds``; the legend lists context layers only.

    ``view`` names the unit on screen: pan and zoom are kept while it stays (toggling a
    layer), and reset to the new frame when the user drills elsewhere.
    """
    fig = go.Figure(traces)
    fig.update_layout(
        map={"style": "white-bg", "center": centre(bounds), "zoom": fit_zoom(bounds, height_px=height_px)},
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        legend={"bgcolor": "rgba(255,255,255,0.85)", "x": 0.01, "y": 0.99, "font": {"size": 12}},
        uirevision=view,
        clickmode="event",
    )
    if basemap is not None:
        fig.update_layout(map_layers=basemap_layers(basemap))
        shift_for_basemap(fig, basemap)
    return fig
