"""Planners, inspectors and leaders scoped at each level of the 3-county demo city: /sites, /route, field pack, /wall.

The city (6299) holds the whole store, so a city account works on all of it; a county
account (629902) and a township account (first township of 629903) get their part only,
checked on the server: a callback asked for outside the part is refused or returns nothing.
Admins stay whole-store (``battlemap users add … --role admin --scope`` exits 2: test_scope.py).
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import docx
import pytest
import shapely
from playwright.sync_api import Page

from analytics.levels import Top
from battlemap_cli.main import main
from callbacks import access
from callbacks.finding_panel import VISIT_STEPS, steps_for
from callbacks.sites_page import CONTROL_INPUTS
from callbacks.store_data import StoreData
from geodata.private.accounts import Account, AccountStore
from geodata.private.plan_store import PlanStore
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, account, chromium, login, serving
from tests.importing import run
from tests.test_access import callback_key, log_in, post_callback, route_page, text
from tests.test_pages_minimal_store import settle
from tests.test_scope import CITY, COUNTIES, COUNTY, served, town  # noqa: F401 - fixtures

LEVELS = ("city", "county", "township")


def scope_of(level: str, township: str) -> str:
    return {"city": CITY, "county": COUNTY, "township": township}[level]


def client(app: Any, store: Path, role: str, scope: str | None) -> Any:
    c = app.server.test_client()
    log_in(c, account(store, role, scope=scope))
    return c


@pytest.mark.parametrize("role", ["planner", "inspector"])
@pytest.mark.parametrize("level", LEVELS)
def test_users_add_scopes_planners_and_inspectors(  # noqa: PLR0917 - pytest passes them
    city_path: Path,
    town: str,  # noqa: F811
    role: str,
    level: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = tmp_path / "city.gpkg"
    copy.write_bytes(city_path.read_bytes())
    code = scope_of(level, town)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main(["--store", str(copy), "users", "add", "w", "--role", role, "--scope", code, "--password-stdin"]) == 0
    assert AccountStore.beside(GeoPackageStore(copy)).get("w") == Account("w", role, code, disabled=False)


@pytest.mark.parametrize("level", LEVELS)
def test_page_rules_per_role_and_level(served: Any, town: str, level: str) -> None:  # noqa: F811
    scope = scope_of(level, town)
    with served.server.test_request_context("/"):
        for role, pages in {"planner": ("/sites",), "inspector": ("/route", "/route/map/x", "/field/x/")}.items():
            who = Account("x", role, scope, disabled=False)
            assert all(access.allowed(access.page_rule(p), who) for p in pages), (role, level)  # cut, not refused
            assert not access.allowed(access.page_rule("/data"), who)
            assert not access.allowed(access.page_rule("/audit"), who)
            assert access.allowed(access.WALL, who) == (level != "township")
        admin = Account("a", "admin", None, disabled=False)
        assert all(access.allowed(access.page_rule(p), admin) for p in ("/sites", "/route", "/data", "/audit"))


@pytest.mark.parametrize("scope", [CITY, COUNTY, "629902100"])
def test_a_scoped_inspector_takes_finding_steps_inside_the_scope_only(scope: str) -> None:
    who = Account("x", "inspector", scope, disabled=False)
    assert steps_for(who, "629902100") == VISIT_STEPS  # a township of 629902: inside every scope here
    assert steps_for(who, "629902101") == (() if len(scope) == 9 else VISIT_STEPS)
    assert steps_for(who, "629901100") == (VISIT_STEPS if scope == CITY else ())


# ---- /route ---------------------------------------------------------------------------------------------------------


def plan(c: Any, app: Any, county: str | None, stops: int = 6) -> Any:
    """Ask the planning callback for a plan, as the page's button does."""
    states = [
        ("route-date", "value", "2026-11-03"),
        ("route-stops", "value", stops),
        ("route-days", "value", 1),
        ("route-hours", "value", 8),
        ("route-start", "value", None),
        ("route-seed", "value", 7),
        ("route-return", "value", ["return"]),
        ("route-overnight", "value", []),
        ("route-lang", "data", "en"),
        ("route-county", "value", county),
    ]
    return post_callback(
        c,
        callback_key(app, "route-message.children", "route-mine.options"),
        [{"id": "route-plan", "property": "n_clicks", "value": 1}],
        [{"id": i, "property": p, "value": v} for i, p, v in states],
    )


