"""Stream an Excel worksheet's cells with openpyxl (read-only mode), keeping Excel row numbers."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from geodata._errors import ReadError


def read_xlsx_rows(path: Path, *, sheet: str | None) -> tuple[list[list[object]], list[int], str]:
    """All rows of one worksheet as cell values, their Excel row numbers, and the sheet's name.

    Dates become ISO text (``2026-03-05``); merged title cells simply read as one value
    followed by blanks, which the header detection skips.
    """
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        msg = f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc}); save it again as .xlsx"
        raise ReadError(msg) from exc
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            msg = f"{path}: no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}"
            raise ReadError(msg)
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows: list[list[object]] = []
        numbers: list[int] = []
        # read-only sheets yield every row from min_row on, blank ones included, so counting is exact
        for number, row in enumerate(ws.iter_rows(values_only=True), start=ws.min_row or 1):
            if any(v is not None for v in row):
                numbers.append(number)
                rows.append([_value(v) for v in row])
        return rows, numbers, ws.title
    finally:
        wb.close()


def sheet_names(path: Path) -> list[str]:
    """The worksheet names of a workbook, in order ([] when it cannot be opened: the reader will say why)."""
    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        return []
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _value(v: object) -> object:
    """A cell value as the importer wants it: dates as ISO text, everything else unchanged."""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v
