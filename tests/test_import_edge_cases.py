"""What county files really look like, beyond the happy path: each case lands right or is refused by row.

A households file without the income or coordinate columns (both optional), ID numbers
that a spreadsheet turned into numbers, the same ID in two households, a lower-case x,
percentages, 万元 headers, impossible dates, an unquoted comma, one mistyped longitude,
a blank key beside a duplicated one, and an old .xls workbook.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.store import Store
from tests.conftest import resident_id
from tests.importing import HEADER, household_rows, write_csv, write_xlsx
from tests.test_import_households import _imported, _problem, _refused

INCOME = HEADER.index("人均纯收入（元）")
ID = HEADER.index("证件号码")
DATE = HEADER.index("识别日期")
LON = HEADER.index("经度")
KEY = HEADER.index("户编号")


def _without(columns: list[int], rows: list[list[object]]) -> tuple[list[str], list[list[object]]]:
    keep = [i for i in range(len(HEADER)) if i not in columns]
    return [HEADER[i] for i in keep], [[r[i] for i in keep] for r in rows]


def test_optional_number_and_coordinate_columns_may_be_absent(mini_store: Store, tmp_path: Path) -> None:
    header, rows = _without([INCOME, LON, LON + 1], household_rows(4))
    report = _imported(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows, header=header))
    assert report["counts"].get("error", 0) == 0
    stored = mini_store.read("households")
    assert stored["per_capita_income"].isna().all() and stored["location_estimated"].all()


def test_ids_stored_as_numbers_are_refused_by_row(mini_store: Store, tmp_path: Path) -> None:
    rows = household_rows(3)
    rows[1][ID] = int(rows[1][ID].replace("X", "0")) * 1.0  # an Excel number cell: 15 significant digits survive
    report = _refused(mini_store, tmp_path, write_xlsx(tmp_path / "h.xlsx", rows), "id_as_number")
    assert _problem(report, "id_as_number")["row"] == 3
    rows = household_rows(3)
    rows[2][ID] = "1.10101E+17"  # what such a column looks like once saved as CSV
    _refused(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows), "id_as_number")


def test_a_shared_id_warns_and_a_lower_case_x_is_stored_upper_case(mini_store: Store, tmp_path: Path) -> None:
    rows = household_rows(4)
    rows[3][ID] = rows[0][ID]
    rows[1][ID] = next(i for i in map(resident_id, range(100, 200)) if i.endswith("X")).lower()
    report = _imported(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows))
    assert "row 2" in _problem(report, "duplicate_id")["reason"]
    assert mini_store.read("households")["id_number"].str.endswith("x").sum() == 0


def test_percentages_ten_thousands_and_impossible_dates(mini_store: Store, tmp_path: Path) -> None:
    header = [h if h != "人均纯收入（元）" else "人均纯收入（万元）" for h in HEADER]
    rows = household_rows(2)
    rows[0][INCOME], rows[1][INCOME] = 0.65, "0.8"
    report = _imported(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows, header=header))
    assert _problem(report, "unit_converted")["severity"] == "warning"
    assert sorted(mini_store.read("households")["per_capita_income"]) == [6500.0, 8000.0]
    rows = household_rows(1)
    rows[0][DATE] = "0224-03-05"
    report = _refused(mini_store, tmp_path, write_csv(tmp_path / "d.csv", rows), "bad_value")
    assert _problem(report, "bad_value")["column"] == "识别日期"


def test_an_unquoted_comma_and_an_old_workbook_are_refused_with_advice(mini_store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", household_rows(2))
    lines = path.read_text("gbk").splitlines()
    lines[2] += ",345"  # 人均纯收入 12,345 written without quotes pushes a cell past the header
    path.write_text("\n".join(lines) + "\n", encoding="gbk")
    report = _refused(mini_store, tmp_path, path, "unreadable")
    assert "more cells than the header" in _problem(report, "unreadable")["reason"]
    old = tmp_path / "台账.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    report = _refused(mini_store, tmp_path, old, "unreadable")
    assert "save as .xlsx" in _problem(report, "unreadable")["reason"]


def test_one_mistyped_longitude_is_a_row_error_not_a_wrong_crs(mini_store: Store, tmp_path: Path) -> None:
    rows = household_rows(12)
    rows[5][LON] = 10461  # 104.61 without its decimal point
    report = _refused(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows), "bad_value")
    problem = _problem(report, "bad_value")
    assert problem["row"] == 7 and "10461" in str(problem["value"])
    assert not [p for p in report["problems"] if p["kind"] == "crs_missing"]


def test_duplicate_keys_are_found_beside_an_empty_one(mini_store: Store, tmp_path: Path) -> None:
    rows = household_rows(4)
    rows[2][KEY] = rows[0][KEY]
    rows[3][KEY] = ""
    report = _refused(mini_store, tmp_path, write_csv(tmp_path / "h.csv", rows), "duplicate_key")
    assert _problem(report, "duplicate_key")["row"] == 4
    assert _problem(report, "missing_value")["row"] == 5


@pytest.mark.parametrize("value", ["85%", "８５％"])
def test_a_percentage_is_a_share(value: str) -> None:
    import pandas as pd

    from geodata.io.coerce import coerce_float
    from geodata.schemas import schema
    from geodata.settings import Settings

    out, bad, _ = coerce_float(pd.Series([value], dtype=object), schema("teams").column("checkin_rate"), Settings())
    assert out.iloc[0] == pytest.approx(0.85) and not bad.iloc[0]
