"""Limits before work: no body read without a login, bodies bounded per route, JSON depth, text lengths, LRU caches.

Requests go through Flask's test client to the real app on a copy of the demo store, the
way :mod:`tests.test_access` posts them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from callbacks import request_limits, sites_page, wall_page
from callbacks.store_data import StoreData
from geodata._errors import TextTooLong
from geodata.private.accounts import AccountStore
from geodata.private.db import PrivateDB
from geodata.private.findings import add_finding
from geodata.private.kiosk import create_token
from geodata.private.plan_store import PlanStore
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from harness.browser import account
from tests.test_access import callback_key, client_for, key_by_input, post_callback, reveal, text

CALLBACK = "/_dash-update-component"
MIB = 2**20


class CountingStream(io.RawIOBase):
    """A request body of ``size`` bytes of ``[`` that records how many bytes the server read from it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"[" * n
        self.position += n
        self.read_bytes += n
        return n


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    path = tmp_path_factory.mktemp("limits") / "county.gpkg"
    shutil.copyfile(demo_store_path, path)
    for role in ("leader", "inspector", "admin"):
        account(path, role)
    yield create_app(str(path)), path


def post_raw(client: Any, body: bytes | str, path: str = CALLBACK) -> Any:
    return client.post(path, data=body, content_type="application/json")


def test_no_login_no_body_read(served: tuple[Any, Path]) -> None:
    app, store = served
    client = client_for(app, store, None)
    stream = CountingStream(18 * MIB)
    started = time.perf_counter()
    response = client.post(CALLBACK, input_stream=stream, content_length=stream.size, content_type="application/json")
    assert response.status_code == 401
    assert stream.read_bytes == 0, "the body of a request without a login is never read"
    assert time.perf_counter() - started < 1.0
    assert post_raw(client, "[" * 100_000).status_code == 401


def test_logged_in_malformed_bodies_are_400_not_500(served: tuple[Any, Path]) -> None:
    app, store = served
    client = client_for(app, store, "leader")
    deep = '{"output": "x.children", "inputs": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for body in (
        "[" * 100_000,
        deep,
        "[1,2]",
        "null",
        '"text"',
        "{not json",
        '{"output": 5}',
        '{"output": "a.b", "inputs": 3}',
    ):
        response = post_raw(client, body)
        assert response.status_code == 400, body[:40]
        assert "请求格式错误" in text(response) and "Malformed request" in text(response)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    finding = json.dumps({"output": "x.children", "inputs": [{"value": "[[[{{" * 500 + '\\"]'}]})
    assert request_limits.json_depth(finding.encode()) == 3
    assert request_limits.json_depth(b"[" * 1000) == 1000
    assert request_limits.json_depth(b"{}") == 1


def test_bodies_are_limited_per_route(served: tuple[Any, Path]) -> None:
    app, store = served
    limits = get_settings().limits
    anonymous = client_for(app, store, None)
    form = {"name": "x" * limits.login_body_bytes, "password": "y"}
    assert anonymous.post("/login", data=form).status_code == 413
    leader = client_for(app, store, "leader")
    big = json.dumps({"output": "x.children", "inputs": [{"value": "y" * limits.callback_body_bytes}]})
    assert post_raw(leader, big).status_code == 413
    stream = CountingStream(limits.callback_body_bytes + 1)
    response = leader.post(CALLBACK, input_stream=stream, content_type="application/json")
    assert response.status_code == 413 and stream.read_bytes == 0
    admin = request_limits.body_limit(CALLBACK, _account(store, "admin"))
    assert admin > get_settings().imports.max_upload_bytes  # the /data upload arrives as a callback body
    assert request_limits.body_limit(CALLBACK, _account(store, "leader")) == limits.callback_body_bytes


def _account(store: Path, role: str) -> Any:
    return AccountStore.beside(GeoPackageStore(store)).get(f"test-{role}")


def test_a_long_finding_is_refused_where_it_is_stored(served: tuple[Any, Path]) -> None:
    app, store = served
    gpkg = GeoPackageStore(store)
    team = gpkg.read("teams").iloc[0]
    before = len(gpkg.read("inspections"))
    with pytest.raises(TextTooLong, match=r"finding too long: 5,000,000 characters.*\[limits\] finding_chars"):
        add_finding(gpkg, date=dt.date(2026, 12, 1), team_id=team["team_id"], finding="问" * 5_000_000)
    assert len(gpkg.read("inspections")) == before

    inspector = client_for(app, store, "inspector")
    plan = {
        "date": "2026-12-01",
        "stops": [{"number": 1, "village_code": team["village_code"], "teams": [{"team_id": team["team_id"]}]}],
        "unfitted": [],
        "days": 1,
        "seed": 1,
    }
    plan_id = PlanStore.beside(gpkg).save(plan, owner="test-inspector")["plan_id"]
    key = callback_key(app, "finding-message.children")
    limit = get_settings().limits.finding_chars

    def save(finding: str) -> str:
        state = [
            {"id": "route-plan-id", "property": "data", "value": plan_id},
            {"id": "finding-stop", "property": "value", "value": 1},
            {"id": "finding-text", "property": "value", "value": finding},
            {"id": "route-lang", "property": "data", "value": "zh"},
        ]
        response = post_callback(inspector, key, [{"id": "finding-save", "property": "n_clicks", "value": 1}], state)
        assert response.status_code == 200
        return text(response)

    assert f"发现问题过长：最多{limit}字" in save("问" * (limit + 1))
    assert len(gpkg.read("inspections")) == before
    assert "DC" in save("问" * limit)  # at the limit: saved whole
    rows = gpkg.read("inspections")
    assert len(rows) == before + 1 and rows["finding"].str.len().max() == limit


