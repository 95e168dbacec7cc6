"""Hardening (issue 24): sessions that end, refusals counted, no enumeration or lockout, kiosk tokens out of URLs.

Requests go through Flask's test client to the real app (``create_app``) on a copy of the
demo store; a saved cookie is replayed from a second client, as a stolen copy would be.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.cookiejar
import io
import logging
import shutil
import sqlite3
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from gunicorn.config import Config
from werkzeug.serving import make_server

from app import create_app
from battlemap_cli.gunicorn_conf import MaskingLogger
from battlemap_cli.main import main
from callbacks import log_masking
from callbacks.audit_page import Ids as AuditIds
from geodata.private import login_limits
from geodata.private.accounts import AccountStore, LoginRefused
from geodata.private.db import private_path
from geodata.private.kiosk import create_token, digest, revoke_token
from geodata.private.sessions import SessionStore
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from harness.browser import TEST_PASSWORD, account, free_port
from tests.test_access import log_in, route_page, text

COOKIE = "battlemap_session"


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """The app on a copy of the demo store, with an admin."""
    path = tmp_path_factory.mktemp("sessions") / "county.gpkg"
    shutil.copyfile(demo_store_path, path)
    account(path, "admin")
    yield create_app(str(path)), path


def logged_in(app: Any, name: str, password: str = TEST_PASSWORD) -> FlaskClient:
    client = app.server.test_client()
    assert log_in(client, name, password).status_code == 303
    return client


def replay(app: Any, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie (taken now)."""
    copy = app.server.test_client()
    copy.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return copy


def assert_session_works(client: FlaskClient, *, works: bool) -> None:
    """The shell and a callback answer (200) or refuse the session (401)."""
    expected = 200 if works else 401
    assert client.get("/_dash-layout").status_code == expected
    assert route_page(client, "/map").status_code == expected


def sql(store: Path, query: str, *args: Any) -> list[tuple]:
    """Run one statement on the store's private file (committed), as an operator or a clock would change it."""
    return run_sql(private_path(GeoPackageStore(store)), query, *args)


def run_sql(path: Path, query: str, *args: Any) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        return con.execute(query, args).fetchall()


# 1. an audit log that cannot be flooded


def test_huge_names_do_not_grow_the_private_file(tmp_path: Path) -> None:
    accounts = AccountStore(tmp_path / "county.private.sqlite")
    accounts.add("admin", role="admin", password=TEST_PASSWORD, who="tests")
    before = accounts.path.stat().st_size
    huge = "x" * 1_000_000
    outcomes = []
    for _ in range(12):  # 3 checked, then refused before any password check (429)
        with pytest.raises(LoginRefused) as refused:
            accounts.authenticate(huge, "wrong password!", address="10.1.1.1")
        outcomes.append(refused.value.throttled)
    assert outcomes.count(False) == get_settings().auth.delay_free_failures
    assert accounts.path.stat().st_size - before < 64 * 1024  # was 16 MB for 6 attempts
    assert list(accounts.audit_log()["action"]) == ["user:add"]  # no audit row per refusal
    counts = accounts.refusals()
    assert set(counts["name_prefix"]) == {"x" * get_settings().auth.refusal_name_chars}
    assert dict(zip(counts["why"], counts["count"], strict=True)) == {"unknown": 3, "delayed": 9}


def test_a_paused_address_adds_no_row_per_name(tmp_path: Path) -> None:
    accounts = AccountStore(tmp_path / "county.private.sqlite")
    limit = get_settings().auth.max_failures_per_address
    for n in range(limit + 30):
        with pytest.raises(LoginRefused):
            accounts.authenticate(f"guess-{n}", "wrong password!", address="10.2.2.2")
    counts = accounts.refusals()
    assert len(counts) == limit + 1  # one row per name tried before the pause, one for all after it
    paused = counts[counts["why"] == login_limits.PAUSED]
    assert list(paused["name_prefix"]) == [login_limits.ANY_NAME] and int(paused["count"].iloc[0]) == 30


