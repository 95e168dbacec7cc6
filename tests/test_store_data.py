"""The web app's cache: one computation per key and store version, and no key waits for another."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
from pathlib import Path

import flask
import pytest

from analytics import compute_indicators
from callbacks import store_data
from callbacks.shared_cache import SharedCache
from callbacks.store_data import StoreData
from geodata.settings import Settings
from geodata.store import GeoPackageStore, Store, write_computed


def test_a_slow_key_does_not_hold_up_others_and_each_key_computes_once(mini_store: Store) -> None:
    data = StoreData(mini_store)
    started = threading.Event()

    def slow() -> int:
        started.set()
        time.sleep(1.5)
        return 1

    slow_thread = threading.Thread(target=lambda: data.cached("slow", slow))
    slow_thread.start()
    started.wait(5)
    t0 = time.perf_counter()
    assert data.cached("fast", lambda: 2) == 2
    assert time.perf_counter() - t0 < 0.5, "another key's computation blocked this one"

    calls: list[int] = []

    def once() -> int:
        calls.append(1)
        time.sleep(0.3)
        return 3

    threads = [threading.Thread(target=lambda: data.cached("once", once)) for _ in range(4)]
    for th in threads:
        th.start()
    for th in [*threads, slow_thread]:
        th.join(10)
    assert calls == [1] and data.cached("once", once) == 3 and data.cached("slow", slow) == 1


def test_values_as_of_today_move_with_the_calendar(mini_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server left running over midnight does not keep yesterday's "as of today" indicators."""
    data = StoreData(mini_store)
    today = dt.date.today()
    assert data.as_of() == today  # no build: the indicators are computed as of today
    tomorrow = today + dt.timedelta(days=1)

    class Clock(dt.date):
        @classmethod
        def today(cls) -> dt.date:
            return tomorrow

    monkeypatch.setattr(store_data.dt, "date", Clock)
    assert data.as_of() == tomorrow


def test_values_of_free_choices_are_kept_for_the_most_recent_only(mini_store: Store) -> None:
    data = StoreData(mini_store)
    calls: list[int] = []
    for n in (1, 2, 3, 1, 4):
        data.cached_recent("plan", str(n), lambda n=n: calls.append(n) or n, keep=2)
    assert calls == [1, 2, 3, 1, 4], "1 was dropped when 3 came, so it is computed again"
    assert data.cached_recent("plan", "4", lambda: 0, keep=2) == 4  # still kept
    assert data.cached_recent("plan", "1", lambda: -1, keep=2) == 1  # still kept (second most recent)
    assert data.cached_recent("plan", "3", lambda: 33, keep=2) == 33  # dropped


def test_a_process_that_only_fills_the_shared_cache_keeps_no_view_in_memory(mini_store: Store, tmp_path: Path) -> None:
    """The warming process writes views for the workers; keeping them too would only grow it (2,000 views)."""
    data = StoreData(mini_store, shared=SharedCache(tmp_path / "cache"))
    data.keep_recent = False
    assert data.cached_recent("view", "a", lambda: "A", keep=10, shared=True) == "A"
    assert not [k for k in data._cache if k.startswith("view:")], "kept in this process's memory"
    assert data.cached_recent("view", "a", lambda: "recomputed", keep=10, shared=True) == "A"  # from the shared cache
    assert data.cached_recent("plan", "b", lambda: "B", keep=10) == "B"
    assert "plan:b" in data._cache, "a value only this process has is kept as before"


def test_tables_built_by_an_older_version_are_recomputed(demo_store_path: Path, tmp_path: Path) -> None:
    """A build made before an indicator existed must not hide it (the map would have no column to draw)."""
    path = tmp_path / "old.gpkg"
    shutil.copyfile(demo_store_path, path)
    store = GeoPackageStore(path)
    tables = compute_indicators(StoreData(store)._inputs(), as_of=dt.date.today(), settings=Settings())
    old = {name: frame.drop(columns=["project_completion_rate"]) for name, frame in tables.items()}
    write_computed(store, old, as_of=dt.date.today(), detail={"engine": "older version"})
    assert "project_completion_rate" in StoreData(store).indicators("village")


def test_a_request_reads_the_stamp_once_and_again_after_its_own_write(mini_store: Store) -> None:
    """Within a web request the stamp is memoised, but a write by this process is seen at once."""
    data = StoreData(mini_store)
    reads: list[int] = []
    stamp = mini_store.stamp
    mini_store.stamp = lambda: reads.append(1) or stamp()  # type: ignore[method-assign]
    with flask.Flask(__name__).test_request_context("/map"):
        first = data.cached("villages", lambda: len(mini_store.read("villages")))
        assert data.cached("villages", lambda: -1) == first and len(reads) == 1
        with mini_store.transaction() as tx:
            tx.write("villages", mini_store.read("villages").iloc[:1])
        assert data.cached("villages", lambda: len(mini_store.read("villages"))) == 1, "a stale value after a write"
    with flask.Flask(__name__).test_request_context("/map"), data.pinned():
        assert data.version() == data.version()


def test_a_request_that_read_the_stamp_before_a_write_neither_caches_nor_evicts(
    mini_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process writes while a slow request runs: the request's old stamp must not roll the cache back."""
    data = StoreData(mini_store)
    live = ["v1"]
    monkeypatch.setattr(data, "_read_version", lambda: live[0])
    with StoreData.pinned():
        assert data.version() == "v1"  # the slow request read its stamp
        live[0] = "v2"  # another process commits
        with StoreData.pinned():  # a newer request
            assert data.cached("k", lambda: "new") == "new"
        assert data.cached("other", lambda: "old") == "old"  # the slow request still gets its answer …
        assert data.cached("k", lambda: "old") == "old"
    with StoreData.pinned():
        assert data.cached("k", lambda: "again") == "new"  # … but the cache kept the newer version's value
        assert data.cached("other", lambda: "fresh") == "fresh"  # and nothing computed on the old stamp
