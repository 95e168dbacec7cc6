"""The province path: the same indicator build, one county per task, on a dask.distributed cluster.

Every indicator is computed within a county (a township or village never spans two),
so a province is built as one task per county: each worker loads its county's households
and context with the loaders it is given (:class:`geodata.store.county_reader.CountyReader`
for a store, or a synthetic generator in the benchmark), runs exactly the in-memory build,
and returns its rows with the tables' empty frames (their columns and dtypes). Nothing
large travels from the client, and no county is read or built twice (no sample county to
learn the schema). On one county the result equals :func:`analytics.compute_indicators`.
For several counties the city and province tables are rolled up on the client from
the county rows and small per-county parts (:mod:`analytics.rollup`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from analytics import prepare_records
from analytics.indicators import UPPER_LEVELS, build_indicators
from analytics.rollup import county_parts, roll_up
from geodata._errors import InputError
from geodata.settings import Settings, get_settings

if TYPE_CHECKING:
    from dask.distributed import Client

LEVEL_TABLES = {"village": "village_indicators", "town": "town_indicators", "county": "county_indicators"}
HouseholdLoader = Callable[[str], gpd.GeoDataFrame]
ContextLoader = Callable[[str], dict[str, pd.DataFrame]]


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None, *, workers: int | None = None, settings: Settings | None = None
) -> Iterator[Client]:
    """A client on the cluster at ``scheduler`` (with at least one worker), or on a new local cluster.

    A scheduler that cannot be reached, or has no worker after ``[cluster] worker_wait_s``,
    is an InputError naming the address and what to start, not a hang.
    """
    from dask.distributed import Client, LocalCluster  # noqa: PLC0415 - distributed only for this engine

    if not scheduler:
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    s = (settings or get_settings()).cluster
    try:
        client = Client(scheduler, timeout=s.connect_timeout_s)
    except (OSError, TimeoutError, ValueError) as exc:
        msg = (
            f"cannot reach the dask scheduler at {scheduler} within {s.connect_timeout_s:g} s ({exc}); start it "
            "there with `dask scheduler`, or check the address (tcp://HOST:PORT) and the firewall "
            "([cluster] connect_timeout_s)"
        )
        raise InputError(msg) from exc
    with client:
        try:
            client.wait_for_workers(1, timeout=s.worker_wait_s)
        except TimeoutError as exc:
            msg = (
                f"the dask scheduler at {scheduler} has no worker after {s.worker_wait_s:g} s: start "
                f"`dask worker {scheduler}` on each machine ([cluster] worker_wait_s)"
            )
            raise InputError(msg) from exc
        yield client


@dataclass
class CountyBuild:
    """One county built on a worker: its unit rows in the long form with its parts, and its tables' empty frames.

    The empty frames give the client the columns and dtypes of the tables, so no county is
    built twice (once as a sample) nor read on the client.
    """

    rows: pd.DataFrame
    schema: dict[str, pd.DataFrame]


def _build_county(
    county: str, *, households: HouseholdLoader, context: ContextLoader, as_of: dt.date, settings: Settings
) -> CountyBuild:
    """One county (read on this worker with the loaders) built into the long form, one row per unit, then its parts.

    Unit rows carry a ``level``; the rows of :func:`analytics.rollup.county_parts` carry a ``part`` instead.
    """
    records = prepare_records({**context(county), "households": households(county)}, as_of=as_of, settings=settings)
    tables = build_indicators(records)
    rows = pd.concat([long_form(tables), county_parts(records)], ignore_index=True)
    return CountyBuild(rows, {name: tables[name].iloc[:0] for name in LEVEL_TABLES.values()})


def long_form(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The three tables stacked: ``level`` and ``unit_code`` columns, the union of the other columns."""
    parts = [
        tables[name].rename(columns={f"{level}_code": "unit_code"}).assign(level=level)
        for level, name in LEVEL_TABLES.items()
    ]
    return pd.concat(parts, ignore_index=True)


def compute_indicators_dask(
    counties: list[str],
    households: HouseholdLoader,
    context: ContextLoader,
    *,
    as_of: dt.date,
    settings: Settings | None = None,
    scheduler: str | None = None,
) -> dict[str, pd.DataFrame]:
    """The indicator tables of every county, built in parallel; same tables and columns as the in-memory build."""
    settings = settings or get_settings()
    with dask_client(scheduler, settings=settings) as client:
        futures = client.map(  # not pure: the same county is read again (the store may have changed since)
            _build_county, counties, households=households, context=context, as_of=as_of, settings=settings, pure=False
        )
        built: list[CountyBuild] = client.gather(futures)
    sample = built[0].schema  # the tables' columns and dtypes, as the first county has them
    rows = pd.concat([b.rows for b in built], ignore_index=True)
    del built
    out: dict[str, pd.DataFrame] = {}
    for level, name in LEVEL_TABLES.items():
        part = rows[rows["level"] == level].drop(columns=f"{level}_code", errors="ignore")
        part = part.rename(columns={"unit_code": f"{level}_code"})
        columns = list(sample[name].columns)
        part = part[columns].sort_values(columns[0]).reset_index(drop=True)
        # a count unknown in some county (a column it lacks) stays float, as in the in-memory build of them all
        dtypes = {c: t for c, t in sample[name].dtypes.items() if not (t.kind in "iu" and part[c].isna().any())}
        out[name] = part.astype(dtypes).copy()  # copy: one block per dtype again, not one per column
    if len(counties) > 1:
        parts = rows[rows["part"].notna()]
        for level in UPPER_LEVELS:
            table = roll_up(out["county_indicators"], parts, level, as_of=as_of, settings=settings)
            out[f"{level}_indicators"] = table
    return out
