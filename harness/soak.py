"""The wall soak: /wall open in Chromium for a while, data changing, the page's memory read each minute.

Used by ``bench/soak_wall.py`` (hours) and by the test suite (a few minutes).
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

from geodata.demo.store import write_demo
from geodata.private.kiosk import create_token
from geodata.store import GeoPackageStore
from harness.browser import chromium, serving_process

TARGET_GROWTH = 0.20


@dataclass(frozen=True)
class Sample:
    """One reading of the page."""

    minute: float
    heap_mb: float
    nodes: int
    listeners: int


@dataclass(frozen=True)
class SoakResult:
    """The readings and the verdict."""

    samples: list[Sample]
    baseline: Sample
    growth: float
    refreshes: int
    rotations: int

    @property
    def ok(self) -> bool:
        """The target met: heap growth within the limit, and the page rotated and refreshed."""
        return self.growth <= TARGET_GROWTH and self.refreshes > 0 and self.rotations > 0


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
) -> SoakResult:
    """Soak the wall for ``minutes`` and return the readings."""
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
                store, token, minutes=minutes, sample_s=sample_s, import_every=import_every, echo=echo
            )
        finally:
            if previous is None:
                os.environ.pop("BATTLEMAP_SETTINGS", None)
            else:
                os.environ["BATTLEMAP_SETTINGS"] = previous
    after = [s for s in samples if s.minute >= warmup] or samples[-1:]
    baseline = after[0]
    growth = max(s.heap_mb for s in after) / baseline.heap_mb - 1
    return SoakResult(samples, baseline, growth, refreshes=len(values) - 1, rotations=len(indicators) - 1)


def _soak(
    store: GeoPackageStore, token: str, *, minutes: float, sample_s: float, import_every: float, echo: bool
) -> tuple[list[Sample], set[str | None], set[str | None]]:
    """Keep /wall open, change data every ``import_every`` minutes, read the page every ``sample_s`` seconds."""
    with serving_process(store.path) as url, chromium() as browser:
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
                samples.append(_read(page, cdp, elapsed / 60))
                if echo:
                    s = samples[-1]
                    print(
                        f"{s.minute:7.1f} min  heap {s.heap_mb:7.1f} MB  nodes {s.nodes:6d}  "
                        f"listeners {s.listeners:5d}",
                        flush=True,
                    )
                next_sample += sample_s
            page.wait_for_timeout(1000)
        page.wait_for_selector("#tile-kpi_cd_closed .tile-value", timeout=10_000)  # still up
    return samples, indicators, values


def _read(page: Any, cdp: Any, minute: float) -> Sample:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return Sample(minute, metrics["JSHeapUsedSize"] / 2**20, int(metrics["Nodes"]), int(metrics["JSEventListeners"]))
