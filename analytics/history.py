"""Month-end snapshots: which month-ends a history may cover, and the indicator tables of each.

Every snapshot is ``analytics.compute_indicators`` as of a month-end — the code path
of ``battlemap build --as-of`` — over the dated records (risks found, identified and
eliminated, C/D stages, samples, inspections and their rectification), which
:mod:`analytics.records` reads as they stood on that day. Pure: callers read the layers
and write the tables.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections.abc import Callable

import pandas as pd

from analytics.indicators import LEVELS, UPPER_LEVELS, build_indicators
from analytics.records import place_records, prepare_records
from analytics.rollup import PART_COLUMNS, STAMPS, roll_up
from geodata._errors import InputError
from geodata.divisions import unit_codes
from geodata.settings import Settings, get_settings, settings_from_json

log = logging.getLogger(__name__)

AS_OF = "as_of"
# The dated columns that say when the data begin: before the first of them a month-end has no records.
DATED_COLUMNS = {
    "households": ("risk_found_on", "identified_on", "entered_on", "eliminated_on"),
    "housing": ("appraised_on",),
    "water_tests": ("sampled_on",),
    "inspections": ("date",),
}


def month_end(year: int, month: int) -> dt.date:
    """The last day of ``month`` of ``year``."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """The month-ends of every month from ``first``'s to ``last``'s, oldest first."""
    months = pd.period_range(pd.Period(first, "M"), pd.Period(last, "M"), freq="M")
    return [month_end(p.year, p.month) for p in months]


def first_record(layers: dict[str, pd.DataFrame]) -> dt.date | None:
    """The earliest date in the dated records (None when no layer carries a date): where history can begin."""
    dates = [
        pd.to_datetime(layers[name][column]).min()
        for name, columns in DATED_COLUMNS.items()
        if name in layers
        for column in columns
        if column in layers[name]
    ]
    known = [d for d in dates if pd.notna(d)]
    return min(known).date() if known else None


def compute_history(
    layers: dict[str, pd.DataFrame],
    dates: list[dt.date],
    *,
    settings: Settings,
    progress: Callable[[dt.date], None] | None = None,
) -> dict[dt.date, dict[str, pd.DataFrame]]:
    """The three indicator tables as of each date in ``dates`` (``progress`` is called after each).

    Each is :func:`analytics.compute_indicators` as of that date; the lab results, which do
    not depend on it, are judged once for all.
    """
    placed = place_records(layers, settings)
    out = {}
    for as_of in dates:
        out[as_of] = build_indicators(prepare_records(layers, as_of=as_of, settings=settings, placed=placed))
        if progress is not None:
            progress(as_of)
    return out


def past_table(
    level: str, kept: pd.DataFrame | None, counties: pd.DataFrame | None, village_codes: pd.Series
) -> pd.DataFrame | None:
    """``level``'s table of one month-end (code first, as stored) from that month's snapshot rows: the one rule.

    ``kept`` are the level's own snapshot rows of the month, ``counties`` its county rows and
    ``village_codes`` the store's villages now (which counties each city holds). Village,
    town and county: ``kept``. City and province: one row per unit the villages reach — its
    kept row, else the sum of its counties' rows with ratios recomputed
    (:func:`analytics.rollup.roll_up`; the income median and the worst water indicator,
    which county rows cannot give, unknown); a unit with a county missing that month is
    unknown (every figure NaN), never today's figures or 0.
    None when the month has no rows of the level (no county rows, for the upper levels).
    """
    if level not in UPPER_LEVELS:
        return kept if kept is not None and len(kept) else None
    if counties is None or not len(counties):
        return None
    code = f"{level}_code"
    held_codes = pd.Series(sorted(unit_codes(village_codes, "county").unique()), dtype="str")
    units = held_codes.str[: LEVELS[level]]
    have = set(counties["county_code"].astype("str"))
    complete = sorted(set(units) - set(units[~held_codes.isin(have)]))
    county_codes = counties["county_code"].astype("str")
    rows = counties[county_codes.isin(held_codes) & county_codes.str[: LEVELS[level]].isin(complete)]
    stamps = {name: counties[name].iloc[0] for name in STAMPS if name in counties}
    if len(rows):
        as_of = pd.Timestamp(stamps[AS_OF]).date()
        table = roll_up(rows, pd.DataFrame(columns=list(PART_COLUMNS)), level, as_of=as_of, settings=_settings(stamps))
    else:
        table = counties.iloc[:0].rename(columns={"county_code": code})
    written = None  # as `history` wrote them: with the median and the worst water indicator
    if kept is not None and len(kept):
        written = kept[kept[code].astype("str").isin(complete)]
        table = table[~table[code].isin(written[code].astype("str"))]
    unknown = pd.DataFrame({code: sorted(set(units) - set(complete))}).assign(**stamps)
    frames = [frame for frame in (table, written, unknown) if frame is not None and len(frame)]
    out = pd.concat(frames, ignore_index=True).reindex(columns=table.columns)
    return out.sort_values(code, ignore_index=True)


def _settings(stamps: dict[str, object]) -> Settings:
    """The settings a month's snapshot was computed with (the current ones when this version cannot read them)."""
    text = stamps.get("settings")
    if not isinstance(text, str):
        return get_settings()
    try:
        return settings_from_json(text)
    except InputError:
        log.warning(
            "the snapshot of %s has settings this version cannot read: rolled up with the current ones",
            stamps.get(AS_OF),
        )
        return get_settings()


def previous_month_end(as_of: dt.date) -> dt.date:
    """The end of the month before ``as_of``'s month: the snapshot "较上月" compares with."""
    first = as_of.replace(day=1)
    return first - dt.timedelta(days=1)


def last_months(as_of: dt.date, months: int) -> list[dt.date]:
    """The ``months`` month-ends before ``as_of``'s month, oldest first (the demo county's history)."""
    if months <= 0:
        return []
    last = previous_month_end(as_of)
    first = (pd.Period(last, "M") - (months - 1)).to_timestamp().date()
    return month_ends(first, last)
