"""``battlemap history``: month-end snapshots of every level, from the dated records, in one transaction."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time

from tqdm import tqdm

from analytics.history import compute_history, first_record, month_end, month_ends
from battlemap_cli.analysis_commands import read_inputs
from geodata._errors import InputError
from geodata.settings import get_settings
from geodata.store import open_store
from geodata.store.snapshots import write_snapshots

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the history command to the parser."""
    p = sub.add_parser(
        "history", parents=[common], help="compute month-end indicator snapshots of every level into the store"
    )
    p.add_argument("--from", dest="first", required=True, metavar="YYYY-MM", help="first month")
    p.add_argument("--to", dest="last", required=True, metavar="YYYY-MM", help="last month (ended before today)")
    p.set_defaults(func=cmd_history)


def parse_month(text: str, option: str) -> dt.date:
    """The last day of the month ``YYYY-MM``; anything else is refused naming the option."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        msg = f"{option} must be a month YYYY-MM (e.g. 2026-03), got {text!r}"
        raise InputError(msg)
    return month_end(int(match.group(1)), int(match.group(2)))


def history_months(first: str, last: str, *, data_from: dt.date | None, today: dt.date) -> list[dt.date]:
    """The month-ends from ``first`` to ``last``, refused unless ordered, ended and within the records."""
    start, end = parse_month(first, "--from"), parse_month(last, "--to")
    if start > end:
        msg = f"--from {first} is after --to {last}: give the earlier month first"
        raise InputError(msg)
    if end >= today:
        msg = f"--to {last} has not ended yet (today is {today}): the last month is {_month(_last_ended(today))}"
        raise InputError(msg)
    if data_from is None:
        msg = "the store's records carry no dates (risk found, sampled, appraised, inspected): no month can be rebuilt"
        raise InputError(msg)
    if start < month_end(data_from.year, data_from.month):
        msg = (
            f"--from {first} is before the data: the earliest dated record is of {data_from} (from {_month(data_from)})"
        )
        raise InputError(msg)
    return month_ends(start, end)


def _last_ended(today: dt.date) -> dt.date:
    return today.replace(day=1) - dt.timedelta(days=1)


def _month(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def cmd_history(args: argparse.Namespace) -> int:
    """Compute the snapshots of the months asked for and write them in one transaction."""
    started = time.perf_counter()
    layers = read_inputs(args.store)
    dates = history_months(args.first, args.last, data_from=first_record(layers), today=dt.date.today())
    villages = write_history(args.store, layers, dates)
    print(
        f"history: {len(dates)} month-ends from {dates[0]} to {dates[-1]} written in "
        f"{time.perf_counter() - started:.1f} s ({villages} villages each)"
    )
    return 0


def write_history(store_arg: str | None, layers: dict, dates: list[dt.date]) -> int:
    """Compute the snapshots of ``dates`` with a progress bar and write them together; the villages per month."""
    with tqdm(total=len(dates) + 1, desc="history", unit="month", file=sys.stderr, leave=False) as bar:
        snapshots = compute_history(layers, dates, settings=get_settings(), progress=lambda d: _advance(bar, _month(d)))
        write_snapshots(open_store(store_arg), snapshots, detail={"engine": "pandas"})
        _advance(bar, "written")
    return len(next(iter(snapshots.values()))["village_indicators"])


def _advance(bar: tqdm, label: str) -> None:  # type: ignore[type-arg]
    bar.set_postfix_str(label)
    bar.update(1)
