"""Turn raw cell values into typed columns, marking every value that cannot be read.

Each coercer takes the raw column (objects as the reader found them) and returns the
typed column plus a boolean mask of unreadable values; the caller turns the mask into
located problems. Numbers are parsed with pandas in one pass; only the leftovers
(full-width digits, thousands separators, Chinese dates) go through Python code.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import pandas as pd

from geodata.schemas import NO, YES, Column
from geodata.settings import Settings

_LIST_SEP = re.compile(r"[;；,，、/|]+")
_DATE_PARTS = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)

Coerced = tuple[pd.Series, pd.Series, str]


def is_missing(raw: pd.Series) -> pd.Series:
    """True where a cell is empty: None, NaN, or blank text."""
    obj = raw.astype("object")
    missing = obj.isna()
    blank = obj.where(~missing, "").astype("str").str.strip().eq("")
    return (missing | blank).astype(bool)


def _text(v: Any) -> str:
    """A cell as normalised text: NFKC (full-width → ASCII), stripped; integral floats lose '.0'."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return unicodedata.normalize("NFKC", str(v)).strip()


def _numbers(raw: pd.Series) -> pd.Series:
    """Floats parsed from the column; NaN where not a number; ``85%`` is 0.85."""
    fast = pd.to_numeric(raw, errors="coerce")
    todo = fast.isna() & raw.notna()
    if todo.any():
        text = raw[todo].map(_text)
        cleaned = text.map(lambda s: re.sub(r"[,\s元人户天%％]", "", s))
        percent = text.str.endswith(("%", "％"))
        parsed = pd.to_numeric(cleaned, errors="coerce")
        fast = fast.astype("float64")
        fast[todo] = parsed.where(~percent, parsed / 100)
    return fast.astype("float64")


