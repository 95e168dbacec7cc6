"""What a map state shows, built once for the page and for the HTML export."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from geodata.settings import get_settings
from layers.catalog import indicator, unit_label
from layers.classify import classify
from layers.export_html import ChoroplethView, export_map_html
from layers.i18n import pick, t

UNIT_LEVEL = {"county": "town", "town": "village", "village": "village"}


def choropleth_view(data: StoreData, state: MapState, *, all_villages: bool = False) -> ChoroplethView:
    """The units on screen for ``state`` (a county's townships, a township's villages, one village), classified.

    ``all_villages`` shows every village of the county instead of its townships.
    """
    ind = indicator(state.layer)
    unit_level = "village" if all_villages else UNIT_LEVEL[state.level]
    shapes = data.shapes(unit_level)
    if state.level == "town":
        shapes = shapes[shapes["code"].str[:9] == state.town]
    elif state.level == "village":
        shapes = shapes[shapes["code"] == state.village]
    values = data.indicators(unit_level)[ind.column].reindex(shapes["code"]).astype(float)
    values.index = shapes["code"].to_numpy()
    classes = classify(values, ind, get_settings(), state.lang)
    return ChoroplethView(shapes=shapes, values=values, ind=ind, classes=classes, lang=state.lang)


def export_html(
    data: StoreData, state: MapState, *, households: pd.DataFrame | None = None, all_villages: bool = False
) -> str:
    """The standalone HTML map of ``state`` (households only for a village, already masked by the caller)."""
    view = choropleth_view(data, state, all_villages=all_villages)
    bounds = view.shapes.total_bounds

    ind_name = view.ind.en if state.lang == "en" else view.ind.zh
    title = f"{t('app_title', state.lang)} · {ind_name} · {data.as_of():%Y-%m-%d}"
    return export_map_html(
        view,
        title=title,
        roads=data.layer_within("roads", bounds),
        facilities=data.layer_within("facilities", bounds),
        households=households,
        basemap=get_settings().map,
    )


def legend_items(ind: Any, classes: Any, lang: str) -> list[Any]:
    """The class colours with their ranges and the unit."""
    items = [
        html.Div([html.Span(className="swatch", style={"background": c}), html.Span(label)], className="item")
        for c, label in zip(classes.colours, classes.labels, strict=True)
    ]
    title = f"{pick((ind.zh, ind.en), lang)} ({unit_label(ind, lang)})"
    return [html.Div(title, className="legend-title"), *items]