@pytest.mark.usefixtures("patient_login_waits")
def test_refusals_over_http_are_counted_and_shown_cut(served: tuple[Any, Path]) -> None:
    app, store = served
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    long_name = "q" * 300
    answers = [log_in(client, long_name, "wrong password!") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    assert long_name not in answers[0].get_data(as_text=True)  # the form does not send it back whole
    rows = sql(store, "SELECT name_prefix, why, count FROM login_refusals WHERE address = ?", "198.51.100.9")
    assert sorted(rows) == [("q" * 32, "delayed", 2), ("q" * 32, "unknown", 3)]
    assert not sql(store, "SELECT 1 FROM audit_log WHERE who LIKE 'qqq%'")


# 2. sessions that end on the server


def test_a_cookie_saved_before_logout_opens_nothing_after(served: tuple[Any, Path]) -> None:
    app, store = served
    name = account(store, "leader", name="logout-leader")
    client = logged_in(app, name)
    saved = replay(app, client)
    assert_session_works(saved, works=True)
    client.get("/_dash-layout")  # the user bar's logout form makes the CSRF token
    with client.session_transaction() as session:
        assert name not in str(dict(session))  # the cookie holds a random id, not the name
        token = session["csrf"]
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    assert_session_works(saved, works=False)
    assert_session_works(client, works=False)
    assert SessionStore.beside(GeoPackageStore(store)).count(subject=name) == 0


def test_reset_and_disable_by_the_cli_end_sessions(served: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    app, store = served
    name = account(store, "planner", name="cli-planner")

    def users(*args: str, password: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        return main(["--store", str(store), "users", *args])

    saved = replay(app, logged_in(app, name))
    assert_session_works(saved, works=True)
    assert users("reset", name, "--password-stdin", password="a brand new password") == 0
    assert_session_works(saved, works=False)
    saved = replay(app, logged_in(app, name, "a brand new password"))
    assert_session_works(saved, works=True)
    assert users("disable", name) == 0
    assert_session_works(saved, works=False)
    assert users("enable", name) == 0
    assert_session_works(saved, works=False)  # enabling again does not revive an ended session


def test_idle_and_old_sessions_end(served: tuple[Any, Path]) -> None:
    app, store = served
    cfg = get_settings().auth
    name = account(store, "inspector", name="idle-inspector")
    client = logged_in(app, name)
    assert_session_works(client, works=True)
    sql(
        store,
        "UPDATE web_sessions SET seen_at = seen_at - ? WHERE subject = ?",
        cfg.session_idle_minutes * 60 + 1,
        name,
    )
    assert_session_works(client, works=False)
    client = logged_in(app, name)
    back = (cfg.session_idle_minutes * 60) / 2  # used recently, but begun longer ago than the absolute limit
    sql(
        store,
        "UPDATE web_sessions SET seen_at = seen_at - ?, created_at = created_at - ? WHERE subject = ?",
        back,
        cfg.session_hours * 3600 + 1,
        name,
    )
    assert_session_works(client, works=False)


def test_use_keeps_a_session_alive(tmp_path: Path) -> None:
    cfg = get_settings().auth
    sessions = SessionStore(tmp_path / "county.private.sqlite")
    AccountStore(sessions.path).add("busy", role="leader", password=TEST_PASSWORD, who="tests")
    sid = sessions.start("account", "busy", address="10.0.0.1")
    almost = cfg.session_idle_minutes * 60 - 5
    run_sql(sessions.path, "UPDATE web_sessions SET seen_at = seen_at - ?", almost)
    assert sessions.resolve(sid) is not None  # a request just before the idle limit ...
    seen = time.time() - run_sql(sessions.path, "SELECT seen_at FROM web_sessions")[0][0]
    assert seen < cfg.session_touch_s  # ... starts the idle time again
    assert sessions.resolve("not-a-session") is None


# 3. no account enumeration, no lockout by strangers


def test_unknown_names_cost_one_check_and_no_new_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    accounts = AccountStore(tmp_path / "county.private.sqlite")
    accounts.add("known", role="leader", password=TEST_PASSWORD, who="tests")
    with pytest.raises(LoginRefused):
        accounts.authenticate("warm-up", "wrong password!", address="10.3.0.1")  # the process's one dummy hash
    calls: dict[str, int] = {"hash": 0, "verify": 0}
    for method in calls:
        original = getattr(PasswordHasher, method)

        def counted(self: PasswordHasher, *args: Any, _name: str = method, _original: Any = original) -> Any:
            calls[_name] += 1
            return _original(self, *args)

        monkeypatch.setattr(PasswordHasher, method, counted)
    for n, name in enumerate(("known", "nobody", "known", "nobody-else")):
        with pytest.raises(LoginRefused) as refused:
            accounts.authenticate(name, "wrong password!", address=f"10.3.1.{n}")
        assert str(refused.value) == "wrong name or password, or the account is disabled"
    assert calls == {"hash": 0, "verify": 4}  # one argon2 check each, known or not


def test_waits_grow_per_account_and_address_up_to_the_cap() -> None:
    cfg = get_settings().auth
    waits = [login_limits.delay_s(n, cfg) for n in range(cfg.delay_free_failures + 12)]
    assert waits[: cfg.delay_free_failures] == [0.0] * cfg.delay_free_failures
    grown = waits[cfg.delay_free_failures :]
    assert grown[:3] == [cfg.delay_first_s, 2 * cfg.delay_first_s, 4 * cfg.delay_first_s]
    assert max(grown) == cfg.delay_max_minutes * 60 and login_limits.delay_s(10_000, cfg) == max(grown)


def test_a_stranger_cannot_lock_the_admin_out(tmp_path: Path) -> None:
    cfg = get_settings().auth
    accounts = AccountStore(tmp_path / "county.private.sqlite")
    accounts.add("admin", role="admin", password=TEST_PASSWORD, who="tests")
    for _ in range(cfg.delay_free_failures + 20):
        with pytest.raises(LoginRefused):
            accounts.authenticate("admin", "wrong password!", address="203.0.113.66")
    with pytest.raises(LoginRefused) as waiting:  # the stranger's own address waits, the right password or not
        accounts.authenticate("admin", TEST_PASSWORD, address="203.0.113.66")
    assert waiting.value.throttled and waiting.value.retry_after > 0
    assert accounts.authenticate("admin", TEST_PASSWORD, address="192.0.2.1").name == "admin"
    # once the wait is over the stranger may try again
    run_sql(accounts.path, "UPDATE login_delays SET last_at = last_at - ?", cfg.delay_max_minutes * 60)
    assert accounts.authenticate("admin", TEST_PASSWORD, address="203.0.113.66").name == "admin"


def test_the_audit_page_warns_of_an_attack(served: tuple[Any, Path]) -> None:
    app, store = served
    cfg = get_settings().auth
    accounts = AccountStore.beside(GeoPackageStore(store))
    name = account(store, "leader", name="attacked-leader")
    admin = logged_in(app, "test-admin")
    assert f"Account {name} is under attack" not in text(route_page(admin, "/audit", "?lang=en"))
    per_address = -(-cfg.attack_failures // cfg.attack_addresses)
    for n in range(cfg.attack_addresses):
        for _ in range(per_address):
            with pytest.raises(LoginRefused):
                accounts.authenticate(name, "wrong password!", address=f"203.0.113.{n}")
    assert list(accounts.under_attack()["name"]) == [name]
    page = text(route_page(admin, "/audit", "?lang=en"))
    assert AuditIds.ATTACK in page and f"Account {name} is under attack" in page
    assert AuditIds.REFUSALS in page and "203.0.113.1" in page and "too soon after failures" in page
    assert logged_in(app, name)  # still open from its own address


# 4. kiosk tokens out of URLs


def test_a_kiosk_token_is_exchanged_for_a_session(served: tuple[Any, Path]) -> None:
    app, store = served
    gpkg = GeoPackageStore(store)
    token_id, token = create_token(gpkg, "hall screen")
    client = app.server.test_client()
    first = client.get(f"/wall?kiosk={token}&lang=en")
    assert first.status_code == 303 and first.headers["Location"] == "/wall?lang=en"
    cookie = client.get_cookie(COOKIE).value
    assert token not in cookie and digest(token) not in cookie  # only a random session id
    assert client.get("/wall?lang=en").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    for path in ("/map", "/audit", "/data"):
        assert client.get(path).status_code == 403, path
        assert route_page(client, path).status_code == 403, path
    assert client.get("/wall?kiosk=not-a-token").status_code == 401
    again = app.server.test_client()
    again.get(f"/wall?kiosk={token}")
    revoke_token(gpkg, token_id)
    assert again.get("/wall").status_code == 401  # the token's revocation ends its sessions
    assert again.get("/wall/alive").json == {"wall": False}
    assert (
        SessionStore.beside(gpkg).count(kind="kiosk", subject=digest(token)) <= 1
    )  # the other one at its next request


def test_a_logged_in_account_gets_the_clean_wall(served: tuple[Any, Path]) -> None:
    app, store = served
    _, token = create_token(GeoPackageStore(store), "office screen")
    admin = logged_in(app, "test-admin")
    moved = admin.get(f"/wall?kiosk={token}")
    assert moved.status_code == 303 and moved.headers["Location"] == "/wall"
    assert admin.get("/map").status_code == 200  # still the admin, not a kiosk


def test_the_werkzeug_access_log_masks_the_token(served: tuple[Any, Path]) -> None:
    app, store = served
    _, token = create_token(GeoPackageStore(store), "logged screen")
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    port = free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(f"http://127.0.0.1:{port}/wall?kiosk={token}", timeout=60) as response:
            assert response.status == 200 and response.url.endswith("/wall")
    finally:
        server.shutdown()
        thread.join(10)
        logger.removeHandler(handler)
        logger.setLevel(level)
    logged = "\n".join(lines)
    assert "/wall?kiosk=*** HTTP" in logged and token not in logged


def test_the_gunicorn_access_log_masks_the_token(tmp_path: Path) -> None:
    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    logger = MaskingLogger(cfg)
    token = "Zm9vYmFyYmF6cXV4LXNlY3JldC10b2tlbi0xMjM0NTY3ODk"

    class Response:
        status = "303 SEE OTHER"
        sent = 0
        headers: tuple = ()

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/wall?kiosk={token}&lang=en",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": f"kiosk={token}&lang=en",
        "PATH_INFO": "/wall",
        "REMOTE_ADDR": "127.0.0.1",
    }
    logger.access(Response(), {}, environ, dt.timedelta(seconds=0.01))
    for handler in logger.access_log.handlers:
        handler.flush()
    logged = log_file.read_text()
    assert "GET /wall?kiosk=***&lang=en HTTP/1.1" in logged and token not in logged
    assert log_masking.mask("/login?next=%2Fwall%3Fkiosk%3Dabc_DEF-1%26lang%3Den") == (
        "/login?next=%2Fwall%3Fkiosk%3D***%26lang%3Den"
    )


def test_a_kiosk_session_ends_when_the_screen_stays_off(tmp_path: Path) -> None:
    cfg = get_settings().auth
    sessions = SessionStore(tmp_path / "county.private.sqlite")
    sid = sessions.start("kiosk", digest("a token"), address="10.0.0.2")
    old = cfg.session_hours * 3600 + 1  # older than any login may be: a wall runs for weeks
    run_sql(sessions.path, "UPDATE web_sessions SET created_at = created_at - ?", old)
    assert sessions.resolve(sid) is not None
    run_sql(sessions.path, "UPDATE web_sessions SET seen_at = seen_at - ?", cfg.kiosk_idle_hours * 3600 + 1)
    assert sessions.resolve(sid) is None and sessions.count() == 0
