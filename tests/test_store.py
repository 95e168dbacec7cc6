"""The GeoPackage store: atomic transactions, crash safety, change stamps, import log."""

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata._errors import StoreError
from geodata.store import GeoPackageStore, open_store


def _points(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"facility_id": [f"F{i}" for i in range(n)], "kind": ["school"] * n, "capacity": [float(i) for i in range(n)]},
        geometry=shapely.points([104.0 + i / 100 for i in range(n)], [35.0] * n),
        crs=4490,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    s = GeoPackageStore(tmp_path / "s.gpkg")
    with s.transaction() as tx:
        tx.write("facilities", _points(3))
        tx.log(action="test", layer="facilities", rows=3, who="tester")
    return s


def test_write_read_and_log(store: GeoPackageStore) -> None:
    back = store.read("facilities")
    assert list(back["facility_id"]) == ["F0", "F1", "F2"] and back.crs.equals("EPSG:4490")
    log = store.import_log()
    assert log[["who", "action", "layer", "rows"]].iloc[0].tolist() == ["tester", "test", "facilities", 3]


def test_failed_transaction_leaves_store_byte_identical(store: GeoPackageStore) -> None:
    before, stamp = _digest(store.path), store.stamp()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.write("facilities", _points(10))
        tx.write("other", _points(1))
        raise RuntimeError("crash in the middle of an import")
    assert _digest(store.path) == before and store.stamp() == stamp
    assert not list(store.path.parent.glob("*.tmp.gpkg"))


def test_killed_writer_leaves_store_intact_and_temp_is_cleaned(store: GeoPackageStore) -> None:
    before = _digest(store.path)
    script = textwrap.dedent(f"""
        import os
        from geodata.store import GeoPackageStore
        from tests.test_store import _points
        s = GeoPackageStore({str(store.path)!r})
        with s.transaction() as tx:
            tx.write("facilities", _points(50))
            os._exit(9)  # the process dies mid-write: no cleanup runs
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1], check=False)
    assert done.returncode == 9
    assert _digest(store.path) == before
    assert list(store.path.parent.glob(".s.gpkg.*.tmp.gpkg")), "the dead writer's temporary copy is left behind"
    with store.transaction() as tx:
        tx.write("facilities", _points(2))
    assert not list(store.path.parent.glob(".s.gpkg.*.tmp.gpkg"))
    assert len(store.read("facilities")) == 2


def test_stamp_changes_on_commit(store: GeoPackageStore) -> None:
    stamp = store.stamp()
    with store.transaction() as tx:
        tx.write("facilities", _points(4))
    assert store.stamp() != stamp


def test_refuses_unprojected_layers_and_names_missing_ones(store: GeoPackageStore) -> None:
    with pytest.raises(StoreError, match="EPSG:4490"), store.transaction() as tx:
        tx.write("facilities", _points(2).to_crs(4545))
    with pytest.raises(StoreError, match="battlemap demo"):
        store.read("villages")


def test_nullable_columns_survive_a_round_trip(tmp_path: Path) -> None:
    s = GeoPackageStore(tmp_path / "n.gpkg")
    frame = pd.DataFrame(
        {
            "team_id": ["T1", "T2"],
            "village_code": ["621121100201"] * 2,
            "members": pd.array([3, None], dtype="Int64"),
            "checkin_rate": [0.98, None],
        }
    )
    with s.transaction() as tx:
        tx.write("teams", frame)
    back = s.read("teams")
    assert str(back["members"].dtype) == "Int64" and back["members"].isna().tolist() == [False, True]


def test_postgres_urls_are_refused_for_now() -> None:
    with pytest.raises(StoreError, match="not supported yet"):
        open_store("postgresql://u:p@localhost/db")
