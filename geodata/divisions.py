"""Division codes (统计用区划代码) and the levels they carry: province 2, city 4, county 6, town 9, village 12 digits.

A parent's code is the prefix of its children's, so every level above the village is
derived from the village codes alone. Names of the units above the county come from a
store's optional ``regions`` layer or, failing that, from the small table shipped in
``geodata/data/divisions.csv`` (provinces, and the cities of the seed regions).
"""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from geodata._errors import InputError

# Top to bottom; the digits of each level's code.
LEVELS: dict[str, int] = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}
LEVEL_BY_DIGITS = {digits: level for level, digits in LEVELS.items()}
LEVEL_ZH = {"province": "省", "city": "市（州）", "county": "县（区）", "town": "乡镇", "village": "行政村"}
DIVISIONS_FILE = "divisions.csv"


def level_of(code: str) -> str:
    """The level of a division ``code`` from its length.

    Raises :class:`InputError` naming the lengths allowed when ``code`` is not 2, 4, 6, 9
    or 12 digits (a scope or unit code typed with a digit too many or too few).
    """
    text = str(code).strip()
    if not text.isdigit() or len(text) not in LEVEL_BY_DIGITS:
        allowed = ", ".join(f"{digits} ({level})" for level, digits in LEVELS.items())
        msg = f"division code {code!r} has {len(text)} characters: expected digits only, of length {allowed}"
        raise InputError(msg)
    return LEVEL_BY_DIGITS[len(text)]


def known_level(level: str) -> str:
    """``level`` when it is one of :data:`LEVELS`; else :class:`InputError` listing them."""
    if level not in LEVELS:
        msg = f"unknown level {level!r}; levels are: {', '.join(LEVELS)}"
        raise InputError(msg)
    return level


def check_level(code: str, level: str) -> str:
    """``code`` when it is a code of ``level``; else :class:`InputError` saying what was expected and what arrived."""
    known_level(level)
    found = level_of(code)
    if found != level:
        msg = f"{code!r} is a {found} code ({len(code)} digits); a {level} code has {LEVELS[level]} digits"
        raise InputError(msg)
    return str(code)


def parent_level(level: str) -> str | None:
    """The level above ``level`` (None above the province)."""
    names = list(LEVELS)
    i = names.index(level)
    return names[i - 1] if i else None


def child_level(level: str) -> str | None:
    """The level below ``level`` (None below the village)."""
    names = list(LEVELS)
    i = names.index(level)
    return names[i + 1] if i + 1 < len(names) else None


def unit_codes(village_codes: pd.Series, level: str) -> pd.Series:
    """The code at ``level`` of each 12-digit village code (its prefix)."""
    return village_codes.astype("str").str[: LEVELS[level]]


@functools.cache
def division_table() -> pd.DataFrame:
    """The shipped names of provinces and seed cities: ``code``, ``level``, ``name_zh``, ``name_en``, ``source``."""
    with resources.files("geodata.data").joinpath(DIVISIONS_FILE).open(encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str)


def shipped_names(codes: list[str]) -> dict[str, str]:
    """Chinese names of those ``codes`` the shipped table knows (unknown codes are left out)."""
    table = division_table().set_index("code")["name_zh"]
    return {code: str(table[code]) for code in codes if code in table.index}
