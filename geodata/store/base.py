"""What both stores share: the stored CRS, filters, dtype repair, name and CRS checks, the import-log queue.

:mod:`geodata.store.gpkg` and :mod:`geodata.store.postgis` build on this module and on
nothing else of the store, so neither imports the other.
"""

from __future__ import annotations

import datetime as dt
import errno
import getpass
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import geopandas as gpd
import pandas as pd

from geodata._errors import StoreError
from geodata.schemas import DERIVED_COLUMNS, SCHEMAS

STORED_CRS = "EPSG:4490"
IMPORT_LOG = "import_log"
Frame = gpd.GeoDataFrame | pd.DataFrame
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COMMITS = itertools.count(1)  # next() is atomic under the GIL
_commits_seen = [0]


def note_commit() -> None:
    """Count a transaction committed by this process (both stores call it after their commit)."""
    _commits_seen[0] = next(_COMMITS)


def commits() -> int:
    """How many transactions this process has committed: a reader that memoises a stamp re-reads it when this moves."""
    return _commits_seen[0]


@dataclass(frozen=True)
class Prefix:
    """A filter value meaning "the column starts with ``text``" (e.g. a county's code prefix)."""

    text: str


@dataclass(frozen=True)
class InLayer:
    """A filter value meaning "the column's value is one of ``column`` in the rows of ``layer`` matching ``where``".

    A semi-join the store does itself (a sub-select), so a dask worker reads only its
    county's rows of a layer keyed by household (``housing`` by ``household_id``)
    without the household IDs travelling or the whole layer being read.
    """

    layer: str
    column: str
    where: Mapping[str, str | int | float | Prefix | None]


Filter: TypeAlias = Mapping[str, "str | int | float | Prefix | InLayer | None"]
"""An attribute filter for a store's ``read``: column → value, all must hold.

A plain value means equality, ``None`` means the column is NULL, :class:`Prefix`
means starts-with and :class:`InLayer` means in another layer's matching rows. Both
stores bind the values; nothing is pasted into SQL unquoted.
"""


def conform(frame: Frame, layer: str) -> Frame:
    """Give a layer read back from disk its schema dtypes (GDAL returns nullable ints as floats)."""
    if layer not in SCHEMAS:
        return frame
    for col in SCHEMAS[layer].columns:
        if col.name not in frame:
            continue
        s = frame[col.name]
        if col.kind == "int":
            frame[col.name] = pd.array(s.round(), dtype="Int64") if s.dtype.kind == "f" else s.astype("Int64")
        elif col.kind == "bool" or col.name in DERIVED_COLUMNS.get(layer, ()):
            frame[col.name] = s.astype("boolean")
        elif col.kind in ("str", "code", "enum", "list", "number_text"):
            frame[col.name] = s.astype("object").where(s.notna(), None)
    return frame


class StoreReads:
    """What both stores derive from ``read`` and ``has``."""

    def read(self, layer: str, **kw: Any) -> Frame:
        """Read one layer; each store implements it."""
        raise NotImplementedError

    def has(self, layer: str) -> bool:
        """True when ``layer`` is in the store; each store implements it."""
        raise NotImplementedError

    def read_or_none(self, layer: str, **kw: Any) -> Frame | None:
        """Like :meth:`read`, but None when the layer is absent."""
        return self.read(layer, **kw) if self.has(layer) else None

    def import_log(self) -> pd.DataFrame:
        """The import log, oldest first (empty frame when nothing was imported)."""
        log_frame = self.read_or_none(IMPORT_LOG)
        return pd.DataFrame() if log_frame is None else pd.DataFrame(log_frame)


DISK_FULL_TEXTS = ("no space left", "disk is full", "disk full", "quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc`` says the disk (or quota) is full: ENOSPC/EDQUOT, or GDAL's or SQLite's words for it."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(text in str(exc).lower() for text in DISK_FULL_TEXTS)


def disk_full_error(where: str) -> StoreError:
    """The error a write that ran out of disk space ends in: the store is unchanged, and what to do."""
    msg = (
        f"no space left on the disk of {where}: the write was abandoned and the store is unchanged; "
        "free disk space there (a GeoPackage import needs room for a copy of the store) and run it again"
    )
    return StoreError(msg)


def check_identifier(name: str, what: str) -> str:
    """``name`` when it is a plain SQL identifier (letters, digits, underscore), else a StoreError."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        msg = f"{what} must be letters, digits and underscores, got {name!r}"
        raise StoreError(msg)
    return name


def check_stored_crs(layer: str, frame: Frame) -> None:
    """Refuse a GeoDataFrame that is not in the stored CRS (EPSG:4490)."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and not frame.crs.equals(STORED_CRS):
        msg = f"layer {layer!r} must be in {STORED_CRS} before it is stored, got {frame.crs.to_string()}"
        raise StoreError(msg)


class LogQueue:
    """The import-log entries a transaction's writer queues; they are written with the transaction."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self._log_rows: list[dict[str, Any]] = []

    def log(
        self,
        *,
        action: str,
        layer: str,
        rows: int,
        source: str = "",
        detail: dict[str, Any] | None = None,
        who: str | None = None,
    ) -> None:
        """Queue an import-log entry (what, when, rows, who), written with the transaction."""
        self._log_rows.append(log_row(action=action, layer=layer, rows=rows, source=source, detail=detail, who=who))

    def _take_log(self) -> pd.DataFrame | None:
        """The queued entries as a frame (None when there are none), and an empty queue."""
        if not self._log_rows:
            return None
        new = pd.DataFrame(self._log_rows)
        new["at"] = new["at"].astype("datetime64[ms]")
        self._log_rows.clear()
        return new


def log_row(*, action: str, layer: str, rows: int, source: str, detail: dict[str, Any] | None, who: str | None) -> dict:
    """One import-log entry (what, when, rows, who) as both stores write it."""
    return {
        "at": dt.datetime.now().replace(microsecond=0),
        "who": who or os_user(),
        "action": action,
        "layer": layer,
        "rows": int(rows),
        "source": source,
        "detail": json.dumps(detail or {}, ensure_ascii=False, default=str),
    }


def os_user() -> str:
    """The operating-system user: the default 'who' of a command-line import or plan."""
    try:
        return getpass.getuser()
    except OSError:
        return "unknown"
