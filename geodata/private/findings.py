"""Inspection findings (暗访发现问题) typed in after a visit, and their rectification (整改销号).

A finding becomes one row of the ``inspections`` layer, checked by the same validation
as a file import (:func:`geodata.io.importer.prepare_rows`) and appended in one store
transaction with an import-log entry; the next draw sees it (an open finding raises a
village's weight). Rectifying ticks ``rectified`` and ``rectified_on`` on that row.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from geodata._errors import InputError
from geodata.io.importer import KeyTaken, prepare_rows, write_layer
from geodata.store import Store, os_user
from geodata.text_limits import check_length

LAYER = "inspections"
ID_PREFIX = "DC"
ID_ATTEMPTS = 5


def add_finding(
    store: Store,
    *,
    date: dt.date,
    team_id: str | None = None,
    village_code: str | None = None,
    household_id: str | None = None,
    finding: str | None = None,
    inspector: str | None = None,
    who: str | None = None,
) -> str:
    """Record one inspection visit (with or without a finding); returns its new ``inspection_id``.

    The village comes from the team when only the team is given; a team or household
    that the store does not know, or that lies in another village, is refused, and so is a
    finding longer than ``[limits] finding_chars``.
    """
    check_length(finding, what="finding", setting="finding_chars")
    village_code = _village_of(store, team_id=team_id, village_code=village_code, household_id=household_id)
    row = {
        "date": date.isoformat(),
        "inspector": inspector or who or os_user(),
        "team_id": team_id,
        "village_code": village_code,
        "household_id": household_id,
        "finding": (finding or "").strip() or None,
        "rectified": "否",
        "rectified_on": None,
    }
    for _attempt in range(ID_ATTEMPTS):  # another writer may take the next id between choosing and writing
        row["inspection_id"] = next_inspection_id(store)
        prepared = prepare_rows(LAYER, pd.DataFrame([row]), store=store, source="inspections add")
        if not prepared.report.ok:
            msg = f"finding refused: {len(prepared.report.errors)} error(s)"
            raise InputError(msg, prepared.report)
        try:
            write_layer(prepared, store=store, mode="append", who=who, new_keys_only=True)
        except KeyTaken:
            continue
        return str(row["inspection_id"])
    msg = f"could not find a free inspection id in {ID_ATTEMPTS} attempts (many findings saved at once); try again"
    raise InputError(msg)


def _village_of(store: Store, *, team_id: str | None, village_code: str | None, household_id: str | None) -> str:
    """The village of a visit, checked against its team and household."""
    found: dict[str, str] = {}
    if team_id:
        teams = store.read("teams", columns=["team_id", "village_code"]) if store.has("teams") else None
        match = teams[teams["team_id"] == team_id] if teams is not None else []
        if not len(match):
            msg = f"team {team_id!r} is not in the teams layer (battlemap import teams FILE first)"
            raise InputError(msg)
        found["team"] = str(match["village_code"].iloc[0])
    if household_id:
        hh = store.read("households", columns=["household_id", "village_code"], where={"household_id": household_id})
        if not len(hh):
            msg = f"household {household_id!r} is not in the households layer"
            raise InputError(msg)
        found["household"] = str(hh["village_code"].iloc[0])
    if village_code:
        found["village"] = village_code
    codes = set(found.values())
    if not codes:
        msg = "give the team (--team), the village (--village) or the household (--household) that was visited"
        raise InputError(msg)
    if len(codes) > 1:
        msg = f"team, village and household lie in different villages: {found}"
        raise InputError(msg)
    return codes.pop()


def next_inspection_id(store: Store) -> str:
    """``DC`` and the next number after the largest stored ``DCnnnnn`` id."""
    numbers = [0]
    if store.has(LAYER):
        ids = store.read(LAYER, columns=["inspection_id"])["inspection_id"].astype(str)
        numbers += [int(m.group(1)) for i in ids if (m := re.fullmatch(rf"{ID_PREFIX}(\d+)", i))]
    return f"{ID_PREFIX}{max(numbers) + 1:05d}"


def rectify_finding(store: Store, inspection_id: str, *, on: dt.date, who: str | None = None) -> None:
    """Tick a finding off (销号): ``rectified`` true and ``rectified_on`` = ``on``, in one transaction."""
    if not store.has(LAYER):
        msg = f"{store.label} has no inspections layer"
        raise InputError(msg)
    frame = store.read(LAYER)
    hit = frame["inspection_id"] == inspection_id
    if not hit.any():
        msg = f"no inspection {inspection_id!r} in {store.label}"
        raise InputError(msg)
    row = frame[hit].iloc[0]
    if row["finding"] is None or not str(row["finding"]).strip():
        msg = f"inspection {inspection_id} recorded no finding: nothing to rectify"
        raise InputError(msg)
    if bool(row["rectified"]) is True:
        msg = f"inspection {inspection_id} was already rectified on {row['rectified_on']}"
        raise InputError(msg)
    if on < pd.Timestamp(row["date"]).date():
        msg = f"rectification date {on} is before the inspection ({pd.Timestamp(row['date']).date()})"
        raise InputError(msg)
    frame.loc[hit, "rectified"] = True
    frame["rectified_on"] = pd.to_datetime(frame["rectified_on"]).astype("datetime64[ms]")
    frame.loc[hit, "rectified_on"] = pd.Timestamp(on)
    with store.transaction() as tx:
        tx.write(LAYER, frame)
        tx.log(action="rectify", layer=LAYER, rows=1, source=inspection_id, detail={"on": on.isoformat()}, who=who)
