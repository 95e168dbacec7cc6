"""Inspection route plans, private to their owner, in the private file beside the store.

Unannounced-visit plans must not leak, so they are not layers of the GeoPackage that
``/wall`` and ``/map`` read: they live in the private SQLite file
(:mod:`geodata.private.db`). Every plan has an ``owner``; the API only returns plans to
their owner (or to an admin), and every creation, view and export — and every refused
view — is written to the audit log.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

import pandas as pd

from geodata._errors import BattlemapError
from geodata.private.db import PrivateDB, audit_row, now_text, private_path
from geodata.store import Store

__all__ = ["PLAN_ID", "PlanAccessError", "PlanStore", "private_path"]

PLAN_ID = re.compile(r"R\d{8}-[0-9a-f]{10}")  # as PlanStore.save makes them: R + date + 10 hex digits


class PlanAccessError(BattlemapError):
    """A plan that does not exist or that belongs to someone else (the two are not told apart)."""


class PlanStore(PrivateDB):
    """Route plans filtered by owner, and the audit log, in the private SQLite file."""

    @classmethod
    def beside(cls, store: Store) -> PlanStore:
        """The plan store that belongs to a layer store."""
        return cls(private_path(store))

    def save(self, plan: dict[str, Any], *, owner: str) -> dict[str, Any]:
        """Store a new plan for ``owner`` and audit its creation (with the seed, or none).

        Returns the stored plan: the one given plus ``plan_id``, ``owner`` and ``created_at``.
        """
        created = now_text()
        plan_id = f"R{plan['date'].replace('-', '')}-{secrets.token_hex(5)}"
        plan = {**plan, "plan_id": plan_id, "owner": owner, "created_at": created}
        with self._connect() as con:
            con.execute(
                "INSERT INTO route_plans VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    plan_id,
                    owner,
                    created,
                    plan["date"],
                    len(plan["stops"]),
                    plan["days"],
                    plan["seed"],
                    json.dumps(plan, ensure_ascii=False),
                ),
            )
            detail = {
                "date": plan["date"],
                "seed": plan["seed"],
                "randomness": "os" if plan["seed"] is None else "seed",
                "stops": len(plan["stops"]),
                "unfitted": len(plan["unfitted"]),
                "days": plan["days"],
            }
            audit_row(con, who=owner, action="route:create", target=plan_id, detail=detail)
        return plan

    def get(
        self,
        plan_id: str,
        *,
        viewer: str,
        admin: bool = False,
        action: str = "route:view",
        allowed: Callable[[dict[str, Any]], bool] = lambda _plan: True,
    ) -> dict[str, Any]:
        """The plan, if ``viewer`` owns it (or is an admin) and ``allowed`` accepts it; audited as ``action``.

        Otherwise PlanAccessError, audited as ``{action}:refused``.
        """
        with self._connect() as con:
            row = con.execute("SELECT owner, plan FROM route_plans WHERE plan_id = ?", (plan_id,)).fetchone()
            plan = None if row is None or (row[0] != viewer and not admin) else json.loads(row[1])
            refused = plan is None or not allowed(plan)
            detail = {} if refused else {"owner": row[0]}
            audit_row(con, who=viewer, action=f"{action}:refused" if refused else action, target=plan_id, detail=detail)
        if refused:  # raised after the audit row is committed
            msg = f"no plan {plan_id!r} for {viewer!r}"
            raise PlanAccessError(msg)
        return plan

    def plans(self, *, viewer: str, admin: bool = False) -> pd.DataFrame:
        """The plans ``viewer`` may see (all of them for an admin), newest first, without their content."""
        query = "SELECT plan_id, owner, created_at, date, stops, days, seed FROM route_plans"
        args: tuple[str, ...] = ()
        if not admin:
            query += " WHERE owner = ?"
            args = (viewer,)
        with self._connect() as con:
            return pd.read_sql_query(query + " ORDER BY created_at DESC, plan_id", con, params=args)
