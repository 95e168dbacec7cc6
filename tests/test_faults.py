"""Faults survived, nothing lost: a write killed half-way, two writers at once, a full disk (both stores).

A command runs as a subprocess with ``BATTLEMAP_PAUSE_AT=store.write:FLAG``
(:mod:`geodata._pause`): it stops inside its store transaction, after a layer was
written, and creates FLAG. The test then kills it with SIGKILL (the store must be
exactly as before, and the same command run again must land) or removes FLAG to let
it go on (two imports at once: the second waits for the first, both land).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from geodata._errors import StoreError
from geodata._pause import PAUSE_ENV
from geodata.io.importer import import_layer
from geodata.store import GeoPackageStore, Store
from tests.conftest import snapshot, town_frame, village_frame
from tests.importing import household_rows, write_csv

FLAG_TIMEOUT_S = 180


def battlemap(store: Store, *args: str, pause: Path | None = None) -> subprocess.Popen:
    """``battlemap --store STORE ARGS`` as a subprocess; with ``pause`` it stops at the first layer written."""
    env = dict(os.environ)
    env.pop(PAUSE_ENV, None)
    if pause is not None:
        env[PAUSE_ENV] = f"store.write:{pause}"
    cmd = [sys.executable, "-m", "battlemap_cli.main", "--store", store.target, *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(flag: Path, proc: subprocess.Popen) -> None:
    """Wait until the subprocess paused (created ``flag``); fail with its output when it ended instead."""
    deadline = time.monotonic() + FLAG_TIMEOUT_S
    while not flag.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the command ended ({proc.returncode}) before its write: {out[-1500:]} {err[-1500:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the command did not reach its write")
        time.sleep(0.05)


def finish(proc: subprocess.Popen, timeout: float = 300) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"{proc.args}: exit {proc.returncode}\n{out[-2000:]}\n{err[-2000:]}"
    return out


@pytest.fixture
def county(mini_store: Store, tmp_path: Path) -> Store:
    """The mini county (of each store kind) with eight households imported."""
    import_layer("households", write_csv(tmp_path / "households.csv", household_rows(8)), store=mini_store)
    return mini_store


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    more = write_csv(tmp_path / "more.csv", household_rows(12))
    return {
        "import": ["import", "households", str(more)],
        "build": ["build", "--as-of", "2026-03-31"],
        "finding": ["inspections", "add", "--date", "2026-03-02", "--village", "621121100201", "--finding", "厕所未改"],
    }


@pytest.mark.parametrize("command", ["import", "build", "finding"])
def test_a_write_killed_half_way_changes_nothing(county: Store, tmp_path: Path, command: str) -> None:
    args = _commands(tmp_path)[command]
    before, logged = snapshot(county), len(county.import_log())
    flag = tmp_path / "paused"
    proc = battlemap(county, *args, pause=flag)
    wait_for(flag, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(county) == before, f"{command} killed half-way left the store changed"

    finish(battlemap(county, *args))  # the next writer is not blocked by the dead one, and lands whole
    after = snapshot(county)
    assert after != before
    if isinstance(county, GeoPackageStore):
        assert not list(county.path.parent.glob(f".{county.path.name}.*.tmp.gpkg")), "a stale temporary copy"
    assert len(county.import_log()) == logged + 1  # the killed run left no entry, the second one its own


def test_two_imports_at_once_both_land(county: Store, tmp_path: Path) -> None:
    rows = household_rows(16)
    first = write_csv(tmp_path / "first.csv", rows[8:12])
    second = write_csv(tmp_path / "second.csv", rows[12:16])
    flag = tmp_path / "paused"
    one = battlemap(county, "import", "households", str(first), "--mode", "append", pause=flag)
    wait_for(flag, one)  # the first holds the writers' lock inside its transaction
    two = battlemap(county, "import", "households", str(second), "--mode", "append")
    time.sleep(4)
    assert two.poll() is None, "the second import did not wait for the first"
    flag.unlink()
    finish(one)
    finish(two)
    ids = set(county.read("households", columns=["household_id"])["household_id"])
    assert ids == {str(r[1]) for r in rows}, "an import was lost"
    assert list(county.import_log()["action"]) == ["import:replace", "import:append", "import:append"]


def _fill_disk_gpkg(store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the store's folder full: writes into the transaction's copy fail with ENOSPC."""
    import pyogrio

    real = pyogrio.write_dataframe

    def full(frame: object, path: object, **kw: object) -> None:
        if str(path).endswith(".tmp.gpkg") and kw.get("layer") == "households":
            real(frame.iloc[:1], path, **kw)  # type: ignore[attr-defined]  # a part lands, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(frame, path, **kw)

    monkeypatch.setattr("geodata.store.gpkg.pyogrio.write_dataframe", full)


