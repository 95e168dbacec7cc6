"""The store: every layer and computed table in one GeoPackage, written atomically.

(A ``postgresql://`` URL opens :class:`geodata.postgis_store.PostGISStore` instead: the
same methods, one database transaction per write.)

A write never touches the live file. :meth:`GeoPackageStore.transaction` copies the store
to a temporary file beside it, writes there, and swaps it in with ``os.replace`` only
when everything succeeded; a refused or crashed import leaves the store byte-identical.
Writers are serialised by a lock file. The change stamp (inode, mtime, size) changes
with every swap, so readers can cache on it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import geopandas as gpd
import pandas as pd
import pyogrio

from geodata._errors import StoreError
from geodata.schemas import DERIVED_COLUMNS, SCHEMAS
from geodata.settings import get_settings

log = logging.getLogger(__name__)

STORED_CRS = "EPSG:4490"
IMPORT_LOG = "import_log"
Frame = gpd.GeoDataFrame | pd.DataFrame
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

if TYPE_CHECKING:
    from geodata.postgis_store import PostGISStore


@dataclass(frozen=True)
class Prefix:
    """A filter value meaning "the column starts with ``text``" (e.g. a county's code prefix)."""

    text: str


Filter: TypeAlias = Mapping[str, "str | int | float | Prefix | None"]
"""An attribute filter for :meth:`GeoPackageStore.read`: column → value, all must hold.

A plain value means equality, ``None`` means the column is NULL and :class:`Prefix`
means starts-with. Both stores bind the values; nothing is pasted into SQL unquoted.
"""


def resolve_store_path(store: str | os.PathLike[str] | None = None) -> str:
    """The store to use: the argument, else ``BATTLEMAP_STORE``, else the settings' default."""
    if store:
        return os.fspath(store)
    return os.environ.get("BATTLEMAP_STORE") or get_settings().default_store


def is_postgis_url(target: str) -> bool:
    """True when ``target`` names a PostGIS database (``postgresql://`` or ``postgres://``, any driver)."""
    return target.startswith(("postgresql://", "postgres://", "postgresql+"))


def open_store(store: str | os.PathLike[str] | None = None) -> Store:
    """Open the store named by ``store`` (see :func:`resolve_store_path`): a PostGIS URL or a GeoPackage path."""
    target = resolve_store_path(store)
    if is_postgis_url(target):
        from geodata.postgis_store import PostGISStore  # noqa: PLC0415 - SQLAlchemy only for a database

        return PostGISStore(target)
    return GeoPackageStore(target)


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


class GeoPackageStore(StoreReads):
    """Layers in one GeoPackage file (EPSG:4490), written through atomic transactions."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"GeoPackageStore({str(self.path)!r})"

    @property
    def label(self) -> str:
        """How messages name the store: its path."""
        return str(self.path)

    @property
    def target(self) -> str:
        """What :func:`open_store` takes to open this store again (e.g. on a dask worker)."""
        return str(self.path)

    def sidecar(self, suffix: str, *, hidden: bool = False) -> Path:
        """A local file or folder that belongs to the store (private SQLite, jobs, uploads).

        ``NAME.gpkg`` gets ``NAME{suffix}`` beside it, or ``.NAME.gpkg{suffix}`` when ``hidden``.
        """
        if hidden:
            return self.path.parent / f".{self.path.name}{suffix}"
        return self.path.with_name(self.path.stem + suffix)

    def modified_at(self) -> dt.datetime:
        """When the store last changed (the file's modification time, local time)."""
        return dt.datetime.fromtimestamp(self.path.stat().st_mtime)

    def exists(self) -> bool:
        """True when the store file exists."""
        return self.path.exists()

    def layers(self) -> list[str]:
        """Names of the layers and tables in the store."""
        if not self.exists():
            return []
        return [str(name) for name, _ in pyogrio.list_layers(self.path)]

    def has(self, layer: str) -> bool:
        """True when ``layer`` is in the store."""
        return layer in self.layers()

    def stamp(self) -> str:
        """A change stamp: differs after every committed write (each commit swaps in a new file)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return "missing"
        return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"

    def read(
        self,
        layer: str,
        *,
        columns: list[str] | None = None,
        where: Filter | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> Frame:
        """Read one layer (GeoDataFrame when it has geometry) with its schema dtypes.

        ``where`` keeps the rows matching every condition (see :data:`Filter`);
        ``bbox`` (lon/lat) keeps features whose envelope meets it (spatial index).
        """
        if not self.has(layer):
            msg = (
                f"store {self.path} has no layer {layer!r}; it has {self.layers()}. Import it or run `battlemap demo`."
            )
            raise StoreError(msg)
        frame = pyogrio.read_dataframe(self.path, layer=layer, columns=columns, where=_ogr_where(where), bbox=bbox)
        return conform(_exact_prefixes(frame, where), layer)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StoreWriter]:
        """Write through a temporary copy swapped in atomically on success.

        Any exception (a refused import, a crash in a writer) removes the copy and leaves
        the store exactly as it was.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp.gpkg", dir=self.path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                if self.exists():
                    shutil.copyfile(self.path, tmp)
                else:
                    tmp.unlink()
                writer = StoreWriter(tmp)
                yield writer
                writer.flush_log()
                _fsync(tmp)
                os.replace(tmp, self.path)
                _fsync_dir(self.path.parent)
                log.info("store %s: committed %s", self.path, writer.written)
            finally:
                tmp.unlink(missing_ok=True)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """An exclusive lock beside the store, so two imports never interleave."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                _remove_stale_temporaries(self.path)
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def check_identifier(name: str, what: str) -> str:
    """``name`` when it is a plain SQL identifier (letters, digits, underscore), else a StoreError."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        msg = f"{what} must be letters, digits and underscores, got {name!r}"
        raise StoreError(msg)
    return name


def _ogr_where(where: Filter | None) -> str | None:
    """The filter as a GeoPackage (SQLite) WHERE clause: checked names, quoted values."""
    if not where:
        return None
    parts = []
    for name, value in where.items():
        column = f'"{check_identifier(name, "a filter column")}"'
        if value is None:
            parts.append(f"{column} IS NULL")
        elif isinstance(value, Prefix):
            escaped = value.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            parts.append(f"{column} LIKE {_quote(escaped + '%')} ESCAPE '\\'")
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            msg = f"filter value for {name!r} must be text, a number, None or Prefix, got {value!r}"
            raise StoreError(msg)
        elif isinstance(value, str):
            parts.append(f"{column} = {_quote(value)}")
        else:
            parts.append(f"{column} = {float(value)!r}")
    return " AND ".join(parts)


def _quote(text: str) -> str:
    """A SQLite string literal."""
    return "'" + text.replace("'", "''") + "'"


def _exact_prefixes(frame: Frame, where: Filter | None) -> Frame:
    """Drop rows SQLite's case-insensitive LIKE let through but a starts-with test does not."""
    for name, value in (where or {}).items():
        if isinstance(value, Prefix):
            keep = frame[name].astype("object").map(lambda v, p=value.text: isinstance(v, str) and v.startswith(p))
            if not keep.all():
                frame = frame[keep.astype(bool)].reset_index(drop=True)
    return frame


def check_stored_crs(layer: str, frame: Frame) -> None:
    """Refuse a GeoDataFrame that is not in the stored CRS (EPSG:4490)."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.crs is not None and not frame.crs.equals(STORED_CRS):
        msg = f"layer {layer!r} must be in {STORED_CRS} before it is stored, got {frame.crs.to_string()}"
        raise StoreError(msg)


def write_computed(
    store: Store,
    tables: dict[str, Frame],
    *,
    as_of: dt.date,
    detail: dict[str, Any],
    expect_stamp: str | None = None,
    who: str | None = None,
) -> None:
    """Write computed tables (``battlemap build``) in one transaction with a ``build`` log entry.

    ``expect_stamp`` refuses the write when the store changed after the inputs were read
    (a newer import would otherwise look older than these tables).
    """
    with store.transaction() as tx:
        if expect_stamp is not None and store.stamp() != expect_stamp:
            msg = "the store changed while the indicators were computed; they will be rebuilt from the new data"
            raise StoreError(msg)
        for name, frame in tables.items():
            tx.write(name, frame)
        tx.log(
            action="build",
            layer="indicators",
            rows=sum(len(t) for t in tables.values()),
            source=f"as of {as_of}",
            detail={**detail, "as_of": str(as_of)},
            who=who,
        )


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


class StoreWriter(LogQueue):
    """Writes layers into a transaction's temporary file; see :meth:`GeoPackageStore.transaction`."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def write(self, layer: str, frame: Frame) -> None:
        """Replace ``layer`` with ``frame`` (geometries must already be EPSG:4490)."""
        check_identifier(layer, "a layer name")  # the same names as on PostGIS
        check_stored_crs(layer, frame)
        kwargs: dict[str, Any] = {"layer": layer, "driver": "GPKG"}
        if isinstance(frame, gpd.GeoDataFrame):
            kwargs["promote_to_multi"] = False
        pyogrio.write_dataframe(frame, self.path, **kwargs)  # nullable Int64/boolean are written natively
        self.written.append(layer)

    def flush_log(self) -> None:
        """Append queued log entries to the import log table."""
        new = self._take_log()
        if new is not None:
            pyogrio.write_dataframe(
                new, self.path, layer=IMPORT_LOG, driver="GPKG", append=_has_layer(self.path, IMPORT_LOG)
            )


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


def _has_layer(path: Path, layer: str) -> bool:
    """True when the GeoPackage at ``path`` holds ``layer``."""
    return path.exists() and layer in {str(n) for n, _ in pyogrio.list_layers(path)}


def os_user() -> str:
    """The operating-system user: the default 'who' of a command-line import or plan."""
    try:
        return getpass.getuser()
    except OSError:
        return "unknown"


def _fsync(path: Path) -> None:
    """Flush a file to disk before it is swapped in."""
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry (the rename) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary copies left behind by a writer that crashed (we hold the lock)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp.gpkg"):
        stale.unlink(missing_ok=True)


def is_geopackage(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a SQLite file with the GeoPackage application id."""
    try:
        with sqlite3.connect(f"file:{os.fspath(path)}?mode=ro", uri=True) as con:
            return con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    except sqlite3.Error:
        return False


Store: TypeAlias = "GeoPackageStore | PostGISStore"
"""Either store: both have the same methods (``read``, ``transaction``, ``stamp``, ``sidecar``...)."""
