"""``bench.bench_province``'s own PostGIS server: stopped when the bench is killed, kept (stopped) with ``--keep-data``.

The bench runs as a separate process (the command a user types, small sizes), ended by
SIGTERM once its server is up; no postgres process of that cluster may remain. A kept
cluster is started again by the next run, which with ``--skip-write`` checks the store
holds the province asked for.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import postgis_server

ROOT = Path(__file__).resolve().parents[1]
UP_S = 45  # how long the bench may take to import and start its server on a busy 2-core machine (a wait)


def postgres_of(folder: Path) -> list[int]:
    """The pids of every postgres process whose command line names ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "postgres" in cmd and str(folder) in cmd:
                found.append(int(proc.name))
    return found


@pytest.fixture
def tmp() -> Iterator[Path]:
    """A folder the ``postgres`` user can reach (pytest's own are private to root)."""
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"battlemap-test-bench-{os.getpid()}-{time.monotonic_ns()}"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    yield folder
    for pid_file in folder.glob("**/data/postmaster.pid"):  # a failed test must not leave a server either
        postgis_server.stop(pid_file.parent.parent)
    shutil.rmtree(folder, ignore_errors=True)


def bench(tmp: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-m", "bench.bench_province", "--counties", "1", "--households-per-county", "200", *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def until_store(proc: subprocess.Popen[str]) -> list[str]:
    """The bench's output up to its ``store …`` line (its server is up then)."""
    lines: list[str] = []
    deadline = time.monotonic() + UP_S
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("store "):
            return lines
    proc.kill()
    pytest.fail(f"the bench did not report its store within {UP_S} s: {''.join(lines)[-2000:]}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_killed_bench_stops_and_removes_its_server(tmp: Path, sig: signal.Signals) -> None:
    proc = bench(tmp)
    until_store(proc)
    (cluster,) = tmp.glob("battlemap-province-pg-*")
    assert postgres_of(cluster), "the bench's server should be running"
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, out[-2000:]
    assert not postgres_of(cluster), out[-2000:]
    assert not cluster.exists()


def test_keep_data_keeps_the_cluster_stopped_and_skip_write_checks_it(tmp: Path) -> None:
    kept = tmp / "kept"
    proc = bench(tmp, "--keep-data", str(kept))
    until_store(proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert (kept / "data" / "PG_VERSION").exists()
    assert not postgres_of(kept)
    # started again from the same folder: the store holds no households (the write was cut short or empty)
    done = bench(tmp, "--keep-data", str(kept), "--skip-write", "--counties", "2")
    out, _ = done.communicate(timeout=120)
    assert done.returncode == 1, out[-2000:]
    assert "store postgresql" in out
    assert "--skip-write:" in out
    assert "run once without --skip-write" in out or "does not hold the province asked for" in out
    assert not postgres_of(kept)
    assert (kept / "data" / "PG_VERSION").exists()
