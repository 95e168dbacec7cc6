"""Battlemap web app: the app factory and ``serve`` (``python app.py`` runs it on the default store)."""

from __future__ import annotations

import logging
import threading

import dash
from dash import Input, Output, State, dcc, html

from callbacks import data_page, map_page, overview, route_page, sites_page, wall_page
from callbacks.store_data import StoreData
from geodata.demo_store import ensure_demo_store
from geodata.settings import get_settings
from geodata.store import open_store

log = logging.getLogger(__name__)


def create_app(store: str | None = None) -> dash.Dash:
    """Build the Dash app on ``store`` (default: $BATTLEMAP_STORE or data/battlemap.gpkg).

    An absent store is filled with the demo county first, so a fresh checkout shows a map.
    """
    opened = open_store(store)
    ensure_demo_store(opened, seed=get_settings().demo_seed)
    data = StoreData(opened)
    app = dash.Dash(
        __name__,
        title="乡村振兴作战图 Battlemap",
        serve_locally=True,  # intranets: every script and style from this server, none from a CDN
        update_title=None,
        use_pages=True,
        pages_folder="",
        suppress_callback_exceptions=True,  # page components exist only while their page is shown
        routing_callback_inputs={"shown": State("shown-page", "data")},  # the page on screen before this change
    )
    # the first page and the first clicks without the wait
    threading.Thread(target=_warm, args=(data,), name="warm-cache", daemon=True).start()
    overview.register(app, data)
    map_page.register(app, data)
    wall_page.register(app, data)
    sites_page.register(app, data)
    route_page.register(app, data)
    data_page.register(app, data)
    app.layout = html.Div(
        [dcc.Location(id="url", refresh="callback-nav"), dcc.Store(id="shown-page"), dash.page_container],
        lang="zh-CN",
    )
    app.callback(Output("shown-page", "data"), Input("_pages_location", "pathname"))(_shown_page)
    return app


def _warm(data: StoreData) -> None:
    """Compute what the first pages and clicks need, in the background."""
    map_page.warm_views(data)
    wall_page.warm(data)


def _shown_page(pathname: str | None) -> str | None:
    """Remember which page is on screen, so a page can update in place when only its query changes."""
    return pathname


def serve(*, store: str | None = None, host: str = "127.0.0.1", port: int = 8050, debug: bool = False) -> None:
    """Run the development server (use gunicorn for production, see the README)."""
    app = create_app(store)
    log.warning("Battlemap on http://%s:%s/", host, port)
    app.run(host=host, port=port, debug=debug)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve()
