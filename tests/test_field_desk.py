"""The desk page of a plan's field records (``GET /field/<plan_id>/records`` as HTML) on a 390 px phone.

Records are stored as the sync stores them (an arrival far from the village, households,
a finding whose text holds markup, its photo); the page lists them under their stop with
the flag and its distance, the households as the plan names them (masked), the finding's
category, status and deadline, and the photo, whose showing is audited. Only the plan's
inspector and admins see it; a plain request still gets the JSON.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from app import create_app
from callbacks.route_page import plan_view
from callbacks.store_data import StoreData
from geodata.private.field_records import FieldRecords, check_record
from geodata.private.plan_store import PlanStore
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, account, chromium, login, serving
from tests.field_plans import demo_with_plan
from tests.test_access import client_for
from tests.test_field_sync import WHEN, finding, photo
from tests.test_route_phone import PHONE

TEXT = "<b>水管</b>漏水 & 未修"  # markup typed by an inspector is shown as text


@pytest.fixture(scope="module")
def synced(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """A demo store copy with a plan of the test inspector's and its records stored; the uuids by kind."""
    path = tmp_path_factory.mktemp("desk") / "county.gpkg"
    store, plan = demo_with_plan(demo_store_path, path)
    stop = plan["stops"][0]
    arrival = {
        "uuid": str(uuid.uuid4()),
        "kind": "arrival",
        "stop": 1,
        "at": WHEN,
        "lon": stop["lon"] + 0.05,
        "lat": stop["lat"],
        "accuracy": 8,
    }
    homes = [h["household_id"] for h in stop["households"]]
    visited = {"uuid": str(uuid.uuid4()), "kind": "households", "stop": 1, "at": WHEN, "households": homes}
    found = finding(stop, text=TEXT)
    picture = photo(found)
    records = FieldRecords.beside(store)
    for item in (arrival, visited, found, picture):
        records.store_record(store, plan, check_record(plan, item), who="test-inspector")
    return path, plan, {"finding": found["uuid"], "photo": picture["uuid"]}


@pytest.mark.browser
def test_the_desk_page_lists_each_stops_records_on_a_phone(synced: Any) -> None:
    path, plan, made = synced
    stop = plan["stops"][0]
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(path) as url, chromium() as browser:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, url, path, "inspector", then="/route")
        page.goto(f"{url}/field/{plan['plan_id']}/records")
        first = page.locator("#stop-1")
        text = first.inner_text()
        assert "位置不在本村" in first.locator(".fd-flag").inner_text() and "米" in text
        assert stop["households"][0]["household_id"] in text and "*" in text  # the head's name masked
        assert "饮水安全" in text and "待整改" in text and "完成时限 2026-12-16" in text
        assert TEXT in first.locator(".fd-text").inner_text()  # shown as typed, not as markup
        assert first.locator(".fd-text b").count() == 0
        page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        assert first.locator(".fd-photos img").count() == 1
        assert "本站点尚未收到记录" in page.locator("#stop-2").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
        page.screenshot(path=str(SCREENSHOTS / "field_desk_phone.png"), full_page=True)
        page.click("#fd-lang")
        assert "Position outside the village" in page.locator("#stop-1").inner_text()
        context.close()
    assert not errors, errors
    log = PlanStore.beside(GeoPackageStore(path)).audit_log(action="field:photo")
    shown = log[(log["action"] == "field:photo") & log["detail"].str.contains(made["photo"])]
    assert len(shown) >= 2 and set(shown["who"]) == {"test-inspector"}  # once per showing, zh then en


def test_only_the_plans_inspector_and_admins_get_the_page_and_json_stays_json(synced: Any) -> None:
    path, plan, made = synced
    app = create_app(str(path))
    address = f"/field/{plan['plan_id']}/records"
    page = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for role in ("inspector", "admin"):
        answer = client_for(app, path, role).get(address, headers=page)
        assert answer.status_code == 200 and answer.mimetype == "text/html", role
        assert "&lt;b&gt;水管&lt;/b&gt;" in answer.text and "private" in answer.headers["Cache-Control"]
    account(path, "inspector", name="other-inspector")
    other = client_for(app, path, "inspector", name="other-inspector").get(address, headers=page)
    assert other.status_code == 404 and made["finding"] not in other.text
    assert client_for(app, path, "leader").get(address, headers=page).status_code in (403, 404)
    plain = client_for(app, path, "inspector").get(address)
    assert plain.mimetype == "application/json" and {r["uuid"] for r in plain.json["records"]} >= {made["finding"]}
    _, summary, *_ = plan_view(StoreData(GeoPackageStore(path)), plan, "en")  # /route links to the page
    links = {c.id: c.href for c in summary if getattr(c, "id", None) in ("route-field-link", "route-desk-link")}
    assert links["route-desk-link"] == address + "?lang=en"
