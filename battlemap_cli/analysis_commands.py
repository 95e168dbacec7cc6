"""Commands that compute from the store: build, indicators, explain."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

import pandas as pd
from tqdm import tqdm

from analytics import INPUT_LAYERS, compute_indicators, explain, prepare_records
from analytics.explain import missing_layer
from analytics.indicators import LEVELS, UPPER_LEVELS
from analytics.levels import top_level, top_units
from battlemap_cli.month_tables import kept_tables, village_codes
from geodata._errors import InputError
from geodata.divisions import level_of
from geodata.io.spreadsheet import safe_cells, safe_csv
from geodata.settings import get_settings
from geodata.store import Store, open_store, write_computed
from geodata.store.county_reader import CountyReader
from geodata.store.snapshots import snapshot_dates

TABLES = {level: f"{level}_indicators" for level in LEVELS}  # village, town, county, city, province


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the analysis commands to the parser."""
    p = sub.add_parser("build", parents=[common], help="compute the indicator tables and write them to the store")
    p.add_argument("--as-of", type=_date, default=None, help="reference date YYYY-MM-DD (default: today)")
    p.add_argument("--engine", choices=["pandas", "dask"], default="pandas", help="in memory, or dask for provinces")
    p.add_argument("--scheduler", default=None, help="dask.distributed scheduler address (default: a local cluster)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("indicators", parents=[common], help="print an indicator table from the store")
    p.add_argument("--level", choices=list(TABLES), default="village")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--as-of", type=_date, default=None, help="a snapshot date (see `battlemap history`)")
    p.set_defaults(func=cmd_indicators)

    p = sub.add_parser("explain", parents=[common], help="list the records behind one number")
    p.add_argument("unit", help="village (12 digits), township (9), county (6), city (4) or province (2) code")
    p.add_argument("indicator", help="indicator column, e.g. cd_cases_overdue")
    p.add_argument("--as-of", type=_date, default=None, help="reference date (default: that of the last build)")
    p.set_defaults(func=cmd_explain)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        msg = f"not a date (YYYY-MM-DD): {text!r}"
        raise argparse.ArgumentTypeError(msg) from exc


def read_inputs(store_arg: str | None) -> dict[str, pd.DataFrame]:
    """The layers the analytics use, from the store (absent optional layers are left out)."""
    store = require_villages(open_store(store_arg))
    return {name: frame for name in INPUT_LAYERS if (frame := store.read_or_none(name)) is not None}


def require_villages(store: Store) -> Store:
    """``store``, refused (InputError) when it has no villages layer to build from; reads nothing."""
    if not store.exists() or not store.has("villages"):
        msg = f"{store.label} has no villages layer: import villages (or run `battlemap demo`) first"
        raise InputError(msg)
    return store


def cmd_build(args: argparse.Namespace) -> int:
    """Compute the three indicator tables and write them in one transaction."""
    as_of = args.as_of or dt.date.today()
    started = time.perf_counter()
    store = open_store(args.store)
    with tqdm(total=4, desc="build", unit="step", file=sys.stderr, leave=False) as bar:
        if args.engine == "dask":
            from analytics.dask_engine import compute_indicators_dask  # noqa: PLC0415 - dask only when asked

            reader = CountyReader(require_villages(store).target)  # the workers read the layers, not this process
            _advance(bar, "read")
            tables = compute_indicators_dask(
                reader.counties(), reader.households, reader.context, as_of=as_of, scheduler=args.scheduler
            )
            _advance(bar, "joined")
            _advance(bar, "aggregated")
        else:
            layers = read_inputs(args.store)
            _advance(bar, "read")
            tables = compute_indicators(layers, as_of=as_of, progress=lambda s: _advance(bar, s))
        write_computed(store, tables, as_of=as_of, detail={"engine": args.engine})
        _advance(bar, "written")
    level = top_level(tables["village_indicators"]["village_code"])
    top = tables[TABLES[level]]
    risk = ", ".join(f"{code} {value}" for code, value in zip(top[f"{level}_code"], top["risk_index"], strict=True))
    print(
        f"built indicators as of {as_of} in {time.perf_counter() - started:.1f} s: "
        f"{len(tables['village_indicators'])} villages, {len(tables['town_indicators'])} townships, "
        f"{len(tables['county_indicators'])} counties; {level} risk index {risk}"
    )
    return 0


def _advance(bar: tqdm, label: str) -> None:  # type: ignore[type-arg]
    bar.set_postfix_str(label)
    bar.update(1)


def cmd_indicators(args: argparse.Namespace) -> int:
    """Print one indicator table as CSV or JSON records."""
    store = open_store(args.store)
    frame = _current_table(store, args.level) if args.as_of is None else _snapshot(store, args.level, args.as_of)
    frame = frame.drop(columns=[c for c in ("geometry",) if c in frame])
    if args.format == "json":
        sys.stdout.write(
            frame.drop(columns=["settings"]).to_json(orient="records", force_ascii=False, date_format="iso")
        )
        sys.stdout.write("\n")
    else:
        safe_cells(frame.drop(columns=["settings"])).to_csv(sys.stdout, index=False)
    return 0


def _current_table(store: Store, level: str) -> pd.DataFrame:
    """The ``level`` table of the last build (not a city or province table an older build of more counties left)."""
    name = TABLES[level]
    if not store.has("county_indicators"):
        msg = f"{store.label} has no {name}: run `battlemap build` first"
        raise InputError(msg)
    county = store.read("county_indicators")
    several = len(county) > 1
    built = store.has(name) and (
        level not in UPPER_LEVELS or (several and _same_build(store.read(name, columns=["computed_at"]), county))
    )
    if not built:
        msg = (
            f"{store.label} has no {level} table: the store holds one county ({county['county_code'].iloc[0]}); "
            "city and province tables are built for several counties. Levels: village, town, county"
        )
        raise InputError(msg)
    return pd.DataFrame(store.read(name))


def _same_build(table: pd.DataFrame, county: pd.DataFrame) -> bool:
    """True when ``table`` was written by the build that wrote ``county`` (the same ``computed_at``)."""
    return len(table) > 0 and table["computed_at"].iloc[0] == county["computed_at"].iloc[0]


def _snapshot(store: Store, level: str, as_of: dt.date) -> pd.DataFrame:
    """The ``level`` table of the month-end ``as_of`` (:func:`kept_tables`); without one, an error listing the dates."""
    villages = village_codes(store)
    if level in UPPER_LEVELS and top_level(villages) == "county" and snapshot_dates(store):
        msg = (
            f"{store.label} has no {level} snapshot as of {as_of}: {level} snapshots are kept for a store of "
            "several counties (`battlemap history` after importing them); levels: village, town, county"
        )
        raise InputError(msg)
    frame = kept_tables(store, [level], as_of, villages)[level]
    if frame is None:
        dates = snapshot_dates(store)
        have = (
            ", ".join(str(d) for d in dates) if dates else "none: run `battlemap history --from YYYY-MM --to YYYY-MM`"
        )
        msg = f"{store.label} has no snapshot as of {as_of}; snapshot dates: {have}"
        raise InputError(msg)
    return frame


def cmd_explain(args: argparse.Namespace) -> int:
    """Print the ids behind one indicator of one unit."""
    store = open_store(args.store)
    as_of = args.as_of
    if as_of is None and store.has("county_indicators"):
        as_of = pd.Timestamp(store.read("county_indicators")["as_of"].iloc[0]).date()
    layers = read_inputs(args.store)
    codes = layers["villages"]["village_code"].astype("str")
    level_of(args.unit)  # a code of the wrong length is refused before anything is computed
    if not codes.str.startswith(args.unit).any():
        msg = f"unit {args.unit!r} is not in {store.label}; its top units are {', '.join(top_units(codes))}"
        raise InputError(msg)
    records = prepare_records(layers, as_of=as_of or dt.date.today(), settings=get_settings())
    if layer := missing_layer(records, args.indicator, args.unit):
        unit = args.unit if len(args.unit) >= 6 else f"a county of {args.unit}"
        why = f"no {layer!r} layer imported" if layer in records.absent else f"no {layer!r} rows for {unit}"
        print(f"{args.indicator} of {args.unit} (as of {records.as_of}): no data (无数据), {why}")
        return 0
    try:
        rows = explain(records, args.unit, args.indicator)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from exc
    print(f"{args.indicator} of {args.unit} (as of {records.as_of}): {len(rows)} rows")
    print(safe_csv(rows, index=False), end="")
    return 0
