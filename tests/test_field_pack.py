"""The field pack: its page, map and navigation links from a hand-made plan; who may fetch it; its size.

Requests go through Flask's test client to the real app on a copy of the demo store
(the offline behaviour on a phone is in ``test_field_phone.py``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import numpy as np
import prcoords
import pytest
import shapely

from app import create_app
from callbacks.route_page import make_plan
from callbacks.store_data import StoreData
from geodata.private.plan_store import PlanStore
from geodata.settings import FieldSettings
from geodata.store import GeoPackageStore
from harness.browser import account
from layers.checklist import ZERO_OUT_CHECKS
from layers.field_map import MapFrame, field_svg, plan_frame
from layers.field_pack import field_manifest, field_page, navigation_links
from layers.i18n import t
from tests.test_access import client_for
from tests.test_route_outputs import EVIL, hand_plan

PACK_LIMIT_BYTES = 2_000_000  # issue 18: the field pack of a 3-day, 30-stop plan stays under 2 MB
SETTINGS = FieldSettings()


def two_stop_plan() -> dict[str, Any]:
    """The hand-made plan with a second stop on day 1."""
    plan = hand_plan()
    second = {**copy.deepcopy(plan["stops"][0]), "number": 2, "village": "二村", "village_code": "621121100202"}
    second.update(lon=104.62, lat=35.62, arrive="2026-12-01 10:00", depart="2026-12-01 10:30", teams=[])
    plan["stops"].append(second)
    return plan


def roads_and_outlines() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    roads = gpd.GeoDataFrame(
        {"road_class": ["county", "village", "ferry"]},
        geometry=[
            shapely.LineString([(104.59, 35.60), (104.63, 35.62)]),
            shapely.LineString([(104.61, 35.59), (104.6100001, 35.5900001), (104.61, 35.63)]),
            shapely.LineString([(110.0, 30.0), (110.1, 30.1)]),  # far away: cut off
        ],
        crs=4490,
    )
    outlines = gpd.GeoDataFrame(
        {"code": ["621121100201", "621121100299"], "name": [EVIL, "南村"]},
        geometry=[shapely.box(104.60, 35.60, 104.62, 35.62), shapely.box(104.60, 35.58, 104.62, 35.60)],
        crs=4490,
    )
    return roads, outlines


def test_the_page_lists_the_stops_with_times_checklists_navigation_and_a_place_for_findings() -> None:
    roads, outlines = roads_and_outlines()
    page = field_page(two_stop_plan(), roads=roads, outlines=outlines, lang="zh", built=dt.datetime(2026, 11, 30, 8))
    assert EVIL not in page and "&lt;img src=x onerror=alert(1)&gt;" in page  # names, teams and outlines escaped
    order = [page.index('id="stop-1"'), page.index('id="stop-2"')]
    assert order == sorted(order) and "09:00–09:30" in page and "10:00–10:30" in page
    assert page.count(t(ZERO_OUT_CHECKS[0], "zh")) == 1  # the team's ten checks at the stop with a team
    assert page.count('class="fp-findings"') == 2 and page.count("uri.amap.com") == 2
    assert page.count("baidumap://") == 2 and "生成于2026-11-30 08:00" in page
    assert page.count('data-act="arrival"') == 2 and page.count('class="fp-record fp-finding"') == 2
    assert page.count('<option value="饮水安全">饮水安全</option>') == 2  # [findings] categories, per stop
    assert 'src="record.js"' in page and 'data-photo-side="1600"' in page
    assert 'src="field.js"' in page and "<script>" not in page  # the policy allows no inline script
    assert 'href="manifest.webmanifest" crossorigin="use-credentials"' in page
    assert 'data-network-wait="4"' in page  # [field_pack] network_wait_s, handed to the service worker
    frame = plan_frame(two_stop_plan(), SETTINGS)
    ring = " ".join(
        f"{x} {y}" for c in shapely.box(104.60, 35.60, 104.62, 35.62).exterior.coords for x, y in [frame.point(*c)]
    )
    assert f'data-outline="{ring}"' in page and 'data-outline=""' in page  # stop 1's village; stop 2's is not given
    assert 'data-arrival-tolerance-m="500"' in page  # [field_pack] arrival_tolerance_m, for the phone's own flag
    english = field_page(two_stop_plan(), roads=None, outlines=outlines, lang="en")
    assert "Navigate (AMap)" in english and t("field_no_roads", "en") in english  # no roads said, not hidden
    assert 'href="manifest.webmanifest?lang=en"' in english


def test_an_overnight_trip_says_where_each_day_starts_and_where_the_night_is_spent() -> None:
    plan = two_stop_plan()
    plan["stops"][1]["day"] = 2
    seat = {"name": "马营镇人民政府", "lon": 104.615, "lat": 35.615}
    first = {**plan["day_summary"][0], "start_place": {**plan["start"], "name": "县城"}, "end_place": seat}
    second = {**first, "day": 2, "date": "2026-12-02", "start_place": seat, "end_place": seat}
    plan |= {"overnight": True, "days": 2, "day_summary": [first, second], "paths": plan["paths"] * 2}
    page = field_page(plan, roads=None, outlines=None, lang="zh")
    assert "出发: 县城 → 马营镇人民政府 · 08:30–09:45" in page
    assert page.count("住宿（乡镇政府）") == 1  # after day 1; the last day goes home
    assert page.count("uri.amap.com") == 3 and page.count('class="fp-day"') == 2


def test_navigation_links_open_amap_in_gcj02_and_baidu_in_bd09() -> None:
    stop = hand_plan()["stops"][0]
    (_, amap), (_, baidu) = navigation_links({**stop, "name": stop["village"]}, "zh")
    a = parse_qs(urlsplit(amap).query)
    lon, lat = map(float, a["position"][0].split(","))
    ref = prcoords.wgs_gcj(prcoords.Coords(stop["lat"], stop["lon"]))
    assert abs(lon - ref.lon) < 1e-6 and abs(lat - ref.lat) < 1e-6 and a["coordinate"] == ["gaode"]
    assert abs(lon - stop["lon"]) > 1e-3  # the ~500 m offset is applied, not forgotten
    assert a["name"] == [EVIL]  # percent-encoded in the address, escaped again in the page
    assert baidu.startswith("baidumap://map/marker?")
    b = parse_qs(urlsplit(baidu).query)
    blat, blon = map(float, b["location"][0].split(","))
    ref = prcoords.wgs_bd(prcoords.Coords(stop["lat"], stop["lon"]))
    assert abs(blon - ref.lon) < 1e-6 and abs(blat - ref.lat) < 1e-6
    assert b["coord_type"] == ["bd09ll"] and b["src"] == ["battlemap"]


def test_the_map_draws_roads_outlines_route_and_stops_where_the_script_projects_them() -> None:
    roads, outlines = roads_and_outlines()
    plan = two_stop_plan()
    svg = field_svg(plan, roads=roads, outlines=outlines, lang="zh", settings=SETTINGS)
    assert 'class="road r-county"' in svg and 'class="road r-village"' in svg and "r-track" not in svg  # ferry cut
    assert svg.count('class="route"') == 1 and 'id="m-1"' in svg and 'id="m-2"' in svg and 'id="here"' in svg
    attrs = dict(re.findall(r'data-([a-z-]+)="([-0-9.]+)"', svg.split(">", 1)[0]))
    west, north, kx, ky = (float(attrs[k]) for k in ("west", "north", "kx", "ky"))
    stop = plan["stops"][1]
    x, y = map(int, re.search(r'id="m-2" transform="translate\((-?\d+) (-?\d+)\)"', svg).groups())
    assert abs((stop["lon"] - west) * kx - x) <= 1 and abs((north - stop["lat"]) * ky - y) <= 1  # as field.js does
    frame = MapFrame.around((104.60, 35.60, 104.63, 35.63), margin_km=1.0)
    width_m = frame.width * frame.unit_m
    assert abs(width_m - (3 * 0.01 * 111_195 * np.cos(np.radians(35.615)) + 2000)) < 20  # metres, not degrees
    assert max(frame.width, frame.height) == 10_000


def test_roads_are_simplified_to_the_setting() -> None:
    wiggly = shapely.LineString([(104.60 + i * 0.001, 35.60 + (i % 2) * 0.00003) for i in range(30)])  # ±3 m
    roads = gpd.GeoDataFrame({"road_class": ["township"]}, geometry=[wiggly], crs=4490)
    plan = hand_plan()
    coarse = field_svg(plan, roads=roads, outlines=None, lang="zh", settings=FieldSettings(simplify_m=10.0))
    fine = field_svg(plan, roads=roads, outlines=None, lang="zh", settings=FieldSettings(simplify_m=0.5))
    road = re.compile(r'class="road r-township" d="([^"]*)"')
    assert len(road.search(coarse).group(1)) < len(road.search(fine).group(1)) / 3


def test_the_manifest_is_scoped_to_the_plan() -> None:
    manifest = json.loads(field_manifest({**hand_plan(), "plan_id": "R20261201-0123456789"}, "zh"))
    assert manifest["scope"] == manifest["start_url"] == "/field/R20261201-0123456789/"
    assert manifest["display"] == "standalone" and manifest["icons"][0]["src"] == "icon.svg"


@pytest.fixture(scope="module")
def served(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path, str]]:
    """The app on a copy of the demo store, and a plan of the test inspector's."""
    path = tmp_path_factory.mktemp("field") / "county.gpkg"
    shutil.copyfile(demo_store_path, path)
    for role in ("inspector", "admin", "leader"):
        account(path, role)
    account(path, "inspector", name="other-inspector")
    plan_id = PlanStore.beside(GeoPackageStore(path)).save(hand_plan(), owner="test-inspector")["plan_id"]
    yield create_app(str(path)), path, plan_id


