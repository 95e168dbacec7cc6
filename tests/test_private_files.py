"""Private files and folders are the server user's alone, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from callbacks.shared_cache import SharedCache
from geodata._errors import ConfigError
from geodata.private.db import SCHEMA_STAMP, PrivateDB
from geodata.private.files import private_dir
from geodata.private.uploads import UploadArea


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The umask a service manager may leave: files would be world-readable by default."""
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_private_db_uploads_and_cache_are_closed_to_other_users(tmp_path: Path) -> None:
    db = tmp_path / "county.private.sqlite"
    PrivateDB(db).audit(who="t", action="test", target="x")
    assert mode(db) == 0o600
    area = UploadArea(tmp_path / ".county.uploads")
    upload = area.save("户籍台账.xlsx", b"ledger", keep_hours=1)
    assert mode(upload.path) == 0o600 and mode(upload.path.parent) == 0o700 and mode(area.root) == 0o700
    cache = SharedCache(tmp_path / "county.cache")
    cache.cache.set("k", 1)
    assert mode(cache.directory) == 0o700 and mode(cache.directory / "locks") == 0o700


@pytest.mark.usefixtures("open_umask")
def test_an_open_private_file_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "old.private.sqlite"
    db.touch(mode=0o644)
    db.chmod(0o644)
    PrivateDB(db).audit(who="t", action="test", target="x")
    assert mode(db) == 0o600


def test_a_folder_of_another_user_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    monkeypatch.setattr(os, "getuid", lambda: folder.stat().st_uid + 1)  # as if someone else had made it
    with pytest.raises(ConfigError, match="belongs to another user"):
        private_dir(folder)


def test_the_schema_script_runs_once_per_file_and_again_when_it_changes(tmp_path: Path) -> None:
    """A connection skips the schema script when the file's stamp says it is applied; a new stamp applies it again."""
    db = PrivateDB(tmp_path / "x.private.sqlite")
    db.audit(who="a", action="test", target="t")
    with db._connect() as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_STAMP
        con.execute("DROP INDEX field_photos_plan")  # what the script would put back
    with db._connect() as con:
        assert not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'field_photos_plan'").fetchall()
        con.execute(f"PRAGMA user_version = {SCHEMA_STAMP - 1}")  # a file of an older version
    with db._connect() as con:
        assert con.execute("SELECT 1 FROM sqlite_master WHERE name = 'field_photos_plan'").fetchall()
        assert len(con.execute("SELECT * FROM audit_log").fetchall()) == 1


@pytest.mark.usefixtures("open_umask")
def test_readers_do_not_hold_up_a_commit_and_the_log_files_are_private(tmp_path: Path) -> None:
    db = PrivateDB(tmp_path / "county.private.sqlite")
    db.audit(who="t", action="first", target="x")
    with db._connect() as reader:  # a request reading sessions, in a transaction, while another process writes
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM audit_log").fetchone() == (1,)
        writer = sqlite3.connect(db.path, timeout=0)  # no busy wait: the commit must not need one
        with writer:
            writer.execute(
                "INSERT INTO audit_log (at, who, action, target, detail, reason)"
                " VALUES ('now', 't', 'second', 'x', '', '')"
            )
        writer.close()
        assert reader.execute("SELECT COUNT(*) FROM audit_log").fetchone() == (1,)  # its snapshot
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        for log in (tmp_path / "county.private.sqlite-wal", tmp_path / "county.private.sqlite-shm"):
            assert mode(log) == 0o600, log
    assert len(db.audit_log()) == 2
