"""Rectification of inspection findings (整改销号) on the mini county: steps, refusals, the draw, wall, map, bulletin.

Villages V1, V2 (township 100) and V3, V4 (township 201) of conftest. A finding walks
open → rectifying → rectified → verified → closed; every other order is refused with
nothing written. Overdue and unverified findings weigh more in the draw, and the wall,
the map's indicator tables and the bulletin count them the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import stat
from pathlib import Path

import pandas as pd
import pytest

from analytics import compute_indicators, prepare_records
from analytics.bulletin import LEDGER, bulletin, month_findings
from analytics.findings import finding_ledger
from analytics.inspection_draw import candidates
from analytics.kpis import Kpi, wall_kpis
from analytics.records import Records
from battlemap_cli.main import main
from battlemap_cli.month_tables import indexed
from geodata._errors import InputError
from geodata.finding_steps import deadlines, status_on, stored_status
from geodata.private.db import PrivateDB
from geodata.private.findings import NotAllowed, WrongStep, add_finding, advance_finding, finding_steps, step_photo
from geodata.private.photos import photo_dir
from geodata.settings import FindingSettings, Settings
from geodata.store import Store
from layers.bulletin_text import bulletin_doc
from layers.i18n import t
from layers.wall import tile_text
from tests.conftest import snapshot, town_frame, village_frame
from tests.test_indicators_mini import households

V1, V2, V3, V4 = "621121100201", "621121100202", "621121201201", "621121201202"
T100, T201 = "621121100", "621121201"
VISIT = dt.date(2026, 6, 1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _finding(store: Store, village: str = V1, **kw: object) -> str:
    return add_finding(store, date=VISIT, village_code=village, finding="饮水设施损坏", inspector="insp-a", **kw)


def _row(store: Store, inspection_id: str) -> pd.Series:
    return store.read("inspections").set_index("inspection_id").loc[inspection_id]


def test_a_finding_walks_every_step_once_and_each_step_is_recorded(mini_store: Store) -> None:
    new = _finding(mini_store, category="drinking water safety")  # the English label is understood
    row = _row(mini_store, new)
    assert (row["category"], row["township_code"], row["status"]) == ("饮水安全", T100, "open")
    assert pd.Timestamp(row["deadline"]).date() == VISIT + dt.timedelta(days=15)  # [findings] default_deadline_days

    record = advance_finding(
        mini_store, new, "rectifying", on=dt.date(2026, 6, 5), who="town-a", note="已更换水管", photo=PNG
    )
    advance_finding(mini_store, new, "rectified", on=dt.date(2026, 6, 10), who="town-a")
    advance_finding(mini_store, new, "verified", on=dt.date(2026, 6, 20), who="insp-a", note="回访查看已通水")
    advance_finding(mini_store, new, "closed", on=dt.date(2026, 6, 21), who="admin")

    row = _row(mini_store, new)
    assert row["status"] == "closed" and bool(row["rectified"])
    dates = {c: str(row[c])[:10] for c in ("rectifying_on", "rectified_on", "verified_on", "closed_on")}
    assert dates == {
        "rectifying_on": "2026-06-05",
        "rectified_on": "2026-06-10",
        "verified_on": "2026-06-20",
        "closed_on": "2026-06-21",
    }
    steps = finding_steps(mini_store, new)
    assert list(steps["status"]) == ["rectifying", "rectified", "verified", "closed"]
    assert list(steps["status_before"]) == ["open", "rectifying", "rectified", "verified"]
    assert list(steps["who"]) == ["town-a", "town-a", "insp-a", "admin"]
    assert steps["note"].iloc[0] == "已更换水管" and steps["photo"].iloc[0] == record["photo"]
    photo = photo_dir(mini_store) / str(record["photo"])
    assert photo.read_bytes() == PNG and stat.S_IMODE(photo.stat().st_mode) == 0o600

    # the status on an earlier day follows the step dates
    frame = mini_store.read("inspections")
    on = {d: status_on(frame, dt.date(2026, 6, d)).iloc[0] for d in (1, 6, 12, 20, 30)}
    assert on == {1: "open", 6: "rectifying", 12: "rectified", 20: "verified", 30: "closed"}

    # photos: the inspector and admins only, every opening audited
    assert step_photo(mini_store, new, str(record["photo"]), who="insp-a", admin=False) == PNG
    with pytest.raises(NotAllowed, match="admins and its inspector"):
        step_photo(mini_store, new, str(record["photo"]), who="town-b", admin=False)
    opened = PrivateDB.beside(mini_store).audit_log(action="finding:photo")
    assert list(opened["who"]) == ["insp-a"]


def test_a_step_out_of_order_or_with_bad_input_is_refused_and_nothing_is_written(gpkg: Store) -> None:
    new = _finding(gpkg)
    before = snapshot(gpkg)
    with pytest.raises(WrongStep, match="is open: the next step is rectifying, not rectified"):
        advance_finding(gpkg, new, "rectified", on=VISIT, who="town-a")
    with pytest.raises(InputError, match="needs a note"):
        advance_finding(gpkg, new, "rectifying", on=VISIT, who="town-a")
    with pytest.raises(InputError, match="JPEG or PNG"):
        advance_finding(gpkg, new, "rectifying", on=VISIT, who="town-a", note="修好了", photo=b"GIF89a" + b"0" * 9)
    with pytest.raises(InputError, match="before the visit"):
        advance_finding(gpkg, new, "rectifying", on=VISIT - dt.timedelta(days=1), who="town-a", note="修好了")
    with pytest.raises(NotAllowed, match=f"township {T100}, not {T201}"):
        advance_finding(gpkg, new, "rectifying", on=VISIT, who="town-b", note="修好了", township=T201)
    with pytest.raises(InputError, match="no inspection 'DC99999'"):
        advance_finding(gpkg, "DC99999", "rectifying", on=VISIT, who="town-a", note="修好了")
    assert snapshot(gpkg) == before, "a refused step leaves the store as it was"
    assert finding_steps(gpkg).empty

    for status in ("rectifying", "rectified", "verified", "closed"):
        advance_finding(gpkg, new, status, on=VISIT, who="a", note="x")
    with pytest.raises(WrongStep, match="closed \\(销号\\): no step follows"):
        advance_finding(gpkg, new, "closed", on=VISIT, who="a")
    visit_only = add_finding(gpkg, date=VISIT, village_code=V2)
    with pytest.raises(InputError, match="recorded no finding"):
        advance_finding(gpkg, visit_only, "rectifying", on=VISIT, who="a", note="x")
    with pytest.raises(InputError, match="no finding"):
        add_finding(gpkg, date=VISIT, village_code=V2, category="饮水安全")
    with pytest.raises(InputError, match="unknown finding category '水'"):
        _finding(gpkg, category="水")
    with pytest.raises(InputError, match="before the visit"):
        _finding(gpkg, deadline=VISIT - dt.timedelta(days=1))


def test_rows_with_only_rectified_still_load_and_move_on(gpkg: Store) -> None:
    """A layer from before the steps: rectified rows are closed (销号) from their rectified_on, the others open."""
    legacy = pd.DataFrame(
        {
            "inspection_id": ["DC00001", "DC00002", "DC00003"],
            "date": pd.to_datetime(["2026-05-01", "2026-05-02", "2026-05-03"]).astype("datetime64[ms]"),
            "inspector": "督查组",
            "team_id": None,
            "village_code": [V1, V3, V4],
            "household_id": None,
            "finding": ["台账不全", "工作日志不全", None],
            "rectified": [False, True, False],
            "rectified_on": pd.to_datetime([None, "2026-05-20", None]).astype("datetime64[ms]"),
        }
    )
    assert list(stored_status(legacy).fillna("-")) == ["open", "closed", "-"]
    assert list(status_on(legacy, dt.date(2026, 5, 10)).fillna("-")) == ["open", "open", "-"]
    with gpkg.transaction() as tx:
        tx.write("inspections", legacy)
    ledger = finding_ledger(gpkg.read("inspections"), as_of=dt.date(2026, 6, 30), settings=Settings())
    assert ledger is not None
    assert list(ledger["status"]) == ["open", "closed"] and list(ledger["overdue"]) == [True, False]
    assert list(ledger["town_code"]) == [T100, T201]

    advance_finding(gpkg, "DC00001", "rectifying", on=dt.date(2026, 6, 2), who="a", note="补齐台账")
    frame = gpkg.read("inspections").set_index("inspection_id")
    assert frame.loc["DC00001", "status"] == "rectifying" and frame.loc["DC00001", "township_code"] == T100
    assert stored_status(frame).loc["DC00002"] == "closed", "the other legacy rows keep their derived status"


def test_the_deadline_is_a_setting_per_category() -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2026-06-01"] * 3),
            "category": ["饮水安全", "住房安全", None],
            "deadline": pd.to_datetime([None, None, "2026-06-04"]),
        }
    )
    settings = Settings().replace(findings=FindingSettings(deadline_days={"饮水安全": 7}, default_deadline_days=20))
    assert [d.date().isoformat() for d in deadlines(frame, settings)] == ["2026-06-08", "2026-06-21", "2026-06-04"]


def _ledger_layers() -> dict[str, pd.DataFrame]:
    """V1: open, overdue; V2: open, in time; V3: rectified, not verified; V4: closed. All visited on one day."""
    as_of = dt.date(2026, 6, 30)
    deadline = [as_of - dt.timedelta(days=1), as_of + dt.timedelta(days=10), as_of, as_of]
    inspections = pd.DataFrame(
        {
            "inspection_id": ["DC00001", "DC00002", "DC00003", "DC00004"],
            "date": pd.to_datetime(["2026-06-10"] * 4),
            "inspector": "督查组",
            "team_id": None,
            "village_code": [V1, V2, V3, V4],
            "household_id": None,
            "finding": ["a", "b", "c", "d"],
            "rectified": [False, False, True, True],
            "rectified_on": pd.to_datetime([None, None, "2026-06-20", "2026-06-20"]),
            "deadline": pd.to_datetime(deadline),
            "status": ["open", "rectifying", "rectified", "closed"],
            "rectifying_on": pd.to_datetime([None, "2026-06-12", "2026-06-12", "2026-06-12"]),
            "verified_on": pd.to_datetime([None, None, None, "2026-06-25"]),
            "closed_on": pd.to_datetime([None, None, None, "2026-06-26"]),
        }
    )
    return {"towns": town_frame(), "villages": village_frame(), "households": households(), "inspections": inspections}


AS_OF = dt.date(2026, 6, 30)


def test_overdue_and_unverified_findings_weigh_more_in_the_next_draw() -> None:
    settings = Settings()
    records = prepare_records(_ledger_layers(), as_of=AS_OF, settings=settings)
    w = settings.inspection.weights

    def weights(**changed: float) -> pd.DataFrame:
        cfg = dataclasses.replace(settings.inspection, weights={**w, **changed})
        return candidates(records, date=dt.date(2026, 7, 1), settings=settings.replace(inspection=cfg)).set_index(
            "village_code"
        )

    frame = weights()
    assert list(frame["overdue_findings"]) == [1.0, 0.0, 0.0, 0.0]
    assert list(frame["unverified_findings"]) == [0.0, 0.0, 1.0, 0.0]
    assert list(frame["open_findings"]) == [0.5, 0.5, 0.0, 0.0]  # one open finding of full_scale 2
    assert "overdue_findings" in frame.at[V1, "reasons"] and "unverified_findings" in frame.at[V3, "reasons"]
    without = weights(overdue_findings=0.0, unverified_findings=0.0)
    extra = (frame["weight"] - without["weight"]).round(9).tolist()
    assert extra == [w["overdue_findings"], 0.0, w["unverified_findings"], 0.0]
    heavier = weights(overdue_findings=5.0)
    assert heavier.at[V1, "weight"] - without.at[V1, "weight"] == pytest.approx(5.0)


def _inspections_tile(county: pd.Series, records: Records, settings: Settings) -> Kpi:
    return next(
        k for k in wall_kpis(county, None, records, as_of=AS_OF, settings=settings) if k.key == "kpi_inspections"
    )


def test_wall_map_and_bulletin_count_the_findings_as_the_tables_do() -> None:
    settings = Settings()
    layers = _ledger_layers()
    tables = indexed(compute_indicators(layers, as_of=AS_OF, settings=settings))  # as the bulletin reads them
    village, town, county = tables["village"], tables["town"], tables["county"].iloc[0]
    ledger = finding_ledger(layers["inspections"], as_of=AS_OF, settings=settings)
    assert ledger is not None

    # /map: per-village counts of open and overdue findings
    assert list(village["inspection_findings_open"]) == [1, 1, 0, 0]
    assert list(village["inspection_findings_overdue"]) == [1, 0, 0, 0]
    assert county["inspection_findings_overdue"] == ledger["overdue"].sum() == 1
    by_status = ledger["status"].value_counts()
    assert county["inspection_findings_step_open"] == by_status["open"]
    assert county["inspection_findings_rectifying"] == by_status["rectifying"]
    assert county["inspection_findings_unverified"] == by_status["rectified"] == 1
    assert county["inspection_findings_closed"] == by_status["closed"]

    # /wall: the inspections tile says how many are open, the overdue ones in red
    records = prepare_records(layers, as_of=AS_OF, settings=settings)
    kpi = next(
        k for k in wall_kpis(county, None, records, as_of=AS_OF, settings=settings) if k.key == "kpi_inspections"
    )
    text = tile_text(kpi, "zh")
    assert f"{t('open_findings', 'zh')} 2" in text.detail
    assert text.alert == f"{t('overdue_findings', 'zh')} 1" and text.alert_red
    assert "DC0000" not in text.detail + text.alert, "no record ids on the wall"

    # the bulletin: counts per status and overdue per township, cells of the township table
    names = town_frame().set_index("town_code")["name"]
    findings = month_findings(
        layers["inspections"],
        as_of=AS_OF,
        settings=settings,
        town_names=names,
        village_names=village_frame().set_index("village_code")["name"],
    )
    b = bulletin(tables, tables, as_of=AS_OF, before_as_of=AS_OF, findings=findings, town_names=names)
    assert b.ledger is not None
    table = b.ledger.set_index("town_code")[list(LEDGER)]
    assert table.equals(town[list(LEDGER)].loc[table.index])
    assert table.loc[T100, "inspection_findings_overdue"] == 1 and table.loc[T201, "inspection_findings_closed"] == 1
    assert list(findings["status"]) == ["overdue", "rectifying", "rectified", "rectified"]
    section = next(s for s in bulletin_doc(b, county="庄浪县", unit="庄浪县").sections if "整改销号" in s.heading)
    assert "待整改1个、整改中1个、已整改待回访1个、已回访0个、已销号1个；逾期未整改1个" in section.paragraphs[0]
    assert section.table is not None and len(section.table.rows) == 2


def test_without_an_inspections_layer_every_display_says_no_data() -> None:
    settings = Settings()
    layers = {k: v for k, v in _ledger_layers().items() if k != "inspections"}
    tables = indexed(compute_indicators(layers, as_of=AS_OF, settings=settings))
    assert tables["village"]["inspection_findings_overdue"].isna().all(), "no data is not 0"
    county = tables["county"].iloc[0]
    records = prepare_records(layers, as_of=AS_OF, settings=settings)
    kpi = next(
        k for k in wall_kpis(county, None, records, as_of=AS_OF, settings=settings) if k.key == "kpi_inspections"
    )
    assert tile_text(kpi, "zh").value == t("no_data", "zh") and not tile_text(kpi, "zh").alert
    names = town_frame().set_index("town_code")["name"]
    b = bulletin(tables, tables, as_of=AS_OF, before_as_of=AS_OF, findings=None, town_names=names)
    section = next(s for s in bulletin_doc(b, county="庄浪县", unit="庄浪县").sections if "整改销号" in s.heading)
    assert section.paragraphs == [t("bulletin_findings_no_data", "zh")] and section.table is None


def test_the_command_line_takes_the_same_steps(gpkg: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--store", str(gpkg.target), "inspections"]
    assert main([*base, "list"]) == 0
    assert "no data" in capsys.readouterr().out
    add = [*base, "add", "--date", "2026-06-01", "--village", V3, "--finding", "危房未改造", "--user", "insp-a"]
    assert main([*add, "--category", "水"]) == 2
    assert main([*add, "--category", "住房安全", "--deadline", "2026-06-08"]) == 0
    new = capsys.readouterr().out.split()[1]
    photo, not_a_photo = tmp_path / "p.png", tmp_path / "p.txt"
    photo.write_bytes(PNG)
    not_a_photo.write_text("hello")

    before = snapshot(gpkg)
    assert main([*base, "rectified", new]) == 2
    assert main([*base, "rectifying", new, "--note", "已动工", "--photo", str(not_a_photo)]) == 2
    assert main([*base, "rectifying", new]) == 2  # no note
    err = capsys.readouterr().err
    assert "the next step is rectifying" in err and "JPEG or PNG" in err and "needs a note" in err
    assert snapshot(gpkg) == before

    assert main([*base, "list", "--overdue", "--as-of", "2026-06-10"]) == 0
    out = capsys.readouterr().out
    assert new in out and "OVERDUE" in out and "住房安全" in out and "1 finding(s)" in out
    step = ["rectifying", new, "--on", "2026-06-05", "--note", "已动工", "--photo", str(photo), "--user", "town"]
    assert main([*base, *step]) == 0
    assert main([*base, "rectified", new, "--on", "2026-06-09"]) == 0
    assert main([*base, "list", "--unverified", "--as-of", "2026-06-10"]) == 0
    assert new in capsys.readouterr().out
    assert main([*base, "verify", new, "--visit-date", "2026-06-15"]) == 0
    assert main([*base, "close", new, "--on", "2026-06-16"]) == 0
    assert main([*base, "close", new]) == 2
    capsys.readouterr()
    assert main([*base, "history", new]) == 0
    out = capsys.readouterr().out
    assert "open → rectifying" in out and "verified → closed" in out and "4 step(s)" in out
    name = finding_steps(gpkg, new)["photo"].dropna().iloc[0]
    out_file = tmp_path / "out.png"
    assert main([*base, "photo", new, name, "--out", str(out_file)]) == 0
    assert out_file.read_bytes() == PNG
    assert main([*base, "photo", new, "nope.png", "--out", str(out_file)]) == 2
