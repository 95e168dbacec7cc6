"""Importing household ledgers: good files land, bad ones are refused or repaired, each with its own message.

Every refused case checks exit status 2 and a byte-identical store; every repaired case
checks the warning kind and the flag left on the stored row.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
import pytest

from geodata.io.crs import wgs84_to_gcj02
from geodata.store import Store
from tests.conftest import snapshot
from tests.importing import HEADER, household_rows, run, write_csv, write_xlsx


def _report(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "report.json").read_text("utf-8"))


def _refused(mini_store: Store, tmp_path: Path, path: Path, kind: str, *extra: str) -> dict:
    """Import ``path``, expect exit 2, an unchanged store, and a problem of ``kind``."""
    before = snapshot(mini_store)
    code = run(mini_store.target, "import", "households", str(path), "--report", str(tmp_path / "report.json"), *extra)
    assert code == 2
    assert snapshot(mini_store) == before
    report = _report(tmp_path)
    kinds = {p["kind"] for p in report["problems"] if p["severity"] == "error"}
    assert kind in kinds, kinds
    return report


def _imported(mini_store: Store, tmp_path: Path, path: Path, *extra: str) -> dict:
    code = run(mini_store.target, "import", "households", str(path), "--report", str(tmp_path / "report.json"), *extra)
    assert code == 0
    return _report(tmp_path)


def _problem(report: dict, kind: str) -> dict:
    found = [p for p in report["problems"] if p["kind"] == kind]
    assert found, f"no {kind} in {report['counts']}"
    return found[0]


def test_good_gbk_csv_imports_with_canonical_values(mini_store, tmp_path) -> None:
    report = _imported(mini_store, tmp_path, write_csv(tmp_path / "h.csv", household_rows()))
    assert report["errors"] == 0
    h = mini_store.read("households")
    assert len(h) == 8 and h.crs.equals("EPSG:4490")
    first = h.iloc[0]
    assert (first["status"], first["monitor_type"], first["risk_types"]) == (
        "monitored",
        "marginal",
        "illness;schooling",
    )
    assert not h["location_estimated"].any() and not h["location_mismatch"].any()
    assert mini_store.import_log()["layer"].tolist() == ["households"]


def test_xlsx_with_merged_title_row_reports_excel_row_numbers(mini_store, tmp_path) -> None:
    rows = household_rows()
    rows[2][6] = "三"  # members not a number, third data row = Excel row 5 under title + header
    path = write_xlsx(tmp_path / "h.xlsx", rows, title="某县2026年防返贫监测台账")
    report = _refused(mini_store, tmp_path, path, "bad_value")
    p = _problem(report, "bad_value")
    assert (p["row"], p["column"], p["value"], p["sheet"]) == (5, "家庭人口数", "三", "农户台账")


@pytest.mark.parametrize(
    ("mutate", "kind", "column"),
    [
        (lambda r: r[1].__setitem__(1, r[0][1]), "duplicate_key", "household_id"),
        (lambda r: r[0].__setitem__(6, 45), "out_of_range", "家庭人口数"),
        (lambda r: r[0].__setitem__(2, "621121100299"), "unknown_village", "village_code"),
        (lambda r: r[0].__setitem__(14, "2026-02-30"), "bad_value", "识别日期"),
        (lambda r: r[0].__setitem__(8, "贫困户"), "bad_value", "户类型"),
        (lambda r: r[0].__setitem__(10, "因病；外出"), "bad_value", "风险类型"),
        (lambda r: r[0].__setitem__(1, ""), "missing_value", "户编号"),
        (lambda r: r[0].__setitem__(7, "2,0000,000"), "out_of_range", "人均纯收入（元）"),
    ],
    ids=[
        "duplicate-key",
        "members-out-of-range",
        "unknown-village",
        "impossible-date",
        "unknown-status",
        "unknown-risk-type",
        "empty-key",
        "income-out-of-range",
    ],
)
def test_structural_faults_are_refused(mini_store, tmp_path, mutate, kind, column) -> None:
    rows = household_rows()
    mutate(rows)
    report = _refused(mini_store, tmp_path, write_csv(tmp_path / "bad.csv", rows), kind)
    assert _problem(report, kind)["column"] in (column, None) or _problem(report, kind)["column"] == column


def test_missing_required_column_names_accepted_headers(mini_store, tmp_path) -> None:
    header = [h for h in HEADER if h != "家庭人口数"]
    rows = [[v for i, v in enumerate(r) if HEADER[i] != "家庭人口数"] for r in household_rows()]
    report = _refused(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows, header=header), "missing_column")
    assert "家庭人口数" in _problem(report, "missing_column")["reason"]


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "empty.csv"), (b"PK\x03\x04garbage", "broken.xlsx"), (b"hello", "ledger.doc")],
    ids=["empty", "corrupt-xlsx", "unknown-ext"],
)
def test_unreadable_files_are_refused(mini_store, tmp_path, content, name) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    _refused(mini_store, tmp_path, path, "unreadable")


def test_header_only_file_is_refused(mini_store, tmp_path) -> None:
    _refused(mini_store, tmp_path, write_csv(tmp_path / "h.csv", []), "unreadable")


def test_projected_numbers_without_crs_are_refused_with_advice(mini_store, tmp_path) -> None:
    rows = household_rows()
    for r in rows:
        r[15], r[16] = 35_555_000.0 + r[0], 3_940_000.0
    report = _refused(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows), "crs_missing")
    assert "--crs" in _problem(report, "crs_missing")["reason"]


def test_points_in_another_county_are_refused(mini_store, tmp_path) -> None:
    rows = household_rows()
    for r in rows:
        r[15], r[16] = r[15] + 3.0, r[16] - 2.0
    _refused(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows), "outside_county")


def test_unknown_crs_is_refused(mini_store, tmp_path) -> None:
    before = snapshot(mini_store)
    assert (
        run(
            mini_store.target,
            "import",
            "households",
            str(write_csv(tmp_path / "h.csv", household_rows())),
            "--crs",
            "mars2000",
        )
        == 2
    )  # a real PROJ CRS, but on Mars
    assert snapshot(mini_store) == before


def test_repairs_are_imported_with_their_own_warnings(mini_store, tmp_path) -> None:
    rows = household_rows()
    rows[0][4] = rows[0][4][:-1] + ("0" if rows[0][4][-1] != "0" else "1")  # checksum broken
    rows[1][15], rows[1][16] = "", ""  # no coordinates
    rows[2][15], rows[2][16] = rows[2][16], rows[2][15]  # lon/lat swapped
    rows[3][15], rows[3][16] = 104.61, 35.61  # point in 621121100201, code says 621121201202
    report = _imported(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows))
    for kind in ("id_checksum", "location_estimated", "swapped_lonlat", "wrong_village"):
        _problem(report, kind)
    assert "6211" in _problem(report, "id_checksum")["value"] and "*" in _problem(report, "id_checksum")["value"]
    h = mini_store.read("households").set_index("household_id")
    assert h.loc[rows[1][1], "location_estimated"]
    assert h.loc[rows[3][1], "location_mismatch"] and h.loc[rows[3][1], "village_code"] == "621121201202"
    assert not h.loc[rows[0][1], "id_checksum_ok"]
    assert abs(h.loc[rows[2][1], "lon"] - 104.61) < 1e-9


def test_gcj02_points_are_shifted_back(mini_store, tmp_path) -> None:
    rows = household_rows(40)
    true_lon = np.array([r[15] for r in rows], dtype=float)
    true_lat = np.array([r[16] for r in rows], dtype=float)
    glon, glat = wgs84_to_gcj02(true_lon, true_lat)
    for r, x, y in zip(rows, glon, glat, strict=True):
        r[15], r[16] = float(x), float(y)
    path = write_csv(tmp_path / "h.csv", rows)
    hint = _imported(mini_store, tmp_path, path)
    _problem(hint, "looks_gcj02")
    _imported(mini_store, tmp_path, path, "--crs", "gcj02")
    h = mini_store.read("households")
    assert np.allclose(h["lon"], true_lon, atol=1e-6) and np.allclose(h["lat"], true_lat, atol=1e-6)


def test_append_merges_by_key_and_reports_conflicts(mini_store, tmp_path) -> None:
    rows = household_rows()
    _imported(mini_store, tmp_path, write_csv(tmp_path / "a.csv", rows[:6]))
    changed = [list(r) for r in rows[4:]]
    changed[0][6] = 9
    report = _imported(mini_store, tmp_path, write_csv(tmp_path / "b.csv", changed), "--mode", "append")
    assert _problem(report, "append_conflict")["value"] == rows[4][1]
    h = mini_store.read("households").set_index("household_id")
    assert len(h) == 8 and h.loc[rows[4][1], "members"] == 9


def test_validate_writes_nothing(mini_store, tmp_path) -> None:
    before = snapshot(mini_store)
    assert run(mini_store.target, "validate", "households", str(write_csv(tmp_path / "h.csv", household_rows()))) == 0
    assert snapshot(mini_store) == before


def test_crash_during_import_leaves_store_unchanged(mini_store, tmp_path, monkeypatch) -> None:
    from geodata.store.gpkg import StoreWriter
    from geodata.store.postgis import PostGISWriter

    before = snapshot(mini_store)

    def boom(*_args, **_kwargs):
        raise OSError(errno.EIO, "input/output error")

    for writer in (StoreWriter, PostGISWriter):
        monkeypatch.setattr(writer, "flush_log", boom)
    with pytest.raises(OSError, match="input/output error"):
        run(mini_store.target, "import", "households", str(write_csv(tmp_path / "h.csv", household_rows())))
    assert snapshot(mini_store) == before
