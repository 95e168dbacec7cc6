"""The /map panel's findings section (整改销号): counts, the list, who may record which step, refusals.

Mini county: villages V1, V2 (township 100) and V3 (township 201). The section is built
for the account of the request (set here as the access guard would), the steps are written
by advance_finding (the CLI's function): step records, audit and refusals as there.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import flask
import pytest

from callbacks import finding_panel
from callbacks.finding_panel import record_step, section
from callbacks.map_state import MapState
from callbacks.store_data import StoreData
from geodata.private.accounts import Account
from geodata.private.db import PrivateDB
from geodata.private.findings import add_finding, advance_finding, finding_steps
from geodata.store import GeoPackageStore, Store
from tests.conftest import snapshot

V1, V2, V3 = "621121100201", "621121100202", "621121201201"
T100, T201 = "621121100", "621121201"
VISIT = dt.date(2026, 6, 1)
LATER = dt.date(2030, 12, 31)  # a deadline that has not passed
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def data(gpkg: GeoPackageStore) -> StoreData:
    return StoreData(gpkg)


@pytest.fixture
def app() -> flask.Flask:
    return flask.Flask(__name__)


def as_account(app: flask.Flask, role: str, township: str | None = None, name: str | None = None) -> Any:
    """A request context where ``role`` is logged in (what the access guard sets)."""
    context = app.test_request_context()
    context.push()
    flask.g.battlemap_identity = Account(name or f"{role}-{township or 'county'}", role, township, disabled=False)
    return context


@pytest.fixture
def request_as(app: flask.Flask) -> Iterator[Any]:
    contexts: list[Any] = []

    def push(role: str, township: str | None = None, name: str | None = None) -> None:
        while contexts:
            contexts.pop().pop()
        contexts.append(as_account(app, role, township, name))

    yield push
    while contexts:
        contexts.pop().pop()


def _finding(store: Store, village: str, text: str, **kw: Any) -> str:
    return add_finding(store, date=VISIT, village_code=village, finding=text, inspector="insp-a", **kw)


def _texts(component: Any) -> list[str]:
    """Every text in a Dash component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [s for c in component for s in _texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else _texts(children)


def _find(component: Any, ident: str) -> Any:
    if getattr(component, "id", None) == ident:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str) and (hit := _find(child, ident)) is not None:
            return hit
    return None


def test_the_village_panel_counts_its_findings_and_lists_the_open_ones_overdue_first(
    data: StoreData, request_as: Any
) -> None:
    store = data.store
    late = _finding(store, V1, "饮水设施损坏 <script>alert(1)</script>")  # due 15 days after the visit: overdue
    fresh = _finding(store, V1, "危房未改造", deadline=LATER)
    done = _finding(store, V1, "档案缺失", deadline=LATER)
    for step in ("rectifying", "rectified", "verified", "closed"):
        advance_finding(store, done, step, on=VISIT, who="admin", note="已补齐")
    _finding(store, V3, "另一乡镇的问题")
    request_as("leader", T100)
    panel = section(data, MapState(town=T100, village=V1, lang="en"))
    assert _find(panel, "rect-counts").children == "open 2 · overdue 1 · closed 1"
    cards = _find(panel, "rect-list").children.children
    assert [c.id for c in cards] == [f"rect-row-{late}", f"rect-row-{fresh}"]  # overdue first, closed left out
    assert cards[0].className == "finding-card overdue" and cards[1].className == "finding-card"
    assert "饮水设施损坏 <script>alert(1)</script>" in _texts(cards[0])  # a plain text child: React escapes it
    options = _find(panel, "rect-pick").options
    assert [o["value"] for o in options] == [f"{late}|rectifying", f"{fresh}|rectifying"]

    township = section(data, MapState(town=T100, lang="zh"))  # the township's view: what it is responsible for
    assert _find(township, "rect-counts").children == "未整改 2 · 逾期 1 · 已销号 1"
    as_of = _find(township, "rect-as-of").children  # read live, unlike the map's built tables: it says when
    assert as_of.startswith(f"实时台账，截至{dt.date.today():%Y-%m-%d} ") and "最近一次指标更新" in as_of


