"""``battlemap poster`` (挂图) and ``battlemap bulletin`` (月通报): printed documents written to a file."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from battlemap_cli.documents import (
    BULLETIN_FORMATS,
    POSTER_FORMATS,
    as_png,
    build_poster,
    bulletin_document,
    check_output,
    check_poster,
    county_maps,
    write_atomically,
)
from battlemap_cli.export_command import current_tables
from battlemap_cli.month_tables import indexed
from geodata.store import open_store
from layers.catalog import BY_KEY


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the document commands to the parser."""
    p = sub.add_parser("poster", parents=[common], help="print the battle map (挂图) as a PDF or 300-dpi PNG")
    p.add_argument("--layer", required=True, help=f"indicator: {', '.join(BY_KEY)}")
    p.add_argument("--town", default=None, help="only this township (9-digit code)")
    p.add_argument("--paper", required=True, help="A0, A1, A2 or A3")
    p.add_argument("--landscape", action="store_true", help="landscape instead of portrait")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", required=True, help="FILE.pdf (vector) or FILE.png (300 dpi)")
    p.set_defaults(func=cmd_poster)

    p = sub.add_parser("bulletin", parents=[common], help="write the monthly bulletin (月通报) as Word or PDF")
    p.add_argument("--month", required=True, help="the month reported, YYYY-MM (ended, within the data)")
    p.add_argument("--town", default=None, help="only this township (9-digit code)")
    p.add_argument(
        "--scope", default=None, help="only this part of the store: a city (4 digits), county (6) or township (9)"
    )
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", required=True, help="FILE.docx (to edit) or FILE.pdf")
    p.set_defaults(func=cmd_bulletin)


def cmd_poster(args: argparse.Namespace) -> int:
    """Check every argument, render, then write the poster in one step (nothing is written on bad input)."""
    out = check_output(args.out, POSTER_FORMATS)
    started = time.perf_counter()
    store = open_store(args.store)
    with tqdm(total=3, desc="poster", unit="step", file=sys.stderr, leave=False) as bar:
        county = county_maps(store)
        paper = check_poster(args.layer, args.paper, county.towns, args.town)
        tables, as_of = current_tables(store)
        bar.update(1)
        poster = build_poster(
            county, indexed(tables), as_of, layer=args.layer, town=args.town, paper=paper, landscape=args.landscape,
            lang=args.lang,
        )  # fmt: skip
        data = as_png(poster.pdf) if out.suffix.lower() == ".png" else poster.pdf
        bar.update(1)
        write_atomically(out, data)
        bar.update(1)
    print(f"wrote {out} ({len(data) / 1024:.0f} KB, {paper}) in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_bulletin(args: argparse.Namespace) -> int:
    """Check the month, township, scope and output, compute both month-ends, render, then write in one step."""
    out = check_output(args.out, BULLETIN_FORMATS)
    started = time.perf_counter()
    store = open_store(args.store)
    with tqdm(total=4, desc="bulletin", unit="step", file=sys.stderr, leave=False) as bar:
        data, as_of = bulletin_document(
            store,
            month=args.month,
            town=args.town,
            scope=args.scope,
            docx=out.suffix.lower() == ".docx",
            lang=args.lang,
            step=bar.update,
        )
        write_atomically(out, data)
        bar.update(1)
    print(f"wrote {out} ({len(data) / 1024:.0f} KB, as of {as_of}) in {time.perf_counter() - started:.1f} s")
    return 0
