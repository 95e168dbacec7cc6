"""Read one county at a time from a store: how the dask engine loads each partition on its worker.

A province store holds many counties; the dask engine gives each county to a worker,
which reads only that county's rows (an attribute filter on the 6-digit code prefix,
a sub-select of its households for the layers keyed by household, or a bounding box
for layers without village codes, widened by ``[cluster] context_margin_km`` so that a
school across the county border is as near as in the whole-store build) instead of
receiving them from the client.
:class:`CountyReader` holds only what opens the store (a path or a database URL), so
it pickles cheaply.
"""

from __future__ import annotations

import functools
import math
import re
import socket
from dataclasses import dataclass, field

import pandas as pd

from geodata._errors import StoreError
from geodata.settings import get_settings
from geodata.store import Filter, Frame, InLayer, Prefix, Store, open_store

_CODE = re.compile(r"^\d{6}$")
BY_CODE = ("villages", "households", "water_tests", "projects", "teams", "inspections", "tasks")
BY_HOUSEHOLD = ("housing", "household_measures")  # joined to their village through the household
BY_BBOX = ("roads", "facilities", "hazards")


@dataclass(frozen=True)
class CountyReader:
    """Reads the layers of single counties from the store that ``target`` opens (see ``Store.target``)."""

    target: str = field(repr=False)  # a PostGIS URL may hold a password
    # around the county, for the layers read by position: taken on the client, so every worker uses the same
    margin_km: float = field(default_factory=lambda: get_settings().cluster.context_margin_km)

    @property
    def store(self) -> Store:
        """The store being read; a StoreError naming this machine when it cannot be found from here."""
        store = open_store(self.target)
        if not store.exists():
            msg = (
                f"{store.label} cannot be found from {socket.gethostname()}: every dask worker must reach the "
                "store — use PostGIS (or a folder shared at the same path) for a build on several machines"
            )
            raise StoreError(msg)
        return store

    def counties(self) -> list[str]:
        """The 6-digit county codes present in the villages layer (read once per store version and process)."""
        store = self.store
        return _counties(self.target, store.stamp())

    def households(self, county: str) -> Frame:
        """The county's households."""
        return self._read(self.store, "households", county)

    def context(self, county: str) -> dict[str, Frame]:
        """Every other layer the analytics use, cut to the county."""
        store = self.store
        present = set(store.layers())
        layers = {name: self._read(store, name, county) for name in BY_CODE if name != "households" and name in present}
        bbox = tuple(float(v) for v in layers["villages"].total_bounds)
        if "water_tests" in layers:  # sites without a village code are placed by position later
            unplaced = store.read("water_tests", where={"village_code": None}, bbox=bbox)  # type: ignore[arg-type]
            layers["water_tests"] = pd.concat([layers["water_tests"], unplaced], ignore_index=True)
        around = widened(bbox, self.margin_km)
        for name in BY_BBOX:
            if name in present:
                layers[name] = store.read(name, bbox=around)  # type: ignore[arg-type]
        several = len(self.counties()) > 1
        for name in BY_HOUSEHOLD:
            if name in present:  # the only county also counts the rows whose household is not registered
                layers[name] = pd.DataFrame(store.read(name, where=self._by_household(county) if several else None))
        return layers

    def _by_household(self, county: str) -> Filter:
        """The rows whose household lives in ``county``: a sub-select the store runs, not a list of IDs."""
        self._check(county)
        return {"household_id": InLayer("households", "household_id", {"village_code": Prefix(county)})}

    def _read(self, store: Store, layer: str, county: str) -> Frame:
        self._check(county)
        return store.read(layer, where={"village_code": Prefix(county)})

    @staticmethod
    def _check(county: str) -> None:
        if not _CODE.match(county):
            msg = f"county code must be 6 digits, got {county!r}"
            raise ValueError(msg)


def widened(bbox: tuple[float, ...], km: float) -> tuple[float, float, float, float]:
    """``bbox`` (degrees, EPSG:4490) grown by at least ``km`` on every side (longitude at its northern edge)."""
    west, south, east, north = bbox
    dlat = km / 111.0
    dlon = km / (111.32 * max(math.cos(math.radians(max(abs(south), abs(north)))), 0.01))
    return (west - dlon, south - dlat, east + dlon, north + dlat)


@functools.lru_cache(maxsize=8)
def _counties(target: str, stamp: str) -> list[str]:
    """The county codes of the store at ``target`` in version ``stamp``: every partition asks, one read answers."""
    codes = open_store(target).read("villages", columns=["village_code"])["village_code"]
    return sorted(codes.astype("str").str[:6].unique())
