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
from layers.classify import NO_DATA, Classes, change_text, ranks
from layers.geometry import centre, fit_zoom, line_coordinates
from layers.i18n import FACILITY_KINDS, HAZARD_KINDS, ROAD_CLASSES, pick, t

ROAD_STYLE = {
    "county": ("#6b4c2a", 2.6),
    "township": ("#8c6d46", 1.8),
    "village": ("#a68a64", 1.2),
    "track": ("#c2b49a", 0.8),
}
FACILITY_COLOUR = {
    "township_gov": "#332288",
    "school": "#0072B2",
    "clinic": "#009E73",
    "health_center": "#117733",
    "water_plant": "#56B4E9",
    "relocation_site": "#CC79A7",
    "market": "#999933",
}
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


def stepped_scale(colours: list[str]) -> list[list[float | str]]:
    """A colour scale with one flat band per colour, for integer z from 0 to len − 1 (zmin −0.5, zmax len − 0.5)."""
    band = 1 / len(colours)
    return [stop for i, c in enumerate(colours) for stop in ([i * band, c], [(i + 1) * band, c])]


def unit_traces(
    shapes: gpd.GeoDataFrame,
    values: pd.Series,
    ind: MapIndicator,
    classes: Classes,
    lang: str,
    *,
    opacity: float = 0.85,
    change: bool = False,
) -> list[go.Choroplethmap]:
    """One choropleth of every unit, coloured by class (clickable; ``customdata[0]`` is the unit code).

    A single trace with a stepped colour scale keeps one copy of the polygons in the page.
    With ``change`` the values are changes since an earlier month (signed, no rank).
    """
    geojson = json.loads(shapes[["code", "geometry"]].to_json(drop_id=True))
    codes = shapes["code"].to_numpy()
    rank = ranks(values, ind).reindex(codes)
    total = int(values.notna().sum())
    colours = [NO_DATA, *classes.colours]
    scale = stepped_scale(colours)
    text = [format_value(v, ind, lang) for v in values.reindex(codes)]
    rank_text = [f"{t('rank', lang)} {int(r)} {t('of', lang)} {total}" if pd.notna(r) else "" for r in rank]
    if change:
        text = ["—" if pd.isna(v) else change_text(v, ind) for v in values.reindex(codes)]
        rank_text = [""] * len(codes)
    trace = go.Choroplethmap(
        geojson=geojson,
        featureidkey="properties.code",
        locations=codes,
        z=classes.index.reindex(codes).fillna(-1).to_numpy() + 1,
        zmin=-0.5,
        zmax=len(colours) - 0.5,
        colorscale=scale,
        showscale=False,
        marker={"line": {"width": 1.0, "color": "#ffffff"}, "opacity": opacity},
        showlegend=False,
        meta="units",
        customdata=np.column_stack([codes, shapes["name"].map(esc), text, rank_text]),
        hovertemplate="<b>%{customdata[1]}</b><br>"
        + esc(pick((ind.zh, ind.en), lang))
        + ": %{customdata[2]}<br>%{customdata[3]}<extra></extra>",
    )
    return [trace]


def outline_trace(
    shape: gpd.GeoSeries, name: str, *, colour: str = "#1b1f24", width: float = 2.5, meta: str = "outline"
) -> go.Scattermap:
    """The boundary of the unit drilled into (or of any units to be picked out)."""
    lons, lats = line_coordinates(shape.boundary.values)
    return go.Scattermap(
        lon=lons,
        lat=lats,
        mode="lines",
        line={"width": width, "color": colour},
        hoverinfo="skip",
        name=esc(name),
        showlegend=False,
        meta=meta,
    )


def context_traces(ctx: Context, lang: str) -> list[go.Scattermap | go.Choroplethmap]:
    """Hazard zones, roads by class, facilities by kind and water test sites (pass/fail)."""
    return [
        *_hazard_traces(ctx.hazards, lang),
        *_road_traces(ctx.roads, lang),
        *_facility_traces(ctx.facilities, lang),
        *_water_traces(ctx.water_sites, lang),
    ]


