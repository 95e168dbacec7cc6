"""The dask engine (one county per partition on a local dask.distributed cluster) equals the in-memory build."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analytics import compute_indicators
from battlemap_cli.analysis_commands import read_inputs
from geodata.store import GeoPackageStore, Store
from tests.conftest import copy_store
from tests.importing import run

AS_OF = "2026-11-01"


@pytest.mark.slow
def test_dask_build_equals_pandas_build(demo_store_path: Path, store: Store, tmp_path: Path) -> None:
    copy_store(GeoPackageStore(demo_store_path), store)  # workers read counties through Prefix filters
    assert run(store.target, "build", "--engine", "dask", "--as-of", AS_OF) == 0
    assert_built_as_pandas(store, tmp_path)


def assert_built_as_pandas(store: Store, tmp_path: Path) -> None:
    """The indicator tables written to ``store`` equal the in-memory build of its layers (computed_at aside)."""
    expected = compute_indicators(read_inputs(store.target), as_of=dt.date.fromisoformat(AS_OF))
    for name, frame in expected.items():
        got = pd.DataFrame(store.read(name))
        want = pd.DataFrame(frame)
        # The store gives back its own dtypes; compare what was computed, not how GDAL types it.
        written = GeoPackageStore(tmp_path / "pandas.gpkg")
        with written.transaction() as tx:
            tx.write(name, want)
        want = pd.DataFrame(written.read(name))
        pd.testing.assert_frame_equal(got.drop(columns="computed_at"), want.drop(columns="computed_at"))
