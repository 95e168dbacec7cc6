"""Multi-day trips that stay overnight at township seats, and the plan as KML and KMZ."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pypdf
import pytest

from analytics import INPUT_LAYERS, prepare_records
from analytics.inspection_plan import plan_inspection, route_context
from battlemap_cli.main import main
from geodata.settings import Settings
from geodata.store import GeoPackageStore
from layers.route_kml import plan_kml, plan_kmz
from layers.route_sheet import route_sheet_pdf
from tests.conftest import copy_store
from tests.test_route_outputs import EVIL, hand_plan

DATE = dt.date(2026, 12, 1)
KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def demo(demo_store_path: Path) -> tuple:
    store = GeoPackageStore(demo_store_path)
    layers = {n: store.read(n) for n in INPUT_LAYERS if store.has(n)}
    settings = Settings()
    settings = settings.replace(
        inspection=dataclasses.replace(settings.inspection, cluster_km=0.0),  # drawn county-wide: long trips
        route=dataclasses.replace(settings.route, patience_s=0.3, time_limit_s=3.0),  # steady under a loaded CPU
    )
    records = prepare_records(layers, as_of=DATE, settings=settings)
    context = route_context(layers["villages"], layers.get("roads"), layers.get("facilities"), records, settings)
    return records, context, settings, layers["facilities"]


def test_overnight_days_end_at_township_seats_and_drive_less_than_going_home(demo: tuple) -> None:
    records, context, settings, facilities = demo
    kwargs = {"date": DATE, "stops": 15, "days": 3, "hours": 9, "seed": 0, "settings": settings}
    home = plan_inspection(records, context, **kwargs)
    away = plan_inspection(records, context, overnight=True, **kwargs)
    assert away["overnight"] and not home["overnight"]
    assert not home["unfitted"] and not away["unfitted"], "the draw is meant to fit both ways"
    hours = [sum(d["travel_h"] for d in p["day_summary"]) for p in (home, away)]
    assert hours[1] < hours[0], f"overnight {hours[1]} h of driving, going home {hours[0]} h"

    seats = set(facilities.loc[facilities["kind"] == "township_gov", "name"])
    days = away["day_summary"]
    for day, nxt in itertools.pairwise(days):
        assert day["end_place"]["name"] in seats  # every night at a township government
        assert nxt["start_place"] == day["end_place"]  # and the next day leaves from there
    assert days[0]["start_place"]["name"] == away["start"]["name"]
    assert days[-1]["end_place"]["name"] == away["start"]["name"]  # the last day goes home
    for day, path in zip(days, away["paths"], strict=True):
        assert path[0] == pytest.approx([day["start_place"]["lon"], day["start_place"]["lat"]], abs=1e-5)
        assert path[-1] == pytest.approx([day["end_place"]["lon"], day["end_place"]["lat"]], abs=1e-5)
    assert all(d["start_place"] == d["end_place"] == days[0]["start_place"] for d in home["day_summary"])


def test_overnight_without_township_seats_is_refused(
    demo_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = GeoPackageStore(tmp_path / "no_seats.gpkg")
    source = GeoPackageStore(demo_store_path)
    with store.transaction() as tx:
        for name in source.layers():
            if name != "facilities":
                tx.write(name, source.read(name))
    argv = ["--store", str(store.path), "route", "--date", "2026-12-01", "--days", "2", "--overnight", "--seed", "1"]
    json_out = tmp_path / "plan.json"
    assert main([*argv, "--out", str(json_out)]) == 2
    assert "township_gov" in capsys.readouterr().err
    assert not json_out.exists()  # nothing half-written


def test_kml_has_a_placemark_per_stop_and_a_line_per_day_with_text_escaped() -> None:
    plan = hand_plan()
    root = ET.fromstring(plan_kml(plan, "zh").encode("utf-8"))
    marks = root.iter(f"{KML}Placemark")
    points = [m for m in marks if m.find(f"{KML}Point") is not None]
    names = [m.findtext(f"{KML}name") for m in points]
    assert len(points) == len(plan["stops"]) + 1  # every stop and the start
    assert f"1 {EVIL}" in names  # the name survives as text: it was escaped, not parsed as markup
    lines = list(root.iter(f"{KML}LineString"))
    assert len(lines) == len(plan["day_summary"])
    coords = lines[0].findtext(f"{KML}coordinates").split()
    assert len(coords) == len(plan["paths"][0]) and coords[0] == "104.6,35.6"
    assert "<img" not in plan_kml(plan, "zh")


def test_route_writes_kml_and_kmz(demo_store_path: Path, tmp_path: Path) -> None:
    store = GeoPackageStore(tmp_path / "copy.gpkg")
    copy_store(GeoPackageStore(demo_store_path), store)
    kml, kmz, plan_json, sheet = tmp_path / "r.kml", tmp_path / "r.kmz", tmp_path / "r.json", tmp_path / "r.pdf"
    argv = ["--store", str(store.path), "route", "--date", "2026-12-01", "--stops", "10", "--days", "2"]
    argv += ["--overnight", "--seed", "3", "--out", str(kml), "--out", str(kmz), "--json", str(plan_json)]
    argv += ["--out", str(sheet)]
    assert main(argv) == 0
    plan = json.loads(plan_json.read_text("utf-8"))
    root = ET.parse(kml).getroot()
    stop_marks = [m for m in root.iter(f"{KML}Placemark") if m.find(f"{KML}Point") is not None]
    assert len(stop_marks) >= len(plan["stops"]) + 1
    assert len(list(root.iter(f"{KML}LineString"))) == sum(1 for p in plan["paths"] if len(p) > 1)
    with zipfile.ZipFile(kmz) as z:
        assert z.namelist() == ["doc.kml"]
        assert z.read("doc.kml").decode("utf-8") == kml.read_text("utf-8")
    assert plan_kmz(hand_plan())[:2] == b"PK"
    pages = pypdf.PdfReader(sheet).pages
    assert len(pages) >= sum(1 for d in plan["day_summary"] if d["stops"])
    text = flat("".join(p.extract_text() for p in pages))
    assert all(s["village"] in text for s in plan["stops"])
    night = plan["day_summary"][0]["end_place"]["name"]
    assert night in text  # day 1 ends at its township seat


def test_route_sheet_lists_each_days_stops_masked_with_room_for_notes() -> None:
    plan = hand_plan()
    reader = pypdf.PdfReader(io.BytesIO(route_sheet_pdf(plan, "zh")))
    assert len(reader.pages) == 1
    text = flat(reader.pages[0].extract_text())
    assert "第1天" in text and "09:00–09:30" in text and "T1" in text and "H1李*" in text
    assert "备注" in text and flat(EVIL) in text  # drawn as text, never interpreted


def flat(text: str) -> str:
    """Extracted PDF text without the spaces, line breaks and NULs pypdf puts between CJK glyphs."""
    return "".join(c for c in text if c not in " \n\x00")
