"""The ``serve`` command: run the Dash app on the store (development server, or gunicorn with ``--workers``)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

GUNICORN_CONF = "python:battlemap_cli.gunicorn_conf"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add ``serve`` to the parser."""
    p = sub.add_parser("serve", parents=[common], help="serve the web app (creates the demo store on first run)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--debug", action="store_true", help="Dash debug mode (development only; refused in production)")
    p.add_argument(
        "--production",
        action="store_true",
        help="refuse to start without a safe secret key (also: BATTLEMAP_ENV=production)",
    )
    p.add_argument(
        "--workers",
        type=int,
        help="serve with gunicorn and this many worker processes (production; 0 = [server] workers)",
    )
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Create the app for the store and serve it until interrupted."""
    if args.workers is not None:
        return gunicorn(store=args.store, host=args.host, port=args.port, workers=args.workers)
    import app  # noqa: PLC0415 - Dash loads only for serve, not for every command

    app.serve(store=args.store, host=args.host, port=args.port, debug=args.debug, production=args.production or None)
    return 0


def gunicorn_command(*, host: str, port: int, workers: int = 0) -> list[str]:
    """The gunicorn command line with Battlemap's settings (``workers`` 0 keeps the settings' count)."""
    cmd = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF, "--bind", f"{host}:{port}"]
    return [*cmd, "--workers", str(workers)] if workers > 0 else cmd


def gunicorn(*, store: str | None, host: str, port: int, workers: int) -> int:
    """Run gunicorn in production mode on ``store`` until it stops; returns its exit status."""
    env = {**os.environ, "BATTLEMAP_ENV": "production"}
    if store:
        env["BATTLEMAP_STORE"] = store
    return subprocess.call(gunicorn_command(host=host, port=port, workers=workers), env=env)
