"""`battlemap warm` pre-renders every /map view into the shared cache, and the server answers from it.

On a copy of the 3-county demo city: two processes build the views of
:func:`callbacks.map_page.view_states` (the top, the counties, townships and villages;
the first 60 of its 631, to keep the test short); a new process of the server then shows
a village without building anything, and finds last month's figures computed. A view
that cannot be built is reported and the others are still built (exit 1); without a
shared cache the command refuses with what to change. The command runs in a fresh
interpreter: it forks, and forking the test process (with other tests' threads alive)
could copy a lock some thread holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callbacks import map_page, wall_page
from callbacks.map_state import MapState
from callbacks.shared_cache import SharedCache
from callbacks.store_data import StoreData
from geodata.store import GeoPackageStore
from geodata.store.postgis import PostGISStore
from tests.conftest import copied, copy_store
from tests.importing import run

LIMIT = 60
ROOT = Path(__file__).resolve().parents[1]
WARM = """
import sys
from battlemap_cli.main import main
from callbacks import map_page

broken, panel = sys.argv[1], map_page._panel

def failing(data, state):
    if state.town == broken and state.village is None:
        raise ValueError("a broken ledger row")
    return panel(data, state)

map_page._panel = failing  # the forked processes inherit it
sys.exit(main(sys.argv[2:]))
"""


def warm(target: str, *args: str, broken: str = "") -> subprocess.CompletedProcess[str]:
    """``battlemap --store target warm args`` in a fresh interpreter; the township ``broken``'s panel fails."""
    cmd = [sys.executable, "-c", WARM, broken, "--store", target, "warm", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, check=False)


@pytest.fixture
def city(city_path: Path, tmp_path: Path) -> GeoPackageStore:
    return copied(city_path, tmp_path)


def _fresh(store: GeoPackageStore) -> StoreData:
    """What a newly started server worker has: nothing in memory, the shared cache on disk."""
    return StoreData(store, shared=SharedCache.for_store(store))


def _read_from_cache(store: GeoPackageStore | PostGISStore, state: MapState, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new server process shows ``state``'s map and panel without building either."""

    def built(*_args: object) -> None:
        raise AssertionError("the view was built again, not read from the shared cache")

    with monkeypatch.context() as patched:
        patched.setattr(map_page, "_build_content", built)
        patched.setattr(map_page, "_panel", built)
        data = _fresh(store)
        with data.pinned():
            content = map_page.map_content(data, state)
            assert map_page.panel_content(data, state)
    assert (content.store["town"], content.store["village"]) == (state.town, state.village)


def test_warm_builds_every_view_and_the_server_reads_them(
    city: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = list(map_page.view_states(_fresh(city)))[:LIMIT]
    assert [s.level for s in states[:5]] == ["city", "county", "county", "county", "town"]
    assert states[-1].level == "village"
    done = warm(city.target, "--processes", "2", "--limit", str(LIMIT))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"pre-rendered {LIMIT} /map views and panels" in done.stdout
    assert "(2 processes)" in done.stdout
    _read_from_cache(city, states[-1], monkeypatch)
    with _fresh(city).pinned():
        assert _fresh(city).last_month_ready()  # the city has no snapshots: computed by the command, not on a request
    assert warm(city.target, "--processes", "1", "--limit", str(LIMIT)).returncode == 0  # read, not built again


def test_warm_on_postgis(postgis_url: str, demo_store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo county in PostGIS: the processes forked with the store open read it, and the cache is beside it."""
    store = PostGISStore(postgis_url)
    copy_store(GeoPackageStore(demo_store_path), store)
    assert run(postgis_url, "build") == 0
    done = warm(postgis_url, "--processes", "2", "--limit", "20")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "pre-rendered 20 /map views and panels" in done.stdout
    last = list(map_page.view_states(_fresh(store)))[19]
    assert last.level == "village"  # after the county and its townships
    _read_from_cache(store, last, monkeypatch)


def test_warm_builds_the_walls_of_the_screens_seen(city: GeoPackageStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wall screen of 1600 × 880 px showed one indicator; the command builds every indicator for it."""
    screen, keys = (1600, 880), wall_page.rotation(None)
    seen = _fresh(city)
    with seen.pinned():
        wall_page.wall_data(seen, keys[0], "zh", screen)
    assert wall_page.screens_seen(_fresh(city)) == [("zh", screen)]
    done = warm(city.target, "--processes", "1", "--limit", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"pre-rendered 1 /map views and panels and {len(keys)} walls" in done.stdout

    def built(*_args: object) -> None:
        raise AssertionError("the wall was built again, not read from the shared cache")

    monkeypatch.setattr(wall_page, "_build", built)
    server = _fresh(city)
    with server.pinned():
        assert server.last_month_ready()
        for key in keys:  # each rotation step of that screen, with 较上月, read from the cache
            assert wall_page.wall_data(server, key, "zh", screen).tiles


def test_a_view_that_fails_is_reported_and_the_others_are_built(city: GeoPackageStore) -> None:
    states = list(map_page.view_states(_fresh(city)))[:12]
    broken = states[5]
    assert broken.level == "town"
    done = warm(city.target, "--processes", "2", "--limit", "12", broken=str(broken.town))
    assert done.returncode == 1, done.stderr[-2000:]
    assert "pre-rendered 11 /map views" in done.stdout
    assert "a broken ledger row" in done.stderr  # logged with its traceback
    assert "1 views could not be built" in done.stderr


def test_warm_refuses_without_a_shared_cache(
    city: GeoPackageStore, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "battlemap.toml"
    settings.write_text("[server]\nshared_cache = false\n", encoding="utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    assert run(city.target, "warm") == 1
    assert "shared_cache = false" in capsys.readouterr().err
