"""A unit's inspection findings for the /map panel (整改销号): their counts and the ones still being rectified.

Pure: the ledger of :func:`analytics.findings.finding_ledger` and the step records of
:func:`geodata.private.findings.finding_steps` in, plain rows out (the page turns them
into HTML, escaping the text). A village's findings are those found in it; a township's
(or the county's) those it is responsible for. No ledger (no inspections layer) gives no
counts: the page says no data, never 0.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics.findings import OPEN
from geodata.finding_steps import next_status
from layers.i18n import t

COUNTS = ("open", "overdue", "closed")  # what the panel counts: not rectified yet, past the deadline, 销号


def unit_ledger(ledger: pd.DataFrame, code: str | None) -> pd.DataFrame:
    """The ledger rows of a village (found there), a township (responsible for them) or the county (``None``)."""
    if code is None:
        return ledger
    column = "village_code" if len(code) == 12 else "town_code"
    return ledger[ledger[column].astype(str) == code]


def finding_counts(ledger: pd.DataFrame | None) -> dict[str, int] | None:
    """Open (open or rectifying), overdue and closed findings; None without an inspections layer."""
    if ledger is None:
        return None
    return {
        "open": int(ledger["status"].isin(OPEN).sum()),
        "overdue": int(ledger["overdue"].astype(bool).sum()),
        "closed": int((ledger["status"] == "closed").sum()),
    }


def finding_cards(ledger: pd.DataFrame, steps: pd.DataFrame, *, names: pd.Series, lang: str) -> list[dict[str, Any]]:
    """The findings not closed yet, overdue first then by deadline: what was found, where it stands, its steps.

    ``steps`` are the recorded step records (any findings'); ``names`` maps village codes to names.
    """
    live = ledger[ledger["status"] != "closed"].assign(late=lambda f: ~f["overdue"].astype(bool))
    live = live.sort_values(["late", "deadline", "inspection_id"], kind="stable")
    by_finding = {key: group for key, group in steps.groupby("inspection_id")} if len(steps) else {}
    cards = []
    for row in live.itertuples(index=False):
        status = str(row.status)
        village = str(row.village_code)
        history = by_finding.get(row.inspection_id, steps.iloc[0:0])
        cards.append(
            {
                "inspection_id": str(row.inspection_id),
                "date": str(row.date),
                "village": str(names.get(village, village)),
                "town_code": str(row.town_code),
                "category": "—" if row.category is None or pd.isna(row.category) else str(row.category),
                "finding": str(row.finding),
                "status": status,
                "status_label": t(f"finding_status_{status}", lang),
                "deadline": str(row.deadline),
                "overdue": bool(row.overdue),
                "next": next_status(status),
                "steps": [_step(s, lang) for s in history.itertuples(index=False)],
            }
        )
    return cards


def _step(step: Any, lang: str) -> dict[str, Any]:
    """One recorded step: its date, the step's label, who, the note and the photo's name (or None)."""
    photo = step.photo if isinstance(step.photo, str) and step.photo else None
    note = step.note if isinstance(step.note, str) else ""
    return {
        "on": str(step.on_date),
        "label": t(f"finding_status_{step.status}", lang),
        "who": str(step.who),
        "note": note,
        "photo": photo,
    }
