"""Progress reports on 一村一策 tasks: the row changes, the history grows, the audit says who; scope and rules hold."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from geodata._errors import InputError
from geodata.private.db import PrivateDB
from geodata.private.photos import photo_dir
from geodata.private.task_updates import OutOfScope, task_history, update_task
from geodata.store import Store
from tests.conftest import snapshot
from tests.test_plans import TASKS

T100 = "621121100"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def task_store(mini_store: Store) -> Store:
    """The mini county with the six tasks of :mod:`tests.test_plans` (T1–T5 in township 100, T6 in 201)."""
    with mini_store.transaction() as tx:
        tx.write("tasks", TASKS)
    return mini_store


def test_a_report_changes_the_task_and_keeps_its_history_and_audit(task_store: Store) -> None:
    update_task(task_store, "T2", progress=70, status="in_progress", note="路基完成", who="town-lead", township=T100)
    update_task(task_store, "T2", progress=100, status="done", note="已验收", who="town-lead", township=T100)
    task = pd.DataFrame(task_store.read("tasks")).set_index("task_id").loc["T2"]
    assert (task["progress"], task["status"]) == (100, "done")
    history = task_history(task_store, "T2")
    assert list(history["progress_before"]) == [50, 70] and list(history["progress"]) == [70, 100]
    assert list(history["status"]) == ["in_progress", "done"] and list(history["who"]) == ["town-lead"] * 2
    assert list(history["note"]) == ["路基完成", "已验收"]
    log = task_store.import_log()
    assert list(log["action"].tail(2)) == ["task:update", "task:update"]
    audit = PrivateDB.beside(task_store).audit_log(action="task:update")
    assert len(audit) == 2 and set(audit["who"]) == {"town-lead"} and set(audit["target"]) == {"T2"}
    assert json.loads(audit["detail"].iloc[-1])["status"] == ["in_progress", "done"]  # oldest first


def test_a_township_account_updates_only_its_own_villages(task_store: Store) -> None:
    before = snapshot(task_store)
    with pytest.raises(OutOfScope, match="outside township 621121100"):
        update_task(task_store, "T6", progress=50, status="in_progress", note=None, who="town-lead", township=T100)
    assert snapshot(task_store) == before
    update_task(task_store, "T6", progress=50, status="in_progress", note=None, who="admin")  # an admin: any task
    assert len(task_history(task_store)) == 1


@pytest.mark.parametrize(
    ("progress", "status", "note", "match"),
    [
        (100, "done", None, "only with a note"),
        (100, "done", "   ", "only with a note"),
        (80, "done", "完成", "must be at 100"),
        (120, "in_progress", None, "between 0 and 100"),
        (50, "finished", None, "unknown status"),
    ],
)
def test_bad_reports_are_refused_and_nothing_changes(
    task_store: Store, progress: float, status: str, note: str | None, match: str
) -> None:
    before = snapshot(task_store)
    with pytest.raises(InputError, match=match):
        update_task(task_store, "T4", progress=progress, status=status, note=note, who="admin")
    assert snapshot(task_store) == before


def test_a_photo_is_kept_privately_and_only_an_image_is_taken(task_store: Store) -> None:
    with pytest.raises(InputError, match="JPEG or PNG"):
        update_task(task_store, "T4", progress=30, status="in_progress", note=None, who="admin", photo=b"<svg/>")
    entry = update_task(task_store, "T4", progress=30, status="in_progress", note="现场", who="admin", photo=PNG)
    stored = photo_dir(task_store) / str(entry["photo"])
    assert stored.suffix == ".png" and stored.read_bytes() == PNG
    assert stored.stat().st_mode & 0o077 == 0
    with pytest.raises(InputError, match="no task"):
        update_task(task_store, "T99", progress=30, status="in_progress", note=None, who="admin")