def test_only_the_plans_inspector_and_admins_open_its_pack(served: tuple[Any, Path, str]) -> None:
    app, store, plan_id = served
    url = f"/field/{plan_id}/"
    mine = client_for(app, store, "inspector").get(url)
    assert mine.status_code == 200 and "&lt;img src=x onerror=alert(1)&gt;" in mine.text
    assert mine.headers["Cache-Control"] == "private, no-store"
    policy = mine.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "worker-src 'self'" in policy
    assert client_for(app, store, "admin").get(url).status_code == 200
    other = client_for(app, store, "inspector", name="other-inspector")
    for path in ("", "manifest.webmanifest"):
        refused = other.get(url + path)
        assert refused.status_code == 404 and "onerror" not in refused.text and plan_id not in refused.text
    assert client_for(app, store, "leader").get(url).status_code == 403  # the role may not plan visits at all
    assert client_for(app, store, None).get(url).status_code == 401
    assert client_for(app, store, "inspector").get("/field/R1/").status_code == 404  # not a plan id
    log = PlanStore.beside(GeoPackageStore(store)).audit_log(action="route:field")
    assert set(log[log["action"] == "route:field:refused"]["who"]) == {"other-inspector"}
    assert {"test-inspector", "test-admin"} <= set(log[log["action"] == "route:field"]["who"])


