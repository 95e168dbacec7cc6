"""Accounts scoped at any level on the 3-county demo city: the CLI, the access helpers, pages and downloads.

A city account (6299) holds the whole store, a county account (629902) one of its three
counties, a township account one township of 629903; each sees only its part on /map, in
the household export and in the HTML export; the wall is the county's wall for the county
account and refused to the township account. Planners and inspectors scoped the same way:
tests/test_scope_roles.py.
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import flask
import pytest

from app import create_app
from battlemap_cli.main import main
from callbacks import access
from callbacks.store_data import StoreData
from geodata.private.accounts import Account, AccountStore
from geodata.private.db import private_path
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from harness.browser import account
from layers.panel import key_indicators
from tests.test_access import log_in, post_callback, route_page, text

CITY, COUNTY = "6299", "629902"
COUNTIES = ("629901", "629902", "629903")


@pytest.fixture(scope="module")
def town(city_path: Path) -> str:
    """The first township of the third county."""
    codes = GeoPackageStore(city_path).read("villages")["village_code"].str[:9]
    return sorted(c for c in codes.unique() if c.startswith("629903"))[0]


@pytest.fixture(scope="module")
def served(city_path: Path) -> Any:
    return create_app(str(city_path))


@pytest.fixture
def copy(city_path: Path, tmp_path: Path) -> Path:
    """A copy of the city's layers with no accounts yet (the CLI tests write accounts)."""
    target = tmp_path / "city.gpkg"
    shutil.copyfile(city_path, target)
    return target


