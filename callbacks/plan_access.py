"""A stored inspection plan as the logged-in account may open it: its own (an admin: any), inside its scope.

The one place the route page, its map, downloads, findings and the field pack fetch a
plan, so a plan drawn before its owner's scope was narrowed (``battlemap users scope``)
is refused like another inspector's plan: its stops lie outside what the account sees.
"""

from __future__ import annotations

from typing import Any

from callbacks.access import current_user, in_scope, is_admin
from callbacks.store_data import StoreData
from geodata.private.plan_store import PlanAccessError, PlanStore


def viewer_plan(data: StoreData, plan_id: str, action: str = "route:view") -> dict[str, Any]:
    """The plan ``plan_id`` (audited as ``action``); PlanAccessError, audited as refused, when not the account's.

    A plan with stops outside the account's scope is not the account's either.
    """
    outside: list[str] = []

    def inside(plan: dict[str, Any]) -> bool:
        outside.extend(sorted({str(s["village_code"]) for s in plan["stops"] if not in_scope(str(s["village_code"]))}))
        return not outside

    try:
        return PlanStore.beside(data.store).get(
            plan_id, viewer=current_user(), admin=is_admin(), action=action, allowed=inside
        )
    except PlanAccessError:
        if not outside:
            raise
        msg = f"plan {plan_id!r} has stops outside the account's scope ({', '.join(outside[:3])})"
        raise PlanAccessError(msg) from None
