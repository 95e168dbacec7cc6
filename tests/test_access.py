"""Every entry point refuses what the role may not have: pages, callbacks, the shell, kiosk sessions, logins.

Requests go through Flask's test client to the real app (``create_app``) on a copy of the
demo store; callbacks are posted the way the Dash renderer posts them.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask.testing import FlaskClient

from app import create_app
from geodata.private.accounts import AccountStore
from geodata.private.kiosk import create_token, revoke_token
from geodata.private.plan_store import PlanStore
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from harness.browser import TEST_PASSWORD, account

PAGES = ("/", "/map", "/wall", "/sites", "/route", "/data", "/audit", "/no-such-page")
ROLE_PAGES = {
    "leader": {"/", "/map", "/wall"},
    "planner": {"/", "/map", "/wall", "/sites"},
    "inspector": {"/", "/map", "/wall", "/route"},
    "admin": {"/", "/map", "/wall", "/sites", "/route", "/data", "/audit"},
}


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """The app on a copy of the demo store, with one account of each role and a township leader."""
    path = tmp_path_factory.mktemp("access") / "county.gpkg"
    shutil.copyfile(demo_store_path, path)
    for role in ROLE_PAGES:
        account(path, role)
    account(path, "inspector", name="other-inspector")
    yield create_app(str(path)), path


def client_for(app: Any, store: Path, role: str | None, **kw: Any) -> FlaskClient:
    """A test client, logged in through the form as the test account of ``role`` (or not at all)."""
    name = kw.pop("name", None)
    client = app.server.test_client(**kw)
    if role is not None:
        log_in(client, name or account(store, role))
    return client


def log_in(client: FlaskClient, name: str, password: str = TEST_PASSWORD) -> Any:
    client.get("/login")
    with client.session_transaction() as session:
        token = session["csrf"]
    return client.post("/login", data={"name": name, "password": password, "csrf": token, "next": "/"})


def callback_key(app: Any, *parts: str) -> str:
    """The callback_map key whose outputs contain every one of ``parts``."""
    keys = [k for k in app.callback_map if all(p in k for p in parts)]
    assert len(keys) == 1, (parts, keys)
    return keys[0]


def post_callback(
    client: FlaskClient, key: str, inputs: list[dict], state: list[dict] | None = None, *, changed: int = 0
) -> Any:
    """POST a callback as the renderer does (outputs spelled from the key); ``inputs[changed]`` triggered it."""
    if key.startswith(".."):
        outs = [
            dict(zip(("id", "property"), p.split("@")[0].rsplit(".", 1), strict=True))
            for p in key.strip(".").split("...")
        ]
    else:
        outs = dict(zip(("id", "property"), key.split("@", maxsplit=1)[0].rsplit(".", 1), strict=True))
    body = {
        "output": key,
        "outputs": outs,
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs[changed : changed + 1]],
    }
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def text(response: Any) -> str:
    """A response's text; a JSON body decoded first, so non-ASCII text is searched as itself, not \\uXXXX."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def route_page(client: FlaskClient, pathname: str, search: str = "") -> Any:
    """Ask the page router for a page's content (what the browser does after loading the shell)."""
    inputs = [
        {"id": "_pages_location", "property": "pathname", "value": pathname},
        {"id": "_pages_location", "property": "search", "value": search},
    ]
    state = [{"id": "shown-page", "property": "data", "value": None}]
    return post_callback(client, ".._pages_content.children..._pages_store.data..", inputs, state)


def test_nothing_without_login(served: tuple[Any, Path]) -> None:
    app, store = served
    client = client_for(app, store, None)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 401, path
        assert b'id="login-form"' in response.data  # the login form, which returns to the page
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401, path
    assert client.get("/wall/alive").json == {"wall": False}
    assert route_page(client, "/map").status_code == 401
    grid = post_callback(
        client,
        "household-grid.getRowsResponse",
        [{"id": "household-grid", "property": "getRowsRequest", "value": {"startRow": 0}}],
        [{"id": "map-state", "property": "data", "value": {"village": "x"}}],
    )
    assert grid.status_code == 401 and grid.json == {"error": "login required"}
    css = client.get("/assets/base.css")
    assert css.status_code == 200
    css.close()


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_each_role_reaches_its_pages_only(served: tuple[Any, Path], role: str) -> None:
    app, store = served
    client = client_for(app, store, role)
    for path in PAGES[:-1]:
        expected = 200 if path in ROLE_PAGES[role] else 403
        assert client.get(path).status_code == expected, (role, path)
        assert route_page(client, path).status_code == expected, (role, path)
    assert client.get("/_dash-layout").status_code == 200
    sites = post_callback(
        client,
        callback_key(app, "sites-download"),
        [{"id": "sites-export_geojson", "property": "n_clicks", "value": 1}],
    )
    assert (sites.status_code == 403) == (role not in ("planner", "admin"))
    report = post_callback(
        client, callback_key(app, "data-download"), [{"id": "data-report-xlsx", "property": "n_clicks", "value": 1}]
    )
    assert (report.status_code == 403) == (role != "admin")


