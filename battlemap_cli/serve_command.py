"""The ``serve`` command: run the Dash app on the store."""

from __future__ import annotations

import argparse


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
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Create the app for the store and serve it until interrupted."""
    import app  # noqa: PLC0415 - Dash loads only for serve, not for every command

    app.serve(store=args.store, host=args.host, port=args.port, debug=args.debug, production=args.production or None)
    return 0
