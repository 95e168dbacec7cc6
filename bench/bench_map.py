"""The /map page in headless Chromium on the full demo county: render times and payload sizes.

Run: ``python -m bench.bench_map [--repeat 10]``. Writes the demo county (60,000
households) into a temporary store, serves the app as deployed (``battlemap serve
--workers 2``: gunicorn in its own processes, warm before it answers), and measures
with Playwright:
time to the first rendered map of ``/map``; click-to-render for township and village
drill-down (median of ``--repeat`` real mouse clicks); and the JSON size of the Dash
responses each view needs. Targets: first render < 2 s, drill-down < 0.5 s, county
view payload < 1.5 MB, village view < 400 KB.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from playwright.sync_api import Page, Response

from geodata.demo.store import write_demo
from geodata.store import GeoPackageStore
from harness.browser import chromium, login, serving_process
from harness.map_clicks import click_at, rendered


class Payloads:
    """Bytes of Dash responses since the last :meth:`take`."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, response: Response) -> None:
        if "_dash-update-component" in response.url:
            try:
                self.sizes.append(len(response.body()))
            except Exception:
                return

    def settle(self, page: Page, quiet_ms: int = 400) -> None:
        """Wait until no Dash response has arrived for ``quiet_ms`` (late callbacks counted too)."""
        seen = -1
        while seen != len(self.sizes):
            seen = len(self.sizes)
            page.wait_for_timeout(quiet_ms)

    def take(self) -> int:
        total = sum(self.sizes)
        self.sizes.clear()
        return total


def timed_click(page: Page, point: Any, level: str, code: str, payloads: Payloads) -> tuple[float, int]:
    """Click ``point`` once the page is quiet: seconds until ``level``/``code`` is drawn, and the bytes it took."""
    page.wait_for_timeout(300)
    started = time.perf_counter()
    click_at(page, point.x, point.y)
    rendered(page, level, code)
    seconds = time.perf_counter() - started
    payloads.settle(page)
    return seconds, payloads.take()


def drill_downs(
    page: Page, towns: pd.DataFrame, villages: pd.DataFrame, *, repeat: int, payloads: Payloads
) -> tuple[list[float], list[float], list[int], list[int]]:
    """Click into townships and villages ``repeat`` times: seconds to render and bytes received."""
    times: dict[str, list[float]] = {"town": [], "village": []}
    sizes: dict[str, list[int]] = {"town": [], "village": []}
    for i in range(repeat):
        town = towns.iloc[i % len(towns)]
        in_town = villages[villages["village_code"].str[:9] == town["town_code"]]
        village = in_town.iloc[(i // len(towns)) % len(in_town)]
        for level, unit, code in (("town", town, town["town_code"]), ("village", village, village["village_code"])):
            seconds, size = timed_click(page, unit.geometry.representative_point(), level, code, payloads)
            times[level].append(seconds)
            sizes[level].append(size)
        page.click("#crumb-county")
        page.wait_for_function("() => !document.querySelector('#crumb-town')")
        rendered(page, "county")
        payloads.take()
    return times["town"], times["village"], sizes["town"], sizes["village"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--households", type=int, default=60000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(Path(tmp) / "demo.gpkg")
        write_demo(store, seed=2026, households=args.households)
        towns = store.read("towns").sort_values("town_code")
        villages = store.read("villages")
        # as deployed: gunicorn, which answers once every view is warm (see README, Production)
        with serving_process(store.path, workers=2, timeout_s=600) as url, chromium() as browser:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            payloads = Payloads()
            page.on("response", lambda r: payloads(r))  # noqa: PLW0108 - Playwright wraps plain callables only
            login(page, url, store.path, "leader")
            page.goto(f"{url}/map")  # warm: the server computes indicators once per store version
            rendered(page, "county")
            payloads.take()
            started = time.perf_counter()
            page.goto(f"{url}/map")
            rendered(page, "county")
            first = time.perf_counter() - started
            payloads.settle(page)  # the panel arrives after the map: count it too
            county_bytes = payloads.take()

            town_times, village_times, town_bytes, village_bytes = drill_downs(
                page, towns, villages, repeat=args.repeat, payloads=payloads
            )

    print(f"demo county: {len(towns)} townships, {len(villages)} villages, {args.households} households")
    print(f"first render of /map      {first:6.2f} s                target < 2 s")
    print(
        f"township drill-down       {statistics.median(town_times):6.2f} s median of {len(town_times)}  target < 0.5 s"
    )
    print(
        f"village drill-down        {statistics.median(village_times):6.2f} s median of {len(village_times)}"
        "  target < 0.5 s"
    )
    print(f"payload county view       {county_bytes / 1024:8.0f} KB            target < 1,536 KB")
    print(f"payload township view     {statistics.median(town_bytes) / 1024:8.0f} KB (median)")
    print(
        f"payload village view      {statistics.median(village_bytes) / 1024:8.0f} KB (median), "
        f"largest {max(village_bytes) / 1024:.0f} KB   target < 400 KB"
    )


if __name__ == "__main__":
    main()