def test_the_router_is_guarded_by_the_path_it_renders(served: tuple[Any, Path]) -> None:
    """Dash reads the router's inputs by position: relabelled inputs must not lend /audit the rule of /wall."""
    app, store = served
    client = client_for(app, store, "leader")
    swapped = [
        {"id": "_pages_location", "property": "search", "value": "/audit"},
        {"id": "_pages_location", "property": "pathname", "value": "/wall"},
    ]
    response = post_callback(
        client,
        ".._pages_content.children..._pages_store.data..",
        swapped,
        [{"id": "shown-page", "property": "data", "value": None}],
    )
    assert response.status_code == 403
    assert "audit-rows" not in text(response)
    admin = client_for(app, store, "admin")
    for path in ("/map", "/sites", "/route", "/data", "/audit", "/wall"):
        assert route_page(admin, path, "?data=x&lang=en").status_code == 200, path  # a query named like an argument


def test_data_downloads_are_made_on_the_server_and_audited(served: tuple[Any, Path]) -> None:
    app, store = served
    client = client_for(app, store, "admin")
    key = callback_key(app, "data-download")
    clicks = [
        {"id": i, "property": "n_clicks", "value": 1} for i in ("data-report-xlsx", "quality-xlsx", "template-download")
    ]
    state = [
        {"id": "data-token", "property": "data", "value": None},
        {"id": "data-sheet", "property": "value", "value": None},
        {"id": "data-layer", "property": "value", "value": None},
        [],
        {"id": "quality-kind", "property": "value", "value": "total"},
        {"id": "template-layer", "property": "value", "value": "housing"},
        {"id": "data-lang", "property": "data", "value": "zh"},
    ]
    quality = post_callback(client, key, clicks, state, changed=1)
    template = post_callback(client, key, clicks, state, changed=2)
    assert quality.status_code == 200 and template.status_code == 200
    sent = quality.json["response"]["data-download"]["data"]
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert book.active.max_row > 1, "the list to fix comes from the store, not from rows the browser sent"
    log = PlanStore.beside(GeoPackageStore(store)).audit_log(action="export:")
    assert {"export:quality", "export:template"} <= set(log["action"])


def test_unknown_callbacks_are_refused(served: tuple[Any, Path]) -> None:
    app, store = served
    client = client_for(app, store, "admin")
    response = post_callback(client, "made-up.children", [{"id": "x", "property": "value", "value": 1}])
    assert response.status_code == 403


def test_an_inspector_cannot_fetch_another_inspectors_plan(served: tuple[Any, Path]) -> None:
    app, store = served
    plans = PlanStore.beside(GeoPackageStore(store))
    secret = {"date": "2026-12-01", "stops": [{"village": "秘密村"}], "days": 1, "seed": None, "unfitted": []}
    plan_id = plans.save(secret, owner="other-inspector")["plan_id"]
    client = client_for(app, store, "inspector")
    key = callback_key(app, "route-map.src")
    response = post_callback(
        client,
        key,
        [{"id": "route-plan-id", "property": "data", "value": plan_id}],
        [{"id": "route-lang", "property": "data", "value": "zh"}],
    )
    assert response.status_code == 200
    assert "秘密村" not in text(response)
    download = post_callback(
        client,
        callback_key(app, "route-download"),
        [
            {"id": "route-gpx", "property": "n_clicks", "value": 1},
            {"id": "route-html", "property": "n_clicks", "value": None},
            {"id": "route-json", "property": "n_clicks", "value": None},
            {"id": "route-kml", "property": "n_clicks", "value": None},
            {"id": "route-sheet", "property": "n_clicks", "value": None},
        ],
        [
            {"id": "route-plan-id", "property": "data", "value": plan_id},
            {"id": "route-lang", "property": "data", "value": "zh"},
        ],
    )
    assert "秘密村" not in text(download)
    before = GeoPackageStore(store).stamp()
    finding = post_callback(
        client,
        callback_key(app, "finding-message"),
        [{"id": "finding-save", "property": "n_clicks", "value": 1}],
        [
            {"id": "route-plan-id", "property": "data", "value": plan_id},
            {"id": "finding-stop", "property": "value", "value": 1},
            {"id": "finding-text", "property": "value", "value": "伪造的发现"},
            {"id": "route-lang", "property": "data", "value": "zh"},
        ],
    )
    assert finding.status_code == 200 and "DC" not in text(finding)
    assert GeoPackageStore(store).stamp() == before, "no finding filed against another inspector's plan"
    log = plans.audit_log(action="route:")
    refused = log[log["action"].str.endswith(":refused") & (log["target"] == plan_id)]
    assert set(refused["who"]) == {"test-inspector"} and len(refused) == 3


