"""A production server answers once its first /map is built; one of its processes builds the other views meanwhile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import WARM_REST, create_app
from callbacks.shared_cache import SharedCache
from geodata.store import GeoPackageStore


def _views(store: GeoPackageStore) -> set[str]:
    """The /map views in the store's shared cache (what every server process reads)."""
    shared = SharedCache.for_store(store)
    return {key[1] for key in shared.cache.iterkeys() if str(key[1]).startswith("map-content:")}


@pytest.fixture
def warm_store(demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GeoPackageStore:
    """A copy of the demo county served with ``[server] warm_views = 4``."""
    settings = tmp_path / "battlemap.toml"
    settings.write_text(f"[store]\nstate_dir = {str(tmp_path / 'state')!r}\n[server]\nwarm_views = 4\n", "utf-8")
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
        "pid, status = os.wait()\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(warm_store.path)], check=False, timeout=300)
    assert done.returncode == 0
    assert len(_views(warm_store)) == 4, "the forked process did not fill the shared cache"
