"""A throwaway PostgreSQL + PostGIS server on loopback, for the PostGIS store tests.

Used by ``.ci/run`` (``python -m harness.postgis_server start DIR`` prints the admin URL,
``... stop DIR`` stops it) and by ``tests/conftest.py`` when ``BATTLEMAP_TEST_POSTGIS``
is not set; :func:`resume` (a cluster kept between runs) by ``bench.bench_province --keep-data``.
The cluster lives in DIR (trust authentication, loopback only, no fsync);
as root the server runs as the ``postgres`` user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psycopg

INSTALL_HINT = "install the Debian packages postgresql-15 and postgresql-15-postgis-3 (.ci/run does)"


def pg_bin() -> Path:
    """The folder of initdb/pg_ctl: ``BATTLEMAP_PG_BIN``, else the newest /usr/lib/postgresql/N/bin."""
    if os.environ.get("BATTLEMAP_PG_BIN"):
        return Path(os.environ["BATTLEMAP_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    if initdb := shutil.which("initdb"):
        return Path(initdb).parent
    msg = f"no PostgreSQL server binaries (initdb) found: {INSTALL_HINT}"
    raise RuntimeError(msg)


def _as_server_user(cmd: list[str]) -> list[str]:
    """The command, run as ``postgres`` when we are root (initdb refuses root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str]) -> None:
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, check=False)
    if done.returncode:
        msg = f"{Path(cmd[0]).name} failed ({done.returncode}): {(done.stderr or done.stdout).strip()[-800:]}"
        raise RuntimeError(msg)


def start(root: str | os.PathLike[str]) -> str:
    """Create a cluster in ``root``, start it on a free loopback port and return the admin URL.

    Raises RuntimeError with the server's own message when anything fails.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    _run([str(pg_bin() / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8"])
    return _launch(root, _free_port())


def resume(root: str | os.PathLike[str]) -> str:
    """The admin URL of the cluster kept in ``root``: created when absent, started when not running.

    A restarted server takes its former port when that is free (else another free one),
    so staged runs (``bench.bench_province --keep-data``) can reuse a cluster written once.
    """
    root = Path(root)
    if not (root / "data" / "PG_VERSION").exists():
        return start(root)
    port = int((root / "port").read_text()) if (root / "port").exists() else 0
    if port and (root / "data" / "postmaster.pid").exists() and _answers(_url(port)):
        return _url(port)
    return _launch(root, port if port and _is_free(port) else _free_port())


def _launch(root: Path, port: int) -> str:
    """Start the cluster in ``root`` on ``port`` and return its admin URL (after checking PostGIS)."""
    options = f"-k {root} -h 127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run([str(pg_bin() / "pg_ctl"), "-D", str(root / "data"), "-o", options, "-l", str(root / "log"), "-w", "start"])
    (root / "port").write_text(str(port))
    url = _url(port)
    _check_postgis(url)
    return url


def _url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _answers(url: str) -> bool:
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError:
        return False
    return True


def _check_postgis(url: str) -> None:
    """Fail now, with the install hint, when the PostGIS extension is not available to the server."""
    with psycopg.connect(url, autocommit=True) as con:
        if not con.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone():
            msg = f"the PostgreSQL server has no PostGIS extension: {INSTALL_HINT}"
            raise RuntimeError(msg)


def stop(root: str | os.PathLike[str]) -> None:
    """Stop the server of the cluster in ``root`` (fast shutdown); nothing when it is not running."""
    data = Path(root) / "data"
    if (data / "postmaster.pid").exists():
        _run([str(pg_bin() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])


def restart(root: str | os.PathLike[str]) -> None:
    """Restart the server of the cluster in ``root`` (fast: open connections are cut), same port and options."""
    root = Path(root)  # the log file again: else the new server keeps pg_ctl's output pipe open
    _run([str(pg_bin() / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-m", "fast", "-w", "restart"])


def main(argv: list[str]) -> int:
    """``start DIR`` (prints the admin URL) or ``stop DIR``."""
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        sys.stderr.write("usage: python -m harness.postgis_server start|stop DIR\n")
        return 2
    try:
        if argv[0] == "start":
            sys.stdout.write(start(argv[1]) + "\n")
        else:
            stop(argv[1])
    except RuntimeError as exc:
        sys.stderr.write(f"PostGIS test server: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
