"""The rectification ledger of inspection findings (整改台账) on a date: status, deadline, overdue, unverified.

One reading of the ``inspections`` layer shared by the draw (overdue and unverified
findings weigh more), the indicator tables (per village, township, county: what /map and
the wall show) and the bulletin (counts per status, overdue per township), so the same
finding counts the same everywhere. A finding is *overdue* when its deadline has passed
and it is not rectified yet (open or rectifying), *unverified* when it is rectified but no
follow-up visit (回访) has verified it. Pure: tables in, tables out.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geodata.finding_steps import STATUSES, deadlines, has_finding, status_on, step_dates, township_of
from geodata.settings import Settings

LEDGER_COLUMNS = [
    "inspection_id",
    "date",
    "village_code",
    "town_code",
    "category",
    "finding",
    "status",
    "deadline",
    "overdue",
    "unverified",
    "rectified_on",
]
OPEN = ("open", "rectifying")  # not rectified yet: the deadline still binds
# The per-row flags the indicator tables count (analytics.measures).
FLAGS = ("open_finding", "overdue_finding", "unverified_finding", *(f"finding_{s}" for s in STATUSES))


def finding_flags(inspections: pd.DataFrame, *, as_of: dt.date, settings: Settings) -> pd.DataFrame:
    """Per row of ``inspections`` (index kept): status on ``as_of``, deadline, responsible township and the flags.

    ``open_finding`` (open or rectifying), ``overdue_finding`` (open past its deadline),
    ``unverified_finding`` (rectified, not yet verified) and ``finding_<status>`` per step;
    all false for a visit without a finding.
    """
    status = status_on(inspections, as_of)
    due = deadlines(inspections, settings)
    out = pd.DataFrame(index=inspections.index)
    out["status"] = status
    out["deadline"] = due
    out["town_code"] = township_of(inspections)
    found = has_finding(inspections)
    out["open_finding"] = (found & status.isin(OPEN).fillna(False)).astype(bool)
    out["overdue_finding"] = (out["open_finding"] & (due < pd.Timestamp(as_of)).fillna(False)).astype(bool)
    out["unverified_finding"] = (found & (status == "rectified").fillna(False)).astype(bool)
    for step in STATUSES:  # one flag per step, for the counts per status of the indicator tables
        out[f"finding_{step}"] = (found & (status == step).fillna(False)).astype(bool)
    return out


def finding_ledger(inspections: pd.DataFrame | None, *, as_of: dt.date, settings: Settings) -> pd.DataFrame | None:
    """Every finding recorded up to ``as_of`` with its status then (None without an inspections layer).

    No inspector names and no household ids: what a ledger shown to leaders may hold.
    """
    if inspections is None:
        return None
    if not len(inspections) or "finding" not in inspections:
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    rows = pd.DataFrame(inspections)
    dates = pd.to_datetime(rows["date"], errors="coerce")
    rows = rows[(dates <= pd.Timestamp(as_of)) & has_finding(rows)]
    flags = finding_flags(rows, as_of=as_of, settings=settings)
    out = rows.assign(
        date=pd.to_datetime(rows["date"]).dt.date,
        town_code=flags["town_code"],
        category=rows.get("category"),
        status=flags["status"],
        deadline=flags["deadline"].dt.date,
        overdue=flags["overdue_finding"],
        unverified=flags["unverified_finding"],
        rectified_on=step_dates(rows)["rectified"].dt.date,
    )
    return out[LEDGER_COLUMNS].sort_values(["date", "inspection_id"], ignore_index=True)
