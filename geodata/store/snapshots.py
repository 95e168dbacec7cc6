"""Month-end snapshots of the indicator tables, kept beside the current tables (``battlemap history``).

One table per level (``village_snapshots``, ``town_snapshots``, ``county_snapshots``, and
``city_snapshots``/``province_snapshots`` for a store of several counties), each holding
the rows of ``{level}_indicators`` for every snapshot date, told apart by ``as_of``. The
settings used (a few kilobytes of JSON) are kept once per date, on the county rows, and
given back to every row on reading. Writing a date replaces that date's rows and nothing
else, for every level in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from geodata._errors import InputError

if TYPE_CHECKING:
    from geodata.store import Store

LEVELS = ("village", "town", "county", "city", "province")
UPPER = ("city", "province")  # written only when the tables hold them (a store of several counties)
SNAPSHOT_TABLES = {level: f"{level}_snapshots" for level in LEVELS}
AS_OF = "as_of"
SETTINGS = "settings"  # kept on the county rows only


def snapshot_dates(store: Store) -> list[dt.date]:
    """The dates the store has snapshots of, oldest first (empty when ``battlemap history`` never ran)."""
    county = store.read_or_none(SNAPSHOT_TABLES["county"], columns=[AS_OF]) if store.exists() else None
    if county is None or not len(county):
        return []
    return sorted({pd.Timestamp(v).date() for v in county[AS_OF]})


def read_snapshot(store: Store, level: str, as_of: dt.date) -> pd.DataFrame | None:
    """The ``level`` indicator table (village … province) as of ``as_of``, or None without that snapshot."""
    series = read_series(store, level)
    if series is None:
        return None
    rows = series[series[AS_OF] == pd.Timestamp(as_of)]
    return rows.reset_index(drop=True) if len(rows) else None


def read_series(store: Store, level: str) -> pd.DataFrame | None:
    """Every snapshot of ``level`` by date then unit, with the settings column (a category); None without any."""
    table = _table(level)
    if not store.exists() or not store.has(table):
        return None
    frame = pd.DataFrame(store.read(table)).copy()  # one block: a database read comes column by column
    if not len(frame):
        return None
    frame[AS_OF] = pd.to_datetime(frame[AS_OF]).astype("datetime64[ns]")
    if level != "county":
        county = pd.DataFrame(store.read(SNAPSHOT_TABLES["county"], columns=[AS_OF, SETTINGS]))
        settings = dict(zip(pd.to_datetime(county[AS_OF]), county[SETTINGS], strict=True))
        frame[SETTINGS] = frame[AS_OF].map(settings)
    if SETTINGS in frame:  # 9 kB of JSON per month, not per row: a province's 16,000 villages × 12 months
        frame[SETTINGS] = frame[SETTINGS].astype("category")
    return frame.sort_values([AS_OF, frame.columns[0]], kind="stable").reset_index(drop=True)


def write_snapshots(
    store: Store,
    snapshots: Mapping[dt.date, Mapping[str, pd.DataFrame]],
    *,
    detail: dict[str, Any] | None = None,
    who: str | None = None,
) -> None:
    """Write the tables of each date (``{date: {"village_indicators": …, …}}``) as snapshots, in one transaction.

    The rows of those dates are replaced at every level; other dates stay as they were.
    A city or province table is written only when the snapshots carry it.
    """
    if not snapshots:
        msg = "no snapshot dates to write"
        raise InputError(msg)
    dates = {pd.Timestamp(d) for d in snapshots}
    with store.transaction() as tx:
        rows = 0
        for level in LEVELS:
            if level in UPPER and not all(f"{level}_indicators" in tables for tables in snapshots.values()):
                continue
            new = [_stamped(tables[f"{level}_indicators"], as_of, level) for as_of, tables in snapshots.items()]
            kept = _kept(store, level, dates)
            frame = pd.concat([*([kept] if kept is not None else []), *new], ignore_index=True)
            frame = frame.sort_values([AS_OF, frame.columns[0]], kind="stable").reset_index(drop=True)
            tx.write(SNAPSHOT_TABLES[level], frame)
            rows += sum(len(n) for n in new)
        tx.log(
            action="history",
            layer="indicators",
            rows=rows,
            source=", ".join(sorted(str(d) for d in snapshots)),
            detail={**(detail or {}), "dates": sorted(str(d) for d in snapshots)},
            who=who,
        )


def _table(level: str) -> str:
    if level not in SNAPSHOT_TABLES:
        msg = f"level must be one of {list(LEVELS)}, got {level!r}"
        raise InputError(msg)
    return SNAPSHOT_TABLES[level]


def _stamped(table: pd.DataFrame, as_of: dt.date, level: str) -> pd.DataFrame:
    """One date's rows as stored: ``as_of`` set, the settings only on the county row."""
    out = pd.DataFrame(table).copy()
    out[AS_OF] = pd.Timestamp(as_of).as_unit("ms")
    if level != "county":
        out = out.drop(columns=[SETTINGS], errors="ignore")
    return out


def _kept(store: Store, level: str, replaced: set[pd.Timestamp]) -> pd.DataFrame | None:
    """The stored rows of ``level`` whose dates are not being replaced."""
    table = SNAPSHOT_TABLES[level]
    if not store.exists() or not store.has(table):
        return None
    frame = pd.DataFrame(store.read(table)).copy()
    stamps = pd.to_datetime(frame[AS_OF])
    frame[AS_OF] = stamps.astype("datetime64[ms]")
    return frame[~stamps.isin(replaced)]
