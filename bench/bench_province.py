"""The synthetic province on PostGIS: write it, build it with dask from and to the database, serve it, load it.

Run: ``python -m bench.bench_province [--counties 100] [--households-per-county 100000]
[--store URL] [--users 100] [--load-minutes 3]``. Without ``--store`` a throwaway
PostgreSQL + PostGIS server is started in a temporary folder (and removed after). Steps:

1. write the synthetic province (:mod:`bench.synthetic_province`: villages with their
   outlines, households and every context layer it makes) into the store, county by
   county in one transaction (COPY), with a progress bar;
2. build the indicators with the dask engine on a local cluster (or ``--scheduler``):
   each worker reads its own county from PostGIS (:class:`CountyReader`), the client
   gets back only the unit rows and writes the tables to PostGIS; wall time and peak
   resident memory of this process and its children (the database server is not one);
3. serve the store with gunicorn (production mode, warm before it answers) and measure
   in headless Chromium: first render of ``/map`` (the store's top level: the city for
   one city's counties), click-to-render of every drill-down level below it (county,
   township, village) and the bytes of the Dash callback responses at each level;
4. ``bench.load``'s simulated users (``--users``) on the same server: p95 and errors.

Each result is printed with its ratio to the target (≤ 1 meets it): build ≤ 60 s and
≤ 8 GiB on 2 cores; first render < 1.5 s; drill-down < 0.5 s and payload < 1 MB at
every level; 100 users p95 < 0.5 s with 0 errors.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
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
from bench.load import DRILL_KINDS, Setup, gunicorn_server, percentiles, prepare, run_users
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


@contextlib.contextmanager
def postgis_store(url: str | None) -> Iterator[str]:
    """``url``, or a fresh database with PostGIS on a throwaway server (stopped and removed afterwards)."""
    if url:
        yield url
        return
    root = Path(tempfile.mkdtemp(prefix="battlemap-province-pg-"))
    try:
        admin = postgis_server.start(root)
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        target = normalise_url(admin).set(database=DATABASE).render_as_string(hide_password=False)
        with psycopg.connect(admin.rsplit("/", 1)[0] + f"/{DATABASE}", autocommit=True) as con:
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        yield target
    finally:
        postgis_server.stop(root)
        shutil.rmtree(root, ignore_errors=True)


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


def build(store: PostGISStore, scheduler: str | None) -> tuple[float, int, int]:
    """The dask build read from and written to PostGIS: seconds, peak bytes of this process tree, villages."""
    with PeakMemory() as mem:
        started = time.perf_counter()
        reader = CountyReader(store.target)
        tables = compute_indicators_dask(
            reader.counties(), reader.households, reader.context, as_of=AS_OF, scheduler=scheduler
        )
        write_computed(store, tables, as_of=AS_OF, detail={"engine": "dask", "bench": "province"})
        seconds = time.perf_counter() - started
    return seconds, mem.peak, len(tables["village_indicators"])


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
    every = [v for values in stats.times.values() for v in values]
    drill = [v for k in DRILL_KINDS for v in stats.times.get(k, [])]
    print(f"  {users} users for {seconds:.0f} s: {len(every)} requests ({len(every) / seconds:.1f}/s)")
    results.add(f"{users} users: p95 of every request", percentiles(every)[1], 0.5, "s")
    results.add(f"{users} users: p95 of drill-down callbacks", percentiles(drill)[1], 0.5, "s")
    results.add(f"{users} users: errors", sum(stats.errors.values()), 0, "errors")
    for sample in stats.samples:
        print(f"  error: {sample}")


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
    ap.add_argument("--scheduler", default=None, help="address of a dask scheduler (default: a local cluster)")
    ap.add_argument("--workers", type=int, default=0, help="gunicorn workers (0 = [server] workers setting)")
    ap.add_argument("--repeat", type=int, default=5, help="drill-down clicks per level")
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--load-minutes", type=float, default=3.0)
    ap.add_argument("--warm-views", type=int, default=None, help="[server] warm_views (default: the setting)")
    ap.add_argument("--up-timeout", type=float, default=3600.0, help="seconds gunicorn may take to warm up")
    args = ap.parse_args()
    counties = [county_code(i) for i in range(args.counties)]
    results = Results()
    with tempfile.TemporaryDirectory() as tmp, postgis_store(args.store) as url:
        _settings(Path(tmp), args.warm_views)
        store = PostGISStore(url)
        print(f"store {store.label}; {len(counties)} counties × {args.households_per_county:,} households")
        started = time.perf_counter()
        rows = write_province(store, counties, args.households_per_county)
        results.add(f"write province ({rows:,} rows, COPY)", time.perf_counter() - started, None, "s")
        seconds, peak, villages = build(store, args.scheduler)
        print(f"  built {villages:,} villages with {os.cpu_count()} cores")
        results.add("build: dask, PostGIS → PostGIS", seconds, 60.0, "s")
        results.add("build: peak memory (this process tree)", peak, 8 * 2**30, "GiB")
        token, accounts, county = prepare(url)
        started = time.perf_counter()
        with gunicorn_server(url, args.workers, timeout_s=args.up_timeout) as (server, _pid):
            results.add("gunicorn start-up (warm)", time.perf_counter() - started, None, "s")
            browse(server, store, results, repeat=args.repeat)
            load(Setup(server, token, county, accounts), results, users=args.users, minutes=args.load_minutes)
        store.engine.dispose()
    results.notes.append(f"load average (1, 5, 15 min) at the end: {os.getloadavg()} on {os.cpu_count()} cores")
    results.table()


if __name__ == "__main__":
    main()
