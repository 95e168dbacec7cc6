"""What a map state shows, built once for the page and for the HTML export."""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
from dash import html

from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from layers import choropleth
from layers.catalog import indicator, unit_label
from layers.export_html import ChoroplethView
from layers.i18n import pick, t

UNIT_LEVEL = {"province": "city", "city": "county", "county": "town", "town": "village", "village": "village"}


def choropleth_view(data: StoreData, state: MapState, *, all_villages: bool = False) -> ChoroplethView:
    """The units on screen for ``state`` (a city's counties, a county's townships, a township's villages …), classified.

    ``all_villages`` shows every village of the county instead of its townships.
    """
    unit_level = "village" if all_villages else UNIT_LEVEL[state.level]
    shapes = data.shapes(unit_level)
    if state.scope:  # a scoped account's part of the store only
        shapes = shapes[shapes["code"].str.startswith(state.scope)]
    before = None
    if state.compare and state.mode == "change" and state.compare != state.period:
        before = data.indicators_in(unit_level, state.compare)
    return choropleth.choropleth_view(
        shapes,
        data.indicators_in(unit_level, state.period),
        layer=state.layer,
        lang=state.lang,
        within=state.code if state.level != "village" else None,
        village=state.village if state.level == "village" else None,
        pool=data.indicator_pool(unit_level, indicator(state.layer).column),
        before=before,
    )


def compare_view(data: StoreData, state: MapState) -> ChoroplethView | None:
    """The month compared with, for the side-by-side mode (None in any other mode): same units and breaks."""
    if not state.compare or state.mode != "side":
        return None
    return choropleth_view(data, dataclasses.replace(state, period=state.compare, compare=None))


def export_html(
    data: StoreData, state: MapState, *, households: pd.DataFrame | None = None, all_villages: bool = False
) -> str:
    """The standalone HTML map of ``state`` (households only for a village, already masked by the caller)."""
    view = choropleth_view(data, state, all_villages=all_villages)
    bounds = view.shapes.total_bounds
    return choropleth.export_document(
        view,
        as_of=data.as_of(),
        roads=data.layer_within("roads", bounds),
        facilities=data.layer_within("facilities", bounds),
        households=households,
    )


def legend_items(ind: Any, classes: Any, lang: str, *, since: str | None = None) -> list[Any]:
    """The class colours with their ranges and the unit (``since``: a change since that month)."""
    items = [
        html.Div([html.Span(className="swatch", style={"background": c}), html.Span(label)], className="item")
        for c, label in zip(classes.colours, classes.labels, strict=True)
    ]
    unit = t("points", lang) if since and ind.kind in ("share", "points") else unit_label(ind, lang)
    title = f"{pick((ind.zh, ind.en), lang)} ({unit})"
    if since:
        title = f"{t('change_since', lang, month=since[:7])} · {title}"
    return [html.Div(title, className="legend-title"), *items]
