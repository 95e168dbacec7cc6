"""History speed: 12 month-end snapshots of the demo county, against 12 separate builds, same run.

Run: ``python -m bench.bench_history [--households 60000] [--months 12]``. Writes the demo
county into a temporary GeoPackage, then times ``battlemap history`` over the 12 months
before the demo's date (read once, lab results judged once, one transaction) and the
naive way — one ``battlemap build --as-of`` per month-end, each reading the store and
writing its tables — and prints both, their ratio and whether the county rows agree.
Target: ``history`` for 12 months under 20 s on a 2-core machine.

Then (unless ``--no-browser``) the store is served as deployed (``battlemap serve
--workers 2``) and headless Chromium times switching the month on ``/map``: choosing a
month in the period control until the county map of that month is drawn (each month once,
then again), against loading ``/map?period=…`` afresh. Target: < 0.5 s click-to-render.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
from playwright.sync_api import Page

from analytics.history import last_months
from battlemap_cli.main import main as battlemap
from geodata.demo import DEMO_AS_OF
from geodata.demo.store import write_demo
from geodata.store import GeoPackageStore
from geodata.store.snapshots import read_snapshot
from harness.browser import chromium, login, serving_process
from harness.map_clicks import rendered

# True once the figure on screen is a new one (Dash hands Plotly a new data array) and its map has loaded.
REDRAWN = """() => { const gd = document.querySelector('#map-graph .js-plotly-plot');
  return gd && gd.data !== window.__shown && gd._fullLayout.map._subplot.map.loaded(); }"""

COMPARED = [
    "monitored_households",
    "monitored_eliminated_households",
    "cd_cases_accepted",
    "water_samples",
    "risk_index",
]


def run(argv: list[str]) -> float:
    """Seconds one ``battlemap`` command takes (its output swallowed); it must succeed."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = battlemap(argv)
    if status != 0:
        msg = f"battlemap {' '.join(argv)} exited {status}"
        raise RuntimeError(msg)
    return time.perf_counter() - started


def period_switches(path: Path, months: list[str]) -> tuple[list[float], list[float], list[float]]:
    """Seconds from choosing each month in the period control to its map drawn (first and second time), and reloads."""
    first, again, reloads = [], [], []
    with serving_process(path, workers=2) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        login(page, url, path, "leader")
        page.goto(f"{url}/map")
        rendered(page, "county")
        for times in (first, again):
            for month in months:
                times.append(_switch(page, month))
        for month in months:
            started = time.perf_counter()
            page.goto(f"{url}/map?period={month}")
            rendered(page, "county")
            reloads.append(time.perf_counter() - started)
    return first, again, reloads


def _switch(page: Page, month: str) -> float:
    page.wait_for_timeout(300)
    page.evaluate("() => { window.__shown = document.querySelector('#map-graph .js-plotly-plot').data; }")
    page.click("#period-picker")
    started = time.perf_counter()
    page.get_by_role("option", name=month[:7], exact=True).first.click()
    page.wait_for_function(REDRAWN, timeout=30_000, polling=20)
    return time.perf_counter() - started


def main() -> None:
    """Time history against the naive per-month builds on the demo county."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=60000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--no-browser", action="store_true", help="skip the /map period switch")
    args = ap.parse_args()
    dates = last_months(DEMO_AS_OF, args.months)
    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(Path(tmp) / "bench.gpkg")
        write_demo(store, seed=2026, households=args.households)
        first, last = f"{dates[0]:%Y-%m}", f"{dates[-1]:%Y-%m}"
        ours = run(["--store", str(store.path), "history", "--from", first, "--to", last])
        naive, differ = 0.0, []
        for as_of in dates:
            naive += run(["--store", str(store.path), "build", "--as-of", as_of.isoformat()])
            built = pd.DataFrame(store.read("county_indicators"))[COMPARED].iloc[0]
            kept = read_snapshot(store, "county", as_of)[COMPARED].iloc[0]
            if not built.astype(float).equals(kept.astype(float)):
                differ.append(str(as_of))
        switches = None if args.no_browser else period_switches(store.path, [str(d) for d in dates])
    print(f"demo county, {args.households} households, {len(dates)} month-ends {dates[0]} … {dates[-1]}")
    print(f"battlemap history (read once, placed once, one transaction)  {ours:.1f} s   target < 20 s")
    print(f"naive: {len(dates)} × battlemap build --as-of               {naive:.1f} s")
    print(f"ratio naive/history {naive / ours:.1f}x; months whose county rows differ: {differ or 'none'}")
    if switches is not None:
        first, again, reloads = (statistics.median(t) for t in switches)
        print(
            f"/map period switch, click to render (median of {len(dates)}): first {first:.2f} s, "
            f"again {again:.2f} s (max {max(switches[0] + switches[1]):.2f} s)   target < 0.5 s"
        )
        print(f"baseline: load /map?period=… afresh  median {reloads:.2f} s; ratio {reloads / first:.1f}x")


if __name__ == "__main__":
    main()
