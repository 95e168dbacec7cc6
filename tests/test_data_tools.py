"""The pieces behind /data: change summaries, templates, layer detection, CRS hints, uploads, data quality."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from analytics.data_quality import data_quality, last_updates
from geodata._errors import InputError, ReadError
from geodata.io.crs import wgs84_to_gcj02
from geodata.io.importer import import_layer, prepare_layer
from geodata.io.preview import detect_layer, preview_table, read_upload
from geodata.io.readers import read_table
from geodata.io.templates import example_place, template_workbook
from geodata.private.uploads import UploadArea, clean_name, decode_upload
from geodata.schemas import SCHEMAS
from geodata.store import Store
from tests.conftest import resident_id
from tests.importing import HEADER, household_rows, run, write_csv, write_xlsx

TODAY = dt.date.today()


def _households(store: Store, tmp_path: Path, rows: list[list[object]], name: str = "h.csv") -> None:
    import_layer("households", write_csv(tmp_path / name, rows), store=store, crs="4490")


# --- what changed --------------------------------------------------------------------------------------------


def test_an_import_reports_rows_added_removed_and_changed_by_village(mini_store: Store, tmp_path: Path) -> None:
    rows = household_rows(8)
    first = import_layer("households", write_csv(tmp_path / "a.csv", rows), store=mini_store, crs="4490")
    assert first.diff is not None and first.diff.first_version and first.diff.added == 8
    again = [list(r) for r in rows]
    again[1][7] = 9999  # income of the second household (village 621121100202)
    del again[2]  # third household (621121201201) gone
    again.append(
        [
            9,
            "621121201202009",
            "621121201202",
            "陈红",
            resident_id(30),
            "",
            2,
            5000,
            "一般户",
            "",
            "",
            "",
            "B",
            "是",
            "",
            104.632,
            35.632,
        ]
    )
    second = import_layer("households", write_csv(tmp_path / "b.csv", again), store=mini_store, crs="4490", who="clerk")
    diff = second.diff
    assert diff is not None and not diff.first_version
    assert (diff.added, diff.removed, diff.changed, diff.unchanged) == (1, 1, 1, 6)
    assert diff.columns == {"per_capita_income": 1}
    assert diff.villages["621121100202"].changed == 1
    assert diff.villages["621121201201"].removed == 1
    assert diff.villages["621121201202"].added == 1
    assert diff.touched == ["621121100202", "621121201202"]
    entry = mini_store.import_log().iloc[-1]
    assert entry["who"] == "clerk"
    assert json.loads(entry["detail"])["diff"]["added"] == 1


def test_the_same_file_twice_changes_nothing(mini_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", household_rows(8))
    import_layer("households", path, store=mini_store, crs="4490")
    diff = import_layer("households", path, store=mini_store, crs="4490").diff
    assert diff is not None and (diff.added, diff.removed, diff.changed, diff.unchanged) == (0, 0, 0, 8)


# --- templates -----------------------------------------------------------------------------------------------


@pytest.fixture
def store_with_household(mini_store: Store, tmp_path: Path) -> Store:
    """The mini county plus the household of the households template (the C/D template's example names it)."""
    path = tmp_path / "households-template.xlsx"
    path.write_bytes(template_workbook("households", store=mini_store))
    import_layer("households", path, store=mini_store, crs="4490")
    return mini_store


@pytest.mark.parametrize("layer", list(SCHEMAS))
def test_each_template_with_its_example_row_imports_cleanly(
    layer: str, store_with_household: Store, tmp_path: Path
) -> None:
    path = tmp_path / f"{layer}.xlsx"
    path.write_bytes(template_workbook(layer, store=store_with_household))
    prepared = import_layer(layer, path, store=store_with_household, crs="cgcs2000")
    assert prepared.report.problems == [], prepared.report.format_text()
    assert len(store_with_household.read(layer)) == 1


def test_a_template_has_starred_chinese_headers_and_instructions(mini_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert run(mini_store.target, "template", "households", "--out", str(path)) == 0
    raw = read_table(path)
    assert list(raw.data.columns)[:3] == ["*户编号", "*村代码", "户主姓名"]
    assert raw.data.iloc[0]["*村代码"] == example_place(mini_store).village_code == "621121100201"
    import openpyxl

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["农户", "填写说明"]
    assert run(mini_store.target, "template", "households", "--out", str(tmp_path / "t.csv")) == 2


def test_a_bad_wkt_cell_is_refused_with_its_row(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "v.xlsx",
        [["621121100201", "红星村", "POLYGON ((1 1, 2 1, 2 2, 1 1))"], ["621121100202", "前进村", "not wkt"]],
        header=["村代码", "村名称", "几何"],
    )
    with pytest.raises(ReadError, match=r"row\(s\) 3"):
        read_table(path)


# --- detection, mapping, CRS hint ----------------------------------------------------------------------------


def test_the_layer_is_detected_from_the_headers(tmp_path: Path) -> None:
    assert detect_layer(HEADER)[0].layer == "households"
    assert detect_layer(["台账编号", "户编号", "鉴定等级", "改造进度"])[0].layer == "housing"
    assert detect_layer(["样品编号", "检测点编号", "采样日期", "检测指标", "检测值"])[0].layer == "water_tests"


def _gcj_rows(villages: gpd.GeoDataFrame) -> list[list[object]]:
    """Households near each village's north-east corner, written in GCJ-02 (so they drift out of it)."""
    rows = []
    for k, v in enumerate(villages.itertuples()):
        _, _, x1, y1 = v.geometry.bounds
        for j in range(4):
            x, y = x1 - 0.0008 - 0.0003 * j, y1 - 0.0008
            gx, gy = wgs84_to_gcj02(x, y)
            row = household_rows(1)[0]
            row[1], row[2], row[15], row[16] = f"{v.village_code}{j:03d}", v.village_code, float(gx[0]), float(gy[0])
            row[4] = resident_id(10 * k + j)
            rows.append(row)
    return rows


def test_gcj02_points_get_a_hint_and_import_into_their_villages(mini_store: Store, tmp_path: Path) -> None:
    villages = mini_store.read("villages")
    path = write_csv(tmp_path / "gcj.csv", _gcj_rows(villages))
    preview = preview_table(read_upload(path), "households", villages=villages)
    assert preview.hint.suggest == "gcj02"
    assert preview.hint.inside["gcj02"] == 1.0 and preview.hint.inside["cgcs2000"] < 0.5
    assert 100 < (preview.hint.offset_m or 0) < 800
    prepared = prepare_layer("households", path, store=mini_store, crs="gcj02")
    assert prepared.report.ok and not prepared.frame["location_mismatch"].any()


def test_swapped_lonlat_and_pii_masking_in_the_preview(mini_store: Store, tmp_path: Path) -> None:
    rows = household_rows(8)
    for r in rows:
        r[15], r[16] = r[16], r[15]
    path = write_csv(tmp_path / "swapped.csv", rows)
    preview = preview_table(read_upload(path), "households", villages=mini_store.read("villages"))
    assert preview.hint.suggest == "swap"
    assert preview.rows[0]["户主姓名"] == "王*军" and "*" in str(preview.rows[0]["证件号码"])
    fixed = preview_table(read_upload(path), "households", villages=None, overrides={"经度": "lat", "纬度": "lon"})
    assert fixed.mapping["经度"] == "lat" and fixed.missing == []


# --- uploads -------------------------------------------------------------------------------------------------


def test_uploads_are_size_limited_and_kept_under_a_token(tmp_path: Path) -> None:
    body = "编号\n1\n".encode()
    url = "data:text/csv;base64," + base64.b64encode(body).decode()
    assert decode_upload(url, max_bytes=100) == body
    with pytest.raises(InputError, match="larger than the limit"):
        decode_upload(url, max_bytes=3)
    with pytest.raises(InputError, match="base64"):
        decode_upload("hello", max_bytes=100)
    assert clean_name("../../etc/农户 台账<1>.CSV") == "农户_台账_1.csv"
    area = UploadArea(tmp_path / "uploads")
    upload = area.save("a/b/台账.csv", body, keep_hours=1)
    assert area.get(upload.token).path.read_bytes() == body and upload.path.parent.parent == area.root
    for token in ("../x", None, "0" * 32):
        with pytest.raises(InputError, match="upload it again"):
            area.get(token)


# --- data quality --------------------------------------------------------------------------------------------


def _quality_store(store: Store, tmp_path: Path) -> None:
    """Households with one of each problem, C/D cases and water tests in the mini county."""
    rows = household_rows(8)
    rows[1][15], rows[1][16] = "", ""  # no coordinates (village 621121100202)
    rows[2][15], rows[2][16] = 104.63, 35.61  # coded 621121201201, lies in 621121100202 (~2 km off)
    rows[4][4] = rows[4][4][:-1] + ("0" if rows[4][4][-1] != "0" else "1")  # bad check digit (621121100201)
    _households(store, tmp_path, rows)
    month = pd.Timestamp(TODAY).to_period("M")
    cases = pd.DataFrame(
        {
            "case_id": ["C1", "C2"],
            "household_id": [rows[0][1], "621121100201999"],
            "grade": ["C", "D"],
            "appraised_on": pd.to_datetime([TODAY, TODAY]),
            "stage": ["started", "pending"],
            "deadline": pd.to_datetime([None, TODAY]),
            "subsidy": [1.0, 2.0],
        }
    )
    tests = gpd.GeoDataFrame(
        {
            "sample_id": ["S1", "S2"],
            "site_id": ["W1", "W2"],
            "site_name": ["一号", "二号"],
            "sampled_on": [month.start_time, (month - 1).start_time],
            "indicator": ["pH", "pH"],
            "value": ["7", "7"],
        },
        geometry=shapely.points([[104.61, 35.61], [104.63, 35.63]]),
        crs=4490,
    )
    with store.transaction() as tx:
        tx.write("housing", cases)
        tx.write("water_tests", tests)


def test_data_quality_counts_each_problem_in_its_village(mini_store: Store, tmp_path: Path) -> None:
    _quality_store(mini_store, tmp_path)
    layers = {n: mini_store.read(n) for n in ("villages", "households", "housing", "water_tests")}
    q = data_quality(layers, import_log=mini_store.import_log(), as_of=TODAY)
    counts = q.counts
    assert counts.loc["621121100202", "no_coordinates"] == 1
    assert counts.loc["621121201201", "wrong_village"] == 1
    assert counts.loc["621121100201", "id_checksum"] == 1
    assert (
        counts["missing_dates"].sum() == 3 + 1
    )  # monitored households lack 风险发现日期/录入日期; case C1 its deadline
    assert counts["stale"].sum() == 0  # every village was just imported
    assert counts.loc["621121201202", "water_no_sample"] == 1 and counts["water_no_sample"].sum() == 1
    orphan = q.problems[q.problems["kind"] == "case_without_household"]
    assert orphan["record"].tolist() == ["C2"] and orphan["village_code"].isna().all()
    assert (counts["total"] == counts.drop(columns=["name", "total"]).sum(axis=1)).all()
    wrong = q.problems[q.problems["kind"] == "wrong_village"]["detail"].iloc[0]
    assert wrong.startswith("前进村 621121100202")
    masked = q.problems[q.problems["kind"] == "id_checksum"]["detail"].iloc[0]
    assert masked.startswith("6211") and "*" in masked

    later = data_quality(layers, import_log=mini_store.import_log(), as_of=TODAY + dt.timedelta(days=61))
    assert later.counts["stale"].sum() == 4


def test_stale_follows_the_villages_each_import_changed() -> None:
    codes = pd.Series(["A", "B", "C"])
    log = pd.DataFrame(
        {
            "at": pd.to_datetime(["2026-01-01", "2026-03-01", "2026-04-01"]),
            "action": ["demo", "import:replace", "import:append"],
            "layer": ["*", "households", "water_tests"],
            "detail": [
                "{}",
                json.dumps(
                    {
                        "diff": {
                            "villages": {
                                "A": {"added": 1, "removed": 0, "changed": 0},
                                "B": {"added": 0, "removed": 2, "changed": 0},
                            }
                        }
                    }
                ),
                "{}",
            ],
        }
    )
    last = last_updates(codes, log)
    assert last["A"] == pd.Timestamp("2026-03-01")
    assert last["B"] == last["C"] == pd.Timestamp("2026-01-01")  # a removal alone is no update
    assert np.isnat(last_updates(codes, None).to_numpy()).all()