def _fill_disk_postgis(monkeypatch: pytest.MonkeyPatch) -> None:
    """The database server's disk is full: COPY fails half-way with SQLSTATE 53100 (disk_full)."""
    from geodata.store import postgis

    real = postgis._copy_rows

    def full(table: object, conn: object, keys: list[str], rows: object) -> int:
        if getattr(table, "name", "") == "households":
            real(table, conn, keys, iter([next(iter(rows))]))  # type: ignore[call-overload]
            raise psycopg.errors.DiskFull("could not extend file: No space left on device")
        return real(table, conn, keys, rows)

    monkeypatch.setattr(postgis, "_copy_rows", full)


def test_a_full_disk_during_an_import_is_a_clear_error_and_changes_nothing(
    county: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(county)
    more = write_csv(tmp_path / "more.csv", household_rows(12))
    if isinstance(county, GeoPackageStore):
        _fill_disk_gpkg(county, monkeypatch)
    else:
        _fill_disk_postgis(monkeypatch)
    with pytest.raises(StoreError, match=r"(?i)no space left") as caught:
        import_layer("households", more, store=county)
    assert "free" in str(caught.value) and "unchanged" in str(caught.value)
    assert snapshot(county) == before
    if isinstance(county, GeoPackageStore):
        assert not list(county.path.parent.glob(f".{county.path.name}.*.tmp.gpkg"))
    monkeypatch.undo()
    import_layer("households", more, store=county)  # space again: the import lands
    assert len(pd.DataFrame(county.read("households"))) == 12


@contextlib.contextmanager
def small_filesystem(folder: Path) -> Iterator[bool]:
    """A 2 MB tmpfs mounted on ``folder`` when this process may mount one (root); yields whether it is."""
    folder.mkdir()
    cmd = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)]
    mounted = subprocess.run(cmd, check=False, capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


def test_a_really_full_filesystem_under_a_geopackage_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GDAL's own "database or disk is full" on a tiny tmpfs (as root); elsewhere writes that raise ENOSPC."""
    more = write_csv(tmp_path / "more.csv", household_rows(12))
    with small_filesystem(tmp_path / "small") as mounted:
        store = GeoPackageStore(tmp_path / "small" / "county.gpkg")
        with store.transaction() as tx:
            tx.write("towns", town_frame())
            tx.write("villages", village_frame())
        import_layer("households", write_csv(tmp_path / "households.csv", household_rows(8)), store=store)
        filler = store.path.parent / "filler"
        if mounted:  # leave room for less than the transaction's copy plus the new layer
            room = shutil.disk_usage(store.path.parent).free - store.path.stat().st_size - 20_000
            filler.write_bytes(b"\0" * room)
        else:
            _fill_disk_gpkg(store, monkeypatch)
        before = snapshot(store)
        with pytest.raises(StoreError, match=r"no space left") as caught:
            import_layer("households", more, store=store)
        assert "unchanged" in str(caught.value)
        assert snapshot(store) == before
        assert not list(store.path.parent.glob("*.tmp.gpkg"))
        filler.unlink(missing_ok=True)
        monkeypatch.undo()
        import_layer("households", more, store=store)
        assert len(store.read("households")) == 12