def plan_stops(store: Path, response: Any, viewer: str) -> list[str]:
    plan_id = response.get_json()["response"]["route-plan-id"]["data"]
    stored = PlanStore.beside(GeoPackageStore(store)).get(plan_id, viewer=viewer)
    return [str(s["village_code"]) for s in stored["stops"]]


@pytest.mark.parametrize("level", LEVELS)
def test_route_draws_only_inside_the_scope(served: Any, city_path: Path, town: str, level: str) -> None:  # noqa: F811
    scope = scope_of(level, town)
    c = client(served, city_path, "inspector", scope)
    page = text(route_page(c, "/route"))
    offered = set(re.findall(r'"value": "(6299\d\d)"', page))
    assert offered == (set(COUNTIES) if level == "city" else set())  # a county or township: no county to choose
    drawn = plan(c, served, None)
    assert drawn.status_code == 200, text(drawn)
    stops = plan_stops(city_path, drawn, account(city_path, "inspector", scope=scope))
    assert stops and all(s.startswith(COUNTIES[0] if level == "city" else scope) for s in stops), stops
    other = "629901"  # a county outside the county and township scopes, asked for around the page
    asked = plan(c, served, other)
    if level == "city":
        assert all(
            s.startswith(other) for s in plan_stops(city_path, asked, account(city_path, "inspector", scope=scope))
        )
        return
    message = asked.get_json()["response"]
    assert "route-plan-id" not in message  # nothing drawn, nothing stored
    assert "not one you may plan in" in json.dumps(message, ensure_ascii=False)


def test_a_plan_outside_the_scope_is_refused_everywhere(served: Any, city_path: Path) -> None:  # noqa: F811
    """A plan drawn before its owner's scope was narrowed: no map, view, download, finding or field pack."""
    name = account(city_path, "inspector", scope=CITY, name="narrowed")
    c = served.server.test_client()
    log_in(c, name)
    drawn = plan(c, served, COUNTIES[0])
    plan_id = drawn.get_json()["response"]["route-plan-id"]["data"]
    assert c.get(f"/route/map/{plan_id}").status_code == 200
    AccountStore.beside(GeoPackageStore(city_path)).set_scope(name, scope=COUNTY, who="tests")
    log_in(c, name)
    assert c.get(f"/route/map/{plan_id}").status_code == 404
    assert c.get(f"/field/{plan_id}/").status_code == 404
    assert c.get(f"/field/{plan_id}/records").status_code == 404
    shown = post_callback(
        c,
        callback_key(served, "route-map.src"),
        [{"id": "route-plan-id", "property": "data", "value": plan_id}],
        [{"id": "route-lang", "property": "data", "value": "en"}],
    )
    assert "outside the account's scope" in text(shown)
    assert shown.get_json()["response"]["route-map"]["src"] is None
    download = post_callback(
        c,
        callback_key(served, "route-download"),
        [{"id": b, "property": "n_clicks", "value": 1 if b == "route-json" else None} for b in DOWNLOADS],
        [
            {"id": "route-plan-id", "property": "data", "value": plan_id},
            {"id": "route-lang", "property": "data", "value": "en"},
        ],
        changed=2,
    )
    assert download.status_code == 204  # nothing to download
    finding = post_callback(
        c,
        callback_key(served, "finding-message.children"),
        [{"id": "finding-save", "property": "n_clicks", "value": 1}],
        [
            {"id": i, "property": p, "value": v}
            for i, p, v in (
                ("route-plan-id", "data", plan_id),
                ("finding-stop", "value", 1),
                ("finding-text", "value", "seen"),
                ("route-lang", "data", "en"),
            )
        ],
    )
    assert "outside the account's scope" in text(finding)
    log = PlanStore.beside(GeoPackageStore(city_path)).audit_log(who=name)
    log = log[log["target"] == plan_id].sort_values("id")
    refused = log["action"].str.endswith(":refused")
    assert refused.sum() >= 5 and not refused[log["id"] > log.loc[refused, "id"].min()].eq(False).any(), list(
        log["action"]
    )  # after the narrowing every attempt is audited as refused, none as opened


DOWNLOADS = ("route-gpx", "route-html", "route-json", "route-kml", "route-sheet")


# ---- /sites ---------------------------------------------------------------------------------------------------------


