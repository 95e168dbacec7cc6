"""Stream an Excel worksheet's cells with openpyxl (read-only mode), keeping Excel row numbers."""

from __future__ import annotations

import datetime as dt
import zipfile
import zlib
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from geodata._errors import ReadError, without_paths

DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ValueError)
"""What openpyxl raises on a workbook whose parts are damaged or truncated (an .xlsx is a zip)."""


def read_xlsx_rows(path: Path, *, sheet: str | None) -> tuple[list[list[object]], list[int], str]:
    """All rows of one worksheet as cell values, their Excel row numbers, and the sheet's name.

    Dates become ISO text (``2026-03-05``); merged title cells simply read as one value
    followed by blanks, which the header detection skips.
    """
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (*DAMAGED, InvalidFileException) as exc:
        msg = (
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__}: {without_paths(str(exc))}); "
            "open it in Excel or WPS and save it again as .xlsx"
        )
        raise ReadError(msg) from exc
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            msg = f"{path.name}: no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}"
            raise ReadError(msg)
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        try:
            rows, numbers = _cells(ws)
        except DAMAGED as exc:
            msg = (
                f"{path.name}: sheet {ws.title!r} is damaged and cannot be read ({type(exc).__name__}: "
                f"{without_paths(str(exc))}); open the file in Excel or WPS, save it again as .xlsx and upload it again"
            )
            raise ReadError(msg) from exc
        return rows, numbers, ws.title
    finally:
        wb.close()


def _cells(ws: object) -> tuple[list[list[object]], list[int]]:
    """The non-blank rows of a read-only worksheet and their Excel row numbers."""
    rows: list[list[object]] = []
    numbers: list[int] = []
    # read-only sheets yield every row from min_row on, blank ones included, so counting is exact
    for number, row in enumerate(ws.iter_rows(values_only=True), start=ws.min_row or 1):  # type: ignore[attr-defined]
        if any(v is not None for v in row):
            numbers.append(number)
            rows.append([_value(v) for v in row])
    return rows, numbers


def sheet_names(path: Path) -> list[str]:
    """The worksheet names of a workbook, in order ([] when it cannot be opened: the reader will say why)."""
    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except (*DAMAGED, InvalidFileException):
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