def users(store: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    try:
        return main(["--store", str(store), "users", *args])
    except SystemExit as exc:  # argparse refuses a bad command line itself
        return int(exc.code or 0)


def levels(town: str) -> dict[str, tuple[str, str]]:
    """Scope code and how ``users list`` names it, per level."""
    return {
        "province": ("62", "province 62"),
        "city": (CITY, f"city {CITY}"),
        "county": (COUNTY, f"county {COUNTY}"),
        "township": (town, f"township {town}"),
    }


@pytest.mark.parametrize("level", ["province", "city", "county", "township"])
def test_users_add_takes_a_scope_at_each_level(
    copy: Path, town: str, level: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, shown = levels(town)[level]
    assert users(copy, monkeypatch, "add", "lead", "--role", "leader", "--scope", code, "--password-stdin") == 0
    assert users(copy, monkeypatch, "list") == 0
    assert f"lead  leader  {shown}" in capsys.readouterr().out
    accounts = AccountStore.beside(GeoPackageStore(copy))
    assert accounts.authenticate("lead", "a long enough password", address="t").scope == code
    assert list(accounts.audit_log(action="user:")["detail"].str.contains(f'"scope": "{code}"')) == [True]


def test_township_is_still_a_township_scope_and_scopes_change(
    copy: Path, town: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert users(copy, monkeypatch, "add", "old", "--role", "leader", "--township", town, "--password-stdin") == 0
    accounts = AccountStore.beside(GeoPackageStore(copy))
    assert accounts.get("old") == Account("old", "leader", town, disabled=False)
    assert users(copy, monkeypatch, "scope", "old", COUNTY) == 0
    assert accounts.get("old").scope == COUNTY  # type: ignore[union-attr]
    assert users(copy, monkeypatch, "scope", "old", "629904") == 2  # no such county: unchanged
    assert users(copy, monkeypatch, "scope", "old", "6299x") == 2
    assert accounts.get("old").scope == COUNTY  # type: ignore[union-attr]
    assert users(copy, monkeypatch, "scope", "old", "--whole-store") == 0
    assert accounts.get("old").scope is None  # type: ignore[union-attr]
    log = accounts.audit_log(action="user:")
    assert list(log["action"]) == ["user:add", "user:scope", "user:scope"]


@pytest.mark.parametrize(
    ("role", "args", "reason"),
    [
        ("leader", ("--scope", "62990"), "expected a division code"),  # five digits: no level
        ("leader", ("--scope", "62a901"), "expected a division code"),
        ("leader", ("--scope", "629902001001"), "expected a division code"),  # a village is no scope
        ("leader", ("--scope", "629904"), "no such county (县（区）) in the store; known: 629901, 629902, 629903"),
        ("leader", ("--scope", "6298"), "no such city"),
        ("leader", ("--scope", "629902999"), "no such township"),
        ("leader", ("--township", "629902"), "expected a 9-digit township code"),
        ("leader", ("--scope", "629902", "--township", "629902100"), "not allowed with argument"),
        ("admin", ("--scope", COUNTY), "only leader, planner, inspector accounts take --scope"),
    ],
)
def test_bad_scopes_are_refused_and_nothing_is_written(  # noqa: PLR0917 - pytest passes them
    copy: Path,
    role: str,
    args: tuple[str, ...],
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert users(copy, monkeypatch, "add", "x", "--role", role, *args, "--password-stdin") == 2
    assert reason in capsys.readouterr().err
    assert not private_path(GeoPackageStore(copy)).exists()  # not even the private file was made


def test_an_older_private_file_keeps_its_township_accounts(tmp_path: Path) -> None:
    path = tmp_path / "county.private.sqlite"
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, township TEXT, password_hash TEXT NOT NULL,"
        " created_at TEXT NOT NULL, disabled_at TEXT, password_set_at TEXT NOT NULL);"
        "INSERT INTO users VALUES ('王', 'leader', '621121100', 'h', '2026-01-01', NULL, '2026-01-01');"
        "INSERT INTO users VALUES ('admin', 'admin', NULL, 'h', '2026-01-01', NULL, '2026-01-01');"
    )
    con.commit()
    con.close()
    accounts = AccountStore(path)
    assert accounts.get("王") == Account("王", "leader", "621121100", disabled=False)
    assert accounts.get("admin") == Account("admin", "admin", None, disabled=False)
    assert list(accounts.users()["scope"].fillna("")) == ["", "621121100"]
    assert AccountStore(path).get("王").scope == "621121100"  # type: ignore[union-attr]  # a second open: no change


def scopes(town: str) -> dict[str, str | None]:
    return {"city": CITY, "county": COUNTY, "township": town}


@pytest.mark.parametrize("level", ["city", "county", "township"])
def test_access_helpers_work_by_prefix_at_each_level(served: Any, town: str, level: str) -> None:
    scope = scopes(town)[level]
    who = Account("x", "leader", scope, disabled=False)
    inside = {"city": COUNTIES, "county": (COUNTY,), "township": ()}[level]
    with served.server.test_request_context("/"):
        flask.g.battlemap_identity = who
        assert access.account_scope() == scope
        mine = {"city": "629901100001", "county": "629902100001", "township": town + "001"}[level]
        assert access.in_scope(mine) and access.in_scope(mine[:9]) and access.in_scope(scope)  # a village, its town
        assert access.in_scope("629901100001") == (level == "city")  # a village of another county
        for county in COUNTIES:
            assert access.in_scope(county) == (county in inside), county  # a county row: not in a township scope
        assert access.in_scope(CITY) == (level == "city")
        assert not access.in_scope(None)
        assert access.allowed(access.WALL, who) == (level != "township")  # a city's or county's wall; no township's
        assert access.allowed(access.page_rule("/map"), who)
        assert access.scoped_part() == (None if level == "city" else scope)
        flask.g.battlemap_identity = Account("y", "leader", None, disabled=False)
        assert access.account_scope() is None and access.in_scope("629901100001")


def client(app: Any, city_path: Path, scope: str) -> Any:
    c = app.server.test_client()
    log_in(c, account(city_path, "leader", scope=scope))
    return c


def towns_on(page: str) -> set[str]:
    """The township codes a /map page drills into."""
    return set(re.findall(r'"(\d{9})": "/map\?town=', page))


@pytest.mark.parametrize("level", ["city", "county", "township"])
def test_the_map_shows_only_the_scoped_part(served: Any, city_path: Path, town: str, level: str) -> None:
    scope = scopes(town)[level]
    c = client(served, city_path, scope)
    assert c.get("/wall").status_code == (403 if level == "township" else 200)  # a county gets its county's wall
    assert c.get("/map").status_code == 200
    page = text(route_page(c, "/map"))
    drilled = towns_on(page)
    if level == "township":  # kept in its township: its villages, no township to drill into
        assert not drilled and f'"town": "{town}"' in page
        assert re.findall(r'"(\d{12})": "/map\?town=', page)
        assert all(v.startswith(town) for v in re.findall(r'"(\d{12})": "/map\?town=', page))
    elif level == "city":  # the city's top view: its counties, drilled into by area
        assert set(re.findall(r'"(\d{6})": "/map\?area=', page)) == set(COUNTIES)
    else:
        assert drilled and {t[: len(scope)] for t in drilled} == {scope}
        assert {t[:6] for t in drilled} == {COUNTY}
    other = "629901100"  # a township of another county, asked for in the URL
    asked = text(route_page(c, "/map", f"?town={other}"))
    assert (f'"town": "{other}"' in asked) == (level == "city")
    drawn = {"town": town} if level == "township" else {}  # what the page drew
    panel = post_callback(c, "unit-panel-body.children", [{"id": "map-drawn", "property": "data", "value": drawn}])
    assert panel.status_code == 200 and "kpi-table" in text(panel)
    if level == "county":  # its own county's figures, not the first county's of the store
        shown = iter(re.findall(r'"children": "([^"]*)"', text(panel)))
        assert all(value in shown for value in kpi_values(city_path, "county", COUNTY))  # in order, one by one
        assert kpi_values(city_path, "county", COUNTY) != kpi_values(city_path, "county", COUNTIES[0])


def kpi_values(city_path: Path, level: str, code: str) -> list[str]:
    """The headline values the /map panel shows for one unit (in Chinese, the page's default)."""
    table = StoreData(GeoPackageStore(city_path)).indicators(level)
    return [str(item["value"]) for item in key_indicators(table.loc[code], get_settings(), "zh")]


def household_export(c: Any, village: str) -> Any:
    return post_callback(
        c,
        "grid-download.data",
        [{"id": "grid-export", "property": "n_clicks", "value": 1}],
        [{"id": "map-state", "property": "data", "value": {"village": village, "lang": "zh"}}],
    )


@pytest.mark.parametrize("level", ["city", "county", "township"])
def test_household_exports_only_inside_the_scope(served: Any, city_path: Path, town: str, level: str) -> None:
    scope = scopes(town)[level]
    households = GeoPackageStore(city_path).read("households")
    c = client(served, city_path, scope)
    mine = households[households["village_code"].str.startswith(scope)].iloc[0]
    export = household_export(c, mine["village_code"])
    assert export.status_code == 200 and mine["household_id"] in text(export)
    for county in COUNTIES:
        theirs = households[households["village_code"].str.startswith(county)].iloc[0]
        shown = household_export(c, theirs["village_code"])
        inside = theirs["village_code"].startswith(scope)
        assert shown.status_code == (200 if inside else 204), county  # 204: nothing to download
        assert (theirs["household_id"] in text(shown)) == inside


@pytest.mark.parametrize("level", ["city", "county"])
def test_the_html_export_of_the_top_holds_only_the_scoped_part(
    served: Any, city_path: Path, town: str, level: str
) -> None:
    scope = scopes(town)[level]
    c = client(served, city_path, scope)
    export = post_callback(
        c,
        "export-download.data",
        [{"id": "export-html", "property": "n_clicks", "value": 1}],
        [{"id": "map-state", "property": "data", "value": {"lang": "zh"}}],
    )
    assert export.status_code == 200
    content = export.get_json()["response"]["export-download"]["data"]["content"]
    if level == "city":  # the city's top view: its counties
        assert set(re.findall(r'"(6299\d{2})"', content)) == set(COUNTIES)
        return
    codes = set(re.findall(r'"(6299\d{5})"', content))
    assert codes and {code[:6] for code in codes} == {COUNTY}
