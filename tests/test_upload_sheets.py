"""A workbook with several sheets: /data starts on the sheet whose headers make a layer."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from geodata.io.preview import read_upload, upload_sheets
from tests.importing import two_sheet_workbook


def test_the_ledger_sheet_is_chosen_over_a_summary_in_front(tmp_path: Path) -> None:
    book = two_sheet_workbook(tmp_path / "台账.xlsx")
    names, first = upload_sheets(book)
    assert names == ["汇总", "明细", "空白"] and first == "明细"
    assert len(read_upload(book, sheet=first).data) == 2


def test_a_single_sheet_or_a_csv_has_no_choice(tmp_path: Path) -> None:
    book = tmp_path / "one.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "只有一张"
    wb.save(book)
    assert upload_sheets(book) == (["只有一张"], "只有一张")
    csv = tmp_path / "a.csv"
    csv.write_text("a,b\n1,2\n", "utf-8")
    assert upload_sheets(csv) == ([], None)