def test_the_pack_files_live_under_the_plans_scope(served: tuple[Any, Path, str]) -> None:
    app, store, plan_id = served
    client = client_for(app, store, "inspector")
    worker = client.get(f"/field/{plan_id}/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert "battlemap-field-" in worker.text and "self.registration.scope" in worker.text
    assert client.get(f"/field/{plan_id}/field.js").mimetype == "text/javascript"
    assert client.get(f"/field/{plan_id}/icon.svg").mimetype == "image/svg+xml"
    manifest = client.get(f"/field/{plan_id}/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json" and manifest.json["scope"] == f"/field/{plan_id}/"
    assert client.get(f"/field/{plan_id}/other.js").mimetype != "text/javascript"  # only the two scripts
    assert client_for(app, store, None).get(f"/field/{plan_id}/sw.js").status_code == 401


def test_logging_out_clears_the_offline_copies(served: tuple[Any, Path, str]) -> None:
    app, store, _plan_id = served
    client = client_for(app, store, "inspector")
    client.get("/_dash-layout")  # the user bar's logout form makes the CSRF token
    with client.session_transaction() as session:
        token = session["csrf"]
    response = client.post("/logout", data={"csrf": token})
    assert response.status_code == 303 and response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_route_page_links_a_saved_plan_to_its_pack(served: tuple[Any, Path, str]) -> None:
    from callbacks.route_page import plan_view

    app, store, plan_id = served
    plan = {**hand_plan(), "plan_id": plan_id}
    with app.server.test_request_context():
        summary = plan_view(StoreData(GeoPackageStore(store)), plan, "en")[1]
    links = [c for c in summary if getattr(c, "id", None) == "route-field-link"]
    assert links and links[0].href == f"/field/{plan_id}/?lang=en" and links[0].children == "Field pack (phone)"


def test_a_three_day_thirty_stop_pack_stays_small(demo_store_path: Path) -> None:
    data = StoreData(GeoPackageStore(demo_store_path))
    plan = make_plan(
        data, date=dt.date(2026, 12, 1), stops=30, days=3, hours=8.0, start=None, seed=3, back=True, overnight=True
    )
    plan["plan_id"] = "R20261201-0123456789"
    page = field_page(plan, roads=data.layer_or_none("roads"), outlines=data.shapes("village"), lang="zh")
    assert len(plan["stops"]) >= 25 and page.count('class="fp-stop"') == len(plan["stops"])
    assert len(page.encode()) < PACK_LIMIT_BYTES
