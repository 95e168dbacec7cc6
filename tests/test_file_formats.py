"""Readers: every format county staff send, header detection, encodings, and refusals."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely

from geodata._errors import ReadError
from geodata.io._shapefile import detect_dbf_encoding
from geodata.io.readers import read_table

HEAD = ["户编号", "户主姓名", "家庭人口数"]
ROWS = [["H001", "张三明", 3], ["H002", "李四", 5]]


def _xlsx(path: Path, *, title: bool = True, sheet: str = "Sheet1", unit_row: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append(["某县2026年防返贫监测对象台账"])
        ws.merge_cells("A1:C1")
    if unit_row:
        ws.append(["", "单位：户、人", ""])
    ws.append(HEAD)
    ws.append([])  # a blank line between header and data is common
    for r in ROWS:
        ws.append(r)
    wb.create_sheet("说明").append(["填表说明"])
    wb.save(path)
    return path


def test_xlsx_header_found_under_merged_title(tmp_path) -> None:
    t = read_table(_xlsx(tmp_path / "a.xlsx", unit_row=True), header_hint=HEAD)
    assert list(t.data.columns) == HEAD
    assert t.header_row == 3 and t.source_rows.tolist() == [5, 6]
    assert t.data.iloc[0].tolist() == ["H001", "张三明", 3]


def test_xlsx_sheet_by_name_and_missing_sheet(tmp_path) -> None:
    path = _xlsx(tmp_path / "a.xlsx", title=False, sheet="农户")
    assert read_table(path, sheet="农户").sheet == "农户"
    with pytest.raises(ReadError, match="说明"):
        read_table(path, sheet="监测户")


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8-sig", True), ("gbk", False), ("gb18030", False)]
)
def test_csv_encodings_are_detected(tmp_path, encoding, bom) -> None:
    path = tmp_path / "a.csv"
    path.write_text("户编号,户主姓名,家庭人口数\nH001,张三明,3\nH002,李四,5\n", encoding=encoding)
    t = read_table(path)
    assert list(t.data.columns) == HEAD and t.data.iloc[0, 1] == "张三明"
    assert t.source_rows.tolist() == [2, 3]
    assert t.encoding in ({"gbk": "gb18030"}.get(encoding, encoding), "utf-8")


def test_csv_semicolons_and_title_line(tmp_path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("某县农户台账;;\n户编号;户主姓名;家庭人口数\nH001;张三明;3\n", encoding="utf-8")
    t = read_table(path, header_hint=HEAD)
    assert list(t.data.columns) == HEAD and t.source_rows.tolist() == [3]


def _shapefile(path: Path, *, encoding: str = "GBK", keep_cpg: bool = False) -> Path:
    frame = gpd.GeoDataFrame(
        {"村名称": ["红星村", "前进村"], "村集体经济收入": [1.0, 2.0]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs=4545,
    )
    with warnings.catch_warnings():  # GDAL notes it cuts the long field name to 10 bytes: intended
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(frame, path, encoding=encoding)
    if not keep_cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


@pytest.mark.parametrize("keep_cpg", [False, True])
def test_gbk_shapefile_with_and_without_cpg(tmp_path, keep_cpg) -> None:
    t = read_table(_shapefile(tmp_path / "v.shp", keep_cpg=keep_cpg))
    assert t.data["村名称"].tolist() == ["红星村", "前进村"]
    assert "村集体经济" in t.data.columns
    assert t.geometry is not None and t.geometry.crs.to_epsg() == 4545
    assert detect_dbf_encoding(tmp_path / "v.dbf") == "GB18030"


def test_utf8_shapefile_is_detected(tmp_path) -> None:
    _shapefile(tmp_path / "u.shp", encoding="UTF-8")
    assert detect_dbf_encoding(tmp_path / "u.dbf") == "UTF-8"
    assert read_table(tmp_path / "u.shp").data["村名称"].tolist() == ["红星村", "前进村"]


def test_zipped_shapefile_and_zip_refusals(tmp_path) -> None:
    _shapefile(tmp_path / "v.shp")
    ok = tmp_path / "ok.zip"
    with zipfile.ZipFile(ok, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in tmp_path.glob("v.*"):
            zf.write(p, f"data/{p.name}")
    assert len(read_table(ok).data) == 2
    no_shp = tmp_path / "none.zip"
    with zipfile.ZipFile(no_shp, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(ReadError, match=r"expected one \.shp"):
        read_table(no_shp)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("b.shp", b"\0" * 5_000_000)
    with pytest.raises(ReadError, match="zip bomb"):
        read_table(bomb)


def test_shapefile_missing_dbf(tmp_path) -> None:
    _shapefile(tmp_path / "v.shp").with_suffix(".dbf").unlink()
    with pytest.raises(ReadError, match=r"missing \.dbf"):
        read_table(tmp_path / "v.shp")


def test_geojson_and_geopackage_layers(tmp_path) -> None:
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(104.6, 35.6)], crs=4490)
    frame.to_file(tmp_path / "p.geojson", driver="GeoJSON")
    assert read_table(tmp_path / "p.geojson").data["name"].tolist() == ["a"]
    frame.to_file(tmp_path / "p.gpkg", layer="one")
    frame.to_file(tmp_path / "p.gpkg", layer="two")
    assert read_table(tmp_path / "p.gpkg", layer="two").geometry.crs.to_epsg() == 4490
    with pytest.raises(ReadError, match=r"one, two|two, one"):
        read_table(tmp_path / "p.gpkg")


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("gone.csv", None, "not found"),
        ("empty.csv", b"", "empty"),
        ("head.csv", "户编号,姓名\n".encode(), "no data rows"),
        ("x.docx", b"abc", "unknown file type"),
        ("bad.xlsx", b"not a zip", "not a readable Excel"),
    ],
)
def test_unreadable_inputs(tmp_path, name, content, match) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ReadError, match=match):
        read_table(path)


def test_explicit_wrong_encoding_says_what_to_do(tmp_path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("户编号\nH1\n".encode("gbk"))
    with pytest.raises(ReadError, match="--encoding auto"):
        read_table(path, encoding="utf-8")
