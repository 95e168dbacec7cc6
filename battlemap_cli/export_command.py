"""``battlemap export-map``: a standalone HTML map (Folium, Leaflet inlined) that opens with no internet."""

from __future__ import annotations

import argparse
from pathlib import Path

from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from geodata._errors import InputError
from geodata.store import open_store
from layers.catalog import BY_KEY


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the command to the parser."""
    p = sub.add_parser("export-map", parents=[common], help="write an indicator map as a standalone HTML file")
    p.add_argument("--layer", default="risk_index", help=f"indicator: {', '.join(BY_KEY)}")
    p.add_argument("--level", choices=["town", "village"], default="town", help="townships or villages as units")
    p.add_argument("--town", default=None, help="only this township's villages (9-digit code)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.set_defaults(func=cmd_export_map)


def cmd_export_map(args: argparse.Namespace) -> int:
    """Write the map; refuse unknown layers and towns with exit status 2."""
    from callbacks.views import export_html  # noqa: PLC0415 - Folium only for this command

    if args.layer not in BY_KEY:
        msg = f"unknown layer {args.layer!r}; choose one of: {', '.join(BY_KEY)}"
        raise InputError(msg)
    data = StoreData(open_store(args.store))
    towns = set(data.indicators("town").index)
    if args.town and args.town not in towns:
        msg = f"no township {args.town!r} in the store; it has {', '.join(sorted(towns))}"
        raise InputError(msg)
    state = MapState(town=args.town, layer=args.layer, lang=args.lang)
    text = export_html(data, state, all_villages=args.level == "village" and not args.town)
    out = Path(args.out)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB, opens offline)")
    return 0