def _hazard_traces(hazards: gpd.GeoDataFrame | None, lang: str) -> list[go.Choroplethmap]:
    """Hazard zones in one trace, shaded by level."""
    if hazards is None or not len(hazards):
        return []
    hz = hazards.reset_index(drop=True)
    levels = list(HAZARD_COLOUR)
    scale = stepped_scale([HAZARD_COLOUR[lv] for lv in levels])
    kinds = hz["kind"].map(lambda k: pick(HAZARD_KINDS.get(k, (k, k)), lang))
    trace = go.Choroplethmap(
        geojson=json.loads(hz[["hazard_id", "geometry"]].to_json(drop_id=True)),
        featureidkey="properties.hazard_id",
        locations=hz["hazard_id"],
        z=hz["level"].map({lv: i for i, lv in enumerate(levels)}).fillna(len(levels) - 1),
        zmin=-0.5,
        zmax=len(levels) - 0.5,
        colorscale=scale,
        showscale=False,
        marker={"line": {"width": 0}},
        meta="hazards",
        name=t("hazards", lang),
        customdata=np.column_stack([kinds.map(esc), hz["level"].astype(str)]),
        hovertemplate="%{customdata[0]} (%{customdata[1]})<extra></extra>",
        showlegend=False,
    )
    return [trace]


def _road_traces(roads: gpd.GeoDataFrame | None, lang: str) -> list[go.Scattermap]:
    """Roads in two traces: county and township roads, then village roads and tracks."""
    if roads is None or not len(roads):
        return []
    out = []
    for classes, (colour, width) in (
        (("county", "township"), ("#6b4c2a", 2.2)),
        (("village", "track"), ("#a68a64", 1.0)),
    ):
        part = roads[roads["road_class"].isin(classes)]
        if part.empty:
            continue
        lons, lats = line_coordinates(part.geometry.values)
        name = "、".join(pick(ROAD_CLASSES[c], lang) for c in classes)
        out.append(
            go.Scattermap(
                lon=lons,
                lat=lats,
                mode="lines",
                line={"color": colour, "width": width},
                name=name,
                hoverinfo="name",
                meta="roads",
                showlegend=False,
            )
        )
    return out


def _facility_traces(facilities: gpd.GeoDataFrame | None, lang: str) -> list[go.Scattermap]:
    """Facilities in one trace, coloured by kind (the key is in the page's legend)."""
    if facilities is None or not len(facilities):
        return []
    part = facilities[facilities["kind"].isin(list(FACILITY_COLOUR))]
    labels = part["kind"].map(lambda k: pick(FACILITY_KINDS[k], lang))
    trace = go.Scattermap(
        lon=part.geometry.x.round(6),
        lat=part.geometry.y.round(6),
        mode="markers",
        marker={"size": 11, "color": part["kind"].map(FACILITY_COLOUR)},
        name=t("facilities", lang),
        meta="facilities",
        showlegend=False,
        customdata=(labels + ": " + part["name"].fillna("").astype(str)).map(esc),
        hovertemplate="%{customdata}<extra></extra>",
    )
    return [trace]


def _water_traces(sites: pd.DataFrame | None, lang: str) -> list[go.Scattermap]:
    """Water test sites in one trace: blue passing, vermilion failing in the window."""
    if sites is None or not len(sites):
        return []
    failing = sites["failing"].astype(bool)
    trace = go.Scattermap(
        lon=sites["lon"].round(6),
        lat=sites["lat"].round(6),
        mode="markers",
        marker={"size": 9, "color": np.where(failing, "#D55E00", "#56B4E9")},
        meta="water_sites",
        name=t("water_sites", lang),
        showlegend=False,
        customdata=(sites["site_name"].fillna(sites["site_id"]).astype(str) + np.where(failing, " ✗", " ✓")).map(esc),
        hovertemplate="%{customdata}<extra></extra>",
    )
    return [trace]


def household_status(households: pd.DataFrame) -> np.ndarray:
    """The status each household is drawn with: normal, lifted, monitored or monitored_open."""
    open_ = households["status"].eq("monitored") & ~households["risk_eliminated"].astype("boolean").fillna(False)
    return np.where(open_, "monitored_open", households["status"].astype("str"))


