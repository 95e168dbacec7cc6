"""Progress reports on 一村一策 tasks typed in the browser (对账销号): the task row changes, its history grows.

A township account (a leader scoped to a township) updates only its own villages' tasks,
an admin any task. Each change rewrites the task's ``progress`` and ``status`` in the
``tasks`` layer and appends one row (who, when, before, after, note, photo) to the
store's ``task_history`` table in the same transaction, with an import-log entry; the
audit log records it too. A task is marked 已完成 only with a note and at 100 %.
An optional photo is kept in a private folder beside the store, never in the store.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import sqlite3

import pandas as pd

from geodata._errors import InputError
from geodata.private.db import PrivateDB
from geodata.private.photos import photo_name, photo_suffix, save_photo
from geodata.schemas import TASKS
from geodata.store import Store
from geodata.text_limits import check_length

log = logging.getLogger(__name__)
LAYER = "tasks"
HISTORY = "task_history"
STATUSES = tuple(TASKS.column("status").choices)


class OutOfScope(InputError):
    """A township account asked to change a task of another township."""


def update_task(
    store: Store,
    task_id: str,
    *,
    progress: float | None,
    status: str,
    note: str | None,
    who: str,
    township: str | None = None,
    photo: bytes | None = None,
) -> dict[str, object]:
    """Record a new progress and status of ``task_id``; returns the history row written.

    ``township`` limits the change to that township's villages (a scoped account).
    Refused with :class:`~geodata._errors.InputError`: an unknown task or status,
    progress outside 0–100, 已完成 below 100 % or without a note, a note over
    ``[limits] task_note_chars``, a photo that is not a JPEG or PNG or over
    ``[limits] photo_bytes`` (:mod:`geodata.private.photos`); :class:`OutOfScope` for another township's task.
    """
    note = (note or "").strip() or None
    check_length(note, what="note", setting="task_note_chars")
    progress = _checked(progress, status, note)
    suffix = photo_suffix(photo)
    now = pd.Timestamp.now().floor("s")
    name = None if photo is None else photo_name(f"{task_id}-{now:%Y%m%d%H%M%S}", photo, suffix)
    with store.transaction() as tx:  # holds the writers' lock: read, change and write the stored version
        tasks = store.read(LAYER) if store.has(LAYER) else None
        hit = tasks["task_id"].astype(str) == str(task_id) if tasks is not None else None
        if tasks is None or hit is None or not hit.any():
            msg = f"no task {task_id!r} in the tasks layer"
            raise InputError(msg)
        row = tasks[hit].iloc[0]
        village = str(row["village_code"])
        if township is not None and not village.startswith(township):
            msg = f"task {task_id} belongs to village {village}, outside township {township}"
            raise OutOfScope(msg)
        entry: dict[str, object] = {
            "task_id": str(task_id),
            "village_code": village,
            "at": now,
            "who": who,
            "progress_before": _number(row["progress"]),
            "progress": progress,
            "status_before": row["status"],
            "status": status,
            "note": note,
            "photo": name,
        }
        tasks.loc[hit, "progress"] = progress
        tasks.loc[hit, "status"] = status
        history = store.read_or_none(HISTORY)
        new = pd.DataFrame([entry]).astype({"at": "datetime64[ms]", "progress_before": float, "progress": float})
        if history is not None and len(history):
            new = pd.concat([pd.DataFrame(history), new], ignore_index=True)
        tx.write(LAYER, tasks)
        tx.write(HISTORY, new)
        tx.log(action="task:update", layer=LAYER, rows=1, source=str(task_id), detail=_detail(entry), who=who)
    if photo is not None and name is not None:  # after the commit: a refused report leaves no file behind
        save_photo(store, name, photo)
    try:  # stored already: an audit file that cannot be written must not look like a failed update
        PrivateDB.beside(store).audit(who=who, action="task:update", target=str(task_id), detail=_detail(entry))
    except (OSError, sqlite3.Error):
        log.exception("task %s updated, but its audit entry could not be written", task_id)
    return entry


def _checked(progress: float | None, status: str, note: str | None) -> float | None:
    """The progress to store, after the same rules as an import (and a note for 已完成)."""
    if status not in STATUSES:
        msg = f"unknown status {status!r}; choose one of {', '.join(STATUSES)}"
        raise InputError(msg)
    if progress is not None and (math.isnan(float(progress)) or not 0 <= float(progress) <= 100):
        msg = f"progress must be between 0 and 100 %, got {progress}"
        raise InputError(msg)
    if status == "done":
        if progress is not None and float(progress) < 100:
            msg = "a task marked 已完成 (done) must be at 100 %"
            raise InputError(msg)
        if not note:
            msg = "a task is marked 已完成 (done) only with a note saying what was done (对账销号)"
            raise InputError(msg)
        return 100.0
    return None if progress is None else float(progress)


def _number(value: object) -> float | None:
    number = pd.to_numeric(value, errors="coerce")
    return None if pd.isna(number) else float(number)


def _detail(entry: dict[str, object]) -> dict[str, object]:
    """The history row as JSON-ready values for the logs (the note's length, not its text)."""
    return {
        "village_code": entry["village_code"],
        "progress": [entry["progress_before"], entry["progress"]],
        "status": [entry["status_before"], entry["status"]],
        "note_chars": len(str(entry["note"] or "")),
        "photo": entry["photo"],
        "at": dt.datetime.fromisoformat(str(entry["at"])).isoformat(),
    }


def task_history(store: Store, task_id: str | None = None) -> pd.DataFrame:
    """The recorded changes, oldest first (all tasks, or one)."""
    history = store.read_or_none(HISTORY)
    if history is None:
        return pd.DataFrame(columns=["task_id", "village_code", "at", "who", "progress", "status", "note", "photo"])
    frame = pd.DataFrame(history).sort_values("at", kind="stable")
    return frame if task_id is None else frame[frame["task_id"] == task_id].reset_index(drop=True)
