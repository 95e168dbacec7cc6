"""The ``battlemap`` command: parse arguments and dispatch to one module per command group."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from battlemap_cli import (
    analysis_commands,
    data_commands,
    document_commands,
    export_command,
    history_command,
    kiosk_command,
    route_commands,
    serve_command,
    sites_command,
    users_command,
    warm_command,
)
from geodata._errors import BattlemapError, InputError, StoreError

log = logging.getLogger("battlemap")

EXIT_BAD_INPUT = 2
EXIT_STORE = 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="battlemap", description="乡村振兴作战图 Battlemap: county rural-revitalisation map"
    )
    parser.add_argument(
        "--store", help="store path (.gpkg) or PostGIS URL; default $BATTLEMAP_STORE or data/battlemap.gpkg"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store", default=argparse.SUPPRESS, help="store path or PostGIS URL (also before the command)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data_commands.register(sub, common)
    analysis_commands.register(sub, common)
    history_command.register(sub, common)
    export_command.register(sub, common)
    document_commands.register(sub, common)
    sites_command.register(sub, common)
    route_commands.register(sub, common)
    serve_command.register(sub, common)
    kiosk_command.register(sub, common)
    users_command.register(sub, common)
    warm_command.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 1 store problem)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        if exc.report is not None:
            print(exc.report.format_text(), file=sys.stderr)
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreError as exc:
        print(f"store error: {exc}", file=sys.stderr)
        return EXIT_STORE
    except BattlemapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STORE


def entry_point() -> None:
    """Console-script entry: exit with :func:`main`'s status."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
