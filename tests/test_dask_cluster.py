"""``battlemap build --engine dask --scheduler`` on a real cluster: a `dask scheduler` and a `dask worker` process.

Both are started here as separate processes on 127.0.0.1 (free ports), the worker in another
folder than the client, as on another machine; the build must equal the in-memory one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from geodata.store import GeoPackageStore, Store
from tests.conftest import copy_store
from tests.importing import run
from tests.test_dask_engine import AS_OF, assert_built_as_pandas

ROOT = Path(__file__).resolve().parents[1]
STARTUP_S = 120  # how long a process may take to come up on a busy 2-core machine (a wait, not a measure)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dask_process(args: list[str], folder: Path) -> subprocess.Popen:
    """``dask ARGS`` (the command a machine of the cluster runs) with the project importable, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with (folder / "dask.log").open("w") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "dask", *args], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def wait_listening(port: int, process: subprocess.Popen, folder: Path) -> None:
    """Return once ``port`` accepts connections; fail with the process's log if it died or never listened."""
    for _ in range(STARTUP_S * 10):
        if process.poll() is not None:
            pytest.fail(f"dask process exited with {process.returncode}: {(folder / 'dask.log').read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(0.1)
    pytest.fail(f"dask scheduler not listening on {port}: {(folder / 'dask.log').read_text()}")


def stop(process: subprocess.Popen) -> None:
    """Stop one process we started (SIGTERM, then SIGKILL) and reap it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def scheduler(folder: Path) -> Iterator[str]:
    """A `dask scheduler` on a free port of 127.0.0.1; its address while the block runs."""
    port = free_port()
    args = ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    process = dask_process(args, folder)
    try:
        wait_listening(port, process, folder)
        yield f"tcp://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and one worker process (one thread), torn down after the module."""
    folder = tmp_path_factory.mktemp("cluster")
    with scheduler(folder / "scheduler") as address:
        worker = dask_process(
            ["worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
            folder / "worker",
        )
        try:
            yield address
        finally:
            stop(worker)


@pytest.mark.slow
def test_build_on_a_separate_scheduler_and_worker_equals_pandas(
    demo_store_path: Path, store: Store, tmp_path: Path, cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_store(GeoPackageStore(demo_store_path), store)
    monkeypatch.chdir(tmp_path)  # the client elsewhere than the worker: the store path travels absolute
    target = store.target if not isinstance(store, GeoPackageStore) else os.path.relpath(store.path, tmp_path)
    assert run(target, "build", "--engine", "dask", "--scheduler", cluster, "--as-of", AS_OF) == 0
    assert_built_as_pandas(store, tmp_path)


def test_a_scheduler_that_is_not_there_or_has_no_worker_exits_2(
    demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = tmp_path / "battlemap.toml"
    settings.write_text("[cluster]\nconnect_timeout_s = 2\nworker_wait_s = 2\n", "utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    nobody = f"tcp://127.0.0.1:{free_port()}"
    assert run(demo_store_path, "build", "--engine", "dask", "--scheduler", nobody) == 2
    assert f"cannot reach the dask scheduler at {nobody}" in capsys.readouterr().err
    with scheduler(tmp_path / "alone") as address:
        assert run(demo_store_path, "build", "--engine", "dask", "--scheduler", address) == 2
    assert f"`dask worker {address}`" in capsys.readouterr().err
