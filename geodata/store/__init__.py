"""The store room: the store API, the GeoPackage and PostGIS stores, and the factory that opens either.

Belongs here: what writes and reads layers at rest (``base`` shared by both stores,
``gpkg``, ``postgis``, ``county_reader`` for the dask engine). May import only
:mod:`geodata.schemas`, :mod:`geodata.settings`, :mod:`geodata._errors` and :mod:`geodata._pause` (a
test-only pause point in the writers); ``base``,
``gpkg`` and ``postgis`` never import this package, and ``postgis`` loads only when a database is opened.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Any, TypeAlias

from geodata._errors import StoreError
from geodata.settings import get_settings
from geodata.store.base import IMPORT_LOG, STORED_CRS, Filter, Frame, InLayer, Prefix, commits, conform, os_user
from geodata.store.gpkg import GeoPackageStore, is_geopackage

if TYPE_CHECKING:
    from geodata.store.postgis import PostGISStore

__all__ = [
    "IMPORT_LOG",
    "STORED_CRS",
    "Filter",
    "Frame",
    "GeoPackageStore",
    "InLayer",
    "Prefix",
    "Store",
    "StoreError",
    "commits",
    "conform",
    "is_geopackage",
    "is_postgis_url",
    "open_store",
    "os_user",
    "resolve_store_path",
    "write_computed",
]


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
        from geodata.store.postgis import PostGISStore  # noqa: PLC0415 - SQLAlchemy only for a database

        return PostGISStore(target)
    return GeoPackageStore(target)


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


Store: TypeAlias = "GeoPackageStore | PostGISStore"
"""Either store: both have the same methods (``read``, ``transaction``, ``stamp``, ``sidecar``...)."""
