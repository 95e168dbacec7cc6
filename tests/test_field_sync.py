"""The field pack's sync endpoint: each record stored once however often it is sent, refusals store nothing.

Requests go through Flask's test client to the real app on a copy of the demo store, with a
plan drawn on it and saved for the test inspector (the phone's side: ``test_field_record_phone.py``).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app import create_app
from geodata.finding_steps import STATUSES
from geodata.private.field_records import FieldRecords, check_record
from geodata.private.plan_store import PlanStore
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from harness.browser import account
from tests.field_plans import demo_with_plan
from tests.test_access import client_for

WHEN = "2026-12-01T10:15:00+08:00"


def jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    """A small real JPEG."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path, dict]]:
    """The app on a copy of the demo store and a saved 4-stop plan of the test inspector's."""
    path = tmp_path_factory.mktemp("sync") / "county.gpkg"
    _, saved = demo_with_plan(demo_store_path, path, stops=4)
    for role in ("inspector", "admin"):
        account(path, role)
    account(path, "inspector", name="other-inspector")
    yield create_app(str(path)), path, saved


def finding(stop: dict, /, **extra: Any) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "kind": "finding",
        "stop": stop["number"],
        "at": WHEN,
        "lon": stop["lon"],
        "lat": stop["lat"],
        "accuracy": 12,
        "category": "饮水安全",
        "text": "自来水停水三天未报修",
        **extra,
    }


def photo(of: dict, data: bytes | None = None) -> dict[str, Any]:
    raw = jpeg() if data is None else data
    return {
        "uuid": str(uuid.uuid4()),
        "kind": "photo",
        "stop": of["stop"],
        "at": WHEN,
        "finding": of["uuid"],
        "lon": of["lon"],
        "lat": of["lat"],
        "data": base64.b64encode(raw).decode(),
    }


def inspections(path: Path) -> Any:
    return GeoPackageStore(path).read("inspections")


def test_a_retried_finding_and_photo_are_stored_once_and_enter_the_rectification_flow(served: Any) -> None:
    app, path, plan = served
    client = client_for(app, path, "inspector")
    stop = plan["stops"][0]
    before = len(inspections(path))
    record = finding(stop)
    picture = photo(record)
    first = client.post(f"/field/{plan['plan_id']}/sync", json=record)
    assert first.status_code == 200 and first.json["duplicate"] is False, first.json
    assert client.post(f"/field/{plan['plan_id']}/sync", json=picture).json["duplicate"] is False
    again = client.post(f"/field/{plan['plan_id']}/sync", json=record)  # the answer was lost: the phone retries
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert again.json["inspection_id"] == first.json["inspection_id"]
    assert client.post(f"/field/{plan['plan_id']}/sync", json=picture).json["duplicate"] is True
    rows = inspections(path)
    assert len(rows) == before + 1
    row = rows[rows["inspection_id"] == first.json["inspection_id"]].iloc[0]
    assert row["status"] == STATUSES[0] and row["category"] == "饮水安全" and row["inspector"] == "test-inspector"
    assert row["village_code"] == stop["village_code"] and row["township_code"] == stop["village_code"][:9]
    days = get_settings().findings.default_deadline_days
    assert str(row["deadline"])[:10] == str(dt.date(2026, 12, 1) + dt.timedelta(days=days))
    records, photos = FieldRecords.beside(GeoPackageStore(path)).records(plan["plan_id"])
    assert len(photos[photos["uuid"] == picture["uuid"]]) == 1 and len(records[records["uuid"] == record["uuid"]]) == 1
    back = client.get(f"/field/{plan['plan_id']}/photo/{picture['uuid']}")
    assert back.status_code == 200 and back.data == jpeg() and back.mimetype == "image/jpeg"
    log = PlanStore.beside(GeoPackageStore(path)).audit_log(action="field:photo")
    opened = log[log["action"] == "field:photo"]
    assert list(opened["who"]) == ["test-inspector"] and picture["uuid"] in opened["detail"].iloc[0]


