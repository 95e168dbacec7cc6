"""Commands that put data into the store or look at it: demo, import, validate, template, layers, log, settings."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from analytics.history import last_months
from battlemap_cli.analysis_commands import read_inputs
from battlemap_cli.history_command import write_history
from geodata._errors import InputError
from geodata.demo import DEMO_AS_OF
from geodata.demo.store import demo_steps, write_demo
from geodata.io.importer import import_layer, prepare_layer
from geodata.io.templates import template_workbook
from geodata.schemas import SCHEMAS
from geodata.settings import describe_settings, get_settings
from geodata.store import open_store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the data commands to the parser."""
    p = sub.add_parser("demo", parents=[common], help="write the deterministic demo county into the store")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: settings demo_seed)")
    p.add_argument("--households", type=int, default=60000, help="households per county (default 60000)")
    p.add_argument(
        "--counties", type=int, default=1, help="counties of the demo city (default 1: the demo county alone)"
    )
    p.set_defaults(func=cmd_demo)
    for name, func, helptext in (
        ("import", cmd_import, "import a file into a layer"),
        ("validate", cmd_validate, "check a file as import would; writes nothing"),
    ):
        p = sub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("layer", choices=list(SCHEMAS), help="target layer")
        p.add_argument("file", help="xlsx, csv, shp (or zipped), geojson or gpkg")
        p.add_argument("--crs", help="EPSG code (4490, 4326, 4545…) or wgs84, cgcs2000, gcj02, bd09")
        p.add_argument("--encoding", default="auto", help="auto (default), utf-8, gbk, gb18030")
        p.add_argument("--sheet", help="worksheet name (xlsx)")
        p.add_argument("--report", help="also write the validation report to this JSON file")
        if name == "import":
            p.add_argument(
                "--mode",
                choices=["replace", "append"],
                default="replace",
                help="replace the layer (default) or append, merging by key",
            )
        p.set_defaults(func=func)
    p = sub.add_parser("template", parents=[common], help="write an xlsx template (Chinese headers, example row)")
    p.add_argument("layer", choices=list(SCHEMAS), help="layer of the template")
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_template)
    p = sub.add_parser("layers", parents=[common], help="list the layers in the store with their row counts")
    p.set_defaults(func=cmd_layers)
    p = sub.add_parser("log", parents=[common], help="show the import log")
    p.set_defaults(func=cmd_log)
    p = sub.add_parser("settings", parents=[common], help="list every setting with its value and meaning")
    p.set_defaults(func=cmd_settings)


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the demo county and write it into the store in one transaction."""
    store = open_store(args.store)
    seed = get_settings().demo_seed if args.seed is None else args.seed
    started = time.perf_counter()
    what = "demo county" if args.counties == 1 else f"demo city ({args.counties} counties)"
    with tqdm(total=demo_steps(args.counties), desc=what, unit="step", file=sys.stderr) as bar:
        counts = write_demo(
            store, seed=seed, households=args.households, counties=args.counties, progress=lambda s: _step(bar, s)
        )
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(f"{what} (seed {seed}) written to {store.label} in {time.perf_counter() - started:.1f} s: {summary}")
    dates = last_months(DEMO_AS_OF, get_settings().demo_history_months)
    if dates:
        started = time.perf_counter()
        write_history(args.store, read_inputs(args.store), dates)
        print(f"history: {len(dates)} month-ends to {dates[-1]} in {time.perf_counter() - started:.1f} s")
    return 0


def _step(bar: tqdm, label: str) -> None:  # type: ignore[type-arg]
    """Advance a step progress bar with a label."""
    bar.set_postfix_str(label)
    bar.update(1)


def _options(args: argparse.Namespace) -> dict[str, object]:
    """Import options shared by import and validate."""
    return {"crs": args.crs, "encoding": args.encoding, "sheet": args.sheet}


def cmd_import(args: argparse.Namespace) -> int:
    """Validate and import a file; exit 2 with the report when refused."""
    store = open_store(args.store)
    try:
        with tqdm(total=4, desc=f"import {args.layer}", unit="step", file=sys.stderr, leave=False) as bar:
            prepared = import_layer(
                args.layer, args.file, store=store, mode=args.mode, progress=lambda s: _step(bar, s), **_options(args)
            )
    except InputError as exc:
        if exc.report is not None and args.report:
            exc.report.write_json(args.report)
        raise
    if args.report:
        prepared.report.write_json(args.report)
    print(prepared.report.format_text(limit=20))
    print(f"imported {len(prepared.frame)} rows into {args.layer!r} ({args.mode}) in {store.label}")
    if prepared.diff is not None:
        print(f"changed: {prepared.diff.summary()}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Run every import check and print the report; exit 2 when the file would be refused."""
    with tqdm(total=3, desc=f"validate {args.layer}", unit="step", file=sys.stderr, leave=False) as bar:
        prepared = prepare_layer(
            args.layer, args.file, store=open_store(args.store), progress=lambda s: _step(bar, s), **_options(args)
        )
    if args.report:
        prepared.report.write_json(args.report)
    print(prepared.report.format_text())
    return 0 if prepared.report.ok else 2


def cmd_template(args: argparse.Namespace) -> int:
    """Write the layer's template; its example row names a village of the store when there is one."""
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        msg = f"--out must be an .xlsx file, got {out.name!r}"
        raise InputError(msg)
    out.write_bytes(template_workbook(args.layer, store=open_store(args.store)))
    print(f"template for {args.layer!r} written to {out}")
    return 0


def cmd_layers(args: argparse.Namespace) -> int:
    """Print each layer of the store with its number of rows."""
    store = open_store(args.store)
    for name in store.layers():
        print(f"{name:20} {len(store.read(name)):>8}")
    return 0


def cmd_log(args: argparse.Namespace) -> int:
    """Print the import log."""
    log_frame = open_store(args.store).import_log()
    print(log_frame.to_string(index=False) if len(log_frame) else "(nothing imported yet)")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    """Print every setting with its current value and documentation."""
    for name, value, doc in describe_settings():
        print(f"{name} = {value!r}\n    {doc}")
    return 0
