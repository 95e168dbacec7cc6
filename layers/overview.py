"""The county overview map: villages coloured by township, outlines of townships, names on hover."""

from __future__ import annotations

import html
import json

import geopandas as gpd
import numpy as np
import plotly.graph_objects as go

from layers.geometry import browser_polygons, centre, fit_zoom
from layers.palette import categorical_colours


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
        town = html.escape(str(town_names.get(code, code)))  # user data reaches hover HTML
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
                customdata=np.column_stack(
                    [
                        part["name"].map(lambda s: html.escape(str(s))),
                        part["village_code"],
                        part["population"].fillna(0),
                    ]
                ),
                hovertemplate=f"<b>%{{customdata[0]}}</b><br>{town}<br>%{{customdata[1]}}"
                "<br>户籍人口 population %{customdata[2]:,}<extra></extra>",
            )
        )
    fig.update_layout(
        map={"style": "white-bg", "center": centre(v.total_bounds), "zoom": fit_zoom(v.total_bounds)},
        margin={"l": 0, "r": 0, "t": 40 if title else 0, "b": 0},
        title=title,
        showlegend=True,
        legend={"title": {"text": "乡镇 Township"}, "bgcolor": "rgba(255,255,255,0.8)"},
    )
    return fig
