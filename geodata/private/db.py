"""The private SQLite file beside the store: accounts, sessions, route plans, finding steps and the audit log.

Records that must not travel with the layers (password hashes, unannounced-visit plans,
who looked at what) live in ``battlemap.private.sqlite`` next to ``battlemap.gpkg``, not
in the GeoPackage that ``/wall`` and ``/map`` read. Every module that keeps records here
(:mod:`geodata.private.plan_store`, :mod:`geodata.private.accounts`) subclasses :class:`PrivateDB`, so
there is one schema, one connection rule and one ``audit_log``, whose rows SQLite
triggers forbid to update or delete (so do they for ``finding_steps``, the record of each
rectification step of :mod:`geodata.private.findings`). ``field_records`` and ``field_photos``
hold what the field pack sent (:mod:`geodata.private.field_records`), keyed by the phone's
UUIDs. Writing here never changes the layer store's change stamp, so the map's caches stay warm.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from geodata.private.files import private_file
from geodata.store import Store, os_user
from geodata.text_limits import check_length

SCHEMA = """
CREATE TABLE IF NOT EXISTS route_plans (
    plan_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at TEXT NOT NULL,
    date TEXT NOT NULL,
    stops INTEGER NOT NULL,
    days INTEGER NOT NULL,
    seed INTEGER,
    plan TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS route_plans_owner ON route_plans (owner, created_at);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    scope TEXT,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT,
    password_set_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    at REAL NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures (name, at);
CREATE INDEX IF NOT EXISTS login_failures_address ON login_failures (address, at);
CREATE TABLE IF NOT EXISTS login_delays (
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_at REAL NOT NULL,
    PRIMARY KEY (name, address)
);
CREATE TABLE IF NOT EXISTS login_refusals (
    window_start REAL NOT NULL,
    name_prefix TEXT NOT NULL,
    address TEXT NOT NULL,
    why TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_at REAL NOT NULL,
    last_at REAL NOT NULL,
    PRIMARY KEY (window_start, name_prefix, address, why)
);
CREATE INDEX IF NOT EXISTS login_refusals_last ON login_refusals (last_at);
CREATE TABLE IF NOT EXISTS web_sessions (
    sid_sha256 TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    address TEXT NOT NULL,
    created_at REAL NOT NULL,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS web_sessions_subject ON web_sessions (kind, subject);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE IF NOT EXISTS finding_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    inspection_id TEXT NOT NULL,
    status_before TEXT NOT NULL,
    status TEXT NOT NULL,
    on_date TEXT NOT NULL,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    township_code TEXT,
    note TEXT,
    photo TEXT
);
CREATE INDEX IF NOT EXISTS finding_steps_inspection ON finding_steps (inspection_id, id);
CREATE TRIGGER IF NOT EXISTS finding_steps_no_update BEFORE UPDATE ON finding_steps
BEGIN SELECT RAISE(ABORT, 'finding_steps is append-only'); END;
CREATE TRIGGER IF NOT EXISTS finding_steps_no_delete BEFORE DELETE ON finding_steps
BEGIN SELECT RAISE(ABORT, 'finding_steps is append-only'); END;
CREATE TABLE IF NOT EXISTS field_records (
    uuid TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    stop INTEGER NOT NULL,
    kind TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    lon REAL,
    lat REAL,
    accuracy_m REAL,
    distance_m REAL,
    flagged INTEGER NOT NULL DEFAULT 0,
    households TEXT,
    category TEXT,
    inspection_id TEXT
);
CREATE INDEX IF NOT EXISTS field_records_plan ON field_records (plan_id, stop);
CREATE TABLE IF NOT EXISTS field_photos (
    uuid TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    finding_uuid TEXT NOT NULL,
    inspection_id TEXT NOT NULL,
    name TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    lon REAL,
    lat REAL,
    accuracy_m REAL,
    bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS field_photos_plan ON field_photos (plan_id, finding_uuid);
CREATE TRIGGER IF NOT EXISTS route_plans_no_update BEFORE UPDATE ON route_plans
BEGIN SELECT RAISE(ABORT, 'a stored plan never changes; make a new one'); END;
"""


JOURNAL = "WAL"
"""The file's journal mode. Every request of the web server reads a session here and some write
(a session's last-request time, the audit log, rate limits): in SQLite's default rollback
journal a commit waits until no process is reading and every reader waits for the commit,
so under load requests spent their time in SQLite's busy wait. With a write-ahead log readers
and the one writer do not block each other. The mode is kept in the file."""

SCHEMA_STAMP = zlib.crc32((SCHEMA + JOURNAL).encode()) & 0x7FFFFFFF
"""Kept in the file's ``user_version`` once :data:`SCHEMA` and :data:`JOURNAL` are applied: a
connection skips the script (a millisecond, several times per request) unless the file is new
or the schema changed."""


def private_path(store: Store) -> Path:
    """The private file of a store: same folder and name, suffix ``.private.sqlite``."""
    return store.sidecar(".private.sqlite")


def cli_user() -> str:
    """Who a command-line action is audited as: ``cli:`` and the operating-system user."""
    return f"cli:{os_user()}"


class PrivateDB:
    """One SQLite file of private records with its audit log."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def beside(cls, store: Store) -> PrivateDB:  # subclasses get their own type back
        """The private file that belongs to a layer store."""
        return cls(private_path(store))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (committed on success, rolled back on error), schema ensured."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(private_file(self.path), timeout=30)  # 0600: hashes, plans and the audit log
        try:
            if con.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_STAMP:  # a new or older file
                con.execute(f"PRAGMA journal_mode = {JOURNAL}")
                con.executescript(SCHEMA)
                _migrate(con)
                con.execute(f"PRAGMA user_version = {SCHEMA_STAMP}")
            with con:
                yield con
        finally:
            con.close()

    def audit(
        self, *, who: str, action: str, target: str, detail: dict[str, Any] | None = None, reason: str = ""
    ) -> None:
        """Append one entry to the audit log; a ``reason`` over ``[limits] reason_chars`` is refused."""
        check_length(reason, what="reason", setting="reason_chars")
        with self._connect() as con:
            audit_row(con, who=who, action=action, target=target, detail=detail or {}, reason=reason)

    def audit_log(self, *, limit: int | None = None, who: str | None = None, action: str | None = None) -> pd.DataFrame:
        """The audit log, oldest first; ``limit`` keeps the newest rows; ``who`` and ``action`` (a prefix) filter."""
        query, args = "SELECT * FROM audit_log", []
        clauses = []
        if who:
            clauses.append("who = ?")
            args.append(who)
        if action:
            clauses.append("action LIKE ? ESCAPE '\\'")
            args.append(action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY id DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        with self._connect() as con:
            frame = pd.read_sql_query(query, con, params=args)
        return frame.iloc[::-1].reset_index(drop=True)


def _migrate(con: sqlite3.Connection) -> None:
    """Bring a file written by an older version up to :data:`SCHEMA`, keeping every row.

    ``users.township`` (a 9-digit township or NULL) became ``users.scope`` (any division
    code prefix or NULL): the column is renamed, its values stay as they were.
    """
    columns = {row[1] for row in con.execute("PRAGMA table_info(users)")}
    if "township" in columns and "scope" not in columns:
        try:
            with con:
                con.execute("ALTER TABLE users RENAME COLUMN township TO scope")
        except sqlite3.OperationalError:  # another process renamed it first
            if "scope" not in {row[1] for row in con.execute("PRAGMA table_info(users)")}:
                raise


def audit_row(
    con: sqlite3.Connection, *, who: str, action: str, target: str, detail: dict[str, Any], reason: str = ""
) -> None:
    """Insert one audit entry on an open connection (inside the caller's transaction)."""
    con.execute(
        "INSERT INTO audit_log (at, who, action, target, detail, reason) VALUES (?, ?, ?, ?, ?, ?)",
        (now_text(), who, action, target, json.dumps(detail, ensure_ascii=False, default=str), reason),
    )


def end_sessions(con: sqlite3.Connection, name: str) -> int:
    """End every web session of the account ``name`` (inside the caller's transaction); how many ended."""
    return con.execute("DELETE FROM web_sessions WHERE kind = 'account' AND subject = ?", (name,)).rowcount


def now_text() -> str:
    """The local time to the second, ISO format (as every private record stores it)."""
    return dt.datetime.now().replace(microsecond=0).isoformat()
