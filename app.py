"""Battlemap web app: the app factory and ``serve`` (``python app.py`` runs it on the default store)."""

from __future__ import annotations

import logging

import dash
from dash import html

from callbacks import overview
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
    app = dash.Dash(__name__, title="乡村振兴作战图 Battlemap", serve_locally=True, update_title=None)
    app.layout = lambda: html.Div([overview.layout(data)], lang="zh-CN")
    overview.register(app, data)
    return app


def serve(*, store: str | None = None, host: str = "127.0.0.1", port: int = 8050, debug: bool = False) -> None:
    """Run the development server (use gunicorn for production, see the README)."""
    app = create_app(store)
    log.warning("Battlemap on http://%s:%s/", host, port)
    app.run(host=host, port=port, debug=debug)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve()