def site_controls(add: list[str] | None = None) -> list[Any]:
    """The ranking's controls as the page sends them (the settings' defaults; ``add``: villages added)."""
    s = get_settings().sites
    values: dict[str, Any] = {"sites-add": add, "sites-draws": 0, "sites-method": s.sensitivity_method}
    out: list[Any] = []
    for i in CONTROL_INPUTS:
        if isinstance(i.component_id, dict):  # the weight sliders (one pattern, a list of values)
            out.append(
                [
                    {"id": {"type": "site-weight", "criterion": c}, "property": "value", "value": s.weights.get(c, 0.0)}
                    for c in s.weights
                ]
            )
        else:
            out.append({"id": i.component_id, "property": i.component_property, "value": values.get(i.component_id)})
    return out


def geojson_export(c: Any, app: Any, add: list[str] | None = None) -> Any:
    buttons = ("sites-export_geojson", "sites-export_sites_csv", "sites-export_html")
    return post_callback(
        c,
        callback_key(app, "sites-download.data"),
        [{"id": b, "property": "n_clicks", "value": 1 if b == buttons[0] else None} for b in buttons],
        [*site_controls(add), {"id": "sites-lang", "property": "data", "value": "en"}],
    )


def area_of(store: Path, part: str) -> Any:
    villages = GeoPackageStore(store).read("villages")
    return shapely.union_all(villages[villages["village_code"].str.startswith(part)].geometry.to_numpy())


@pytest.mark.parametrize("level", LEVELS)
def test_sites_rank_and_export_only_inside_the_scope(
    served: Any,  # noqa: F811
    city_path: Path,
    town: str,  # noqa: F811
    level: str,
) -> None:
    scope = scope_of(level, town)
    c = client(served, city_path, "planner", scope)
    page = text(route_page(c, "/sites"))
    offered = set(re.findall(r'"value": "(\d{12})"', page))  # the villages that may be added or dropped
    assert offered and all(v.startswith(scope) for v in offered)
    export = geojson_export(c, served)
    assert export.status_code == 200, text(export)
    content = json.loads(export.get_json()["response"]["sites-download"]["data"]["content"])
    sites = [shapely.geometry.shape(f["geometry"]) for f in content["features"]]
    assert sites and all(area_of(city_path, scope).buffer(0.01).covers(p) for p in sites)  # within ~1 km of the part
    travelled = set(re.findall(r'"(6299\d{8})"', json.dumps(content)))
    assert all(v.startswith(scope) for v in travelled)
    outside = "629901100001"
    crafted = geojson_export(c, served, add=[outside])  # a village of another county, sent around the page
    assert crafted.status_code == 200
    shown = text(crafted)
    if level == "city":
        assert "sites-download" in crafted.get_json()["response"]
    else:
        assert "sites-download" not in crafted.get_json()["response"] and outside in shown  # refused: unknown here


def test_a_county_planners_site_report_names_the_county(served: Any, city_path: Path) -> None:  # noqa: F811
    c = client(served, city_path, "planner", COUNTY)
    report = post_callback(
        c,
        callback_key(served, "sites-report-download.data"),
        [{"id": "sites-export_site_report", "property": "n_clicks", "value": 1}],
        [*site_controls(), {"id": "sites-lang", "property": "data", "value": "zh"}],
    )
    assert report.status_code == 200, text(report)
    content = report.get_json()["response"]["sites-report-download"]["data"]
    assert content["base64"]
    document = docx.Document(io.BytesIO(base64.b64decode(content["content"])))
    words = "\n".join(p.text for p in document.paragraphs)
    names = GeoPackageStore(city_path).read("regions").set_index("code")["name"]
    assert names[COUNTY] in words and names[CITY] not in words
    assert not any(names[county] in words for county in COUNTIES if county != COUNTY)


# ---- /wall ----------------------------------------------------------------------------------------------------------


def wall_tick(c: Any, app: Any) -> Any:
    return post_callback(
        c,
        callback_key(app, "wall-map.figure"),
        [{"id": "wall-tick", "property": "data", "value": {"trigger": "wall-size", "at": 1}}],
        [
            {"id": "wall-size", "property": "data", "value": [1200, 800]},
            {"id": "wall-state", "property": "data", "value": {"lang": "en", "i": 0}},
        ],
    )


