"""Tables written for spreadsheets, with formula injection neutralised.

Excel, WPS and LibreOffice run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and
tab or carriage return, which some of them skip first) as a formula, so a village or
household name like ``=HYPERLINK("http://x")`` would become a live link or worse in an
exported register. Every text cell that starts so gets a leading apostrophe, which the
spreadsheet shows as the plain text. Numbers stay numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are neutralised; numeric columns untouched."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            out[column] = series.map(safe_cell, na_action="ignore")
    return out.rename(columns={c: safe_cell(c) for c in out.columns})


def append_as_text(sheet: Any, values: list[Any]) -> None:
    """Append a row to an openpyxl worksheet, text that starts like a formula kept as text.

    openpyxl turns any string starting with ``=`` into a formula cell; in a workbook the
    cell can simply be typed as a string (no apostrophe needed, the text is shown as is).
    """
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def safe_csv(frame: pd.DataFrame, **options: Any) -> str:
    """``frame`` as CSV text with every cell safe to open in a spreadsheet."""
    return safe_cells(frame).to_csv(**options)
