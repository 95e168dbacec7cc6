"""The cache gunicorn's workers share: hit across instances, one computation at a time, dropped on a new stamp."""

from __future__ import annotations

import runpy
import threading
import time
from pathlib import Path

import pandas as pd
from gunicorn.config import Config

from callbacks.shared_cache import MISSING, SharedCache, fingerprint, shared_cache_dir
from callbacks.store_data import StoreData
from geodata.settings import ServerSettings, Settings, get_settings
from geodata.store import GeoPackageStore


def worker(store: GeoPackageStore) -> StoreData:
    """What one gunicorn worker holds: its own StoreData and its own handle on the shared directory."""
    return StoreData(store, shared=SharedCache.for_store(store))


def test_a_second_worker_reads_what_the_first_computed_until_the_store_changes(mini_store: GeoPackageStore) -> None:
    calls: list[str] = []

    def compute() -> pd.DataFrame:
        calls.append(mini_store.stamp())
        return pd.DataFrame({"n": [len(calls)]})

    first, second = worker(mini_store), worker(mini_store)
    assert first.cached("table", compute, shared=True)["n"].iloc[0] == 1
    assert second.cached("table", compute, shared=True)["n"].iloc[0] == 1
    assert len(calls) == 1, "the second worker computed again instead of reading the shared cache"
    assert second.cached("private", lambda: "mine") == "mine"
    assert SharedCache.for_store(mini_store).get(second.version(), "private") is MISSING  # shared only when asked

    with mini_store.transaction() as tx:  # an import: a new stamp
        tx.write("extra", pd.DataFrame({"a": [1]}))
    assert second.cached("table", compute, shared=True)["n"].iloc[0] == 2
    assert first.cached("table", compute, shared=True)["n"].iloc[0] == 2
    assert len(calls) == 2 and calls[0] != calls[1]
    shared = SharedCache.for_store(mini_store)
    stamps = {key[0] for key in shared.cache.iterkeys()}
    assert stamps == {f"{first.version()}@{shared.version}"}, "entries of the old store version were kept"


def test_workers_missing_together_compute_once(mini_store: GeoPackageStore) -> None:
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.5)
        return 42

    workers = [worker(mini_store) for _ in range(3)]
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda w=w: results.append(w.cached("slow", slow, shared=True))) for w in workers
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    assert results == [42, 42, 42] and calls == [1]


def test_a_value_computed_across_a_store_change_is_not_shared(mini_store: GeoPackageStore) -> None:
    def changes_the_store() -> str:
        with mini_store.transaction() as tx:
            tx.write("extra", pd.DataFrame({"a": [1]}))
        return "stale"

    shared = SharedCache.for_store(mini_store)
    before = mini_store.stamp()
    assert shared.get_or_compute(before, "k", changes_the_store, current=mini_store.stamp) == "stale"
    assert shared.get(before, "k") is MISSING and shared.get(mini_store.stamp(), "k") is MISSING


def test_cache_directory_is_beside_the_store_unless_configured(mini_store: GeoPackageStore, tmp_path: Path) -> None:
    assert shared_cache_dir(mini_store, Settings()) == mini_store.sidecar(".cache")
    configured = Settings().replace(server=ServerSettings(shared_cache_dir=str(tmp_path / "elsewhere")))
    assert shared_cache_dir(mini_store, configured) == tmp_path / "elsewhere"
    assert SharedCache.for_store(mini_store, Settings().replace(server=ServerSettings(shared_cache=False))) is None


def test_gunicorn_config_loads_with_the_server_settings() -> None:
    values = runpy.run_path(str(Path(__file__).parents[1] / "battlemap_cli" / "gunicorn_conf.py"))
    config = Config()
    for name, value in values.items():
        if name in config.settings:
            config.set(name, value)  # gunicorn's own validation of each setting
    server = get_settings().server
    assert config.worker_class_str == "gthread" and config.preload_app
    assert (config.workers, config.threads, config.timeout) == (server.workers, server.threads, server.timeout_s)
    assert config.wsgi_app == "app:create_server()" and config.keepalive == server.keepalive_s
    assert config.when_ready.__name__ == "when_ready", "the master would not fork the process warming the views"
    assert config.post_worker_init.__name__ == "post_worker_init", "workers without a shared cache would not warm"


def test_other_code_or_settings_do_not_read_old_entries(tmp_path: Path) -> None:
    """An upgrade or a changed threshold keeps the store's stamp but must not serve what the old one computed."""
    old, new = SharedCache(tmp_path, version="code-a"), SharedCache(tmp_path, version="code-b")
    assert old.get_or_compute("v1", "table", lambda: "old result", current=lambda: "v1") == "old result"
    assert new.get("v1", "table") is MISSING and not new.has("v1", "table") and old.has("v1", "table")
    assert new.get_or_compute("v1", "table", lambda: "new result", current=lambda: "v1") == "new result"
    assert new.keep_only("v1") == 1  # the old version's entry is dropped
    assert old.get("v1", "table") is MISSING


def test_the_fingerprint_follows_the_settings() -> None:
    base = Settings()
    changed = base.replace(server=ServerSettings(workers=base.server.workers + 1))
    assert fingerprint(repr(base)) == fingerprint(repr(Settings()))
    assert fingerprint(repr(base)) != fingerprint(repr(changed))
