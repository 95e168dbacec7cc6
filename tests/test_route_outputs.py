"""Plan outputs from a hand-made plan: checklist contents, escaping, GPX structure, JSON round trip."""

from __future__ import annotations

import json

import gpxpy

from layers.checklist import FORM_FIELDS, HOUSEHOLD_CHECKS, ZERO_OUT_CHECKS, stop_sections, warning_text
from layers.route_export import plan_gpx, plan_html, plan_json, plan_map

EVIL = "<img src=x onerror=alert(1)>"


def hand_plan() -> dict:
    stop = {
        "number": 1,
        "day": 1,
        "village_code": "621121100201",
        "village": EVIL,
        "town_code": "621121100",
        "lon": 104.61,
        "lat": 35.61,
        "forced": True,
        "reasons": ["checkin"],
        "weight": 2.0,
        "service_min": 30.0,
        "arrive": "2026-12-01 09:00",
        "depart": "2026-12-01 09:30",
        "arrive_min": 30.0,
        "teams": [{"team_id": "T1", "unit": EVIL, "leader": "王*", "checkin_rate": 0.9, "days_in_village": 100}],
        "households": [{"household_id": "H1", "head": "李*", "status": "monitored", "flags": ["cd", "uninsured"]}],
    }
    return {
        "plan_id": "R1",
        "owner": "a",
        "date": "2026-12-01",
        "seed": 1,
        "days": 1,
        "hours": 8.0,
        "return_to_start": True,
        "start": {"lon": 104.60, "lat": 35.60, "name": EVIL},
        "stops": [stop],
        "unfitted": [{**stop, "village": "远村", "village_code": "621121201202", "lon": 104.63, "lat": 35.63}],
        "day_summary": [
            {
                "day": 1,
                "date": "2026-12-01",
                "stops": 1,
                "distance_km": 3.2,
                "travel_h": 0.2,
                "total_h": 0.9,
                "leave": "2026-12-01 08:30",
                "end": "2026-12-01 09:45",
            }
        ],
        "paths": [[[104.60, 35.60], [104.605, 35.605], [104.61, 35.61], [104.60, 35.60]]],
        "draw": {"candidates": 4, "excluded": 0, "due_this_cycle": 1},
        "warnings": [{"code": "unfitted", "count": 1}],
    }


def test_checklist_has_the_ten_checks_the_guarantees_and_the_form() -> None:
    sections = stop_sections(hand_plan()["stops"][0], "zh")
    assert len(sections) == 3
    team, household, form = sections
    assert len(team[1]) == 1 + len(ZERO_OUT_CHECKS) == 11  # the team's facts, then the ten checks
    assert "驻村不住村" in team[1] and "三会一课" in team[1]
    assert len(household[1]) == len(HOUSEHOLD_CHECKS) and "C/D 危房" in household[0]
    assert form[0] == "发现问题登记" and len(form[1]) == len(FORM_FIELDS)
    assert [s[0] for s in stop_sections(hand_plan()["stops"][0], "en")][2] == "Finding form"


def test_html_outputs_escape_every_name() -> None:
    for page in (plan_html(hand_plan(), "zh"), plan_map(hand_plan(), "en")):
        assert EVIL not in page
        escaped = ("&lt;img src=x onerror=alert(1)&gt;", "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;")
        assert any(e in page for e in escaped)  # in the page, or in a tooltip handed to Leaflet as JSON


def test_gpx_and_json() -> None:
    gpx = gpxpy.parse(plan_gpx(hand_plan()))
    assert [w.name for w in gpx.waypoints] == [f"0 {EVIL}", f"1 {EVIL}"]  # XML-escaped in the file, text when read
    assert gpx.waypoints[1].time is not None and gpx.waypoints[1].time.hour == 9
    assert len(gpx.tracks[0].segments[0].points) == 4 and len(gpx.routes[0].points) == 2
    assert json.loads(plan_json(hand_plan())) == hand_plan()


def test_warnings_in_both_languages() -> None:
    w = {"code": "due_exceeds_stops", "due": 40, "quota": 3, "stops": 2}
    assert "40" in warning_text(w, "zh") and "工作队" in warning_text(w, "zh")
    assert warning_text(w, "en") == "40 teams still due this cycle need 3 stops a day; only 2 drawn"
