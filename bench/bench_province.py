"""The synthetic province on PostGIS: write it, build it with dask from and to the database, serve it, load it.

Run: ``python -m bench.bench_province [--counties 100] [--households-per-county 100000]
[--store URL | --keep-data DIR] [--skip-write] [--build-only] [--users 100] [--load-minutes 3]``. Without
``--store`` a throwaway PostgreSQL + PostGIS server is started in a temporary folder and
stopped and removed at the end, also when the bench is ended by SIGTERM, SIGINT (Ctrl-C)
or SIGHUP (only SIGKILL leaves it running: ``python -m harness.postgis_server stop DIR``).

Staged runs: ``--keep-data DIR`` keeps the server's cluster in DIR (stopped at the end, kept
on disk; a later run with the same DIR starts it again), and ``--skip-write`` uses the store
as written (checking that it holds exactly ``--counties`` counties of
``--households-per-county`` households each), so build, serve and load can be measured
again without the hour-long write of the full size. Steps:

1. write the synthetic province (:mod:`bench.synthetic_province`: villages with their
   outlines, households and every context layer it makes) into the store, county by
   county in one transaction (COPY), with a progress bar;
2. build the indicators with the dask engine on a local cluster (or ``--scheduler``):
   each worker reads its own county from PostGIS (:class:`CountyReader`), the client
   gets back only the unit rows and writes the tables to PostGIS; wall time and peak
   resident memory of this process and its children (the database server is not one);
3. pre-render every /map view and panel into the server's shared cache (``battlemap warm``,
   one process per core), as a deployment does after its nightly build (``--no-prerender``
   leaves the views to be built on first click and by the server's warming process);
4. serve the store with gunicorn (production mode, warm before it answers) and measure
   in headless Chromium: first render of ``/map`` (the store's top level: the city for
   one city's counties), click-to-render of every drill-down level below it (county,
   township, village) and the bytes of the Dash callback responses at each level;
5. ``bench.load``'s simulated users (``--users``) on the same server: p95 and errors.

Each result is printed with its ratio to the target (≤ 1 meets it): build ≤ 60 s and
≤ 8 GiB on 2 cores; first render < 1.5 s; drill-down < 0.5 s and payload < 1 MB at
every level; 100 users p95 < 0.5 s with 0 errors.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from tqdm import tqdm

from analytics.dask_engine import compute_indicators_dask
from analytics.levels import levels_below, top_unit, units
from bench.bench_map import Payloads, timed_click
from bench.load import DRILL_KINDS, Setup, gunicorn_server, percentiles, prepare, prerender, report, run_users
from bench.memory import PeakMemory
from bench.synthetic_province import AS_OF, context, county_code, households
from geodata.divisions import LEVELS
from geodata.store import write_computed
from geodata.store.county_reader import CountyReader
from geodata.store.postgis import PostGISStore, normalise_url
from harness import postgis_server
from harness.browser import chromium, login
from harness.map_clicks import rendered

DATABASE = "battlemap_province"
MB = 1_000_000


@dataclass
class Results:
    """Every measured figure, in order, with its target: printed as ratios at the end."""

    rows: list[tuple[str, float, float | None, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, label: str, value: float, target: float | None, unit: str) -> None:
        self.rows.append((label, value, target, unit))
        print(f"  {label:44} {_fmt(value, unit):>12}  ratio to target {_ratio(value, target)}", flush=True)

    def table(self) -> None:
        print(f"\n{'measure':44} {'value':>12}  {'target':>10}  ratio to target")
        for label, value, target, unit in self.rows:
            shown = "–" if target is None else _fmt(target, unit)
            verdict = "" if target is None else "meets it" if value <= target else "MISSES it"
            print(f"{label:44} {_fmt(value, unit):>12}  {shown:>10}  {_ratio(value, target)}  {verdict}")
        for note in self.notes:
            print(f"note: {note}")


def _ratio(value: float, target: float | None) -> str:
    """Value over target (≤ 1 meets it); a target of zero (errors) is met by zero only."""
    if target is None:
        return "    –"
    if target == 0:
        return " 0.00" if value == 0 else "  inf"
    return f"{value / target:5.2f}"


def _fmt(value: float, unit: str) -> str:
    if unit == "GiB":
        return f"{value / 2**30:.2f} GiB"
    if unit == "MB":
        return f"{value / MB:.3f} MB"
    if unit == "errors":
        return f"{value:.0f} errors"
    return f"{value:.2f} {unit}"


ENDING_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def exit_on_signals() -> None:
    """End the bench by SystemExit on SIGTERM, SIGINT or SIGHUP, so that every ``finally`` (the server's stop) runs.

    Once one arrived the others are ignored: a second Ctrl-C does not cut the clean-up short.
    """

    def _exit(signum: int, _frame: object) -> None:
        for ending in ENDING_SIGNALS:
            signal.signal(ending, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    for ending in ENDING_SIGNALS:
        signal.signal(ending, _exit)


@contextlib.contextmanager
def postgis_store(url: str | None, keep: Path | None = None) -> Iterator[str]:
    """``url``, or a database with PostGIS on a server of our own, stopped when this ends (and at exit).

    The server's cluster is a temporary folder, removed afterwards, or ``keep``: kept on disk
    and started again by the next run with the same folder (the database is made once).
    """
    if url:
        yield url
        return
    root = keep or Path(tempfile.mkdtemp(prefix="battlemap-province-pg-"))

    def _stop() -> None:
        postgis_server.stop(root)
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)

    atexit.register(_stop)  # should the ``finally`` below be skipped; stopping twice is harmless
    try:
        admin = postgis_server.resume(root) if keep else postgis_server.start(root)
        with psycopg.connect(admin, autocommit=True) as con:
            if not con.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
                con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        target = normalise_url(admin).set(database=DATABASE).render_as_string(hide_password=False)
        with psycopg.connect(admin.rsplit("/", 1)[0] + f"/{DATABASE}", autocommit=True) as con:
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield target
    finally:
        _stop()
        atexit.unregister(_stop)


def check_written(store: PostGISStore, counties: list[str], per_county: int) -> int:
    """The rows of the province already in ``store`` (for ``--skip-write``); SystemExit saying what differs.

    The store must hold households in exactly ``counties``, ``per_county`` in each.
    """
    if "households" not in store.layers():
        sys.exit(f"--skip-write: {store.label} holds no households; run once without --skip-write to write them")
    with store.engine.connect() as conn:
        found = dict(conn.exec_driver_sql("SELECT left(village_code, 6), count(*) FROM households GROUP BY 1").all())
    wanted = dict.fromkeys(counties, per_county)
    if found != wanted:
        differs = {
            "counties missing": sorted(set(wanted) - set(found)),
            "counties not asked for": sorted(set(found) - set(wanted)),
            "counties with another number of households": [
                f"{c}: {found[c]:,}" for c in sorted(set(found) & set(wanted)) if found[c] != per_county
            ],
        }
        said = "; ".join(
            f"{what} {', '.join(codes[:5])}{' …' if len(codes) > 5 else ''}" for what, codes in differs.items() if codes
        )
        sys.exit(
            f"--skip-write: {store.label} does not hold the province asked for ({len(counties)} counties × "
            f"{per_county:,} households): {said}. Give the sizes it was written with, or write it again "
            "(without --skip-write)"
        )
    return sum(found.values())


def write_province(store: PostGISStore, counties: list[str], per_county: int) -> int:
    """Every county's layers into the store in one transaction; returns the number of rows written."""
    rows = 0
    with store.transaction() as tx:
        for i, code in enumerate(tqdm(counties, desc="write province", unit="county", file=sys.stderr)):
            layers = {**context(code), "households": households(code, per_county)}
            for name, frame in layers.items():
                (tx.write if i == 0 else tx.append)(name, frame)
                rows += len(frame)
        tx.log(
            action="import",
            layer="synthetic province",
            rows=rows,
            source="bench.bench_province",
            detail={"counties": len(counties), "households_per_county": per_county},
            who="bench",
        )
    return rows


def build(store: PostGISStore, scheduler: str | None) -> tuple[float, float, int, int]:
    """The dask build read from and written to PostGIS: seconds, of which writing, peak bytes of this tree, villages."""
    with PeakMemory() as mem:
        started = time.perf_counter()
        reader = CountyReader(store.target)
        tables = compute_indicators_dask(
            reader.counties(), reader.households, reader.context, as_of=AS_OF, scheduler=scheduler
        )
        computed = time.perf_counter()
        write_computed(store, tables, as_of=AS_OF, detail={"engine": "dask", "bench": "province"})
        written = time.perf_counter()
    return written - started, written - computed, mem.peak, len(tables["village_indicators"])


def browse(url: str, store: PostGISStore, results: Results, *, repeat: int) -> None:
    """First render of /map and click-to-render plus payload at every level below the top (medians of ``repeat``).

    Each round clicks from the top down to one village (spread over the store), one
    level per click, then goes back to the top through the breadcrumb.
    """
    villages = store.read("villages", columns=["village_code", "name"])  # the outline comes too
    top = top_unit(villages["village_code"]).level
    below = levels_below(top)[1:]
    outlines = {level: units(villages, level).set_index("code").geometry for level in below}
    ordered = villages.sort_values("village_code").reset_index(drop=True)
    picks = ordered["village_code"].iloc[[round(k * (len(ordered) - 1) / max(repeat - 1, 1)) for k in range(repeat)]]
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        payloads = Payloads()
        page.on("response", lambda r: payloads(r))  # noqa: PLW0108 - Playwright wraps plain callables only
        login(page, url, store.target, "leader")
        page.goto(f"{url}/map")  # warm this browser's cache of the app's scripts
        rendered(page, top)
        payloads.settle(page)
        payloads.take()
        started = time.perf_counter()
        page.goto(f"{url}/map")
        rendered(page, top)
        results.add(f"/map first render ({top})", time.perf_counter() - started, 1.5, "s")
        payloads.settle(page)
        results.add(f"payload: top view ({top})", payloads.take(), MB, "MB")
        times: dict[str, list[float]] = {level: [] for level in below}
        sizes: dict[str, list[int]] = {level: [] for level in below}
        for village in picks:
            for level in below:
                code = str(village)[: LEVELS[level]]
                point = outlines[level][code].representative_point()
                seconds, size = timed_click(page, point, level, code, payloads)
                times[level].append(seconds)
                sizes[level].append(size)
            page.click(f"#crumb-{top}")
            rendered(page, top)
            payloads.settle(page)
            payloads.take()
    above = top
    for level in below:
        results.add(f"drill {above} → {level} (median of {repeat})", statistics.median(times[level]), 0.5, "s")
        results.add(f"payload: {level} view (largest)", max(sizes[level]), MB, "MB")
        above = level


def load(setup: Setup, results: Results, *, users: int, minutes: float) -> None:
    """``users`` simulated users on the served store: p95 of every request, of the drill-down, and errors."""
    stats, seconds = run_users(setup, users, minutes * 60, 10**9, seed=1)
    report(stats, seconds, None, users)  # p95 per kind of request: which one holds the others up
    every = [v for values in stats.times.values() for v in values]
    drill = [v for k in DRILL_KINDS for v in stats.times.get(k, [])]
    print(f"  {users} users for {seconds:.0f} s: {len(every)} requests ({len(every) / seconds:.1f}/s)")
    results.add(f"{users} users: p95 of every request", percentiles(every)[1], 0.5, "s")
    results.add(f"{users} users: p95 of drill-down callbacks", percentiles(drill)[1], 0.5, "s")
    results.add(f"{users} users: errors", sum(stats.errors.values()), 0, "errors")


def _settings(folder: Path, warm_views: int | None) -> None:
    """Keep the store's local files (accounts, caches) in ``folder`` unless a settings file is already chosen.

    ``warm_views`` (when given) is the ``[server] warm_views`` of the served store.
    """
    if not os.environ.get("BATTLEMAP_SETTINGS"):
        path = folder / "battlemap.toml"
        server = "" if warm_views is None else f"[server]\nwarm_views = {warm_views}\n"
        path.write_text(f"[store]\nstate_dir = {str(folder / 'state')!r}\n{server}", "utf-8")
        os.environ["BATTLEMAP_SETTINGS"] = str(path)  # the server processes inherit it


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--households-per-county", type=int, default=100_000)
    ap.add_argument("--store", help="PostGIS URL to write into (layers replaced); default: a throwaway server")
    ap.add_argument(
        "--keep-data", type=Path, metavar="DIR", help="keep the server's cluster in DIR (started again by a later run)"
    )
    ap.add_argument("--skip-write", action="store_true", help="use the province already in the store (staged runs)")
    ap.add_argument("--scheduler", default=None, help="address of a dask scheduler (default: a local cluster)")
    ap.add_argument("--workers", type=int, default=0, help="gunicorn workers (0 = [server] workers setting)")
    ap.add_argument("--repeat", type=int, default=5, help="drill-down clicks per level")
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--load-minutes", type=float, default=3.0)
    ap.add_argument("--warm-views", type=int, default=None, help="[server] warm_views (default: the setting)")
    ap.add_argument(
        "--no-prerender", action="store_true", help="serve without `battlemap warm` first (views built on click)"
    )
    ap.add_argument("--build-only", action="store_true", help="stop after the build (to measure build changes alone)")
    ap.add_argument("--up-timeout", type=float, default=3600.0, help="seconds gunicorn may take to warm up")
    args = ap.parse_args()
    if args.store and args.keep_data:
        ap.error("--keep-data is for the bench's own server: not with --store")
    if args.skip_write and not (args.store or args.keep_data):
        ap.error("--skip-write needs a written store: --store URL or --keep-data DIR of an earlier run")
    counties = [county_code(i) for i in range(args.counties)]
    results = Results()
    exit_on_signals()
    keep = args.keep_data.resolve() if args.keep_data else None
    with tempfile.TemporaryDirectory() as tmp, postgis_store(args.store, keep) as url:
        _settings(Path(tmp), args.warm_views)
        store = PostGISStore(url)
        print(f"store {store.label}; {len(counties)} counties × {args.households_per_county:,} households", flush=True)
        if args.skip_write:
            print(f"  write skipped: {check_written(store, counties, args.households_per_county):,} households there")
        else:
            started = time.perf_counter()
            rows = write_province(store, counties, args.households_per_county)
            results.add(f"write province ({rows:,} rows, COPY)", time.perf_counter() - started, None, "s")
        seconds, writing, peak, villages = build(store, args.scheduler)
        print(f"  built {villages:,} villages with {os.cpu_count()} cores")
        results.add("build: dask, PostGIS → PostGIS", seconds, 60.0, "s")
        results.add("build: of which writing the tables", writing, None, "s")
        results.add("build: peak memory (this process tree)", peak, 8 * 2**30, "GiB")
        if not args.build_only:
            serve(url, store, args, results)
        store.engine.dispose()
    results.notes.append(f"load average (1, 5, 15 min) at the end: {os.getloadavg()} on {os.cpu_count()} cores")
    results.table()


def serve(url: str, store: PostGISStore, args: argparse.Namespace, results: Results) -> None:
    """Steps 3 to 5: pre-render (unless ``--no-prerender``), serve with gunicorn, browse and load."""
    token, accounts, county = prepare(url)  # before pre-rendering: the token changes the store's stamp
    if not args.no_prerender:
        day = dt.date.today()
        seconds, printed = prerender(url)
        print(f"  {printed}")
        if dt.date.today() != day:  # cached values are keyed by the date: those made before midnight are stale
            results.notes.append("the pre-render ran across midnight: the views built before it are rebuilt on click")
        results.add(f"pre-render every view (battlemap warm, {os.cpu_count()} processes)", seconds, None, "s")
    started = time.perf_counter()
    with gunicorn_server(url, args.workers, timeout_s=args.up_timeout) as (server, _pid):
        results.add("gunicorn start-up (warm)", time.perf_counter() - started, None, "s")
        browse(server, store, results, repeat=args.repeat)
        load(Setup(server, token, county, accounts), results, users=args.users, minutes=args.load_minutes)


if __name__ == "__main__":
    main()
