"""The /map page's document downloads: the poster (挂图) of the current view and the monthly bulletin (月通报).

Thin: the page state in, :mod:`battlemap_cli.documents` builds the bytes, a download out.
Every account may print the poster (aggregates only); the bulletin is for leaders and
admins (the button is hidden from others and its callback refuses them); a scoped
account's documents cover its part of the store only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from analytics.levels import inside
from battlemap_cli.documents import SOURCE_LAYERS, CountyMaps, build_poster, bulletin_document, county_name
from callbacks.access import audit_export, current_account, restricted
from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from geodata._errors import InputError
from geodata.settings import get_settings
from layers.i18n import t

log = logging.getLogger(__name__)
BULLETIN_ROLES = frozenset({"leader", "admin"})
POSTER, BULLETIN, DOWNLOAD = "poster-download", "bulletin-download", "documents-download"


def buttons(lang: str) -> list[Any]:
    """The download buttons for the toolbar; the bulletin's only for leaders and admins."""
    account = current_account()
    may_bulletin = account is not None and account.role in BULLETIN_ROLES
    return [
        html.Button(t("print_download_poster", lang), id=POSTER, className="btn"),
        html.Button(t("print_download_bulletin", lang), id=BULLETIN, className="btn", hidden=not may_bulletin),
        dcc.Download(id=DOWNLOAD),
    ]


def last_month(today: dt.date | None = None) -> str:
    """The last month that has ended, YYYY-MM: the month a bulletin is issued for."""
    end = (today or dt.date.today()).replace(day=1) - dt.timedelta(days=1)
    return f"{end:%Y-%m}"


def register(app: dash.Dash, data: StoreData, state_of: Callable[[dict], MapState]) -> None:
    """Wire the two downloads; ``state_of`` turns the page's ``map-state`` into a checked :class:`MapState`."""

    @app.callback(Output(DOWNLOAD, "data"), Input(POSTER, "n_clicks"), State("map-state", "data"),
                  prevent_initial_call=True)  # fmt: skip
    def on_poster(_n: int, state: dict) -> dict:
        current = state_of(state)
        villages = inside(data.layer("villages"), current.scope, "village_code")
        county = CountyMaps(
            villages=villages,
            towns=inside(data.towns(), current.scope, "town_code"),
            name=county_name(villages, data.layer_or_none("regions")),
            sources=tuple(name for name in SOURCE_LAYERS if data.store.has(name)),
        )
        tables = {level: inside(data.indicators(level), current.scope) for level in data.levels()}
        paper = get_settings().print.page_paper
        pdf = _or_nothing(
            lambda: (
                build_poster(
                    county,
                    tables,
                    data.as_of(),
                    layer=current.layer,
                    town=current.town,
                    paper=paper,
                    landscape=False,
                    lang=current.lang,
                ).pdf
            )
        )
        name = _file_part(data, current)
        audit_export(data, "export:poster", name, layer=current.layer)
        return dcc.send_bytes(pdf, f"battlemap-poster-{name}-{current.layer}.pdf")

    with restricted(app, BULLETIN_ROLES):

        @app.callback(Output(DOWNLOAD, "data", allow_duplicate=True), Input(BULLETIN, "n_clicks"),
                      State("map-state", "data"), prevent_initial_call=True)  # fmt: skip
        def on_bulletin(_n: int, state: dict) -> dict:
            current = state_of(state)
            month = last_month()
            docx, _ = _or_nothing(
                lambda: bulletin_document(
                    data.store, month=month, town=current.town, scope=current.scope, docx=True, lang=current.lang
                )
            )
            name = _file_part(data, current)
            audit_export(data, "export:bulletin", name, month=month)
            return dcc.send_bytes(docx, f"battlemap-bulletin-{name}-{month}.docx")


def _file_part(data: StoreData, current: MapState) -> str:
    """What a download's file name says it covers: the township, else a scoped account's part, else the store's top."""
    return current.town or current.scope or data.top(None).level


def _or_nothing(build: Callable[[], Any]) -> Any:
    """The document, or no download when the store cannot make one (logged: e.g. no Chinese font installed)."""
    try:
        return build()
    except InputError as exc:
        log.warning("document not made: %s", exc)
        raise PreventUpdate from exc
