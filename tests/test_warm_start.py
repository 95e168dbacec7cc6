"""A production server answers once its first /map is built; one of its processes builds the other views meanwhile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app import WARM_REST, create_app
from callbacks.shared_cache import SharedCache
from geodata.store import GeoPackageStore


def _view_keys(store: GeoPackageStore) -> list[tuple[str, str]]:
    """The (store version, key) of each /map view in the store's shared cache (what every server process reads)."""
    shared = SharedCache.for_store(store)
    return [key for key in shared.cache.iterkeys() if str(key[1]).startswith("map-content:")]


def _views(store: GeoPackageStore) -> set[str]:
    return {key for _, key in _view_keys(store)}


def _tags(store: GeoPackageStore) -> set[str]:
    """The store versions the views were built for."""
    return {tag for tag, _ in _view_keys(store)}


@pytest.fixture
def warm_store(demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GeoPackageStore:
    """A copy of the demo county served with ``[server] warm_views = 4``, rewarmed 1 s after a change."""
    settings = tmp_path / "battlemap.toml"
    server = "[server]\nwarm_views = 4\nrewarm_quiet_seconds = 1\n"
    settings.write_text(f"[store]\nstate_dir = {str(tmp_path / 'state')!r}\n{server}", "utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    path = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_store_path, path)
    return GeoPackageStore(path)


def test_the_first_map_is_built_before_answering_and_the_rest_by_one_process(warm_store: GeoPackageStore) -> None:
    server = create_app(str(warm_store.path), warm_now=True).server
    top = "map-content:None:county:None:None:None:risk_index:zh:None:None:"  # scope, top, area, town, village, ...
    assert _views(warm_store) == {top}, "only the top view is built before the server answers"

    other = SharedCache.for_store(warm_store)  # another server process, already building the rest
    with other.lock("process:warm", wait=False) as theirs:
        assert theirs
        server.extensions[WARM_REST]()
    assert len(_views(warm_store)) == 1, "a second process built the views the first one is building"

    server.extensions[WARM_REST]()
    towns = {view.split(":")[4] for view in _views(warm_store)} - {"None"}
    assert len(towns) == 3, "the first warm_views views (top, then townships in code order) were not built"


def test_the_rest_is_built_by_a_process_the_master_forks(warm_store: GeoPackageStore) -> None:
    """A worker's thread would hold its GIL against its requests; the master forks a process that fills the cache."""
    script = (
        "import os, sys, threading\n"
        "from app import create_app, warm_rest\n"
        "server = create_app(sys.argv[1], warm_now=True).server\n"
        "warm_rest(server)\n"  # a worker: nothing, the master's process does it
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "warm_rest(server, in_master=True)\n"
        "sys.stdin.read()\n"  # until the test has seen the cache filled
        "pid, status = os.waitpid(-1, os.WNOHANG)\n"
        "sys.exit(0 if pid == 0 else 3)\n"  # the warming process stays, to build again after a change
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(warm_store.path)], stdin=subprocess.PIPE)
    try:
        _wait_for(lambda: len(_views(warm_store)) == 4, "the forked process fills the shared cache", timeout=300)
        proc.stdin.close()  # type: ignore[union-attr]
        assert proc.wait(60) == 0, "the warming process ended after one pass"  # it ends with its parent
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert len(_views(warm_store)) == 4, "the forked process did not fill the shared cache"


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Poll ``check`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.2)


def test_the_views_are_built_again_after_the_store_changed(warm_store: GeoPackageStore) -> None:
    """An import or midnight makes a new store version: the warming builds the views again once it is quiet."""
    server = create_app(str(warm_store.path), warm_now=True).server
    data = server.extensions[WARM_REST].args[0]
    warming = threading.Thread(target=server.extensions[WARM_REST], kwargs={"stay": True}, daemon=True)
    warming.start()
    _wait_for(lambda: len(_views(warm_store)) == 4, "the first warm-up")
    before = _tags(warm_store)
    stat = warm_store.path.stat()
    os.utime(warm_store.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # what a write does to the stamp
    _wait_for(lambda: len(_views(warm_store)) == 4 and _tags(warm_store) != before, "the views of the new version")
    data.stopped.set()
    warming.join(30)
    assert not warming.is_alive(), "the warming did not end with its server"
