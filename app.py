"""Battlemap web app: the app factory and ``serve`` (``python app.py`` runs it on the default store).

Every page and every callback is registered under an access rule (:mod:`callbacks.access`):
the guard in front of the Flask server answers 401/403 before any page code runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import dash
import flask
from dash import Input, Output, State, dcc, html

from callbacks import (
    access,
    audit_page,
    data_page,
    log_masking,
    login_page,
    map_page,
    overview,
    request_limits,
    response_json,
    route_page,
    security_headers,
    server_config,
    sites_page,
    wall_page,
)
from callbacks.shared_cache import SharedCache
from callbacks.store_data import StoreData
from geodata._errors import ConfigError
from geodata.demo.store import ensure_demo_store
from geodata.private.accounts import ensure_first_admin
from geodata.settings import get_settings, pin_settings, unpin_settings
from geodata.store import open_store
from layers.i18n import t

log = logging.getLogger(__name__)
WARM_REST = "battlemap.warm_rest"  # the server's extension: what warm_rest starts in each server process
WARM_PROCESS_NAME = "battlemap-warm"  # the forked warming process's name (at most 15 bytes)
WARM_APART = "battlemap.warm_apart"  # whether warm_rest forks a process for it (with a shared cache)
PAGES = (  # module, path: each page's callbacks get the path's access rule
    (overview, "/"),
    (map_page, "/map"),
    (wall_page, "/wall"),
    (sites_page, "/sites"),
    (route_page, "/route"),
    (data_page, "/data"),
    (audit_page, "/audit"),
)
NAV = (
    ("/", "overview"),
    ("/map", "map"),
    ("/wall", "nav_wall"),
    ("/sites", "sites"),
    ("/route", "route"),
    ("/data", "nav_data"),
    ("/audit", "audit_link"),
)


def create_app(store: str | None = None, *, production: bool | None = None, warm_now: bool = False) -> dash.Dash:
    """Build the Dash app on ``store`` (default: $BATTLEMAP_STORE or data/battlemap.gpkg).

    An absent store is filled with the demo county first, so a fresh checkout shows a map.
    ``production`` (default: ``BATTLEMAP_ENV=production``) refuses to start without a safe secret key.
    The caches are warmed in a background thread; with ``warm_now`` what the first /map
    needs is built before returning and the rest is left to :func:`warm_rest`.
    """
    is_production = server_config.production_mode(production)
    server = flask.Flask(__name__)
    server_config.configure(server, production=is_production)  # before anything else: refuse early
    server.before_request(pin_settings)  # first: one look at the settings file per request
    server.teardown_request(lambda _exc: unpin_settings())
    opened = open_store(store)
    created = ensure_demo_store(opened, seed=get_settings().demo_seed, production=is_production)
    data = StoreData(opened, shared=SharedCache.for_store(opened))
    if created:  # the demo county comes with its months of history, like `battlemap demo`
        data.write_demo_history()
    app = dash.Dash(
        __name__,
        server=server,
        title="乡村振兴作战图 Battlemap",
        serve_locally=True,  # intranets: every script and style from this server, none from a CDN
        update_title=None,
        use_pages=True,
        pages_folder="",
        suppress_callback_exceptions=True,  # page components exist only while their page is shown
        routing_callback_inputs={"shown": State("shown-page", "data")},  # the page on screen before this change
    )
    request_limits.install(app, data, refuse=login_page.refusal)  # who and how big, before any body is read
    rules = access.install(app, data, refuse=login_page.refusal)
    log_masking.install()  # kiosk tokens in werkzeug's request lines are written as kiosk=***
    response_json.install()  # responses with components written by orjson in one pass (same text)
    login_page.register(server, data)
    if warm_now:
        map_page.warm_top(data)
        server.extensions[WARM_REST] = functools.partial(_warm_rest, data)
        server.extensions[WARM_APART] = data.shared is not None  # a process writes what every process reads
    else:  # the first page and the first clicks without the wait
        threading.Thread(target=_warm, args=(data,), name="warm-cache", daemon=True).start()
    for module, path in PAGES:
        with rules.owning(access.page_rule(path)):
            module.register(app, data)
    app.layout = _shell
    with rules.owning(access.SHELL):
        app.callback(Output("shown-page", "data"), Input("_pages_location", "pathname"))(_shown_page)
    security_headers.install(app)  # after every callback: the policy lists the clientside ones' hashes
    return app


def create_server(store: str | None = None, *, production: bool = True) -> flask.Flask:
    """The Flask server for a WSGI host, in production mode, its first /map built when it returns.

    Under gunicorn with ``preload_app`` (``battlemap serve --workers N``, or ``gunicorn -c
    python:battlemap_cli.gunicorn_conf``) it is built once in the master, every worker
    starts with the first page warm (no thread runs across the fork), and each worker
    calls :func:`warm_rest` once forked. Another WSGI host should call it per process too.
    """
    return create_app(store, production=production, warm_now=True).server


def _shell() -> html.Div:
    """The frame around every page: the router's URL, the shown page, who is logged in."""
    return html.Div(
        [dcc.Location(id="url", refresh="callback-nav"), dcc.Store(id="shown-page"), _user_bar(), dash.page_container],
        lang="zh-CN",
    )