def test_a_uuid_stored_by_another_server_process_meanwhile_answers_duplicate(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two gunicorn workers take the same retry: the second finds the UUID row taken and answers what is stored."""
    _, path, plan = served
    store = GeoPackageStore(path)
    records = FieldRecords.beside(store)
    original = FieldRecords.answer
    looked: list[str] = []

    def first_look_misses(self: FieldRecords, uuid: str, plan_id: str) -> dict[str, Any] | None:
        """This process looked before the other one wrote: its first look finds nothing."""
        if uuid not in looked:
            looked.append(uuid)
            return None
        return original(self, uuid, plan_id)

    for item in (record := finding(plan["stops"][1]), photo(record)):
        first = records.store_record(store, plan, check_record(plan, item), who="test-inspector")
        with monkeypatch.context() as patch:
            patch.setattr(FieldRecords, "answer", first_look_misses)
            again = records.store_record(store, plan, check_record(plan, item), who="test-inspector")
        assert again == {**first, "duplicate": True}
    assert looked == [record["uuid"], photo_uuid := looked[1]] and photo_uuid != record["uuid"]
    assert len(inspections(path)[lambda f: f["record_uuid"] == record["uuid"]]) == 1


def test_an_arrival_far_from_the_village_is_kept_and_flagged(served: Any) -> None:
    app, path, plan = served
    client = client_for(app, path, "inspector")
    stop = plan["stops"][1]
    near = {
        "uuid": str(uuid.uuid4()),
        "kind": "arrival",
        "stop": stop["number"],
        "at": WHEN,
        "lon": stop["lon"],
        "lat": stop["lat"],
        "accuracy": 10,
    }
    far = {**near, "uuid": str(uuid.uuid4()), "lon": stop["lon"] + 0.2}  # ~18 km east
    blind = {key: value for key, value in near.items() if key not in ("lon", "lat", "accuracy")}
    blind["uuid"] = str(uuid.uuid4())
    answers = [client.post(f"/field/{plan['plan_id']}/sync", json=r).json for r in (near, far, blind)]
    assert [a["flagged"] for a in answers] == [False, True, True]
    assert answers[0]["distance_m"] < get_settings().field_pack.arrival_tolerance_m < answers[1]["distance_m"]
    homes = [h["household_id"] for h in stop["households"]]
    visited = {"uuid": str(uuid.uuid4()), "kind": "households", "stop": stop["number"], "at": WHEN, "households": homes}
    assert client.post(f"/field/{plan['plan_id']}/sync", json=visited).status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"stop": 999}, 400, "该站点不在本计划中"),
        ({"category": "环境卫生"}, 400, "category is not one of"),
        ({"household": "H-NOT-HERE"}, 400, "That household is not on this stop"),
        ({"text": "  "}, 400, "finding is empty"),
        ({"at": "yesterday"}, 400, "malformed"),
        ({"uuid": "not-a-uuid"}, 400, "记录格式不正确"),
    ],
)
def test_bad_findings_are_refused_in_both_languages_and_nothing_is_stored(
    served: Any, change: dict, status: int, words: str
) -> None:
    app, path, plan = served
    before = len(inspections(path))
    answer = client_for(app, path, "inspector").post(
        f"/field/{plan['plan_id']}/sync", json=finding(plan["stops"][0], **change)
    )
    assert answer.status_code == status and words in answer.json["error"] + answer.json["detail"], answer.json
    assert len(inspections(path)) == before


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"GIF89a" + b"\0" * 100, 400, "not a JPEG or PNG"),
        (b"\xff\xd8\xff" + b"not really a jpeg" * 10, 400, "does not decode"),
        (b"\xff\xd8\xff" + b"\0" * (1024 * 1024), 413, "照片过大"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_stored(served: Any, data: bytes, status: int, words: str) -> None:
    app, path, plan = served
    client = client_for(app, path, "inspector")
    record = finding(plan["stops"][2])
    assert client.post(f"/field/{plan['plan_id']}/sync", json=record).status_code == 200
    answer = client.post(f"/field/{plan['plan_id']}/sync", json=photo(record, data))
    assert answer.status_code == status and words in answer.json["error"] + answer.json["detail"], answer.json
    _, photos = FieldRecords.beside(GeoPackageStore(path)).records(plan["plan_id"])
    assert record["uuid"] not in set(photos["finding_uuid"])


def test_a_photo_before_its_finding_and_a_body_over_the_limit_are_refused(served: Any) -> None:
    app, path, plan = served
    client = client_for(app, path, "inspector")
    early = client.post(f"/field/{plan['plan_id']}/sync", json=photo(finding(plan["stops"][0])))
    assert early.status_code == 409 and "尚未发送" in early.json["error"]
    limits = get_settings().limits
    huge = b"x" * (limits.photo_bytes * 4 // 3 + limits.other_body_bytes + 1)
    over = client.post(f"/field/{plan['plan_id']}/sync", data=huge, content_type="application/json")
    assert over.status_code == 413
    form = client.post(f"/field/{plan['plan_id']}/sync", data={"kind": "finding"})
    assert form.status_code == 415  # JSON only: a form posted from another page is not a record


def test_only_the_plans_inspector_and_admins_sync_and_read(served: Any) -> None:
    app, path, plan = served
    before = len(inspections(path))
    other = client_for(app, path, "inspector", name="other-inspector")
    refused = other.post(f"/field/{plan['plan_id']}/sync", json=finding(plan["stops"][0]))
    assert refused.status_code == 404 and "没有您的这条计划" in refused.json["error"]
    assert other.get(f"/field/{plan['plan_id']}/records").status_code == 404
    assert len(inspections(path)) == before
    assert client_for(app, path, None).post(f"/field/{plan['plan_id']}/sync", json={}).status_code == 401
    admin = client_for(app, path, "admin")
    record = finding(plan["stops"][3])
    stored = admin.post(f"/field/{plan['plan_id']}/sync", json=record)
    assert stored.status_code == 200 and len(inspections(path)) == before + 1
    rows = inspections(path)
    assert rows[rows["inspection_id"] == stored.json["inspection_id"]]["inspector"].iloc[0] == "test-inspector"
    listed = admin.get(f"/field/{plan['plan_id']}/records").json
    assert record["uuid"] in {r["uuid"] for r in listed["records"]}
    log = PlanStore.beside(GeoPackageStore(path)).audit_log(action="field:sync")
    assert "other-inspector" in set(log[log["action"] == "field:sync:refused"]["who"])
