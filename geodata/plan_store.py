"""Private records beside the store: inspection route plans and the append-only audit log.

Unannounced-visit plans must not leak, so they are not layers of the GeoPackage that
``/wall`` and ``/map`` read: they live in a SQLite file beside it
(``battlemap.gpkg`` → ``battlemap.private.sqlite``). Every plan has an ``owner``; the
API only returns plans to their owner (or to an admin), and every creation, view and
export — and every refused view — is written to ``audit_log``, whose rows SQLite
triggers forbid to update or delete. Writing here never changes the layer store's
change stamp, so the map's caches stay warm.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from geodata._errors import BattlemapError
from geodata.store import GeoPackageStore

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
CREATE TRIGGER IF NOT EXISTS route_plans_no_update BEFORE UPDATE ON route_plans
BEGIN SELECT RAISE(ABORT, 'a stored plan never changes; make a new one'); END;
"""


class PlanAccessError(BattlemapError):
    """A plan that does not exist or that belongs to someone else (the two are not told apart)."""


def private_path(store: GeoPackageStore) -> Path:
    """The private file of a store: same folder and name, suffix ``.private.sqlite``."""
    return store.path.with_name(store.path.stem + ".private.sqlite")


class PlanStore:
    """Route plans filtered by owner, and the audit log, in one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def beside(cls, store: GeoPackageStore) -> PlanStore:
        """The plan store that belongs to a layer store."""
        return cls(private_path(store))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction (committed on success, rolled back on error), schema ensured."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.executescript(SCHEMA)
            with con:
                yield con
        finally:
            con.close()

    def save(self, plan: dict[str, Any], *, owner: str) -> dict[str, Any]:
        """Store a new plan for ``owner`` and audit its creation (with the seed, or none).

        Returns the stored plan: the one given plus ``plan_id``, ``owner`` and ``created_at``.
        """
        created = _now()
        plan_id = f"R{plan['date'].replace('-', '')}-{secrets.token_hex(5)}"
        plan = {**plan, "plan_id": plan_id, "owner": owner, "created_at": created}
        with self._connect() as con:
            con.execute(
                "INSERT INTO route_plans VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (plan_id, owner, created, plan["date"], len(plan["stops"]), plan["days"], plan["seed"],
                 json.dumps(plan, ensure_ascii=False)),
            )  # fmt: skip
            detail = {
                "date": plan["date"],
                "seed": plan["seed"],
                "randomness": "os" if plan["seed"] is None else "seed",
                "stops": len(plan["stops"]),
                "unfitted": len(plan["unfitted"]),
                "days": plan["days"],
            }
            _audit(con, who=owner, action="route:create", target=plan_id, detail=detail)
        return plan

    def get(self, plan_id: str, *, viewer: str, admin: bool = False, action: str = "route:view") -> dict[str, Any]:
        """The plan, if ``viewer`` owns it (or is an admin); audited as ``action``. Otherwise PlanAccessError."""
        with self._connect() as con:
            row = con.execute("SELECT owner, plan FROM route_plans WHERE plan_id = ?", (plan_id,)).fetchone()
            if row is None or (row[0] != viewer and not admin):
                _audit(con, who=viewer, action=f"{action}:refused", target=plan_id, detail={})
                refused = True
            else:
                _audit(con, who=viewer, action=action, target=plan_id, detail={"owner": row[0]})
                refused = False
        if refused:
            msg = f"no plan {plan_id!r} for {viewer!r}"
            raise PlanAccessError(msg)
        return json.loads(row[1])

    def plans(self, *, viewer: str, admin: bool = False) -> pd.DataFrame:
        """The plans ``viewer`` may see (all of them for an admin), newest first, without their content."""
        query = "SELECT plan_id, owner, created_at, date, stops, days, seed FROM route_plans"
        args: tuple[str, ...] = ()
        if not admin:
            query += " WHERE owner = ?"
            args = (viewer,)
        with self._connect() as con:
            return pd.read_sql_query(query + " ORDER BY created_at DESC, plan_id", con, params=args)

    def audit(self, *, who: str, action: str, target: str, detail: dict[str, Any] | None = None,
              reason: str = "") -> None:  # fmt: skip
        """Append one entry to the audit log."""
        with self._connect() as con:
            _audit(con, who=who, action=action, target=target, detail=detail or {}, reason=reason)

    def audit_log(self) -> pd.DataFrame:
        """The audit log, oldest first."""
        with self._connect() as con:
            return pd.read_sql_query("SELECT * FROM audit_log ORDER BY id", con)


def _audit(
    con: sqlite3.Connection, *, who: str, action: str, target: str, detail: dict[str, Any], reason: str = ""
) -> None:
    con.execute(
        "INSERT INTO audit_log (at, who, action, target, detail, reason) VALUES (?, ?, ?, ?, ?, ?)",
        (_now(), who, action, target, json.dumps(detail, ensure_ascii=False, default=str), reason),
    )


def _now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()
