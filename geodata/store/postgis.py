"""The store on PostGIS: the same layers and tables as the GeoPackage store, in one database.

Each :meth:`PostGISStore.transaction` is one database transaction: every layer, the
import-log rows and the change stamp are written together or not at all, so a refused
import changes nothing. Writers are serialised by a transaction-scoped advisory lock. A
one-row meta table counts commits; :meth:`PostGISStore.stamp` reads it, so readers can
cache on it cheaply. SQL is built with SQLAlchemy Core on reflected tables: table and
column names must be plain identifiers and every value is a bound parameter. What reads
back has the dtypes the GeoPackage path gives (pyogrio's, then :func:`conform`).

The catalogue (the layer names and each reflected table) is kept per stamp
(:class:`_Catalogue`): every Battlemap write bumps the stamp in its own transaction, so a
read costs one stamp query instead of a dozen catalogue queries, and a changed store is
reflected again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.engine import URL, Connection, Engine, make_url

from geodata._errors import StoreError
from geodata._pause import pause_point
from geodata.settings import get_settings
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

META = "battlemap_meta"
ROW = "fid"  # insertion order, like a GeoPackage feature id; never returned by read()
HIDDEN = frozenset({META, "spatial_ref_sys"})
DISK_FULL = "53100"  # SQLSTATE disk_full
UNDEFINED_TABLE = "42P01"
LOCK_KEY = 0x42_4D_53_54  # "BMST": the advisory lock that serialises writers
_META = sa.Table(
    META,
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
)


def normalise_url(url: str | URL) -> URL:
    """The URL with the psycopg (3) driver, whatever spelling it came in (``postgres://`` included)."""
    parsed = make_url(str(url).replace("postgres://", "postgresql://", 1) if isinstance(url, str) else url)
    return parsed.set(drivername="postgresql+psycopg")


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***`` (for messages, logs and repr)."""
    return normalise_url(url).render_as_string(hide_password=True)


_ENGINES: dict[str, Engine] = {}


def _engine(url: str) -> Engine:
    """One pooled engine per database URL and process."""
    if url not in _ENGINES:
        _ENGINES[url] = sa.create_engine(url, pool_pre_ping=True)
    return _ENGINES[url]


def _forget_parent_connections() -> None:
    """In a forked worker (gunicorn), never reuse the parent's pooled connections."""
    for engine in _ENGINES.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)


@dataclass
class _Catalogue:
    """The layer names and reflected tables of one store version (its stamp); filled as they are asked for."""

    stamp: str
    names: list[str] | None = None
    tables: dict[str, sa.Table] = field(default_factory=dict)


_CATALOGUES: dict[str, _Catalogue] = {}  # per database URL, shared by the stores opened on it in this process
_CATALOGUE_LOCK = threading.Lock()


