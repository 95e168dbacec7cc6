"""What a choropleth of one indicator shows, and its standalone HTML export, from tables and shapes.

Pure builders shared by the /map page, the wall screen and ``battlemap export-map``: the
caller hands in the unit polygons and the indicator table; nothing here reads the store.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd

from geodata.settings import get_settings
from layers.catalog import indicator
from layers.classify import classify, classify_change
from layers.export_html import ChoroplethView, export_map_html
from layers.i18n import t


def choropleth_view(
    shapes: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    layer: str,
    lang: str,
    town: str | None = None,
    village: str | None = None,
    within: str | None = None,
    pool: pd.Series | None = None,
    before: pd.DataFrame | None = None,
) -> ChoroplethView:
    """The units of ``shapes`` (``code``, ``name``, geometry) coloured by ``layer`` from ``table`` (indexed by code).

    ``town`` keeps that township's units, ``within`` the units whose code starts with it
    (a city's counties, a county's townships), ``village`` that one village. ``pool`` (the
    indicator's values in every month) fixes the class breaks across months; with
    ``before`` (the table of an earlier month) the map shows the change since then.
    """
    ind = indicator(layer)
    if village:
        shapes = shapes[shapes["code"] == village]
    elif town or within:
        shapes = shapes[shapes["code"].str.startswith(str(town or within))]
    values = table[ind.column].reindex(shapes["code"]).astype(float)
    values.index = shapes["code"].to_numpy()
    if before is not None:
        earlier = before[ind.column].reindex(shapes["code"]).astype(float).to_numpy()
        values = values - earlier
        classes = classify_change(values, ind, lang, pool=pool if pool is not None else values)
        return ChoroplethView(shapes=shapes, values=values, ind=ind, classes=classes, lang=lang, change=True)
    classes = classify(values, ind, get_settings(), lang, pool=pool)
    return ChoroplethView(shapes=shapes, values=values, ind=ind, classes=classes, lang=lang)


def export_document(
    view: ChoroplethView,
    *,
    as_of: dt.date,
    roads: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    households: pd.DataFrame | None = None,
) -> str:
    """The standalone HTML map of ``view``, titled with the indicator and the reference date.

    Roads and facilities are cut to the view by the caller; households (a village only)
    arrive already masked.
    """
    ind_name = view.ind.en if view.lang == "en" else view.ind.zh
    title = f"{t('app_title', view.lang)} · {ind_name} · {as_of:%Y-%m-%d}"
    return export_map_html(
        view, title=title, roads=roads, facilities=facilities, households=households, basemap=get_settings().map
    )
