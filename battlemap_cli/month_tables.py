"""The indicator tables of a month-end: the one place documents look them up.

The month-end snapshots ``battlemap history`` kept are read when the store has that date
(so a document's figures equal ``battlemap indicators --as-of``, by the same roll-up rule
as the pages); otherwise the tables are
computed from the store's layers exactly as ``battlemap build --as-of`` computes them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pandas as pd

from analytics import INPUT_LAYERS, compute_indicators
from analytics.history import past_table
from analytics.levels import top_level
from analytics.unit_table import by_unit
from geodata._errors import InputError
from geodata.store import Store
from geodata.store.snapshots import read_snapshot

LEVELS = ("village", "town", "county")
UPPER = ("city", "province")  # tabled for a store of several counties


def month_end(month: str) -> dt.date:
    """The last day of ``YYYY-MM``; anything else is refused with the expected form."""
    if not re.fullmatch(r"\d{4}-\d{2}", month or "") or not 1 <= int(month[5:]) <= 12:
        msg = f"--month must be YYYY-MM (e.g. 2026-10), got {month!r}"
        raise InputError(msg)
    year, number = int(month[:4]), int(month[5:])
    return dt.date(year, number, calendar.monthrange(year, number)[1])


def previous_month_end(as_of: dt.date) -> dt.date:
    """The last day of the month before ``as_of``'s month."""
    return as_of.replace(day=1) - dt.timedelta(days=1)


def indexed(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``{level: table}`` indexed by unit code, with the spending gap the map shows (target − rate, ≥ 0).

    Village, town and county always; city and province when ``tables`` hold them.
    """
    levels = [*LEVELS, *(level for level in UPPER if f"{level}_indicators" in tables)]
    return {level: by_unit(tables[f"{level}_indicators"]) for level in levels}


def input_layers(store: Store) -> dict[str, pd.DataFrame]:
    """The layers the indicators are computed from (absent optional layers left out)."""
    return {name: frame for name in INPUT_LAYERS if (frame := store.read_or_none(name)) is not None}


def month_tables(
    store: Store, as_of: dt.date, *, layers: dict[str, pd.DataFrame] | None = None
) -> dict[str, pd.DataFrame]:
    """The indicator tables of ``as_of`` (``{level: table}`` indexed by code), village to the store's top.

    A month with snapshots gives :func:`kept_tables` at every level (a city kept without its
    own rows is its counties' sum, unknown with a county missing); a month without any is
    computed anew, all levels together. ``layers`` are the store's input layers when the caller has read them already.
    """
    villages = village_codes(store)
    levels = [*LEVELS, *(UPPER if top_level(villages) != "county" else ())]  # a city's: its rows too
    kept = {f"{level}_indicators": table for level, table in kept_tables(store, levels, as_of, villages).items()}
    if all(table is not None for table in kept.values()):
        return indexed(kept)
    return indexed(compute_indicators(layers if layers is not None else input_layers(store), as_of=as_of))


def kept_tables(store: Store, levels: list[str], as_of: dt.date, villages: pd.Series) -> dict[str, pd.DataFrame | None]:
    """Each of ``levels``' table of the month-end ``as_of`` from the snapshots kept (code first); None without it.

    The one rule of :func:`analytics.history.past_table`; the county rows every level
    needs are read once. ``villages`` are the store's village codes (:func:`village_codes`).
    """
    counties = read_snapshot(store, "county", as_of)
    return {
        level: past_table(
            level, counties if level == "county" else read_snapshot(store, level, as_of), counties, villages
        )
        for level in levels
    }


def village_codes(store: Store) -> pd.Series:
    """The codes of the store's villages (empty without a villages layer)."""
    villages = store.read_or_none("villages", columns=["village_code"])
    return pd.Series([], dtype="str") if villages is None else villages["village_code"].astype("str")
