"""``battlemap warm``: pre-render every /map view into the shared cache the server reads (after the nightly build)."""

from __future__ import annotations

import argparse
import os
import sys
import time

from tqdm import tqdm

from battlemap_cli.analysis_commands import require_villages
from geodata.store import open_store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add ``warm`` to the parser."""
    p = sub.add_parser(
        "warm",
        parents=[common],
        help="pre-render every /map view and panel into the server's shared cache (run after build; 预渲染)",
    )
    p.add_argument("--processes", type=int, default=0, help="processes building views (default/0: the machine's cores)")
    p.add_argument("--limit", type=int, default=None, help="only the first N views: top, counties, townships, villages")
    p.set_defaults(func=cmd_warm)


def cmd_warm(args: argparse.Namespace) -> int:
    """Build the views with a progress bar; exit 1 when some could not be built."""
    from callbacks.prerender import prerender  # noqa: PLC0415 - Dash and Plotly load only for this command
    from callbacks.shared_cache import SharedCache  # noqa: PLC0415
    from callbacks.store_data import StoreData  # noqa: PLC0415

    store = require_villages(open_store(args.store))
    data = StoreData(store, shared=SharedCache.for_store(store))
    processes = args.processes or os.cpu_count() or 1
    started = time.perf_counter()
    with tqdm(desc="warm", unit="view", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = prerender(data, processes=processes, limit=args.limit, progress=progress)
    seconds = time.perf_counter() - started
    print(
        f"pre-rendered {result.views:,} /map views and panels and {result.walls:,} walls in {seconds:.0f} s "
        f"({result.processes} processes); the shared cache holds {result.cache_mb:,.0f} MB ({result.cache_dir})"
    )
    if result.failed:
        print(f"{result.failed:,} views could not be built (see the log); a click builds them", file=sys.stderr)
        return 1
    return 0
