"""``battlemap serve`` in production is gunicorn, and stopping the command stops every process it started."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from app import WARM_PROCESS_NAME
from harness.browser import free_port

UP_TIMEOUT_S = 240


def _start(store: Path, *options: str) -> tuple[subprocess.Popen, str]:
    """``battlemap serve`` on a free loopback port as a subprocess (its log beside the store); its URL."""
    port = free_port()
    env = {**os.environ, "BATTLEMAP_SECRET_KEY": secrets.token_urlsafe(48)}
    env.pop("BATTLEMAP_ENV", None)
    cmd = [sys.executable, "-m", "battlemap_cli.main", "serve", "--store", str(store), "--port", str(port), *options]
    with open(store.with_suffix(".log"), "wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def _wait_until_answering(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + UP_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=5) as response:
                assert response.status == 200
                return
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"battlemap serve exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"battlemap serve did not answer on {url} within {UP_TIMEOUT_S} s")
            time.sleep(0.5)


def _workers(pid: int, expected: int) -> list[psutil.Process]:
    """The master and its workers once ``expected`` workers run (gunicorn forks them one after another).

    The master's warming process (named ``battlemap-warm``; it lives as long as the master) is not a worker.
    """
    deadline = time.monotonic() + 60
    while len(server := [p for p in _family(pid) if not _warming(p)]) - 1 < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return server


def _warming(p: psutil.Process) -> bool:
    try:
        return p.name() == WARM_PROCESS_NAME
    except psutil.NoSuchProcess:
        return False


def _family(pid: int) -> list[psutil.Process]:
    """The process and everything it started."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _alive(procs: list[psutil.Process]) -> list[str]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            continue
    return out


def _kill(proc: subprocess.Popen) -> None:
    """After a failed check: kill whatever the command still runs, and reap it."""
    if proc.poll() is None:
        for p in _family(proc.pid)[::-1]:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
    proc.wait(30)


@pytest.fixture
def served_store(demo_store_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "serve.gpkg"
    shutil.copyfile(demo_store_path, path)
    return path


def test_sigterm_to_serve_workers_leaves_no_process(served_store: Path) -> None:
    proc, url = _start(served_store, "--workers", "2")
    try:
        _wait_until_answering(proc, url, served_store.with_suffix(".log"))
        family = _workers(proc.pid, 2)
        assert len(family) == 3, [p.cmdline() for p in family]  # the master and its two workers
        assert any("gunicorn" in " ".join(p.cmdline()) for p in family)
        everything = _family(proc.pid)  # with the warming process, if it still runs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        psutil.wait_procs(everything, timeout=30)
        assert not _alive(everything), _alive(everything)
    finally:
        _kill(proc)


def test_production_without_workers_is_gunicorn_with_the_settings_workers(served_store: Path) -> None:
    proc, url = _start(served_store, "--production")
    try:
        _wait_until_answering(proc, url, served_store.with_suffix(".log"))
        family = _workers(proc.pid, 2)
        assert "gunicorn" in " ".join(family[0].cmdline())
        assert len(family) - 1 == 2  # [server] workers' default
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        psutil.wait_procs(family, timeout=30)
        assert not _alive(family), _alive(family)
    finally:
        _kill(proc)
