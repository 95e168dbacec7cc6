"""Pre-render every /map view and unit panel into the shared cache, in several processes (``battlemap warm``).

A province has about 18,000 views at 0.2–0.3 s of CPU each: built on first click they
queue behind each other when many people click at once, and the server's one
low-priority warming process stops at ``[server] warm_views``. Run after the nightly
build, this fills the shared cache that the server's workers read, so every click on
the default layer is answered from it. The cache is keyed by the store's stamp, the
date, the code and the settings: a new import, a new day, an upgrade or a changed
setting needs the command again (the server then builds on first click meanwhile).
"""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from callbacks import map_page, wall_page
from callbacks.map_state import MapState
from callbacks.store_data import StoreData, warm_cache
from geodata._errors import ConfigError

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Prerendered:
    """What :func:`prerender` did: views built (or found built), views that failed, the processes used, the cache."""

    views: int
    failed: int
    processes: int
    cache_mb: float  # the shared cache's size afterwards
    cache_dir: Path
    walls: int = 0  # walls built for the screens seen lately (every rotation indicator per screen)


def prerender(
    data: StoreData, *, processes: int, limit: int | None = None, progress: Callable[[int, int], None] | None = None
) -> Prerendered:
    """Build the first ``limit`` views (all by default) of :func:`map_page.view_states` with ``processes`` processes.

    The store's tables and shapes are read here once, before forking, so the processes
    share them; each builds every ``processes``-th view. ``progress(done, total)`` is called
    as views are finished. Views already in the shared cache cost a read only.
    """
    shared = data.shared
    if shared is None:
        msg = "the shared cache is off ([server] shared_cache = false): there is nowhere to keep the views"
        raise ConfigError(msg)
    data.warm()
    wall_page.warm(data)  # last month's figures: computed under load, they held up the walls' first minutes
    states = list(itertools.islice(map_page.view_states(data), limit))
    processes = max(1, min(processes, len(states)))
    context = multiprocessing.get_context("fork")  # the tables read above are shared, not pickled
    done, failed = context.Value("i", 0), context.Value("i", 0)
    workers = [
        context.Process(target=_render, args=(data, states[k::processes], done, failed), name=f"battlemap-warm-{k}")
        for k in range(processes)
    ]
    for worker in workers:
        worker.start()
    report = progress or (lambda _done, _total: None)
    while any(worker.is_alive() for worker in workers):
        report(done.value, len(states))
        time.sleep(POLL_SECONDS)
    for worker in workers:
        worker.join()
    crashed = sum(1 for worker in workers if worker.exitcode != 0)
    if crashed:
        msg = f"{crashed} of {processes} pre-rendering processes ended abnormally (see the log above)"
        raise RuntimeError(msg)
    walls = [(key, lang, size) for lang, size in wall_page.screens_seen(data) for key in wall_page.rotation(None)]
    walls_failed = 0
    for k, (key, lang, size) in enumerate(walls):  # a few dozen: in this process, after the views
        report(done.value + k, len(states) + len(walls))
        if not warm_cache(f"the wall {key} {lang} {size}", lambda: wall_page.wall_data(data, key, lang, size)):  # noqa: B023
            walls_failed += 1
    report(done.value + len(walls), len(states) + len(walls))
    return Prerendered(
        views=done.value - failed.value,
        failed=failed.value + walls_failed,
        processes=processes,
        cache_mb=shared.cache.volume() / 2**20,
        cache_dir=shared.directory,
        walls=len(walls) - walls_failed,
    )


def _render(data: StoreData, states: list[MapState], done: object, failed: object) -> None:
    """One process's share: build each view into the shared cache (not kept in this process's memory)."""
    data.keep_recent = False
    for state in states:
        if not warm_cache(f"the view {state}", lambda: map_page.warm_view(data, state)):  # noqa: B023 - called at once
            with failed.get_lock():  # type: ignore[attr-defined]
                failed.value += 1  # type: ignore[attr-defined]
        with done.get_lock():  # type: ignore[attr-defined]
            done.value += 1  # type: ignore[attr-defined]
