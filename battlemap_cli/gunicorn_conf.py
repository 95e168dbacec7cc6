"""gunicorn settings for Battlemap in production: ``gunicorn -c python:battlemap_cli.gunicorn_conf``.

Threaded workers (``gthread``), as many processes and threads as ``[server]`` settings say
(one process per core: the callbacks are CPU-bound Python). The app is built and its
first /map warmed once in the master (``preload_app``), so every worker forks warm and
answers at once; a process forked by the master then builds the other views in the
background (``when_ready``, :func:`app.warm_rest`), and the workers share what one of them
computes (:mod:`callbacks.shared_cache`).
The store, secret key and settings come from the environment (``BATTLEMAP_STORE``,
``BATTLEMAP_SECRET_KEY_FILE``, ``BATTLEMAP_SETTINGS``), the address from
``BATTLEMAP_BIND`` (default 127.0.0.1:8050; put nginx in front, see the README).
``battlemap serve --workers N`` runs gunicorn with this file. Its logs mask kiosk tokens
(:mod:`callbacks.log_masking`), also in an access log turned on with ``--access-logfile``.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.glogging import Logger

from callbacks import log_masking
from geodata.settings import get_settings


class MaskingLogger(Logger):
    """gunicorn's logger with kiosk tokens masked (``kiosk=***``) in its access and error logs."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        log_masking.install(log_masking.GUNICORN_LOGGERS)


_server = get_settings().server

wsgi_app = "app:create_server()"
bind = [os.environ.get("BATTLEMAP_BIND", "127.0.0.1:8050")]
worker_class = "gthread"
workers = _server.workers
threads = _server.threads
timeout = _server.timeout_s
graceful_timeout = _server.graceful_timeout_s
keepalive = _server.keepalive_s
preload_app = True
proc_name = "battlemap"
errorlog = "-"
logger_class = MaskingLogger  # kiosk tokens in logged URLs become kiosk=***
control_socket_disable = True  # one per host user otherwise: a second instance would take it over


def when_ready(server: Any) -> None:
    """In the master, the app loaded and no worker forked yet: fork the process that builds the other views."""
    from app import warm_rest  # noqa: PLC0415 - the app module is loaded by then (preload_app)

    warm_rest(server.app.wsgi(), in_master=True)


def post_worker_init(worker: Any) -> None:
    """Once a worker has forked and loaded the app: without a shared cache, build the other views for it."""
    from app import warm_rest  # noqa: PLC0415 - the app module is loaded by then (preload_app)

    warm_rest(worker.wsgi)