def test_kiosk_token_opens_the_wall_only_until_revoked(served: tuple[Any, Path]) -> None:
    app, store = served
    gpkg = GeoPackageStore(store)
    token_id, token = create_token(gpkg, "test screen")
    client = client_for(app, store, None)
    exchanged = client.get(f"/wall?kiosk={token}")  # the token is exchanged for a session, then out of the URL
    assert exchanged.status_code == 303 and exchanged.headers["Location"] == "/wall"
    assert client.get("/wall").status_code == 200
    assert client.get("/wall/alive").json == {"wall": True}  # the page's own requests carry the kiosk session
    assert client.get("/_dash-layout").status_code == 200
    assert route_page(client, "/wall", f"?kiosk={token}").status_code == 200
    for path in ("/", "/map", "/route", "/audit"):
        assert client.get(path).status_code == 403, path
        assert route_page(client, path).status_code == 403, path
    assert client.get("/wall?kiosk=not-a-token").status_code == 401
    revoke_token(gpkg, token_id)
    assert client.get("/wall/alive").json == {"wall": False}
    refused = client.get(f"/wall?kiosk={token}")
    assert refused.status_code == 401 and b'id="wall-refused"' in refused.data
    audit = PlanStore.beside(gpkg).audit_log(action="kiosk:")
    assert list(audit["action"][-2:]) == ["kiosk:create", "kiosk:revoke"]


@pytest.mark.usefixtures("patient_login_waits")
def test_login_waits_after_failures_from_one_address(served: tuple[Any, Path]) -> None:
    app, store = served
    name = account(store, "leader", name="throttled-leader")
    client = client_for(app, store, None)
    free = get_settings().auth.delay_free_failures
    for _ in range(free):
        assert log_in(client, name, "wrong password!").status_code == 401
    waiting = log_in(client, name)
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) >= 1  # even the right password waits
    elsewhere = client_for(app, store, None)
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert log_in(elsewhere, name).status_code == 303  # another address is not locked out
    log = AccountStore.beside(GeoPackageStore(store)).audit_log(who=name)
    assert list(log["action"]) == ["login"]  # refusals are counted elsewhere, not one audit row each


def test_login_needs_the_forms_csrf_token_and_sets_safe_cookies(served: tuple[Any, Path]) -> None:
    app, store = served
    client = client_for(app, store, None)
    forged = client.post("/login", data={"name": "test-admin", "password": TEST_PASSWORD})
    assert forged.status_code == 400
    secure = client_for(app, store, None)
    https = "https://localhost"
    secure.get("/login", base_url=https)
    with secure.session_transaction(base_url=https) as session:
        token = session["csrf"]
    ok = secure.post(
        "/login", data={"name": "test-admin", "password": TEST_PASSWORD, "csrf": token, "next": "/map"}, base_url=https
    )
    assert ok.status_code == 303 and ok.headers["Location"] == "/map"
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = client_for(app, store, "admin")
    assert plain.get("/map").status_code == 200
    secure.get("/login", base_url=https)  # a fresh form (the login started a new session)
    with secure.session_transaction(base_url=https) as session:
        token = session["csrf"]
    evil = secure.post(
        "/login",
        data={"name": "test-admin", "password": TEST_PASSWORD, "csrf": token, "next": "//evil.example/x"},
        base_url=https,
    )
    assert evil.headers["Location"] == "/"


def test_disabled_or_reset_accounts_lose_their_sessions(served: tuple[Any, Path]) -> None:
    app, store = served
    accounts = AccountStore.beside(GeoPackageStore(store))
    name = account(store, "leader", name="leaving-leader")
    client = client_for(app, store, "leader", name=name)
    assert client.get("/map").status_code == 200
    accounts.reset(name, password="another long password", who="tests")
    assert client.get("/map").status_code == 401
    log_in(client, name, "another long password")
    assert client.get("/map").status_code == 200
    accounts.set_disabled(name, disabled=True, who="tests")
    assert client.get("/map").status_code == 401
    assert log_in(client, name, "another long password").status_code == 401


