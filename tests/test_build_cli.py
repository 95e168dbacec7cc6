"""From county files to indicator tables with the command line, counts exact.

The mini county goes out the way a county sends it — villages as a GBK shapefile in a GK
zone, households as a GBK CSV with GCJ-02 phone coordinates, the water results as a
workbook with a merged title row, the C/D ledger as a workbook, the rest as GeoJSON and
CSV — and comes back through `battlemap import`, `build --as-of 2026-06-30` and
`indicators --level village --format json`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from geodata.io.crs import wgs84_to_gcj02
from geodata.store import Store
from harness.ledgers import HEADERS
from tests.importing import run, write_xlsx
from tests.test_import_villages import write_gbk_shapefile
from tests.test_indicators_mini import COUNT_COLUMNS, COUNTS, layers

WATER_HEADERS = {
    "sample_id": "样品编号", "site_id": "检测点编号", "site_name": "检测点名称", "site_type": "水样类型",
    "sampled_on": "采样日期", "indicator": "检测指标", "value": "检测值", "unit": "单位", "village_code": "村代码",
}  # fmt: skip
SITE_TYPES = {"tap": "末梢水", "own_source": "自备水源", "plant_outlet": "出厂水"}
CASE_HEADERS = {
    "case_id": "台账编号",
    "household_id": "户编号",
    "grade": "鉴定等级",
    "appraised_on": "鉴定日期",
    "stage": "改造进度",
    "deadline": "完成时限",
    "subsidy": "补助资金",
}
STAGES = {"pending": "待改造", "started": "已开工", "completed": "已竣工", "accepted": "已验收"}


def county_files(tmp: Path) -> list[tuple[str, Path, list[str]]]:
    """(layer, file, extra options) for every layer of the mini county."""
    mini = layers()
    out = [("villages", write_gbk_shapefile(mini["villages"], tmp / "行政村.shp", epsg=4545), [])]

    h = mini["households"]
    ledger = pd.DataFrame(h.drop(columns="geometry"))
    ledger["lon"], ledger["lat"] = wgs84_to_gcj02(h["lon"].to_numpy(), h["lat"].to_numpy())
    ledger = ledger[list(HEADERS)].rename(columns=HEADERS)
    ledger["户类型"] = ledger["户类型"].map({"normal": "一般户", "lifted": "脱贫户", "monitored": "监测对象"})
    ledger.to_csv(tmp / "农户.csv", index=False, encoding="gbk")
    out.append(("households", tmp / "农户.csv", ["--crs", "gcj02"]))

    w = mini["water_tests"]
    sheet = pd.DataFrame(w.drop(columns="geometry"))[list(WATER_HEADERS)]
    sheet["site_type"] = sheet["site_type"].map(SITE_TYPES)
    sheet["sampled_on"] = sheet["sampled_on"].dt.strftime("%Y年%m月%d日")
    sheet["经度"], sheet["纬度"] = w.geometry.x, w.geometry.y
    rows = sheet.rename(columns=WATER_HEADERS).astype(object)
    rows = rows.where(rows.notna(), None)
    title = "2026年饮水安全水质检测结果"
    write_xlsx(tmp / "水质.xlsx", rows.to_numpy().tolist(), header=list(rows.columns), title=title, sheet="水质检测")
    out.append(("water_tests", tmp / "水质.xlsx", ["--crs", "4490"]))

    cases = mini["housing"].rename(columns=CASE_HEADERS)
    cases["改造进度"] = cases["改造进度"].map(STAGES)
    write_xlsx(
        tmp / "危房.xlsx", cases.astype(object).to_numpy().tolist(), header=list(cases.columns), sheet="危房台账"
    )
    out.append(("housing", tmp / "危房.xlsx", []))

    for name in ("roads", "facilities", "hazards"):
        frame = mini[name]
        if name == "facilities":
            frame = frame.assign(lon=frame.geometry.x, lat=frame.geometry.y)
        frame.to_file(tmp / f"{name}.geojson", driver="GeoJSON")
        out.append((name, tmp / f"{name}.geojson", []))
    for name in ("projects", "teams", "inspections"):
        mini[name].to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8-sig")
        out.append((name, tmp / f"{name}.csv", []))
    return out


def test_files_to_village_counts(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = store.target
    for layer, path, options in county_files(tmp_path):
        assert run(store, "import", layer, str(path), *options) == 0, (layer, capsys.readouterr().err)
    assert run(store, "build", "--as-of", "2026-06-30") == 0
    capsys.readouterr()
    assert run(store, "indicators", "--level", "village", "--format", "json") == 0
    rows = {r["village_code"]: r for r in json.loads(capsys.readouterr().out)}
    for code, expected in COUNTS.items():
        assert [rows[code][c] for c in COUNT_COLUMNS] == list(expected), code
    assert run(store, "explain", "621121100201", "cd_cases_overdue") == 0
    assert "C1" in capsys.readouterr().out


def test_build_refuses_an_empty_store(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(store.target, "build") == 2
    assert "import villages" in capsys.readouterr().err
