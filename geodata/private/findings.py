"""Inspection findings (暗访发现问题) typed in after a visit, and their rectification (整改销号).

A finding becomes one row of the ``inspections`` layer, checked by the same validation
as a file import (:func:`geodata.io.importer.prepare_rows`) and appended in one store
transaction with an import-log entry; the next draw sees it (an open finding raises a
village's weight). A finding gets a category (``[findings] categories``), a responsible
township (its village's, unless given) and a deadline (``[findings] deadline_days``), and
goes through the steps of :mod:`geodata.finding_steps` one by one (:func:`advance_finding`):
each step rewrites the row's ``status`` and step date in one store transaction and appends
one record (who, when, the township's note, the photo's file name) to the private
``finding_steps`` table, whose rows are never changed. Photos are kept by
:mod:`geodata.private.photos` and opened only by admins and the finding's inspector,
audited (:func:`step_photo`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from geodata._errors import InputError
from geodata.finding_steps import STATUSES, STEP_DATE, category_label, deadline_days, next_status, stored_status
from geodata.io.importer import AlreadyStored, KeyTaken, prepare_rows, write_layer
from geodata.private.db import PrivateDB, audit_row, now_text
from geodata.private.photos import photo_dir, photo_name, photo_suffix, save_photo
from geodata.settings import get_settings
from geodata.store import Store, os_user
from geodata.text_limits import check_length

LAYER = "inspections"
ID_PREFIX = "DC"
ID_ATTEMPTS = 5
PHOTO_STEPS = ("rectifying", "verified")  # the township's evidence; what the follow-up visit saw
DATE_COLUMNS = ("date", "deadline", *STEP_DATE.values())


class WrongStep(InputError):
    """A step asked out of order (open → rectifying → rectified → verified → closed)."""


class NotAllowed(InputError):
    """Someone who may not see or change a finding asked to."""


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
    category: str | None = None,
    deadline: dt.date | None = None,
    township_code: str | None = None,
    record_uuid: str | None = None,
) -> str:
    """Record one inspection visit (with or without a finding); returns its new ``inspection_id``.

    The village comes from the team when only the team is given; a team or household
    that the store does not know, or that lies in another village, is refused, and so is a
    finding longer than ``[limits] finding_chars``. A finding starts ``open``, due on
    ``deadline`` (default: the visit plus its category's ``[findings] deadline_days``), the
    responsibility of ``township_code`` (default: the village's township). An unknown
    category or township, a deadline before the visit, or any of the three without a
    finding is refused. ``record_uuid`` (the field pack's record, see
    :mod:`geodata.private.field_records`) is stored with the row, once: when a row with it
    is stored already (a sync retried after a crash), that row's id is returned and
    nothing is written.
    """
    check_length(finding, what="finding", setting="finding_chars")
    village_code = _village_of(store, team_id=team_id, village_code=village_code, household_id=household_id)
    text = (finding or "").strip() or None
    row = {
        "date": date.isoformat(),
        "inspector": inspector or who or os_user(),
        "team_id": team_id,
        "village_code": village_code,
        "household_id": household_id,
        "finding": text,
        "rectified": "否",
        "rectified_on": None,
        **_ledger_columns(
            store,
            date=date,
            village_code=village_code,
            found=text is not None,
            category=category,
            deadline=deadline,
            township_code=township_code,
        ),
        "record_uuid": record_uuid,
    }
    for _attempt in range(ID_ATTEMPTS):  # another writer may take the next id between choosing and writing
        row["inspection_id"] = next_inspection_id(store)
        prepared = prepare_rows(LAYER, pd.DataFrame([row]), store=store, source="inspections add")
        if not prepared.report.ok:
            msg = f"finding refused: {len(prepared.report.errors)} error(s)"
            raise InputError(msg, prepared.report)
        try:
            write_layer(prepared, store=store, mode="append", who=who, new_keys_only=True, once="record_uuid")
        except KeyTaken:
            continue
        except AlreadyStored as stored:
            return stored.key[0]
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


def _ledger_columns(
    store: Store,
    *,
    date: dt.date,
    village_code: str,
    found: bool,
    category: str | None,
    deadline: dt.date | None,
    township_code: str | None,
) -> dict[str, Any]:
    """The category, township, deadline and status of a new row (all empty for a visit without a finding)."""
    if not found:
        given = [n for n, v in (("category", category), ("deadline", deadline), ("township", township_code)) if v]
        if given:
            msg = f"{', '.join(given)} given but no finding: they belong to a finding (--finding)"
            raise InputError(msg)
        return {"category": None, "township_code": None, "deadline": None, "status": None}
    cfg = get_settings().findings
    label = category_label(category, cfg)
    town = (township_code or "").strip() or village_code[:9]
    towns = store.read_or_none("towns", columns=["town_code"])
    if towns is not None and town not in set(towns["town_code"].astype(str)):
        msg = f"responsible township {town!r} is not in the towns layer (a 9-digit town code)"
        raise InputError(msg)
    due = deadline or date + dt.timedelta(days=deadline_days(label, cfg))
    if due < date:
        msg = f"deadline {due} is before the visit ({date})"
        raise InputError(msg)
    return {"category": label, "township_code": town, "deadline": due.isoformat(), "status": "open"}


def advance_finding(
    store: Store,
    inspection_id: str,
    status: str,
    *,
    on: dt.date,
    who: str,
    note: str | None = None,
    photo: bytes | None = None,
    township: str | None = None,
) -> dict[str, Any]:
    """Move a finding one step on to ``status``, dated ``on``; returns the step record written.

    Steps follow :data:`geodata.finding_steps.STATUSES` one by one: another step is refused
    with :class:`WrongStep` saying which one is next, and nothing is written. ``rectifying``
    needs ``note`` (what the township did); a photo (JPEG or PNG) may come with the
    ``rectifying`` or ``verified`` step. ``township`` (a township-scoped account) may only
    move its own findings (:class:`NotAllowed`). A date before the visit or the previous step
    is refused. The layer row changes in one store transaction, and the step record is
    appended to ``finding_steps`` before that transaction commits.
    """
    if status not in STATUSES[1:]:
        msg = f"unknown step {status!r}; the steps are {' → '.join(STATUSES)}"
        raise InputError(msg)
    note = (note or "").strip() or None
    check_length(note, what="note", setting="step_note_chars")
    if status == "rectifying" and not note:
        msg = "the rectifying step needs a note saying what the township did (整改情况, --note)"
        raise InputError(msg)
    if photo is not None and status not in PHOTO_STEPS:
        msg = f"a photo comes with the {' or '.join(PHOTO_STEPS)} step, not with {status}"
        raise InputError(msg)
    suffix = photo_suffix(photo)
    with store.transaction() as tx:  # holds the writers' lock: read, change and write the stored version
        frame, hit = _finding_row(store, inspection_id)
        row = frame[hit].iloc[0]
        current = str(stored_status(frame[hit]).iloc[0])
        town = _township(row)
        _check_step(inspection_id, current, status, on=on, row=row, township=township, town=town)
        name = None if photo is None else photo_name(f"{inspection_id}-{status}-{on:%Y%m%d}", photo, suffix)
        record = {"inspection_id": inspection_id, "status_before": current, "status": status, "who": who,
                  "on_date": on.isoformat(), "township_code": town, "note": note, "photo": name}  # fmt: skip
        tx.write(LAYER, _stepped(frame, hit, status, on, town))
        tx.log(action=f"finding:{status}", layer=LAYER, rows=1, source=inspection_id, detail=_detail(record), who=who)
        if photo is not None and name is not None:  # the file first: a record never names a photo that is not there
            save_photo(store, name, photo)
        StepLog.beside(store).append(record)
    return record


def _finding_row(store: Store, inspection_id: str) -> tuple[pd.DataFrame, pd.Series]:
    """The whole layer and the mask of the row ``inspection_id`` (refused: no layer, no such row, no finding)."""
    if not store.has(LAYER):
        msg = f"{store.label} has no inspections layer"
        raise InputError(msg)
    frame = store.read(LAYER)
    hit = frame["inspection_id"].astype(str) == str(inspection_id)
    if not hit.any():
        msg = f"no inspection {inspection_id!r} in {store.label}"
        raise InputError(msg)
    if pd.isna(stored_status(frame[hit]).iloc[0]):
        msg = f"inspection {inspection_id} recorded no finding: nothing to rectify"
        raise InputError(msg)
    return frame, hit


def _township(row: pd.Series) -> str:
    """The responsible township of a stored row (its village's when none is recorded)."""
    town = row.get("township_code")
    return str(town) if town is not None and not pd.isna(town) and str(town).strip() else str(row["village_code"])[:9]


def _check_step(
    inspection_id: str, current: str, status: str, *, on: dt.date, row: pd.Series, township: str | None, town: str
) -> None:
    """Refuse a step out of order, another township's finding, or a date before the last step."""
    if township is not None and town != township:
        msg = f"finding {inspection_id} is the responsibility of township {town}, not {township}"
        raise NotAllowed(msg)
    expected = next_status(current)
    if status != expected:
        hint = f"the next step is {expected}" if expected else "it is closed (销号): no step follows"
        msg = f"finding {inspection_id} is {current}: {hint}, not {status}"
        raise WrongStep(msg)
    earlier = [pd.Timestamp(row["date"])]
    earlier += [pd.Timestamp(row[c]) for c in STEP_DATE.values() if c in row.index and not pd.isna(row[c])]
    last = max(earlier).date()
    if on < last:
        msg = f"{status} date {on} is before the visit or the previous step of {inspection_id} ({last})"
        raise InputError(msg)


def _stepped(frame: pd.DataFrame, hit: pd.Series, status: str, on: dt.date, town: str) -> pd.DataFrame:
    """The layer with the row at ``status`` on ``on`` (its step date, and ``rectified`` from that step on)."""
    out = frame.copy()
    for column in DATE_COLUMNS:
        out[column] = pd.to_datetime(out[column], errors="coerce") if column in out else pd.NaT
        out[column] = out[column].astype("datetime64[ms]")
    for column in ("status", "township_code", "category"):
        if column not in out:
            out[column] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["status"] = out["status"].astype("string")
    out.loc[hit, "status"] = status
    out.loc[hit, STEP_DATE[status]] = pd.Timestamp(on)
    out["township_code"] = out["township_code"].astype("string")
    out.loc[hit, "township_code"] = town
    if status == "rectified":
        out["rectified"] = out["rectified"].astype("boolean")
        out.loc[hit, "rectified"] = True
    return out


class StepLog(PrivateDB):
    """The append-only ``finding_steps`` table of the private file (SQLite triggers refuse changes)."""

    def append(self, record: dict[str, Any]) -> None:
        """Append one step record and its audit entry, in one SQLite transaction."""
        with self._connect() as con:
            con.execute(
                "INSERT INTO finding_steps (inspection_id, status_before, status, on_date, at, who, township_code,"
                " note, photo) VALUES (:inspection_id, :status_before, :status, :on_date, :at, :who,"
                " :township_code, :note, :photo)",
                {**record, "at": now_text()},
            )
            detail = _detail(record)
            audit_row(con, who=record["who"], action=f"finding:{record['status']}", target=record["inspection_id"],
                      detail=detail)  # fmt: skip

    def steps(self, inspection_id: str | None = None) -> pd.DataFrame:
        """The recorded steps, oldest first (every finding's, or one's)."""
        query, args = "SELECT * FROM finding_steps", []
        if inspection_id is not None:
            query, args = query + " WHERE inspection_id = ?", [inspection_id]
        with self._connect() as con:
            return pd.read_sql_query(query + " ORDER BY id", con, params=args)


def _detail(record: dict[str, Any]) -> dict[str, Any]:
    """A step record for the logs: the note's length, not its text."""
    keep = ("status_before", "status", "on_date", "township_code", "photo")
    return {**{k: record[k] for k in keep}, "note_chars": len(record["note"] or "")}


def finding_steps(store: Store, inspection_id: str | None = None) -> pd.DataFrame:
    """The recorded steps, oldest first (every finding's, or one's): who, when, the note and the photo's name."""
    return StepLog.beside(store).steps(inspection_id)


def step_photo(store: Store, inspection_id: str, name: str, *, who: str, admin: bool) -> bytes:
    """The bytes of a step's photo, for an admin or the finding's inspector only; every opening is audited."""
    frame, hit = _finding_row(store, inspection_id)
    inspector = frame[hit].iloc[0].get("inspector")
    if not admin and (inspector is None or pd.isna(inspector) or str(inspector) != who):
        msg = f"the photos of finding {inspection_id} are for admins and its inspector only"
        raise NotAllowed(msg)
    steps = finding_steps(store, inspection_id)
    if name not in set(steps["photo"].dropna()):
        msg = f"finding {inspection_id} has no photo {name!r}; its photos: {sorted(steps['photo'].dropna())}"
        raise InputError(msg)
    data = (photo_dir(store) / name).read_bytes()
    PrivateDB.beside(store).audit(who=who, action="finding:photo", target=inspection_id, detail={"photo": name})
    return data
