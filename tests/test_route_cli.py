"""``battlemap route`` and ``battlemap inspections`` on the demo county; plans private to their owner, audited."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gpxpy
import pytest

from battlemap_cli.main import main
from geodata.private.findings import add_finding
from geodata.private.plan_store import PlanAccessError, PlanStore, private_path
from geodata.store import GeoPackageStore, Store, open_store
from layers.checklist import ZERO_OUT_CHECKS
from layers.i18n import t
from tests.conftest import copy_store


@pytest.fixture
def store_path(demo_store_path: str, store: Store) -> str:
    """A private copy of the session demo store in a store of each kind (the commands write to it)."""
    copy_store(GeoPackageStore(demo_store_path), store)
    return store.target


def test_route_writes_gpx_html_json_and_a_private_audited_plan(
    store_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gpx_path, html_path, json_path = tmp_path / "route.gpx", tmp_path / "route.html", tmp_path / "route.json"
    stamp = open_store(store_path).stamp()
    argv = [
        "--store",
        str(store_path),
        "route",
        "--date",
        "2026-12-01",
        "--stops",
        "12",
        "--out",
        str(gpx_path),
        "--html",
        str(html_path),
        "--json",
        str(json_path),
        "--user",
        "inspector-a",
        "--seed",
        "9",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    plan = json.loads(json_path.read_text("utf-8"))
    assert plan["owner"] == "inspector-a" and plan["seed"] == 9
    assert f"plan {plan['plan_id']}" in out

    gpx = gpxpy.parse(gpx_path.read_text("utf-8"))
    assert len(gpx.waypoints) == len(plan["stops"]) + 1  # the start and every routed stop
    assert [w.name.split()[0] for w in gpx.waypoints] == [str(i) for i in range(len(plan["stops"]) + 1)]
    assert len(gpx.routes) == 1 and len(gpx.routes[0].points) == len(plan["stops"]) + 1
    track = gpx.tracks[0].segments[0].points
    assert len(track) > 3 * len(plan["stops"])  # along the road geometry, not stop to stop
    assert gpx.length_2d() / 1000 == pytest.approx(plan["day_summary"][0]["distance_km"], rel=0.05)
    assert len(plan["stops"]) + len(plan["unfitted"]) == 12
    for day in plan["day_summary"]:
        assert day["total_h"] <= 8.0 and day["end"] <= f"{day['date']} 16:30"  # 08:30 + the 8-hour budget

    page = html_path.read_text("utf-8")
    assert "cdn" not in page.lower() and "L.map(" in page  # Leaflet inlined: opens offline
    assert page.count(t(ZERO_OUT_CHECKS[0])) >= sum(1 for s in plan["stops"] if s["teams"])
    assert t("finding_form") in page

    # Plans live beside the store, never in it: the layer store did not change.
    assert open_store(store_path).stamp() == stamp
    assert not {"route_plans", "audit_log"} & set(open_store(store_path).layers())
    plans = PlanStore.beside(open_store(store_path))
    assert plans.plans(viewer="inspector-a")["plan_id"].tolist() == [plan["plan_id"]]
    assert plans.plans(viewer="inspector-b").empty
    with pytest.raises(PlanAccessError):
        plans.get(plan["plan_id"], viewer="inspector-b")
    assert plans.get(plan["plan_id"], viewer="admin", admin=True)["plan_id"] == plan["plan_id"]
    log = plans.audit_log()
    assert log["action"].iloc[0] == "route:create"
    assert json.loads(log["detail"].iloc[0])["seed"] == 9
    assert {"route:export:gpx", "route:export:html", "route:export:json", "route:view:refused"} <= set(log["action"])
    assert (log.loc[log["action"] == "route:view:refused", "who"] == "inspector-b").all()


def test_the_audit_log_is_append_only(store_path: str) -> None:
    plans = PlanStore.beside(open_store(store_path))
    plans.audit(who="x", action="test", target="-")
    with sqlite3.connect(private_path(open_store(store_path))) as con:
        for sql in ("UPDATE audit_log SET who = 'y'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)
    assert plans.audit_log()["who"].tolist() == ["x"]


def test_unseeded_plans_differ_and_record_no_seed(store_path: str, tmp_path: Path) -> None:
    plans = []
    for k in range(2):
        out = tmp_path / f"p{k}.json"
        assert (
            main(["--store", str(store_path), "route", "--date", "2026-12-01", "--stops", "8", "--json", str(out)]) == 0
        )
        plans.append(json.loads(out.read_text("utf-8")))
    assert plans[0]["seed"] is None
    assert [s["village_code"] for s in plans[0]["stops"] + plans[0]["unfitted"]] != [
        s["village_code"] for s in plans[1]["stops"] + plans[1]["unfitted"]
    ]
    log = PlanStore.beside(open_store(store_path)).audit_log()
    created = log[log["action"] == "route:create"]
    assert [json.loads(d)["randomness"] for d in created["detail"]] == ["os", "os"]


def test_findings_are_added_validated_and_rectified(store_path: str, capsys: pytest.CaptureFixture[str]) -> None:
    store = open_store(store_path)
    team = store.read("teams").iloc[0]
    base = ["--store", str(store_path), "inspections"]
    assert (
        main(
            [
                *base,
                "add",
                "--date",
                "2026-12-01",
                "--team",
                team["team_id"],
                "--finding",
                "工作日志不全",
                "--user",
                "inspector-a",
            ]
        )
        == 0
    )
    new_id = capsys.readouterr().out.split()[1]
    rows = store.read("inspections")
    row = rows[rows["inspection_id"] == new_id].iloc[0]
    assert row["village_code"] == team["village_code"] and row["inspector"] == "inspector-a"
    assert row["finding"] == "工作日志不全" and not row["rectified"]
    assert store.import_log()["action"].iloc[-1] == "import:append"

    before = store.stamp()
    assert main([*base, "add", "--date", "2026-12-01", "--team", "T999"]) == 2  # unknown team
    assert main([*base, "add", "--date", "2026-12-01", "--village", "999999999999"]) == 2  # validated as an import
    assert main([*base, "add", "--date", "2026-12-01", "--team", team["team_id"], "--village", "621199999999"]) == 2
    assert store.stamp() == before, "a refused finding leaves the store as it was"

    assert main([*base, "rectify", new_id, "--on", "2026-12-09"]) == 2  # open: the township reports first
    assert main([*base, "rectifying", new_id, "--on", "2026-12-05", "--note", "日志已补齐"]) == 0
    assert main([*base, "rectify", new_id, "--on", "2026-12-09"]) == 0  # the old name of `rectified`
    row = store.read("inspections").set_index("inspection_id").loc[new_id]
    assert row["rectified"] and str(row["rectified_on"])[:10] == "2026-12-09" and row["status"] == "rectified"
    assert main([*base, "rectify", new_id]) == 2  # already rectified
    assert main([*base, "rectify", "DC99999"]) == 2


def test_findings_saved_at_once_keep_their_own_ids(store_path: str) -> None:
    """Two inspectors saving at the same moment choose the same next id: neither finding is overwritten."""
    store = open_store(store_path)
    team = store.read("teams").iloc[0]
    before = len(store.read("inspections"))
    start = threading.Barrier(4)

    def save(n: int) -> str:
        start.wait()
        return add_finding(
            open_store(store_path),
            date=dt.date(2026, 12, 1),
            team_id=team["team_id"],
            finding=f"同时保存 {n}",
            who=f"inspector-{n}",
        )

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(save, range(4)))
    assert len(set(ids)) == 4
    rows = store.read("inspections")
    assert len(rows) == before + 4
    assert sorted(rows[rows["inspection_id"].isin(ids)]["finding"]) == [f"同时保存 {n}" for n in range(4)]


def test_bad_route_requests_are_refused(store_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--store", str(store_path), "route", "--date", "2026-12-01"]
    assert main([*base, "--out", str(tmp_path / "r.shp")]) == 2
    assert main([*base, "--start", "east of here"]) == 2
    assert main([*base, "--stops", "0"]) == 2
    assert main([*base, "--days", "30"]) == 2
    err = capsys.readouterr().err
    assert "suffix" in err and "lon,lat" in err and "route.max_days" in err
    assert not private_path(open_store(store_path)).exists(), "nothing stored for a refused request"