def household_traces(households: pd.DataFrame, lang: str) -> list[go.Scattermap]:
    """Households of one village as points coloured by status (``customdata`` = household id)."""
    if not len(households):
        return []
    status = pd.Series(household_status(households), index=households.index)
    labels = status.map(lambda s: t(f"status_{s}", lang))
    trace = go.Scattermap(
        lon=households["lon"].round(6),
        lat=households["lat"].round(6),
        mode="markers",
        marker={"size": np.where(status.eq("normal"), 7, 10), "color": status.map(STATUS_COLOUR)},
        name=t("household", lang),
        meta="households",
        showlegend=False,
        customdata=households["household_id"].map(esc),
        text=labels,
        hovertemplate="%{text} %{customdata}<extra></extra>",
    )
    return [trace]


def context_key(lang: str, *, households: bool) -> list[tuple[str, str]]:
    """(colour, label) pairs for the point layers, shown under the map instead of a Plotly legend."""
    key = [(c, pick(FACILITY_KINDS[k], lang)) for k, c in FACILITY_COLOUR.items()]
    key += [("#56B4E9", t("water_sites", lang) + " ✓"), ("#D55E00", t("water_sites", lang) + " ✗")]
    if households:
        key = [(c, t(f"status_{k}", lang)) for k, c in STATUS_COLOUR.items()] + key
    return key


def name_traces(traces: list, view: str) -> None:
    """Give each trace a uid naming its view, group and position.

    Left to Plotly, uids follow the trace's position, so a village's household layer
    would be "updated" into a township's hazard layer, which MapLibre can refuse half-way
    ("Map error.") and leave the camera on the old view.
    """
    for i, trace in enumerate(traces):
        trace.uid = f"{view}-{trace.meta}-{i}"


def map_figure(
    traces: list, bounds: np.ndarray, *, view: str, basemap: MapSettings | None = None, height_px: int = 640
) -> go.Figure:
    """The figure: a plain background, framed on ``bounds``; the legend lists context layers only.

    ``view`` names the unit on screen: pan and zoom are kept while it stays (toggling a
    layer), and reset to the new frame when the user drills elsewhere; it names the
    traces too (:func:`name_traces`).
    """
    name_traces(traces, view)
    layout = {
        "map": {"style": "white-bg", "center": centre(bounds), "zoom": fit_zoom(bounds, height_px=height_px)},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "showlegend": False,
        "uirevision": view,
        "clickmode": "event",
    }
    if basemap is not None:
        layout["map"]["layers"] = basemap_layers(basemap)
    # each trace was validated as it was built, and this layout is ours: validating either again
    # (or the layout in two update_layout calls) cost ~60 ms a view
    fig = go.Figure(traces, layout=layout, _validate=False)
    return shift_for_basemap(fig, basemap) if basemap is not None else fig


def side_by_side(
    fig: go.Figure, earlier: list, bounds: np.ndarray, *, titles: tuple[str, str], height_px: int = 640
) -> go.Figure:
    """Two maps side by side: ``earlier``'s traces on the left, the figure's own on the right, framed alike.

    Both halves share the classes of the figure (fixed breaks), so one colour means one
    value in either month; ``assets/map_sync.js`` pans and zooms the two together.
    """
    for trace in fig.data:
        trace.subplot = "map2"
    for trace in earlier:
        trace.subplot = "map"
    name_traces(earlier, f"{fig.layout.uirevision}-before")
    fig.add_traces(earlier)
    frame = {"center": fig.layout.map.center, "zoom": fit_zoom(bounds, width_px=450, height_px=height_px)}
    style = fig.layout.map.style
    fig.update_layout(
        map={**frame, "style": style, "domain": {"x": [0, 0.495], "y": [0, 1]}},
        map2={**frame, "style": style, "domain": {"x": [0.505, 1], "y": [0, 1]}, "layers": fig.layout.map.layers},
        annotations=[
            {"text": esc(text), "x": x, "y": 0.99, "xref": "paper", "yref": "paper", "showarrow": False,
             "xanchor": "center", "bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 14}}
            for text, x in zip(titles, (0.2475, 0.7525), strict=True)
        ],
    )  # fmt: skip
    return fig
