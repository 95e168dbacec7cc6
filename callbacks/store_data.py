"""Read-only access to the store for the web app, cached by the store's change stamp.

Nothing is loaded at import time: an accessor is created by the app factory and passed
to the pages, and each read checks the stamp so a new import shows without a restart.
"""

from __future__ import annotations

import threading
from typing import Any

from geodata.store import Frame, GeoPackageStore


class StoreData:
    """Layers of one store, re-read only when the store changed."""

    def __init__(self, store: GeoPackageStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._stamp: str | None = None
        self._cache: dict[str, Any] = {}

    def layer(self, name: str) -> Frame:
        """A layer of the store (shared; callers must not modify it)."""
        with self._lock:
            stamp = self.store.stamp()
            if stamp != self._stamp:
                self._cache.clear()
                self._stamp = stamp
            if name not in self._cache:
                self._cache[name] = self.store.read(name)
            return self._cache[name]

    @property
    def stamp(self) -> str:
        """The store's current change stamp."""
        return self.store.stamp()
