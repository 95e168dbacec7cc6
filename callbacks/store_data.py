"""Read-only access to the store for the web app, cached by the store's change stamp.

Nothing is loaded at import time: an accessor is created by the app factory and passed
to the pages, and each read checks the stamp so a new import shows without a restart.
Indicator tables come from the last ``battlemap build`` when no data were imported
after it, otherwise they are computed here (as of today) and cached like the layers.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import flask
import geopandas as gpd
import pandas as pd

from analytics import INPUT_LAYERS, Records, compute_indicators, prepare_records
from analytics.build_state import INDICATOR_TABLES, is_current
from analytics.history import compute_history, last_months, past_table, previous_month_end
from analytics.indicators import UPPER_LEVELS
from analytics.levels import Top, store_levels, top_unit, unit_names, units
from analytics.townships import townships
from analytics.unit_table import by_unit
from callbacks.shared_cache import SharedCache
from geodata.demo import DEMO_AS_OF
from geodata.divisions import unit_codes
from geodata.private.jobs import JobBoard
from geodata.settings import get_settings
from geodata.store import Frame, Store, commits, write_computed
from geodata.store.snapshots import read_series, write_snapshots
from layers.geometry import browser_polygons, features_within, unit_polygons

log = logging.getLogger(__name__)
_PINNED: contextvars.ContextVar[dict[int, tuple[int, str]] | None] = contextvars.ContextVar(
    "battlemap_pinned_versions", default=None
)
REBUILD_STEPS = 5  # read, joined, aggregated, written, warmed
_ALL: weakref.WeakSet[StoreData] = weakref.WeakSet()  # every instance alive, for StoreData.alive


def warm_cache(what: str, compute: Callable[[], object]) -> bool:
    """Run ``compute`` to fill caches ahead of the first request; a failure is logged, not raised.

    A broken store shows its error on the page that needs it, not in a background thread.
    Returns whether ``compute`` succeeded (``battlemap warm`` counts the failures).
    """
    try:
        compute()
    except Exception:
        log.exception("warming %s failed", what)
        return False
    return True


class StoreData:
    """Layers of one store, and what is computed from them, re-read only when the store changed."""

    @staticmethod
    def alive() -> list[StoreData]:
        """Every instance not yet garbage-collected (a test stops the warming of those it made)."""
        return list(_ALL)

    def __init__(self, store: Store, *, shared: SharedCache | None = None) -> None:
        self.store = store
        self.shared = shared
        self._lock = threading.Lock()  # guards the dictionaries only, never a computation
        self._stamp: str | None = None
        self._cache: dict[str, Any] = {}
        self._computing: dict[str, threading.RLock] = {}
        self._recent: dict[str, OrderedDict[str, None]] = {}  # per group, the keys of cached_recent, oldest first
        self.keep_recent = True  # False in a process that only fills the shared cache: nobody asks it again
        self._later: set[str] = set()  # keys being computed in the background (compute_later)
        self.stopped = threading.Event()  # set when its server stops: background warming ends at the next step
        _ALL.add(self)
        self.jobs = JobBoard.beside(store)  # one board per store: rebuilds run one at a time

    def cached(self, key: str, compute: Callable[[], Any], *, shared: bool = False) -> Any:
        """``compute()`` once per store version (shared; callers must not modify the result).

        Each key has its own lock: a request waits only for the value it needs, so a
        slow computation (the site model) never holds up the map's requests. With
        ``shared`` (a picklable value, the same for every user) a miss here is looked up
        in the cache the server's processes share, and computed by one process only.
        """
        stamp = self.version()
        if self._stamp not in (None, stamp) and self._read_version() != stamp:
            return compute()  # this request read the stamp before a write: never cache (or evict) by it
        with self._lock:
            new_version = stamp != self._stamp
            if new_version:
                self._cache.clear()
                self._computing.clear()
                self._recent.clear()
                self._stamp = stamp
            if key in self._cache:
                return self._cache[key]
            key_lock = self._computing.setdefault(key, threading.RLock())
        if new_version and self.shared is not None:
            self.shared.keep_only(stamp)
        with key_lock:
            with self._lock:
                if self._stamp == stamp and key in self._cache:  # computed while this request waited
                    return self._cache[key]
            if shared and self.shared is not None:
                value = self.shared.get_or_compute(stamp, key, compute, current=self._read_version)
            else:
                value = compute()
            with self._lock:
                if self._stamp == stamp:  # a newer store version does not get this stale value
                    self._cache[key] = value
            return value

    def cached_recent(
        self, group: str, key: str, compute: Callable[[], Any], *, keep: int, shared: bool = False
    ) -> Any:
        """Like :meth:`cached`, for values asked for by free choices (a planner's selection, a screen size).

        Only the ``keep`` most recently used keys of ``group`` stay in memory, so a long day
        of different choices does not grow the server without bound (the shared on-disk
        cache has its own size limit, ``[server] shared_cache_mb``). A shared value is not kept
        in memory at all by a process that only fills the shared cache (``keep_recent`` False).
        """
        value = self.cached(f"{group}:{key}", compute, shared=shared)
        if shared and self.shared is not None and not self.keep_recent:
            keep = 0
        with self._lock:
            order = self._recent.setdefault(group, OrderedDict())
            order[key] = None
            order.move_to_end(key)
            while len(order) > keep:
                oldest, _ = order.popitem(last=False)
                self._cache.pop(f"{group}:{oldest}", None)
                self._computing.pop(f"{group}:{oldest}", None)
        return value

    def version(self) -> str:
        """What cached values are computed from: the store's stamp and today's date.

        The date is part of it because indicators not from a build are "as of today", and
        ageing measures (overdue cases, months since a visit) move with the calendar even
        when no data change: a long-running server recomputes once a day. Within a web
        request or :meth:`pinned` the stamp is read once (a PostGIS stamp is a database round
        trip and a view asks for dozens of values), and again after this process commits a write.
        """
        seen = _PINNED.get()
        if seen is None and flask.has_request_context():
            seen = flask.g.setdefault("battlemap_versions", {})  # one stamp query per request, not one per value
        if seen is None:
            return self._read_version()
        memo = seen.get(id(self))
        if memo is None or memo[0] != commits():  # this process wrote since: read the new stamp
            memo = seen[id(self)] = (commits(), self._read_version())
        return memo[1]

    @staticmethod
    @contextlib.contextmanager
    def pinned() -> Iterator[None]:
        """Read each store's stamp once for what is computed inside (one view while warming), like a request."""
        token = _PINNED.set({})
        try:
            yield
        finally:
            _PINNED.reset(token)

    def _read_version(self) -> str:
        return f"{self.store.stamp()}@{dt.date.today().isoformat()}"

    @contextlib.contextmanager
    def first_process(self, name: str) -> Iterator[bool]:
        """Whether this process is the one of the server's processes to do ``name`` (while the block runs).

        The first to ask holds a lock in the shared cache and the others are told no;
        without a shared cache every process does its own.
        """
        if self.shared is None:
            yield True
            return
        with self.shared.lock(f"process:{name}", wait=False) as mine:
            yield mine

    def warm(self) -> None:
        """Compute what the first page needs (indicators, records, shapes) ahead of the first request."""

        def first_page() -> None:
            for level in ("county", "town", "village"):
                with self.pinned():
                    self.indicators(level)
                    self.shapes(level)
            with self.pinned():
                self.records()

        warm_cache("the cache", first_page)

    def start_rebuild(self, layer: str) -> str | None:
        """After a write to ``layer``: rebuild the indicator tables in the background when they depend on it.

        Returns the job id to poll (None when the layer is not an indicator input), so
        no request has to recompute the indicators of a changed store itself.
        """
        if layer not in INPUT_LAYERS:
            return None
        return self.jobs.start("rebuild", REBUILD_STEPS, self.rebuild_indicators)

    def rebuild_indicators(self, progress: Callable[[str], None]) -> None:
        """Recompute the indicator tables as of today, store them (a ``build``) and warm the caches.

        Refused when the store changed after the inputs were read: the newer import starts
        its own rebuild. ``progress`` is called after read, joined, aggregated, written, warmed.
        """
        stamp = self.store.stamp()
        layers = {name: f for name in INPUT_LAYERS if (f := self.store.read_or_none(name)) is not None}
        progress("read")
        as_of = dt.date.today()
        tables = compute_indicators(layers, as_of=as_of, settings=get_settings(), progress=progress)
        write_computed(
            self.store, tables, as_of=as_of, detail={"engine": "pandas", "after": "import"}, expect_stamp=stamp
        )
        progress("written")
        self.warm()
        progress("warmed")

    def layer(self, name: str) -> Frame:
        """A layer of the store."""
        return self.cached(f"layer:{name}", lambda: self.store.read(name))

    def layer_or_none(self, name: str) -> Frame | None:
        """A layer, or None when the store does not have it."""
        return self.cached(f"layer?:{name}", lambda: self.store.read_or_none(name))

    def layer_within(self, name: str, bounds: Any) -> Frame | None:
        """The features of a layer whose bounding boxes meet ``bounds`` (lon/lat), or None without any."""
        return features_within(self.layer_or_none(name), bounds)

    def village_names(self) -> dict[str, str]:
        """Village code → name, for messages and lists."""

        def names() -> dict[str, str]:
            villages = self.layer("villages")
            return dict(zip(villages["village_code"], villages["name"], strict=True))

        return self.cached("village_names", names)

    def water_sites(self) -> pd.DataFrame | None:
        """One row per water test site: id, name, lon, lat and whether it failed in the window."""
        return self.cached("water_sites", self._water_sites)

    def _water_sites(self) -> pd.DataFrame | None:
        tests = self.layer_or_none("water_tests")
        if tests is None or not len(tests):
            return None
        samples = self.records()["samples"]
        failing = samples[samples["in_window"]].groupby("site_id")["failing"].any()
        first = tests.drop_duplicates("site_id")
        sites = pd.DataFrame(
            {
                "site_id": first["site_id"],
                "site_name": first["site_name"],
                "lon": first.geometry.x,
                "lat": first.geometry.y,
            }
        )
        sites["failing"] = sites["site_id"].map(failing).fillna(False).astype(bool)
        return sites.reset_index(drop=True)

    @property
    def stamp(self) -> str:
        """The store's current change stamp."""
        return self.store.stamp()

    def as_of(self) -> dt.date:
        """The reference date of the indicators shown."""
        return self.cached("as_of", self._as_of, shared=True)

    def _as_of(self) -> dt.date:
        built = self._built_tables()
        if built is not None:
            return pd.Timestamp(built["county_indicators"]["as_of"].iloc[0]).date()
        return dt.date.today()

    def indicators(self, level: str) -> pd.DataFrame:
        """The indicator table of ``level`` (village, town, county; city and province for several counties), by code."""
        return self.cached(f"indicators:{level}", lambda: self._indicator_tables()[f"{level}_indicators"], shared=True)

    def indicators_at(self, level: str, as_of: dt.date) -> pd.DataFrame:
        """The indicator table of ``level`` computed from the current data as of an earlier date."""
        tables = self.cached(f"indicators@{as_of}", lambda: self._indicator_tables(as_of), shared=True)
        return tables[f"{level}_indicators"]  # one computation for the three levels

    def snapshots(self, level: str) -> pd.DataFrame | None:
        """Every month-end snapshot of ``level`` as stored (``battlemap history``), oldest first; None without any.

        City and province snapshots are kept for a store of several counties only; pages
        read a past month through :meth:`indicators_in`, which fills the gaps by the roll-up rule.
        """
        return self.cached(f"snapshots:{level}", lambda: read_series(self.store, level), shared=True)

    def unit_snapshots(self, level: str, code: str | None) -> pd.DataFrame | None:
        """One unit of ``level`` (``code`` None: every unit) in every month-end, oldest first; None without any.

        Each month is :meth:`indicators_in`'s: a city of a month kept without its city row is
        its counties' sum, or unknown when one of them lacks that month.
        """
        rows = self.cached(f"series:{level}", lambda: self._series(level), shared=True)
        if rows is None:
            return None
        if code is not None:
            rows = rows.loc[[code]] if code in rows.index else rows.iloc[:0]  # sorted by code: a binary search
        return rows.reset_index() if len(rows) else None

    def _series(self, level: str) -> pd.DataFrame | None:
        """Every month-end's :meth:`indicators_in` table of ``level``, by code (as text) and month within it."""
        months = [self.indicators_in(level, p) for p in self.periods()]
        if not months:
            return None
        rows = pd.concat(months)
        rows.index = rows.index.astype(str).rename(f"{level}_code")
        return rows.sort_index(kind="stable")  # months stay oldest first within a code

    def periods(self) -> list[str]:
        """The month-ends (YYYY-MM-DD) the store has snapshots of, oldest first (do not modify the list).

        Asked several times per map request: formatting a province's snapshot dates each time cost
        a twentieth of a worker's time under load, so it is kept per store version.
        """

        def months() -> list[str]:
            series = self.snapshots("county")
            return [] if series is None else sorted({f"{d:%Y-%m-%d}" for d in pd.to_datetime(series["as_of"].unique())})

        return self.cached("periods", months)

    def indicators_in(self, level: str, period: str | None) -> pd.DataFrame:
        """The indicator table of ``level`` in ``period`` (a snapshot's month-end), or the current one for None.

        Every read of a past month goes through here: :func:`analytics.history.past_table`
        gives a city or province kept without its own rows from its counties' rows. Raises
        KeyError for a month without snapshots.
        """
        if period is None:
            return self.indicators(level)

        def table() -> pd.DataFrame:
            villages = self.layer("villages")["village_code"]  # which counties each city holds now
            rows = past_table(level, self._month_rows(level, period), self._month_rows("county", period), villages)
            if rows is None:
                msg = f"no {level} snapshot as of {period}"
                raise KeyError(msg)
            return by_unit(rows)

        return self.cached(f"indicators@period{period}:{level}", table, shared=True)

    def _month_rows(self, level: str, period: str) -> pd.DataFrame | None:
        """The stored snapshot rows of ``level`` of one month-end (None without any)."""
        series = self.snapshots(level)
        return None if series is None else series[series["as_of"] == pd.Timestamp(period)]

    def indicator_pool(self, level: str, column: str) -> pd.Series:
        """Every value ``column`` takes at ``level`` now and in every snapshot: map breaks the same each month."""

        def pool() -> pd.Series:
            parts = [self.indicators(level)[column]]
            parts += [self.indicators_in(level, p)[column] for p in self.periods()]
            return pd.concat(parts, ignore_index=True).astype(float)

        return self.cached(f"pool:{level}:{column}", pool, shared=True)

    def unit_trend(self, level: str, code: str) -> pd.DataFrame | None:
        """One unit's rows in the last ``[wall] sparkline_months`` snapshots, indexed by month-end; None without any."""
        rows = self.unit_snapshots(level, code)
        return None if rows is None else rows.set_index("as_of").sort_index().tail(get_settings().wall.sparkline_months)

    def top_row(self, top: Top) -> pd.Series:
        """The indicators of the ``top`` unit (a city's row is the sum of its counties, built so)."""
        table = self.indicators(top.level)
        return table.loc[top.code] if top.code in table.index else table.iloc[0]

    def county_last_month(self, top: Top | None = None, *, wait: bool = True) -> pd.Series | None:
        """The indicators of the ``top`` unit (default: the store's) at the end of the month before ("较上月").

        ``wait=False`` (a request) never computes them: see :meth:`_last_month`.
        """
        top = top or self.top(None)
        table = self._last_month(top.level, wait=wait)
        if table is None:
            return None
        return table.loc[top.code] if top.code in table.index else table.iloc[0]

    def villages_last_month(self, *, wait: bool = True) -> pd.DataFrame | None:
        """The village table at the end of the previous month (indexed by code), for the red list's moves."""
        return self._last_month("village", wait=wait)

    def _last_month(self, level: str, *, wait: bool = True) -> pd.DataFrame | None:
        """``level``'s table at the end of the previous month: that month's snapshots when the store has them.

        Without any snapshot of that month-end (no ``battlemap history``), the figures are
        computed from the dated records as of that day: a minute and gigabytes for a
        province, so with ``wait=False`` a request that finds them not yet computed gets
        None (较上月 unknown, never 0) and the computation starts in the background.
        """
        end = previous_month_end(self.as_of())
        if f"{end:%Y-%m-%d}" in self.periods():
            return self.indicators_in(level, f"{end:%Y-%m-%d}")
        if not wait and not self.last_month_ready():
            self.compute_later(f"indicators@{end}", lambda: self.indicators_at(level, end))
            return None
        return self.indicators_at(level, end)

    def last_month_ready(self) -> bool:
        """Whether last month's tables can be had without computing (a snapshot, or computed already)."""
        end = previous_month_end(self.as_of())
        return f"{end:%Y-%m-%d}" in self.periods() or self.is_cached(f"indicators@{end}")

    def is_cached(self, key: str) -> bool:
        """Whether ``key`` is computed for the current store version, here or in the shared cache (never computes)."""
        stamp = self.version()
        with self._lock:
            if self._stamp == stamp and key in self._cache:
                return True
        return self.shared is not None and self.shared.has(stamp, key)

    def compute_later(self, key: str, compute: Callable[[], Any]) -> None:
        """Run ``compute`` (which fills ``key``) in a background thread, once at a time per key in this process."""
        with self._lock:
            if key in self._later:
                return
            self._later.add(key)

        def run() -> None:
            try:
                with self.pinned():
                    warm_cache(key, compute)
            finally:
                with self._lock:
                    self._later.discard(key)

        threading.Thread(target=run, name=f"later-{key}", daemon=True).start()

    def write_demo_history(self) -> None:
        """Compute and store the demo county's month-end snapshots (``demo_history_months`` before its date).

        Called once, when the app has just written the demo county into an empty store.
        """
        dates = last_months(DEMO_AS_OF, get_settings().demo_history_months)
        if not dates:
            return
        layers = {name: f for name in INPUT_LAYERS if (f := self.store.read_or_none(name)) is not None}
        write_snapshots(self.store, compute_history(layers, dates, settings=get_settings()), detail={"after": "demo"})

    def changed_at(self) -> dt.datetime:
        """When the data last changed: the newest import or build in the log, else the store's own time."""
        return self.cached("changed_at", self._changed_at)

    def _changed_at(self) -> dt.datetime:
        log = self.store.import_log()
        data_rows = log[log["layer"].isin(INPUT_LAYERS) | (log["action"] == "build")] if len(log) else log
        if len(data_rows):
            return pd.Timestamp(data_rows["at"].max()).to_pydatetime()
        return self.store.modified_at()

    def _indicator_tables(self, as_of: dt.date | None = None) -> dict[str, pd.DataFrame]:
        settings = get_settings()
        built = self._built_tables() if as_of is None else None
        tables = built or compute_indicators(self._inputs(), as_of=as_of or self.as_of(), settings=settings)
        return {name: by_unit(frame) for name, frame in tables.items()}

    def _built_tables(self) -> dict[str, pd.DataFrame] | None:
        """The stored tables of the last build, if still current (see :func:`analytics.build_state.is_current`)."""
        if not all(self.store.has(t) for t in INDICATOR_TABLES):
            return None
        names = [*INDICATOR_TABLES, *(f"{level}_indicators" for level in UPPER_LEVELS)]
        tables = {t: pd.DataFrame(self.layer(t)) for t in names if self.store.has(t)}
        return tables if is_current(tables, self.store.import_log()) else None

    def _inputs(self) -> dict[str, Frame]:
        return {name: f for name in INPUT_LAYERS if (f := self.layer_or_none(name)) is not None}

    def records(self) -> Records:
        """The record tables behind the indicators (households, samples, cases …)."""
        return self.cached(
            "records", lambda: prepare_records(self._inputs(), as_of=self.as_of(), settings=get_settings()), shared=True
        )

    def towns(self) -> gpd.GeoDataFrame:
        """Every township with villages (``town_code``, ``name``, geometry), with or without a ``towns`` layer."""
        return self.cached("towns", lambda: townships(self.layer("villages"), self.layer_or_none("towns")), shared=True)

    def shapes(self, level: str) -> gpd.GeoDataFrame:
        """Unit polygons simplified for the browser: ``code``, ``name``, ``geometry`` (EPSG:4490)."""
        return self.cached(f"shapes:{level}", lambda: self._shapes(level), shared=True)

    def _shapes(self, level: str) -> gpd.GeoDataFrame:
        if level in ("village", "town"):
            return unit_polygons(self.layer("villages"), self.towns(), level)
        outlines = units(self.layer("villages"), level, regions=self.layer_or_none("regions"))
        return browser_polygons(outlines[["code", "name", "geometry"]])  # dissolved once per store version

    def levels(self) -> list[str]:
        """The levels the store's pages and tables cover, top to bottom (county … village, or city … village)."""
        return self.cached("levels", lambda: store_levels(self.layer("villages")["village_code"]))

    def top(self, scope: str | None) -> Top:
        """The unit the pages start from for an account scoped to ``scope`` (None: the whole store)."""
        return self.cached(f"top:{scope}", lambda: top_unit(self.layer("villages")["village_code"], scope))

    def unit_names(self) -> dict[str, str]:
        """A name for every unit code of every level the store holds (regions layer, townships, shipped table)."""

        def names() -> dict[str, str]:
            codes = self.layer("villages")["village_code"].astype("str")
            above = [c for level in ("province", "city", "county") for c in unit_codes(codes, level).unique()]
            named = unit_names(above, regions=self.layer_or_none("regions"))
            named.update(zip(self.towns()["town_code"].astype("str"), self.towns()["name"].astype("str"), strict=True))
            named.update(self.village_names())
            return named

        return self.cached("unit_names", names, shared=True)
