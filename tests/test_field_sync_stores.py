"""The field pack's sync on both stores (GeoPackage and PostGIS): once per record, even across a crash.

The store and the private SQLite file are two databases: a server that stops after the
finding's ``inspections`` row and before the record's UUID row must not add a second row
when the phone sends the record again (the row carries the UUID, ``record_uuid``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from geodata.private import field_records
from geodata.private.field_records import FieldRecords, check_record
from geodata.private.findings import add_finding
from geodata.private.photos import photo_dir
from geodata.store import GeoPackageStore, Store
from harness.browser import account
from tests.conftest import copy_store
from tests.field_plans import saved_plan
from tests.test_access import client_for
from tests.test_field_sync import finding, photo


class Crash(RuntimeError):
    """The server stopping between the store's write and the private file's."""


@pytest.fixture
def served(store: Store, demo_store_path: Path) -> Iterator[tuple[Any, Store, dict]]:
    """The app on the demo county in ``store`` (each kind) and a saved 3-stop plan of the test inspector's."""
    copy_store(GeoPackageStore(demo_store_path), store)
    account(store.target, "inspector")
    saved = saved_plan(store)
    yield create_app(store.target), store, saved


def rows_of(store: Store, uuid: str) -> Any:
    """The inspections rows carrying the record ``uuid``."""
    frame = store.read("inspections")
    return frame[frame["record_uuid"] == uuid]


def test_a_finding_and_its_photo_sent_twice_are_one_row_and_one_photo(served: Any) -> None:
    app, store, plan = served
    client = client_for(app, store.target, "inspector")
    record = finding(plan["stops"][0])
    picture = photo(record)
    url = f"/field/{plan['plan_id']}/sync"
    first = [client.post(url, json=r).json for r in (record, picture)]
    again = [client.post(url, json=r).json for r in (record, picture)]
    assert [a["duplicate"] for a in first + again] == [False, False, True, True], first + again
    stored = rows_of(store, record["uuid"])
    assert list(stored["inspection_id"]) == [first[0]["inspection_id"]] and stored["status"].iloc[0] == "open"
    _, photos = FieldRecords.beside(store).records(plan["plan_id"])
    assert list(photos["uuid"]) == [picture["uuid"]]
    assert client.get(f"/field/{plan['plan_id']}/photo/{picture['uuid']}").status_code == 200
    stop = plan["stops"][2]  # typed at a desk: no UUID, and the same finding twice is two rows
    typed = [
        add_finding(store, date=dt.date(2026, 12, 2), village_code=stop["village_code"], finding="危房未改造")
        for _ in range(2)
    ]
    frame = store.read("inspections")
    assert typed[0] != typed[1] and frame[frame["inspection_id"].isin(typed)]["record_uuid"].isna().all()


def test_a_crash_between_the_store_and_the_private_file_duplicates_nothing(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, store, plan = served
    record, before = finding(plan["stops"][1]), len(store.read("inspections"))
    picture = photo(record)

    def crash() -> str:
        raise Crash

    with monkeypatch.context() as patch:  # the private rows are written after received_at is taken
        patch.setattr(field_records, "now_text", crash)
        with pytest.raises(Crash):
            FieldRecords.beside(store).store_record(store, plan, check_record(plan, record), who="test-inspector")
    assert len(store.read("inspections")) == before + 1  # the finding is in the store, its UUID is not remembered
    assert FieldRecords.beside(store).answer(record["uuid"], plan["plan_id"]) is None
    client = client_for(app, store.target, "inspector")
    url = f"/field/{plan['plan_id']}/sync"
    retried = client.post(url, json=record).json
    assert retried["duplicate"] is False  # nothing remembered it: stored now, on the row already there
    assert len(store.read("inspections")) == before + 1
    assert list(rows_of(store, record["uuid"])["inspection_id"]) == [retried["inspection_id"]]
    with monkeypatch.context() as patch:  # the photo's file is written, its row is not
        patch.setattr(field_records, "now_text", crash)
        with pytest.raises(Crash):
            FieldRecords.beside(store).store_record(store, plan, check_record(plan, picture), who="test-inspector")
    files = sorted(photo_dir(store).iterdir())
    assert client.post(url, json=picture).json["duplicate"] is False
    assert client.post(url, json=picture).json["duplicate"] is True
    assert sorted(photo_dir(store).iterdir()) == files  # the same file again, under the same name
    _, photos = FieldRecords.beside(store).records(plan["plan_id"])
    assert list(photos["uuid"]) == [picture["uuid"]] and photos["inspection_id"].iloc[0] == retried["inspection_id"]