def coerce_str(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Text columns: kept as text, integral floats from Excel lose their '.0'."""
    out = raw.map(lambda v: None if v is None else _text(v), na_action="ignore").astype("object")
    return out, pd.Series(False, index=raw.index), ""


def coerce_code(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Administrative codes: exactly ``col.digits`` digits (2, 4 or 6 without a fixed length), kept as text."""
    lengths = (col.digits,) if col.digits else (2, 4, 6)
    out = raw.map(lambda v: re.sub(r"\s", "", _text(v)), na_action="ignore").astype("object")
    ok = out.map(lambda s: isinstance(s, str) and s.isdigit() and len(s) in lengths, na_action="ignore")
    bad = raw.notna() & ~ok.fillna(False).astype(bool)
    expected = f"a {col.digits}-digit code" if col.digits else "a 2-digit province, 4-digit city or 6-digit county code"
    return out, bad, f"expected {expected} (统计用区划代码)"


def coerce_float(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Decimal numbers; thousands separators and full-width digits accepted."""
    out = _numbers(raw)
    return out, raw.notna() & out.isna(), "expected a number"


def coerce_percent(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Percentage points (0–100): ``60``, ``60%`` and ``60.5％`` are all read as points, never as a share."""
    out = _numbers(raw)
    written = raw.map(lambda v: isinstance(v, str) and _text(v).endswith(("%", "％")), na_action="ignore")
    out = out.where(~written.fillna(False).astype(bool), (out * 100).round(9))  # _numbers read 60% as the share 0.6
    return out, raw.notna() & out.isna(), "expected a percentage such as 60 or 60%"


def coerce_int(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Whole numbers; 3.0 is accepted, 3.5 is not."""
    num = _numbers(raw)
    bad = raw.notna() & (num.isna() | (num.round() != num) | (num.abs() >= 2**53))  # beyond exact integers: a typo
    return num.where(~bad).astype("Int64"), bad, "expected a whole number"


def coerce_bool(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Yes/no in the many ways sheets write it (是/否, 1/0, √/×, Y/N)."""
    table = {**dict.fromkeys(YES, True), **dict.fromkeys(NO, False)}
    out = raw.map(lambda v: table.get(_text(v).lower()), na_action="ignore")
    bad = raw.notna() & out.isna()
    return out.astype("boolean"), bad, f"expected yes/no such as {YES[0]}/{NO[0]} or 1/0"


def parse_date(v: Any) -> dt.date | None:
    """One date from ISO, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305 or an Excel serial number."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 20000 <= v <= 80000:
        return _EXCEL_EPOCH + dt.timedelta(days=int(v))
    s = _text(v)
    m = _DATE_PARTS.match(s) or _DATE_COMPACT.match(s)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def coerce_date(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Dates become datetime64 (midnight); unreadable, impossible or implausible dates are marked."""
    cfg = settings.imports
    first, last = dt.date(cfg.earliest_year, 1, 1), dt.date.today() + dt.timedelta(days=366 * cfg.latest_years_ahead)
    parsed = raw.map(parse_date, na_action="ignore")
    plausible = parsed.map(lambda d: first <= d <= last, na_action="ignore").fillna(False).astype(bool)
    bad = raw.notna() & ~plausible
    why = f"expected a date such as 2026-03-05, between {first.year} and {last.year}"
    return pd.to_datetime(parsed.where(~bad)).astype("datetime64[ms]"), bad, why


def _choice_table(col: Column) -> dict[str, str]:
    """Every accepted spelling (lower case, NFKC) → canonical value."""
    table = {}
    for canonical, spellings in col.choices.items():
        for s in (canonical, *spellings):
            table[unicodedata.normalize("NFKC", s).lower()] = canonical
    return table


def coerce_enum(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """One of the allowed values, given canonically or in Chinese."""
    table = _choice_table(col)
    out = raw.map(lambda v: table.get(_text(v).lower()), na_action="ignore").astype("object")
    bad = raw.notna() & out.isna()
    allowed = ", ".join(f"{k} ({v[0]})" if v else k for k, v in col.choices.items())
    return out, bad, f"expected one of: {allowed}"


def coerce_list(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Lists written with ; ； , 、 separators become ';'-joined canonical values."""
    table = _choice_table(col)

    def one(v: Any) -> str | None:
        tokens = [t for t in _LIST_SEP.split(_text(v)) if t]
        codes = [table.get(t.lower()) for t in tokens]
        return None if None in codes else ";".join(dict.fromkeys(c for c in codes if c))

    out = raw.map(one, na_action="ignore").astype("object")
    bad = raw.notna() & out.isna()
    allowed = ", ".join(f"{k} ({v[0]})" if v else k for k, v in col.choices.items())
    return out, bad, f"expected a list of: {allowed}"


def coerce_number_text(raw: pd.Series, col: Column, settings: Settings) -> Coerced:
    """Lab results: numbers or '<0.001', '未检出', 'ND' kept as normalised text."""
    out = raw.map(_text, na_action="ignore").astype("object")
    return out, pd.Series(False, index=raw.index), ""


COERCERS: dict[str, Callable[[pd.Series, Column, Settings], Coerced]] = {
    "str": coerce_str,
    "code": coerce_code,
    "int": coerce_int,
    "float": coerce_float,
    "percent": coerce_percent,
    "bool": coerce_bool,
    "date": coerce_date,
    "enum": coerce_enum,
    "list": coerce_list,
    "number_text": coerce_number_text,
}


def resolve_bound(bound: float | str | None, settings: Settings) -> float | None:
    """A column bound: a literal number or a dotted settings name such as ``imports.max_members``."""
    if bound is None or isinstance(bound, (int, float)):
        return bound
    obj: Any = settings
    for part in bound.split("."):
        obj = getattr(obj, part)
    return float(obj)


def out_of_range(values: pd.Series, col: Column, settings: Settings) -> tuple[pd.Series, str]:
    """Mask of numbers outside the column's bounds, and the reason to report."""
    lo, hi = resolve_bound(col.minimum, settings), resolve_bound(col.maximum, settings)
    num = values.astype("float64")
    bad = pd.Series(False, index=values.index)
    if lo is not None:
        bad |= num < lo
    if hi is not None:
        bad |= num > hi
    lo_s = "-∞" if lo is None else f"{lo:g}"
    hi_s = "∞" if hi is None else f"{hi:g}"
    return bad.fillna(False).astype(bool), f"out of range: expected {lo_s} … {hi_s}"