def test_a_long_reveal_reason_is_refused(served: tuple[Any, Path]) -> None:
    app, store = served
    gpkg = GeoPackageStore(store)
    household = gpkg.read("households").iloc[0]
    limit = get_settings().limits.reason_chars
    admin = client_for(app, store, "admin")
    shown = text(reveal(admin, app, household["household_id"], "核" * (limit + 1)))
    assert f"查看理由过长：最多{limit}字" in shown and household["id_number"] not in shown
    assert PrivateDB.beside(gpkg).audit_log(action="reveal").empty
    with pytest.raises(TextTooLong, match=r"reason_chars"):  # the audit writer refuses it too
        PrivateDB.beside(gpkg).audit(who="x", action="reveal", target="h", reason="r" * (limit + 1))
    with pytest.raises(TextTooLong, match=r"label_chars"):
        create_token(gpkg, "屏" * (get_settings().limits.label_chars + 1), who="x")
    assert key_by_input(app, "household-card.children", "reveal-button")


def test_the_wall_cache_stays_bounded(
    served: tuple[Any, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, store = served
    settings = tmp_path / "battlemap.toml"
    settings.write_text("[limits]\nwall_cache_entries = 3\n", "utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    built: list[tuple[int, int]] = []
    real = wall_page._build

    def counting(data: StoreData, key: str, lang: str, size: tuple[int, int], part: str | None) -> Any:
        built.append(size)
        return real(data, key, lang, size, part)

    monkeypatch.setattr(wall_page, "_build", counting)
    data = StoreData(GeoPackageStore(store))  # no shared cache: what stays is what this process keeps
    key = get_settings().wall.indicators[0]
    sizes = [(800 + 40 * i, 600) for i in range(8)]
    for size in sizes:
        wall_page.wall_data(data, key, "zh", size)
    assert built == sizes
    wall_page.wall_data(data, key, "zh", sizes[-1])  # recent: kept
    assert len(built) == len(sizes)
    wall_page.wall_data(data, key, "zh", sizes[0])  # old: dropped, built again
    assert built[-1] == sizes[0] and len(built) == len(sizes) + 1
    kept = [k for k in vars(data)["_cache"] if k.startswith("wall:")]
    assert len(kept) == 3


def test_the_route_map_page_follows_the_route_rules(served: tuple[Any, Path]) -> None:
    app, store = served
    gpkg = GeoPackageStore(store)
    account(store, "inspector", name="other-inspector")
    team = gpkg.read("teams").iloc[0]
    plan = {
        "date": "2026-12-01",
        "stops": [],
        "unfitted": [],
        "days": 1,
        "seed": 1,
        "start": {"lon": 104.6, "lat": 35.6, "name": "秘密起点"},
        "legs": [],
        "paths": [],
        "village_code": team["village_code"],
    }
    plan_id = PlanStore.beside(gpkg).save(plan, owner="other-inspector")["plan_id"]
    path = f"/route/map/{plan_id}"
    assert client_for(app, store, None).get(path).status_code == 401
    assert client_for(app, store, "leader").get(path).status_code == 403
    inspector = client_for(app, store, "inspector")
    for wrong in (path, "/route/map/R20261201-zzzzzzzzzz", "/route/map/R2026", f"{path}x", "/route/map/%2E%2E"):
        response = inspector.get(wrong)
        assert response.status_code == 404, wrong
        assert "秘密起点" not in response.get_data(as_text=True)
    refused = PrivateDB.beside(gpkg).audit_log(action="route:map:refused")
    assert list(refused["target"]) == [plan_id]


def test_long_filters_and_household_lists_are_refused_with_a_message(served: tuple[Any, Path]) -> None:
    app, store = served
    limits = get_settings().limits
    with pytest.raises(TextTooLong, match="household_ids_chars"):
        sites_page._ids("4" * (limits.household_ids_chars + 1))
    admin = client_for(app, store, "admin")
    key = callback_key(app, "audit-table.children")

    def audit(who: str) -> str:
        inputs = [
            {"id": "audit-who", "property": "value", "value": who},
            {"id": "audit-action", "property": "value", "value": None},
            {"id": "audit-lang", "property": "data", "value": "en"},
        ]
        response = post_callback(admin, key, inputs)
        assert response.status_code == 200
        return text(response)

    assert f"Text too long: at most {limits.short_text_chars} characters" in audit("x" * (limits.short_text_chars + 1))
    assert "audit-rows" in audit("test-admin")
