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
from collections.abc import Callable

import pandas as pd

from analytics.indicators import build_indicators
from analytics.records import place_records, prepare_records
from geodata.settings import Settings

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


def snapshot_before(history: pd.DataFrame | None, date: dt.date) -> pd.Series | None:
    """The newest row of ``history`` (rows with ``as_of``) dated on or before ``date``, or None when there is none."""
    if history is None or not len(history):
        return None
    dates = pd.to_datetime(history[AS_OF])
    earlier = history[dates <= pd.Timestamp(date)]
    if not len(earlier):
        return None
    return earlier.loc[pd.to_datetime(earlier[AS_OF]).idxmax()]


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
