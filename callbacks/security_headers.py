"""Security headers on every response: Content-Security-Policy, nosniff, framing and referrer rules.

The app's pages run only scripts from this server and Dash's own inline scripts (the
renderer and the clientside callbacks, allowed by their hashes, :meth:`dash.Dash.csp_hashes`);
styles may be inline (Dash and Plotly set them on elements). Plotly's MapLibre maps draw in
a web worker made from a ``blob:`` URL and load tiles as images and fetches, so the
configured basemap's tile servers (:func:`layers.basemap.tile_sources`) are allowed for
images and connections. The route map (``/route/map/<plan_id>``) is a Folium page whose
scripts are all inline: it gets its own policy, sandboxed (scripts only, no origin).
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

import dash
import flask

from geodata.settings import get_settings
from layers.basemap import tile_sources

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "no-referrer",  # a kiosk link's token never leaves in a Referer header
}
CSP = "Content-Security-Policy"


def tile_origins() -> list[str]:
    """The scheme and host of every tile server of the configured basemap (none offline)."""
    origins = {f"{p.scheme}://{p.netloc}" for p in map(urlsplit, tile_sources(get_settings().map))}
    return sorted(origins)


def _policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


def app_policy(script_hashes: list[str]) -> str:
    """The policy of the app's pages: own scripts and Dash's hashed inline ones, tiles of the basemap."""
    tiles = tile_origins()
    return _policy(
        {
            "default-src": ["'self'"],
            "script-src": ["'self'", *script_hashes],
            "style-src": ["'self'", "'unsafe-inline'"],
            "img-src": ["'self'", "data:", "blob:", *tiles],
            "connect-src": ["'self'", "data:", "blob:", *tiles],  # MapLibre fetches image layers (/sites) by URL
            "worker-src": ["'self'", "blob:"],
            "child-src": ["'self'", "blob:"],
            "font-src": ["'self'", "data:"],
            "frame-src": ["'self'"],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'self'"],
        }
    )


def sandboxed_policy() -> str:
    """The policy of a standalone map page (Folium): inline scripts in a sandbox without an origin."""
    tiles = tile_origins()
    return _policy(
        {
            "default-src": ["'none'"],
            "script-src": ["'unsafe-inline'"],
            "style-src": ["'unsafe-inline'"],
            "img-src": ["data:", "blob:", *tiles],
            "font-src": ["data:"],
            "base-uri": ["'none'"],
            "form-action": ["'none'"],
            "frame-ancestors": ["'self'"],
            "sandbox": ["allow-scripts"],
        }
    )


def sandboxed(response: flask.Response) -> flask.Response:
    """Give ``response`` (a standalone map page) the sandboxed policy instead of the app's."""
    response.headers[CSP] = sandboxed_policy()
    return response


def install(app: dash.Dash) -> None:
    """Add the headers to every response (call after every page registered its callbacks)."""

    @functools.cache
    def hashes() -> tuple[str, ...]:  # on the first response: every clientside callback is known by then
        return tuple(app.csp_hashes())

    made_for: list[Any] = [None, ""]  # the settings the policy was made for, and the policy

    def policy() -> str:  # made again only when the settings (their tile servers) change
        settings = get_settings()
        if made_for[0] is not settings:
            made_for[:] = [settings, app_policy(list(hashes()))]
        return made_for[1]

    def add(response: flask.Response) -> flask.Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault(CSP, policy())
        return response

    app.server.after_request(add)
