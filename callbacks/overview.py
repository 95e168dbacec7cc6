"""The overview page: the county's villages on a map (the drill-down map builds on this)."""

from __future__ import annotations

from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from callbacks.access import account_scope, in_scope
from callbacks.store_data import StoreData
from geodata.settings import get_settings
from layers.overview import village_overview_figure

GRAPH_ID = "overview-map"
REFRESH_ID = "overview-refresh"


def layout(data: StoreData) -> html.Div:
    """The page: a heading and the village map, redrawn when the store changes."""
    return html.Div(
        [
            html.H1("乡村振兴作战图 · Battlemap", className="page-title"),
            dcc.Link("进入地图 Open the map →", href="/map", className="nav-link", id="open-map"),
            html.P(id="overview-summary", className="summary"),
            dcc.Loading(
                dcc.Graph(id=GRAPH_ID, figure=_figure(data), style={"height": "80vh"}, config={"displaylogo": False}),
                type="circle",
            ),
            dcc.Interval(id=REFRESH_ID, interval=get_settings().wall.refresh_seconds * 1000),  # as the wall
        ],
        className="overview",
    )


def _figure(data: StoreData) -> go.Figure:
    """The map figure from the current store."""
    return village_overview_figure(*_units(data))


def _units(data: StoreData) -> tuple[Any, Any]:
    """Villages and townships, only those inside the account's scope for a scoped account."""
    villages, towns = data.layer("villages"), data.towns()
    if account_scope() is None:
        return villages, towns
    return (
        villages[villages["village_code"].astype(str).map(in_scope)],
        towns[towns["town_code"].astype(str).map(in_scope)],
    )


def register(app: dash.Dash, data: StoreData) -> None:
    """Register the page at ``/`` and wire its callbacks into ``app``, reading ``data``."""
    dash.register_page("overview", path="/", title="乡村振兴作战图 Battlemap", layout=lambda **_q: layout(data))

    @app.callback(Output("overview-summary", "children"), Input(REFRESH_ID, "n_intervals"))
    def summary(_n: int | None) -> str:
        villages, towns = _units(data)
        return (
            f"{len(towns)} 个乡镇 townships · {len(villages)} 个行政村 villages · "
            f"户籍人口 population {int(villages['population'].fillna(0).sum()):,}"
        )