def test_without_an_inspections_layer_the_panel_says_no_data_never_zero(data: StoreData, request_as: Any) -> None:
    request_as("admin")
    panel = section(data, MapState(town=T100, village=V1, lang="zh"))
    assert _find(panel, "rect-counts").children == "无数据"
    assert _find(panel, "rect-list").children == []


def test_a_unit_outside_the_township_shows_nothing_and_a_planner_gets_no_form(data: StoreData, request_as: Any) -> None:
    _finding(data.store, V3, "问题")
    request_as("leader", T100)
    assert section(data, MapState(town=T201, village=V3)).children is None
    request_as("planner")
    panel = section(data, MapState(town=T201, village=V3))
    assert _find(panel, "rect-counts") is not None and _find(panel, "rect-pick") is None


def test_a_township_reports_its_own_findings_with_a_note_and_nothing_else(data: StoreData, request_as: Any) -> None:
    store = data.store
    own, other = _finding(store, V1, "饮水设施损坏"), _finding(store, V3, "危房")
    before = snapshot(store)
    request_as("leader", T201)
    assert record_step(data, f"{own}|rectifying", note="已修复", photo=None, lang="en").startswith("You may not")
    request_as("leader", T100)
    assert record_step(data, f"{other}|rectifying", note="x", photo=None, lang="en").startswith("You may not")
    assert record_step(data, f"{own}|rectifying", note="  ", photo=None, lang="zh") == "请填写整改情况说明后再保存。"
    assert record_step(data, f"{own}|verified", note="看过", photo=None, lang="en").startswith("You may not")
    assert snapshot(store) == before and finding_steps(store).empty

    photo = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert record_step(data, f"{own}|rectifying", note="已更换水管", photo=photo, lang="en") is None
    assert record_step(data, f"{own}|rectified", note="已完工", photo=photo, lang="en").startswith("A photo comes")
    assert record_step(data, f"{own}|rectifying", note="again", photo=None, lang="en") == (
        f"Finding {own} was just updated by someone else; reload and choose again."
    )
    assert record_step(data, f"{own}|rectified", note="已完工", photo=None, lang="en") is None
    steps = finding_steps(store, own)
    assert list(steps["status"]) == ["rectifying", "rectified"] and set(steps["who"]) == {f"leader-{T100}"}
    assert steps["photo"].iloc[0].endswith(".png") and steps["on_date"].iloc[0] == dt.date.today().isoformat()
    audit = PrivateDB.beside(store).audit_log(action="finding:")
    assert list(audit["action"]) == ["finding:rectifying", "finding:rectified"]
    assert set(audit["who"]) == {f"leader-{T100}"}


def test_inspectors_verify_and_close_and_open_only_their_own_photos(data: StoreData, request_as: Any) -> None:
    store = data.store
    mine = _finding(store, V1, "饮水设施损坏")
    theirs = add_finding(store, date=VISIT, village_code=V2, finding="危房", inspector="insp-b")
    for finding in (mine, theirs):
        advance_finding(store, finding, "rectifying", on=VISIT, who="leader", note="已修复", photo=PNG)
        advance_finding(store, finding, "rectified", on=VISIT, who="leader")
    request_as("inspector", name="insp-a")
    assert record_step(data, f"{mine}|verified", note=None, photo=None, lang="en") is None
    assert record_step(data, f"{mine}|closed", note=None, photo=None, lang="en") is None
    assert finding_panel._photo_openers(data) == {mine}  # the rule behind the photo buttons
    panel = section(data, MapState(town=T100, lang="en"))
    buttons = [c.id for c in _all(panel) if isinstance(getattr(c, "id", None), dict)]
    assert [b["index"].split("/")[0] for b in buttons] == []  # mine is closed (not listed); theirs: no button
    request_as("admin")
    panel = section(data, MapState(town=T100, lang="en"))
    buttons = [c.id for c in _all(panel) if isinstance(getattr(c, "id", None), dict)]
    assert [b["index"].split("/")[0] for b in buttons] == [theirs]
    assert _find(panel, "rect-counts").children == "open 0 · overdue 0 · closed 1"


def _all(component: Any) -> Iterator[Any]:
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, str):
            yield from _all(child)