class PostGISStore(StoreReads):
    """Layers in one PostGIS database (EPSG:4490), each write one transaction."""

    def __init__(self, url: str | URL, *, state_dir: str | os.PathLike[str] | None = None) -> None:
        self.url = normalise_url(url)
        self._state_dir = state_dir
        self._postgis_checked = False

    def __repr__(self) -> str:
        return f"PostGISStore({self.label!r})"

    @property
    def label(self) -> str:
        """How messages name the store: its URL without the password."""
        return self.url.render_as_string(hide_password=True)

    @property
    def target(self) -> str:
        """What :func:`geodata.store.open_store` takes to open this store again (includes the password)."""
        return self.url.render_as_string(hide_password=False)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (pooled, shared by stores on the same URL)."""
        return _engine(self.target)

    def sidecar(self, suffix: str, *, hidden: bool = False) -> Path:
        """A local file or folder of the store, in the ``[store] state_dir`` setting's folder.

        Named after host, port and database, so several databases can share the folder.
        """
        root = Path(self._state_dir if self._state_dir is not None else get_settings().store.state_dir)
        key = re.sub(
            r"[^A-Za-z0-9_.-]+", "_", f"{self.url.host or 'local'}_{self.url.port or 5432}_{self.url.database}"
        )
        return root / (f".{key}{suffix}" if hidden else f"{key}{suffix}")

    @contextlib.contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A read connection; an unreachable server becomes a StoreError naming the (masked) URL."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            msg = f"cannot use the PostGIS store {self.label}: {str(exc.orig).strip().splitlines()[0]}"
            raise StoreError(msg) from None

    def exists(self) -> bool:
        """True when the database has been written by Battlemap (its meta table exists)."""
        return self.stamp() != "missing"

    def layers(self) -> list[str]:
        """Names of the layers and tables in the store (sorted)."""
        with self._connect() as conn:
            return list(self._names(conn))

    def has(self, layer: str) -> bool:
        """True when ``layer`` is in the store."""
        return layer in self.layers()

    def stamp(self) -> str:
        """A change stamp: the commit counter, bumped by every committed transaction."""
        with self._connect() as conn:
            return _stamp(conn)

    def modified_at(self) -> dt.datetime:
        """When the last transaction was committed (local time)."""
        with self._connect() as conn:
            return conn.execute(sa.select(_META.c.changed_at)).scalar_one()

    def _current(self, conn: Connection) -> _Catalogue:
        """The catalogue of the store version ``conn`` sees (a new, empty one after any commit)."""
        stamp = _stamp(conn)
        with _CATALOGUE_LOCK:
            catalogue = _CATALOGUES.get(self.target)
            if catalogue is None or catalogue.stamp != stamp or stamp == "missing":  # never kept without meta
                catalogue = _CATALOGUES[self.target] = _Catalogue(stamp)
            return catalogue

    def _names(self, conn: Connection, catalogue: _Catalogue | None = None) -> list[str]:
        """The layer names of the current version (one catalogue query per version)."""
        catalogue = catalogue or self._current(conn)
        if catalogue.names is None:
            catalogue.names = sorted(n for n in sa.inspect(conn).get_table_names() if n not in HIDDEN)
        return catalogue.names

    def _table(self, conn: Connection, layer: str) -> sa.Table | None:
        """The reflected table of ``layer`` in the current version, None when the store lacks it."""
        catalogue = self._current(conn)
        if layer in HIDDEN or layer not in self._names(conn, catalogue):
            return None
        if layer not in catalogue.tables:
            catalogue.tables[layer] = sa.Table(layer, sa.MetaData(), autoload_with=conn)
        return catalogue.tables[layer]

    def read(
        self,
        layer: str,
        *,
        columns: list[str] | None = None,
        where: Filter | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> Frame:
        """Read one layer (GeoDataFrame when it has geometry) with its schema dtypes.

        ``where`` keeps the rows matching every condition (see :data:`geodata.store.Filter`);
        ``bbox`` (lon/lat) keeps features whose envelope meets it (``&&``, GiST index).
        """
        with self._connect() as conn:
            table = self._table(conn, layer)
            if table is None:
                msg = (
                    f"store {self.label} has no layer {layer!r}; it has {self._names(conn)}. "
                    "Import it or run `battlemap demo`."
                )
                raise StoreError(msg)
            geom = next((c for c in table.columns if isinstance(c.type, Geometry)), None)
            names = [c.name for c in table.columns if c.name != ROW and c is not geom] if columns is None else columns
            selected = [_column(table, n) for n in names]
            if geom is not None:  # plain WKB, decoded at once below (per-row decoding is 5x slower)
                selected.append(sa.func.ST_AsBinary(geom, type_=sa.LargeBinary).label(geom.name))
            stmt = sa.select(*selected).where(*_conditions(table, where or {}, lambda name: self._table(conn, name)))
            if bbox is not None and geom is not None:
                stmt = stmt.where(geom.intersects(sa.func.ST_MakeEnvelope(*map(float, bbox), geom.type.srid)))
            if ROW in table.columns:
                stmt = stmt.order_by(table.c[ROW])
            frame: Frame = pd.read_sql_query(stmt, conn)  # read_sql would ask the catalogue whether stmt names a table
            if geom is not None:
                crs = f"EPSG:{geom.type.srid}" if (geom.type.srid or 0) > 0 else None
                shapes = shapely.from_wkb(frame.pop(geom.name).to_numpy(dtype=object))
                frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(shapes, crs=crs, name=geom.name), crs=crs)
            frame = _like_pyogrio(frame, table, geom.name if geom is not None else None)
        return conform(frame, layer)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[PostGISWriter]:
        """One database transaction: committed with a new stamp on success, rolled back on any exception."""
        self._ensure_postgis()
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
                _META.create(conn, checkfirst=True)
                writer = PostGISWriter(conn)
                yield writer
                writer.flush_log()
                _bump(conn)
        except (sa.exc.OperationalError, psycopg.OperationalError) as exc:  # COPY raises psycopg's own
            reason = getattr(exc, "orig", None) or exc
            if getattr(reason, "sqlstate", None) == DISK_FULL or is_disk_full(reason):
                raise disk_full_error(f"the database server of {self.label}") from None
            msg = f"cannot write to the PostGIS store {self.label}: {str(reason).strip().splitlines()[0]}"
            raise StoreError(msg) from None
        note_commit()
        log.info("store %s: committed %s", self.label, writer.written)

    def _ensure_postgis(self) -> None:
        """Create the PostGIS extension when missing (needs the right); else say who must."""
        if self._postgis_checked:
            return
        with self._connect() as conn:
            present = conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
        if not present:
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            except sa.exc.DBAPIError as exc:
                msg = (
                    f"database {self.url.database!r} of {self.label} lacks the PostGIS extension and this user "
                    f"may not create it ({str(exc.orig).strip().splitlines()[0]}): "
                    "run `CREATE EXTENSION postgis;` in that database as its owner or a superuser"
                )
                raise StoreError(msg) from None
        self._postgis_checked = True


class PostGISWriter(LogQueue):
    """Writes layers inside a store transaction; see :meth:`PostGISStore.transaction`."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    def write(self, layer: str, frame: Frame) -> None:
        """Replace ``layer`` with ``frame`` (geometries must already be EPSG:4490)."""
        _check_writable(layer, frame)
        _insert(self.conn, layer, frame, replace=True)
        self.written.append(layer)
        pause_point("store.write")

    def append(self, layer: str, frame: Frame) -> None:
        """Add ``frame``'s rows to ``layer`` (made from them when missing), e.g. one county at a time.

        No merge by key: the caller knows the rows are new (a bulk load; imports merge).
        """
        _check_writable(layer, frame)
        _insert(self.conn, layer, frame, replace=False)
        if layer not in self.written:
            self.written.append(layer)

    def flush_log(self) -> None:
        """Append queued log entries to the import log table."""
        new = self._take_log()
        if new is not None:
            _insert(self.conn, IMPORT_LOG, new, replace=False)


