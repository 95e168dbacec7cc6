"""The cache that the web server's worker processes share, keyed by the store's change stamp.

Under gunicorn every worker process has its own :class:`~callbacks.store_data.StoreData`.
Without sharing, each of them computes the indicator tables, records and map views
again after every import. Keys asked for with ``shared=True`` are also kept here, in a
:mod:`diskcache` directory (SQLite, safe across processes and threads), under the stamp
they were computed for: a worker that misses takes the key's file lock, so one worker
computes and the others wait and read its result. Entries of other stamps are dropped
when a worker first sees a new stamp; the size limit drops the least recently stored.

Entries are kept under the stamp *and* a fingerprint of the code and the settings
(:func:`fingerprint`): after an upgrade or a changed threshold the store's stamp is the
same, but what was computed from it is not, and old entries are dropped like those of an
older store version.

Entries are pickles: the directory must be writable by the server's user only (it is
created with mode 0700).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import diskcache

from geodata.private.files import private_dir
from geodata.settings import Settings, get_settings
from geodata.store import Store

log = logging.getLogger(__name__)
MISSING = object()


def shared_cache_dir(store: Store, settings: Settings | None = None) -> Path:
    """The shared cache's directory: ``[server] shared_cache_dir``, else the store's ``.cache`` sidecar.

    That is ``NAME.cache`` beside a GeoPackage ``NAME.gpkg``, and for a PostGIS store a
    folder in its ``[store] state_dir``, beside its private file.
    """
    settings = settings or get_settings()
    if settings.server.shared_cache_dir:
        return Path(settings.server.shared_cache_dir).expanduser()
    return store.sidecar(".cache")


PACKAGES = ("analytics", "callbacks", "geodata", "layers")


@functools.lru_cache(maxsize=8)
def fingerprint(settings_repr: str) -> str:
    """A short hash of the project's Python sources and the settings: what cached values depend on besides data."""
    digest = hashlib.blake2b(settings_repr.encode("utf-8"), digest_size=8)
    root = Path(__file__).resolve().parents[1]
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()


class SharedCache:
    """Values by (stamp, key) in a directory shared by processes, with one computation per key at a time."""

    def __init__(self, directory: str | os.PathLike[str], *, size_limit_mb: int = 1024, version: str = "") -> None:
        self.directory = Path(directory)
        self.version = version  # the code and settings fingerprint the values were computed with
        self._size_limit = size_limit_mb * 1024 * 1024
        self._cache: diskcache.Cache | None = None
        self._pid = -1

    def __repr__(self) -> str:
        return f"SharedCache({str(self.directory)!r})"

    @classmethod
    def for_store(cls, store: Store, settings: Settings | None = None) -> SharedCache | None:
        """The shared cache of ``store`` as the settings configure it, or None when sharing is off."""
        settings = settings or get_settings()
        if not settings.server.shared_cache:
            return None
        return cls(
            shared_cache_dir(store, settings),
            size_limit_mb=settings.server.shared_cache_mb,
            version=fingerprint(repr(settings)),
        )

    @property
    def cache(self) -> diskcache.Cache:
        """The diskcache of this process (opened again after a fork: SQLite connections must not cross one)."""
        if self._cache is None or self._pid != os.getpid():
            private_dir(self.directory)  # pickles are loaded: nobody else may write (or read) them
            private_dir(self.directory / "locks")
            self._cache = diskcache.Cache(self.directory, size_limit=self._size_limit)
            self._pid = os.getpid()
        return self._cache

    def get(self, stamp: str, key: str) -> Any:
        """The value stored for ``key`` at ``stamp``, else :data:`MISSING`."""
        return self.cache.get((self._tag(stamp), key), default=MISSING, retry=True)

    def has(self, stamp: str, key: str) -> bool:
        """Whether a value is stored for ``key`` at ``stamp`` (without reading it: a city's tables are megabytes)."""
        return (self._tag(stamp), key) in self.cache

    def _tag(self, stamp: str) -> str:
        """The stamp as entries are filed: with the code and settings fingerprint."""
        return f"{stamp}@{self.version}" if self.version else stamp

    def get_or_compute(self, stamp: str, key: str, compute: Callable[[], Any], *, current: Callable[[], str]) -> Any:
        """The value for ``key`` at ``stamp``: read, or computed by one process while the others wait.

        The result is stored only while ``current()`` still returns ``stamp``: a value
        computed across a store change is not kept under either version.
        """
        value = self.get(stamp, key)
        if value is not MISSING:
            return value
        with self.lock(key):
            value = self.get(stamp, key)  # another process computed it while this one waited
            if value is not MISSING:
                return value
            value = compute()
            if current() == stamp:
                try:
                    self.cache.set((self._tag(stamp), key), value, retry=True)
                except Exception:  # an unpicklable value stays in the process cache only
                    log.exception("shared cache: %r cannot be stored", key)
            return value

    @contextlib.contextmanager
    def lock(self, key: str, *, wait: bool = True) -> Iterator[bool]:
        """An exclusive lock on ``key`` across processes (a file lock, released if the process dies).

        Yields whether this process holds it: always after waiting, and without ``wait``
        only when no other process held it.
        """
        self.cache  # noqa: B018 - makes the directory
        name = hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()
        with open(self.directory / "locks" / f"{name}.lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def remember(self, name: str, item: Any, *, keep: int) -> None:
        """Add ``item`` to the list ``name``, most recent last, ``keep`` long; kept across store versions."""
        with self.lock(name):
            items = [i for i in self.cache.get(name, default=[], retry=True) if i != item]
            self.cache.set(name, [*items, item][-keep:] if keep > 0 else [], retry=True)

    def remembered(self, name: str) -> list[Any]:
        """The list ``name`` kept by :meth:`remember`, oldest first (empty when none)."""
        return list(self.cache.get(name, default=[], retry=True))

    def keep_only(self, stamp: str) -> int:
        """Drop the entries of every other stamp or code/settings version (not :meth:`remember`'s); how many."""
        tag = self._tag(stamp)
        old = [k for k in self.cache.iterkeys() if isinstance(k, tuple) and k[0] != tag]
        for k in old:
            self.cache.delete(k, retry=True)
        if old:
            log.info("shared cache: dropped %d entries of older store versions", len(old))
        return len(old)

    def close(self) -> None:
        """Close this process's connection."""
        if self._cache is not None and self._pid == os.getpid():
            self._cache.close()
        self._cache = None
