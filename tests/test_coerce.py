"""Value coercion: numbers, dates, yes/no, enums and lists as county sheets write them."""

import datetime as dt

import pandas as pd

from geodata.io.coerce import (
    coerce_bool,
    coerce_code,
    coerce_date,
    coerce_enum,
    coerce_float,
    coerce_int,
    coerce_list,
    out_of_range,
    parse_date,
)
from geodata.schemas import HOUSEHOLDS, VILLAGES
from geodata.settings import Settings

S = Settings()


def test_numbers_accept_separators_and_full_width_digits() -> None:
    values, bad, _ = coerce_float(
        pd.Series(["1,234.5", "３２００", 12, None, "abc"], dtype=object), HOUSEHOLDS.column("per_capita_income"), S
    )
    assert values.iloc[:3].tolist() == [1234.5, 3200.0, 12.0]
    assert bad.tolist() == [False, False, False, False, True]


def test_int_refuses_fractions() -> None:
    _, bad, reason = coerce_int(pd.Series(["3", 4.0, "2.5"], dtype=object), HOUSEHOLDS.column("members"), S)
    assert bad.tolist() == [False, False, True]
    assert "whole number" in reason


def test_dates_in_every_common_spelling() -> None:
    for v in ("2026-03-05", "2026/3/5", "2026.3.5", "2026年3月5日", "20260305", dt.datetime(2026, 3, 5), 46086):
        assert parse_date(v) == dt.date(2026, 3, 5), v
    assert parse_date("2026-02-30") is None
    _, bad, _ = coerce_date(pd.Series(["2026-02-30", "2026-02-28"], dtype=object), HOUSEHOLDS.column("entered_on"), S)
    assert bad.tolist() == [True, False]


def test_bool_enum_and_list_aliases() -> None:
    b, bad, _ = coerce_bool(
        pd.Series(["是", "否", "√", "1", "maybe"], dtype=object), HOUSEHOLDS.column("water_safe"), S
    )
    assert b.iloc[:4].tolist() == [True, False, True, True] and bad.tolist() == [False] * 4 + [True]
    e, bad, reason = coerce_enum(
        pd.Series(["监测对象", "lifted", "贫困户"], dtype=object), HOUSEHOLDS.column("status"), S
    )
    assert e.iloc[:2].tolist() == ["monitored", "lifted"] and bad.tolist() == [False, False, True]
    assert "normal (一般户)" in reason
    lst, bad, _ = coerce_list(
        pd.Series(["因病；因学", "缺劳力、缺技术", "因病,外星人"], dtype=object), HOUSEHOLDS.column("risk_types"), S
    )
    assert lst.iloc[:2].tolist() == ["illness;schooling", "labour;skills"] and bad.tolist() == [False, False, True]


def test_codes_from_excel_floats_and_bad_lengths() -> None:
    codes, bad, _ = coerce_code(
        pd.Series([621121100201.0, "6211211002", "62112110020A"], dtype=object), VILLAGES.column("village_code"), S
    )
    assert codes.iloc[0] == "621121100201"
    assert bad.tolist() == [False, True, True]


def test_bounds_come_from_settings() -> None:
    col = HOUSEHOLDS.column("members")
    bad, reason = out_of_range(pd.Series([1, 30, 31, 0]), col, S)
    assert bad.tolist() == [False, False, True, True] and "1 … 30" in reason
    bigger = S.replace(imports=S.imports.__class__(max_members=40))
    assert not out_of_range(pd.Series([31]), col, bigger)[0].any()