def _user_bar() -> Any:
    """Links to the pages the role may open (behind a menu button on a phone), name, role and a logout button.

    Nothing for a kiosk screen.
    """
    account = access.current_account()
    if account is None:
        return html.Div(id="user-bar", hidden=True)
    role = f"{t(f'role_{account.role}', 'zh')} {t(f'role_{account.role}', 'en')}"
    scope = [html.Span(account.scope, className="user-scope")] if account.scope else []
    nav = [
        dcc.Link(f"{t(key, 'zh')} {t(key, 'en')}", href=path, className="nav-item")
        for path, key in NAV
        if access.allowed(access.page_rule(path), account)
    ]
    logout = html.Form(
        [
            dcc.Input(type="hidden", name=login_page.CSRF_KEY, value=login_page.csrf_token()),
            html.Button(f"{t('logout', 'zh')} {t('logout', 'en')}", type="submit", className="btn", id="logout"),
        ],
        method="POST",
        action="/logout",
        className="logout-form",
    )
    menu = html.Button(  # shown on a phone only (assets/base.css); assets/nav_menu.js opens and closes the links
        [html.Span("☰", **{"aria-hidden": "true"}), f" {t('menu', 'zh')} {t('menu', 'en')}"],
        type="button",
        id="nav-toggle",
        className="btn nav-toggle",
        **{"aria-expanded": "false", "aria-controls": "page-nav"},
    )
    return html.Div(
        [
            menu,
            html.Nav(nav, className="page-nav", id="page-nav"),
            html.Span(account.name, className="user-name", id="user-name"),
            html.Span(role, className="user-role"),
            *scope,
            logout,
        ],
        id="user-bar",
        className="user-bar",
    )


def warm_rest(server: flask.Flask, *, in_master: bool = False) -> None:
    """Have the other map views and the wall built in the background while the server answers.

    gunicorn calls it in its master once the app is loaded (``in_master``: no worker and no
    thread yet) and in each worker. With the shared cache the master forks one process at
    a lower CPU priority that builds them for every worker (a worker's thread would hold
    its GIL against its requests for minutes on a province); without it, each worker's
    thread builds them, and the site model, for that worker.
    """
    rest = server.extensions.get(WARM_REST)
    if rest is None:
        return
    apart = bool(server.extensions.get(WARM_APART))
    if apart and in_master:
        if os.fork() == 0:  # the child never returns into the server
            try:
                _apart(functools.partial(rest, stay=True, apart=True))
            finally:
                os._exit(0)  # failures are logged by warm_cache; a non-zero code would read as a worker's
    elif not apart and not in_master:
        kwargs = {"site_model": True, "stay": True}
        threading.Thread(target=rest, kwargs=kwargs, name="warm-rest", daemon=True).start()


def _apart(rest: Callable[[], None]) -> None:
    """The forked warming process: default signal handling, ended with its parent, nice 10, then ``rest``."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGUSR1, signal.SIGWINCH):
        signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):  # Linux: PR_SET_PDEATHSIG, not outliving the server
        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGTERM)
        libc.prctl(15, WARM_PROCESS_NAME.encode())  # PR_SET_NAME: told apart from the workers in ps and top
    with contextlib.suppress(OSError):
        os.nice(10)
    rest()


def _warm_rest(data: StoreData, *, site_model: bool = False, stay: bool = False, apart: bool = False) -> None:
    """Everything but the first /map, by the first process of the server to ask (the others skip).

    The site model is not shared between processes: it is built here only for this process.
    With ``stay`` it stays to build everything again after each new store version; ``apart``
    (a process that answers no request) writes the views to the shared cache only.
    """
    data.keep_recent = not apart
    with contextlib.suppress(OSError):  # Linux: a thread has its own nice value
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    with data.first_process("warm") as mine:
        again = mine
        while again:
            seen = data.version()
            _warm(data, site_model=site_model)
            again = stay and _changed_and_quiet(data, seen, get_settings().server.rewarm_quiet_seconds)


def _changed_and_quiet(data: StoreData, seen: str, quiet: float) -> bool:
    """Wait until the store's version is no longer ``seen`` and then unchanged for ``quiet`` seconds.

    An import writes its layer, then its indicator rebuild writes the tables: the views are
    built once, after both. False once the server stopped (or with ``quiet`` 0: no rewarming).
    """
    if quiet <= 0:
        return False
    last = seen
    while not data.stopped.wait(quiet):
        now = data.version()
        if now == last != seen:
            return True
        last = now
    return False


def _warm(data: StoreData, *, site_model: bool = True) -> None:
    """Compute what the first pages and clicks need, in the background.

    The wall's last month before the map's other views: a kiosk screen polls it, and
    without history a city's last month is computed from the records (minutes).
    """
    steps = [map_page.warm_top, wall_page.warm, map_page.warm_views] + ([sites_page.warm] if site_model else [])
    for step in steps:
        if data.stopped.is_set():  # its server stopped
            return
        step(data)


def _shown_page(pathname: str | None) -> str | None:
    """Remember which page is on screen, so a page can update in place when only its query changes."""
    return pathname


def serve(
    *,
    store: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8050,
    debug: bool = False,
    production: bool | None = None,
) -> None:
    """Run the development server (use gunicorn for production, see the README)."""
    if debug and server_config.production_mode(production):
        msg = "debug mode is refused in production (it runs code sent by the browser's debugger)"
        raise ConfigError(msg)
    app = create_app(store, production=production)
    if not server_config.production_mode(production):
        password = ensure_first_admin(open_store(store))
        if password:  # a fresh checkout: one administrator, so the app can be used at once
            rule = "=" * 72
            print(
                f"\n{rule}\n first run: created the account 'admin' with the password  {password}\n"
                f" (shown once; log in with it, then change it: `battlemap users reset admin`)\n{rule}\n",
                file=sys.stderr,
                flush=True,
            )  # on the terminal, not in a log file
    log.warning("Battlemap on http://%s:%s/", host, port)
    app.run(host=host, port=port, debug=debug)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("pyogrio").setLevel(logging.WARNING)  # one line per layer written would bury the password
    serve()