@pytest.mark.parametrize("role", ["leader", "planner", "inspector"])
@pytest.mark.parametrize("level", LEVELS)
def test_the_wall_is_the_wall_of_the_scope(
    served: Any,  # noqa: F811
    city_path: Path,
    town: str,  # noqa: F811
    role: str,
    level: str,
) -> None:
    scope = scope_of(level, town)
    c = client(served, city_path, role, scope)
    if level == "township":  # a township has no wall of its own
        assert c.get("/wall").status_code == 403
        assert wall_tick(c, served).status_code == 403
        return
    assert c.get("/wall").status_code == 200
    layout = text(route_page(c, "/wall"))
    names = dict(zip(*[GeoPackageStore(city_path).read("regions")[k] for k in ("code", "name")], strict=True))
    assert re.findall(r'"children": "([^"]*)", "className": "wall-title"', layout) == [
        f"乡村振兴作战图 · {names[scope]}"
    ]
    tick = wall_tick(c, served)
    assert tick.status_code == 200
    shown = tick.get_json()["response"]
    codes = set(re.findall(r'"(6299\d{8})"', json.dumps(shown["wall-map"]["figure"])))
    assert codes and {code[: len(scope)] for code in codes} == {scope}  # its own villages only
    ranked = json.dumps(shown["wall-ranking"]["children"], ensure_ascii=False)
    if level == "city":  # the city ranks its counties
        assert all(names[county] in ranked for county in COUNTIES)
    else:  # one county: nothing to rank, and no neighbour named
        assert not shown["wall-ranking"]["children"]
        assert not any(names[county] in json.dumps(shown, ensure_ascii=False) for county in COUNTIES if county != scope)


def test_a_county_wall_compares_with_its_own_county_last_month(city_path: Path, tmp_path: Path) -> None:
    """With month-end snapshots of three counties, a county's "较上月" and trends come from its own rows."""
    copy = tmp_path / "city.gpkg"
    copy.write_bytes(city_path.read_bytes())
    assert run(str(copy), "history", "--from", "2026-09", "--to", "2026-10") == 0
    data = StoreData(GeoPackageStore(copy))
    for county in COUNTIES:
        top = Top("county", county)
        assert str(data.county_last_month(top).name) == county  # the row of the county's own table
        assert set(data.unit_snapshots("county", county)["county_code"].astype(str)) == {county}  # type: ignore[index]
    assert set(data.unit_snapshots("city", CITY)["city_code"].astype(str)) == {CITY}  # type: ignore[index]


# ---- Chromium --------------------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_scoped_accounts_in_chromium(city_path: Path, town: str) -> None:  # noqa: F811
    """A county leader's wall, a county planner's /sites and a township inspector's plan, as each one sees it."""
    names = GeoPackageStore(city_path).read("regions").set_index("code")["name"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(city_path) as url, chromium() as browser:
        errors: list[str] = []

        def page_for(role: str, scope: str) -> Page:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
            login(page, url, city_path, role, scope=scope)
            return page

        wall = page_for("leader", COUNTY)
        wall.goto(f"{url}/wall")
        wall.wait_for_selector("#wall-tiles .tile", timeout=60_000)
        assert names[COUNTY] in (wall.text_content(".wall-title") or "")
        assert wall.locator("#wall-ranking li").count() == 0  # one county: nothing to rank
        wall.screenshot(path=str(SCREENSHOTS / "scope_county_wall.png"))

        sites = page_for("planner", COUNTY)
        sites.goto(f"{url}/sites")
        sites.wait_for_selector("#sites-comparison .site-row", timeout=240_000)
        settle(sites)
        sites.screenshot(path=str(SCREENSHOTS / "scope_county_sites.png"))

        route = page_for("inspector", town)
        route.goto(f"{url}/route?lang=en")
        route.wait_for_selector("#route-plan")
        assert not route.locator("#route-county").is_visible()  # a township: no county to choose
        route.fill("#route-stops", "5")
        route.click("#route-plan")
        route.wait_for_selector("#route-stop-rows tbody tr", timeout=120_000)
        cells = route.locator("#route-stop-rows tbody tr td:nth-child(5)").all_text_contents()
        codes = [re.search(r"\((\d{12})\)", c)[1] for c in cells]  # type: ignore[index]
        assert codes and all(code.startswith(town) for code in codes), codes
        route.screenshot(path=str(SCREENSHOTS / "scope_township_route.png"))
    assert not errors, errors
