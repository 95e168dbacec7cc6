"""The ``serve`` command: run the Dash app on the store (development server, or gunicorn in production).

In production (``--production``, ``--workers N`` or ``BATTLEMAP_ENV=production``) the
command *becomes* gunicorn (``os.execvpe``): the process a supervisor, a test or a bench
started is gunicorn's master, so a SIGTERM or SIGINT to it stops the workers too and
nothing is left running.
"""

from __future__ import annotations

import argparse
import os
import sys

from geodata._errors import ConfigError

GUNICORN_CONF = "python:battlemap_cli.gunicorn_conf"
PRODUCTION_ENV = "BATTLEMAP_ENV"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add ``serve`` to the parser."""
    p = sub.add_parser("serve", parents=[common], help="serve the web app (creates the demo store on first run)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8050)
    p.add_argument("--debug", action="store_true", help="Dash debug mode (development only; refused in production)")
    p.add_argument(
        "--production",
        action="store_true",
        help="serve with gunicorn; refuse to start without a safe secret key (also: BATTLEMAP_ENV=production)",
    )
    p.add_argument(
        "--workers",
        type=int,
        help="serve with gunicorn (production) and this many worker processes (default/0: [server] workers)",
    )
    p.set_defaults(func=cmd_serve)


def production_requested(args: argparse.Namespace) -> bool:
    """True when the command must serve with gunicorn: ``--production``, ``--workers`` or the environment."""
    env = os.environ.get(PRODUCTION_ENV, "").strip().lower() == "production"
    return bool(args.production or args.workers is not None or env)


def cmd_serve(args: argparse.Namespace) -> int:
    """Create the app for the store and serve it until interrupted (production: replaced by gunicorn)."""
    if production_requested(args):
        if args.debug:
            msg = "debug mode is refused in production (it runs code sent by the browser's debugger)"
            raise ConfigError(msg)
        check_production(args.store)
        exec_gunicorn(store=args.store, host=args.host, port=args.port, workers=args.workers or 0)
    import app  # noqa: PLC0415 - Dash loads only for serve, not for every command

    app.serve(store=args.store, host=args.host, port=args.port, debug=args.debug, production=False)
    return 0


def check_production(store: str | None) -> None:
    """Refuse here, with the app's own message, what gunicorn's workers would refuse: no safe key, no store."""
    from callbacks import server_config  # noqa: PLC0415 - the web app's rules, loaded only for serve
    from geodata.demo.store import ensure_demo_store  # noqa: PLC0415
    from geodata.settings import get_settings  # noqa: PLC0415
    from geodata.store import open_store  # noqa: PLC0415

    server_config.secret_key(production=True)
    ensure_demo_store(open_store(store), seed=get_settings().demo_seed, production=True)  # never writes here


def gunicorn_command(*, host: str, port: int, workers: int = 0) -> list[str]:
    """The gunicorn command line with Battlemap's settings (``workers`` 0 keeps the settings' count)."""
    cmd = [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONF, "--bind", f"{host}:{port}"]
    return [*cmd, "--workers", str(workers)] if workers > 0 else cmd


def gunicorn_environment(store: str | None) -> dict[str, str]:
    """The environment gunicorn runs with: production mode, and the store when one was named."""
    env = {**os.environ, PRODUCTION_ENV: "production"}
    if store:
        env["BATTLEMAP_STORE"] = store
    return env


def exec_gunicorn(*, store: str | None, host: str, port: int, workers: int) -> None:
    """Replace this process by gunicorn serving ``store`` in production mode (never returns).

    Exec rather than a child process: signals sent to ``battlemap serve`` reach gunicorn's
    master, which stops its workers, so stopping the command stops everything it started.
    """
    cmd = gunicorn_command(host=host, port=port, workers=workers)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(cmd[0], cmd, gunicorn_environment(store))