def _check_writable(layer: str, frame: Frame) -> None:
    """A StoreError unless ``layer`` is a plain name the store does not reserve and ``frame`` is in EPSG:4490."""
    check_identifier(layer, "a layer name")
    if layer in HIDDEN:
        msg = f"{layer!r} is reserved by the store"
        raise StoreError(msg)
    check_stored_crs(layer, frame)


def _insert(conn: Connection, layer: str, frame: Frame, *, replace: bool) -> None:
    """Write ``frame`` with a ``fid`` order column (geopandas/pandas COPY), then index it."""
    existed = sa.inspect(conn).has_table(layer)
    start = 0
    if existed and not replace:
        table = sa.Table(layer, sa.MetaData(), autoload_with=conn)
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c[ROW]), 0))).scalar_one()
    out, types = _with_wkb(frame.reset_index(drop=True))
    out.index = pd.RangeIndex(start + 1, start + 1 + len(out), name=ROW)
    out.to_sql(
        layer,
        conn,
        if_exists="replace" if replace else "append",
        index=True,
        index_label=ROW,
        dtype=types,
        method=_copy_rows,
    )
    if replace or not existed:
        table = sa.Table(layer, sa.MetaData(), autoload_with=conn)
        if "village_code" in table.columns:  # pandas indexes fid; GeoAlchemy2 adds the GiST index on geometry
            # pattern ops: a county's rows (LIKE '620102%') use the index in any collation, not only "C"
            ops = {"village_code": "text_pattern_ops"} if isinstance(table.c["village_code"].type, sa.Text) else {}
            sa.Index(f"ix_{layer}_village_code", table.c["village_code"], postgresql_ops=ops).create(conn)


