"""The wall soak: /wall open in Chromium for a while, data changing, the page's and the server's memory read.

Used by ``bench/soak_wall.py`` (hours) and by the test suite (a few minutes). Each
sample holds the page's JS heap (after a forced garbage collection), DOM nodes and
listeners, and the resident memory (RSS) of the server process and its children.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

from geodata.demo.store import write_demo
from geodata.private.kiosk import create_token
from geodata.store import GeoPackageStore
from harness.browser import chromium, server_process

TARGET_GROWTH = 0.20


@dataclass(frozen=True)
class Sample:
    """One reading of the page."""

    minute: float
    heap_mb: float
    nodes: int
    listeners: int
    server_mb: float = float("nan")


@dataclass(frozen=True)
class SoakResult:
    """The readings and the verdict."""

    samples: list[Sample]
    baseline: Sample
    growth: float
    refreshes: int
    rotations: int
    server_growth: float = 0.0

    @property
    def ok(self) -> bool:
        """The target met: page heap and server RSS growth within the limit, and the page rotated and refreshed."""
        grew = max(self.growth, self.server_growth)
        return grew <= TARGET_GROWTH and self.refreshes > 0 and self.rotations > 0


def new_projects(store: GeoPackageStore, step: int) -> None:
    """Write the projects layer again with more money spent, as a monthly report would."""
    projects = pd.DataFrame(store.read("projects"))
    rng = np.random.default_rng(step)
    more = projects["budget"].astype(float) * rng.uniform(0, 0.02, len(projects))
    projects["disbursed"] = np.minimum(projects["disbursed"].fillna(0).astype(float) + more, projects["budget"])
    with store.transaction() as tx:
        tx.write("projects", projects)
        tx.log(action="import", layer="projects", rows=len(projects), source=f"soak step {step}")


def run(
    *,
    minutes: float,
    warmup: float,
    sample_s: float,
    import_every: float,
    households: int,
    rotation_s: int = 5,
    refresh_s: int = 5,
    echo: bool = True,
    workers: int | None = None,
) -> SoakResult:
    """Soak the wall for ``minutes`` and return the readings (``workers``: under gunicorn, else the dev server)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(Path(tmp) / "demo.gpkg")
        write_demo(store, seed=2026, households=households)
        _, token = create_token(store, "soak")
        settings = Path(tmp) / "battlemap.toml"
        settings.write_text(f"[wall]\nrotation_seconds = {rotation_s}\nrefresh_seconds = {refresh_s}\n", "utf-8")
        previous = os.environ.get("BATTLEMAP_SETTINGS")
        os.environ["BATTLEMAP_SETTINGS"] = str(settings)  # the server process inherits it
        try:
            samples, indicators, values = _soak(
                store, token, minutes=minutes, sample_s=sample_s, import_every=import_every, echo=echo, workers=workers
            )
        finally:
            if previous is None:
                os.environ.pop("BATTLEMAP_SETTINGS", None)
            else:
                os.environ["BATTLEMAP_SETTINGS"] = previous
    after = [s for s in samples if s.minute >= warmup] or samples[-1:]
    baseline = after[0]
    growth = max(s.heap_mb for s in after) / baseline.heap_mb - 1
    server_growth = max(s.server_mb for s in after) / baseline.server_mb - 1
    return SoakResult(samples, baseline, growth, len(values) - 1, len(indicators) - 1, server_growth=server_growth)


def _soak(
    store: GeoPackageStore,
    token: str,
    *,
    minutes: float,
    sample_s: float,
    import_every: float,
    echo: bool,
    workers: int | None,
) -> tuple[list[Sample], set[str | None], set[str | None]]:
    """Keep /wall open, change data every ``import_every`` minutes, read the page every ``sample_s`` seconds."""
    with server_process(store.path, workers=workers, timeout_s=600) as (url, proc), chromium() as browser:
        server = psutil.Process(proc.pid)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{url}/wall?kiosk={token}")
        page.wait_for_selector("#tile-kpi_cd_closed .tile-value", timeout=120_000)
        indicators, values = set(), set()
        samples: list[Sample] = []
        started = time.monotonic()
        next_sample, next_import, step = 0.0, import_every * 60, 0
        while (elapsed := time.monotonic() - started) < minutes * 60:
            indicators.add(page.text_content("#wall-indicator"))
            values.add(page.text_content("#tile-kpi_spend .tile-value"))
            if elapsed >= next_import:
                step += 1
                new_projects(store, step)
                next_import += import_every * 60
            if elapsed >= next_sample:
                samples.append(_read(page, cdp, elapsed / 60, server))
                if echo:
                    s = samples[-1]
                    print(
                        f"{s.minute:7.1f} min  heap {s.heap_mb:7.1f} MB  nodes {s.nodes:6d}  "
                        f"listeners {s.listeners:5d}  server RSS {s.server_mb:7.1f} MB",
                        flush=True,
                    )
                next_sample += sample_s
            page.wait_for_timeout(1000)
        page.wait_for_selector("#tile-kpi_cd_closed .tile-value", timeout=10_000)  # still up
    return samples, indicators, values


def _read(page: Any, cdp: Any, minute: float, server: psutil.Process) -> Sample:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    heap, nodes, listeners = metrics["JSHeapUsedSize"], metrics["Nodes"], metrics["JSEventListeners"]
    return Sample(minute, heap / 2**20, int(nodes), int(listeners), server_rss(server) / 2**20)


def server_rss(server: psutil.Process) -> int:
    """Resident bytes of the server process and every process it started (gunicorn's workers)."""
    total = 0
    for proc in [server, *server.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total