def _household(store: Path, town: str | None = None) -> dict[str, Any]:
    households = GeoPackageStore(store).read("households")
    if town is not None:
        households = households[households["village_code"].str[:9] == town]
    return households.iloc[0].to_dict()


def key_by_input(app: Any, output: str, input_id: str) -> str:
    """The key of the callback writing ``output`` (with allow_duplicate) triggered by ``input_id``."""
    return next(
        k
        for k in app.callback_map
        if k.startswith(output + "@") and any(i["id"] == input_id for i in app.callback_map[k]["inputs"])
    )


def card(client: FlaskClient, app: Any, household_id: str) -> Any:
    rows = [{"household_id": household_id}]
    return post_callback(
        client,
        key_by_input(app, "household-card.children", "household-grid"),
        [{"id": "household-grid", "property": "selectedRows", "value": rows}],
        [{"id": "map-state", "property": "data", "value": {"lang": "zh"}}],
    )


def reveal(client: FlaskClient, app: Any, household_id: str, reason: str) -> Any:
    key = key_by_input(app, "household-card.children", "reveal-button")
    return post_callback(
        client,
        key,
        [{"id": "reveal-button", "property": "n_clicks", "value": 1}],
        [
            {"id": "reveal-reason", "property": "value", "value": reason},
            {"id": "reveal-household", "property": "data", "value": household_id},
            {"id": "map-state", "property": "data", "value": {"lang": "zh"}},
        ],
    )


def test_only_an_admin_reveals_personal_data_with_a_reason(served: tuple[Any, Path]) -> None:
    app, store = served
    household = _household(store)
    full_name, id_number = household["head_name"], household["id_number"]
    leader = client_for(app, store, "leader")
    shown = text(card(leader, app, household["household_id"]))
    assert household["household_id"] in shown and id_number not in shown and "reveal-button" not in shown
    assert reveal(leader, app, household["household_id"], "家访核实").status_code == 403
    admin = client_for(app, store, "admin")
    assert "reveal-button" in text(card(admin, app, household["household_id"]))
    short = text(reveal(admin, app, household["household_id"], "x"))
    assert id_number not in short and "请填写查看理由" in short
    revealed = text(reveal(admin, app, household["household_id"], "核实低保申请"))
    assert full_name in revealed and id_number in revealed
    log = PlanStore.beside(GeoPackageStore(store)).audit_log(action="reveal")
    assert list(log["who"]) == ["test-admin"] and list(log["reason"]) == ["核实低保申请"]
    assert list(log["target"]) == [household["household_id"]]


def test_a_township_leader_sees_only_their_township(served: tuple[Any, Path]) -> None:
    app, store = served
    towns = sorted(GeoPackageStore(store).read("towns")["town_code"])
    mine, other = towns[0], towns[1]
    client = client_for(app, store, None)
    log_in(client, account(store, "leader", township=mine))
    assert client.get("/wall").status_code == 403  # county-wide aggregates
    page = text(route_page(client, "/map", f"?town={other}"))
    assert f"town={mine}" in page or mine in page
    assert f'"{other}"' not in page  # the other township is not the view, nor a unit on it
    theirs = _household(store, other)
    assert theirs["household_id"] not in text(card(client, app, theirs["household_id"]))
    village = theirs["village_code"]
    state = [{"id": "map-state", "property": "data", "value": {"village": village, "lang": "zh"}}]
    request = [{"id": "household-grid", "property": "getRowsRequest", "value": {"startRow": 0}}]
    rows = post_callback(client, "household-grid.getRowsResponse", request, state)
    assert rows.json["response"]["household-grid"]["getRowsResponse"]["rowCount"] == 0
    export = post_callback(
        client,
        "grid-download.data",
        [{"id": "grid-export", "property": "n_clicks", "value": 1}],
        [{"id": "map-state", "property": "data", "value": {"village": village, "lang": "zh"}}],
    )
    assert export.status_code == 204  # nothing to download


def test_request_bodies_are_limited(served: tuple[Any, Path]) -> None:
    app, _store = served
    from geodata.settings import get_settings

    assert app.server.config["MAX_CONTENT_LENGTH"] == get_settings().imports.max_upload_bytes
