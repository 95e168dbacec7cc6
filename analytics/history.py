"""Snapshots of the county's indicators, one per build date, for "change since last month".

Statuses such as "monitored" or a C/D case's stage carry no history in the ledgers, so
recomputing last month's figures from today's data cannot show how they moved. Each
``battlemap build`` therefore appends the county row it computed; the wall compares
today with the newest snapshot at least ``compare_days`` old.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

AS_OF = "as_of"
HISTORY = "indicator_history"  # the store table the snapshots are kept in


def append_snapshot(history: pd.DataFrame | None, county: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """``history`` with the county row of ``as_of`` added (replacing an earlier build of the same date)."""
    row = pd.DataFrame(county).head(1).copy()
    row[AS_OF] = pd.Timestamp(as_of)
    if history is None or not len(history):
        return row.reset_index(drop=True)
    kept = pd.DataFrame(history)
    kept = kept[pd.to_datetime(kept[AS_OF]) != pd.Timestamp(as_of)]
    return pd.concat([kept, row], ignore_index=True).sort_values(AS_OF).reset_index(drop=True)


def snapshot_before(history: pd.DataFrame | None, date: dt.date) -> pd.Series | None:
    """The newest snapshot taken on or before ``date``, or None when there is none."""
    if history is None or not len(history):
        return None
    dates = pd.to_datetime(history[AS_OF])
    earlier = history[dates <= pd.Timestamp(date)]
    if not len(earlier):
        return None
    return earlier.loc[pd.to_datetime(earlier[AS_OF]).idxmax()]


def with_snapshot(tables: dict[str, pd.DataFrame], history: pd.DataFrame | None, as_of: dt.date) -> dict:
    """The computed tables plus the history table with this build's county row, written together."""
    return {**tables, HISTORY: append_snapshot(history, tables["county_indicators"], as_of)}
