"""``battlemap export-map``: a standalone HTML map (Folium, Leaflet inlined) that opens with no internet."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pandas as pd

from analytics import compute_indicators
from analytics.build_state import INDICATOR_TABLES, is_current
from analytics.townships import townships
from analytics.unit_table import by_unit
from battlemap_cli.analysis_commands import read_inputs, require_villages
from geodata._errors import InputError
from geodata.store import Store, open_store
from layers.catalog import BY_KEY
from layers.geometry import features_within, unit_polygons


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the command to the parser."""
    p = sub.add_parser("export-map", parents=[common], help="write an indicator map as a standalone HTML file")
    p.add_argument("--layer", default="risk_index", help=f"indicator: {', '.join(BY_KEY)}")
    p.add_argument("--level", choices=["town", "village"], default="town", help="townships or villages as units")
    p.add_argument("--town", default=None, help="only this township's villages (9-digit code)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", required=True, help="the HTML file to write")
    p.set_defaults(func=cmd_export_map)


def current_tables(store: Store) -> tuple[dict[str, pd.DataFrame], dt.date]:
    """The indicator tables shown (the last build while current, else computed as of today) and their date."""
    stored = {name: pd.DataFrame(store.read(name)) for name in INDICATOR_TABLES if store.has(name)}
    if is_current(stored, store.import_log()):
        return stored, pd.Timestamp(stored["county_indicators"]["as_of"].iloc[0]).date()
    today = dt.date.today()
    return compute_indicators(read_inputs(store.target), as_of=today), today


def cmd_export_map(args: argparse.Namespace) -> int:
    """Write the map; refuse unknown layers and towns with exit status 2."""
    from layers.choropleth import choropleth_view, export_document  # noqa: PLC0415 - Folium only for this command

    if args.layer not in BY_KEY:
        msg = f"unknown layer {args.layer!r}; choose one of: {', '.join(BY_KEY)}"
        raise InputError(msg)
    store = require_villages(open_store(args.store))
    villages = store.read("villages")  # the other inputs only when the tables are not current
    tables, as_of = current_tables(store)
    towns = sorted(tables["town_indicators"].iloc[:, 0].astype(str))
    if args.town and args.town not in towns:
        msg = f"no township {args.town!r} in the store; it has {', '.join(towns)}"
        raise InputError(msg)
    level = "village" if args.town or args.level == "village" else "town"
    shapes = unit_polygons(villages, townships(villages, store.read_or_none("towns")), level)
    table = by_unit(tables[f"{level}_indicators"])
    view = choropleth_view(shapes, table, layer=args.layer, lang=args.lang, town=args.town)
    bounds = view.shapes.total_bounds
    roads, facilities = (features_within(store.read_or_none(name), bounds) for name in ("roads", "facilities"))
    out = Path(args.out)
    out.write_text(export_document(view, as_of=as_of, roads=roads, facilities=facilities), encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB, opens offline)")
    return 0