def _with_wkb(frame: Frame) -> tuple[pd.DataFrame, dict[str, Geometry]]:
    """A plain frame with the geometry as hex EWKB, and the column's PostGIS type (one type, or GEOMETRY)."""
    if not isinstance(frame, gpd.GeoDataFrame):
        return pd.DataFrame(frame), {}
    geo = frame.geometry
    srid = (frame.crs.to_epsg() or 0) if frame.crs is not None else 0
    kinds = set(geo[geo.notna()].geom_type)
    kind = kinds.pop().upper() if len(kinds) == 1 else "GEOMETRY"
    plain = pd.DataFrame(frame.drop(columns=geo.name))
    plain[geo.name] = shapely.to_wkb(shapely.set_srid(geo.array, srid), hex=True, include_srid=True)
    return plain, {geo.name: Geometry(geometry_type=kind, srid=srid)}


def _copy_rows(table: Any, conn: Connection, keys: list[str], rows: Iterator[tuple]) -> int:
    """A pandas ``to_sql`` method: COPY the rows (psycopg keeps None and '' apart, unlike CSV)."""
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.table.name)} ({', '.join(quote(k) for k in keys)}) FROM STDIN"
    count = 0
    with conn.connection.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _bump(conn: Connection) -> None:
    """Count one more commit in the meta table (its first row is made on the first commit)."""
    now = dt.datetime.now().replace(microsecond=0)
    if conn.execute(
        sa.update(_META).where(_META.c.id == 1).values(version=_META.c.version + 1, changed_at=now)
    ).rowcount:
        return
    conn.execute(sa.insert(_META).values(id=1, version=1, changed_at=now))


def _column(table: sa.Table, name: str) -> sa.Column:
    """The column ``name`` of ``table``; a StoreError lists the columns it has."""
    if name not in table.columns or name == ROW:
        msg = (
            f"layer {table.name!r} has no column {name!r}; columns: {[c.name for c in table.columns if c.name != ROW]}"
        )
        raise StoreError(msg)
    return table.c[name]


def _stamp(conn: Connection) -> str:
    """The commit counter as ``v<N>``, or ``missing`` before the first Battlemap write (one query)."""
    try:
        return f"v{conn.execute(sa.select(_META.c.version)).scalar_one()}"
    except sa.exc.ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) != UNDEFINED_TABLE:
            raise
        conn.rollback()  # the failed statement aborted the read transaction; the next query starts a new one
        return "missing"


def _conditions(
    table: sa.Table, where: Filter, reflect: Callable[[str], sa.Table | None]
) -> list[sa.ColumnElement[bool]]:
    """The filter as SQLAlchemy conditions (values bound, never pasted; an InLayer as a sub-select).

    ``reflect`` gives another layer's table (None when the store lacks it).
    """
    out = []
    for name, value in where.items():
        col = _column(table, name)
        if value is None:
            out.append(col.is_(None))
        elif isinstance(value, InLayer):
            other = reflect(value.layer)
            if other is None:
                msg = f"filter layer {value.layer!r} is not in store"
                raise StoreError(msg)
            inner = sa.select(_column(other, value.column)).where(*_conditions(other, value.where, reflect))
            out.append(col.in_(inner))
        elif isinstance(value, Prefix):
            out.append(col.startswith(value.text, autoescape=True))
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            msg = f"filter value for {name!r} must be text, a number, None, Prefix or InLayer, got {value!r}"
            raise StoreError(msg)
        else:
            out.append(col == value)
    return out


def _like_pyogrio(frame: Frame, table: sa.Table, geom: str | None) -> Frame:
    """Give the columns the dtypes pyogrio gives the same data read from a GeoPackage.

    Integers and booleans without NULLs come as int64/bool, with NULLs as float64;
    timestamps as datetime64[ms]; text as pandas' string dtype (all-NULL text as objects).
    """
    for name in frame.columns:
        if name == geom:
            continue
        kind, s = table.c[name].type, frame[name]
        if isinstance(kind, (sa.Boolean, sa.Integer)):
            frame[name] = (
                s.astype("float64") if s.isna().any() else s.astype(bool if isinstance(kind, sa.Boolean) else "int64")
            )
        elif isinstance(kind, (sa.DateTime, sa.Date)):
            frame[name] = pd.to_datetime(s).astype("datetime64[ms]")
        elif isinstance(kind, sa.Float | sa.Numeric):
            frame[name] = s.astype("float64")
        elif isinstance(kind, sa.String):
            frame[name] = s.astype("object").where(s.notna(), None) if s.isna().all() else s.astype("str")
    if geom is not None and frame.columns[-1] != geom:
        frame = frame[[c for c in frame.columns if c != geom] + [geom]]
    return frame
