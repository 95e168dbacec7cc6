"""The GeoPackage store: every layer and computed table in one file, written atomically.

(A ``postgresql://`` URL opens :class:`geodata.store.postgis.PostGISStore` instead: the
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
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from geodata._errors import StoreError
from geodata._pause import pause_point
from geodata.store.base import (
    IMPORT_LOG,
    Filter,
    Frame,
    InLayer,
    LogQueue,
    Prefix,
    StoreReads,
    check_identifier,
    check_stored_crs,
    conform,
    disk_full_error,
    is_disk_full,
    note_commit,
)

log = logging.getLogger(__name__)
MIN_FREE_BYTES = 1 << 20  # less room than this beside the store when a write fails: the disk was full


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
        """What :func:`open_store` takes to open this store again (e.g. on a dask worker, whatever its folder)."""
        return str(self.path.absolute())

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
        joined = [v.layer for v in (where or {}).values() if isinstance(v, InLayer) and not self.has(v.layer)]
        if joined:
            msg = f"store {self.path} has no layer {joined[0]!r} to filter {layer!r} by; it has {self.layers()}"
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
                note_commit()
                log.info("store %s: committed %s", self.path, writer.written)
            except (OSError, RuntimeError) as exc:  # GDAL and SQLite report a full disk as RuntimeErrors
                if is_disk_full(exc) or self._short_of_space():
                    raise disk_full_error(f"the store's folder {self.path.parent}") from exc
                raise
            finally:
                tmp.unlink(missing_ok=True)

    def _short_of_space(self) -> bool:
        """True when the folder cannot hold another copy of the store: a failed write was a full disk.

        GDAL does not always say so (an overwritten layer fails as "already exists" when
        SQLite has no room to drop the old table).
        """
        needed = self.path.stat().st_size if self.exists() else 0
        return shutil.disk_usage(self.path.parent).free < max(needed, MIN_FREE_BYTES)

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


def _ogr_where(where: Filter | None) -> str | None:
    """The filter as a GeoPackage (SQLite) WHERE clause: checked names, quoted values."""
    if not where:
        return None
    return " AND ".join(_condition(name, value) for name, value in where.items())


def _condition(name: str, value: Any, *, exact: bool = False) -> str:
    """One condition on column ``name``; ``exact`` writes a prefix as a case-sensitive ``substr`` test."""
    column = f'"{check_identifier(name, "a filter column")}"'
    if value is None:
        return f"{column} IS NULL"
    if isinstance(value, InLayer):  # SQLite runs the sub-select: only the matching rows leave the file
        layer = check_identifier(value.layer, "a filter layer")
        key = check_identifier(value.column, "a filter column")
        inner = " AND ".join(_condition(k, v, exact=True) for k, v in value.where.items()) or "1"
        return f'{column} IN (SELECT "{key}" FROM "{layer}" WHERE {inner})'
    if isinstance(value, Prefix):
        if exact:  # inside a sub-select the rows cannot be re-checked afterwards (see _exact_prefixes)
            return f"substr({column}, 1, {len(value.text)}) = {_quote(value.text)}"
        escaped = value.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE {_quote(escaped + '%')} ESCAPE '\\'"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        msg = f"filter value for {name!r} must be text, a number, None, Prefix or InLayer, got {value!r}"
        raise StoreError(msg)
    if isinstance(value, str):
        return f"{column} = {_quote(value)}"
    return f"{column} = {float(value)!r}"


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


class StoreWriter(LogQueue):
    """Writes layers into a transaction's temporary file; see :meth:`GeoPackageStore.transaction`."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def write(self, layer: str, frame: Frame) -> None:
        """Replace ``layer`` with ``frame`` (geometries must already be EPSG:4490)."""
        check_identifier(layer, "a layer name")  # the same names as on PostGIS
        check_stored_crs(layer, frame)
        kwargs: dict[str, Any] = {"layer": layer, "driver": "GPKG", "use_arrow": True}  # Arrow: 2-3× faster
        if isinstance(frame, gpd.GeoDataFrame):
            kwargs["promote_to_multi"] = False
        pyogrio.write_dataframe(frame, self.path, **kwargs)  # nullable Int64/boolean are written natively
        self.written.append(layer)
        pause_point("store.write")

    def flush_log(self) -> None:
        """Append queued log entries to the import log table."""
        new = self._take_log()
        if new is not None:
            pyogrio.write_dataframe(
                new, self.path, layer=IMPORT_LOG, driver="GPKG", append=_has_layer(self.path, IMPORT_LOG)
            )


def _has_layer(path: Path, layer: str) -> bool:
    """True when the GeoPackage at ``path`` holds ``layer``."""
    return path.exists() and layer in {str(n) for n, _ in pyogrio.list_layers(path)}


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
