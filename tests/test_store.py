"""The store on GeoPackage and PostGIS: transactions, change stamps, filters, import log, crash safety."""

import datetime as dt
import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
import shapely
import sqlalchemy as sa
from psycopg import sql

from geodata._errors import ConfigError, StoreError
from geodata.demo.store import ensure_demo_store
from geodata.store import GeoPackageStore, Prefix, Store, open_store
from geodata.store.postgis import PostGISStore, mask_url
from tests.conftest import snapshot, town_frame


def _points(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"facility_id": [f"F{i}" for i in range(n)], "kind": ["school"] * n, "capacity": [float(i) for i in range(n)]},
        geometry=shapely.points([104.0 + i / 100 for i in range(n)], [35.0] * n),
        crs=4490,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(store: Store) -> Store:
    """The store of each kind holding three facilities and one log entry."""
    with store.transaction() as tx:
        tx.write("facilities", _points(3))
        tx.log(action="test", layer="facilities", rows=3, who="tester")
    return store


def test_write_read_and_log(filled: Store) -> None:
    back = filled.read("facilities")
    assert list(back["facility_id"]) == ["F0", "F1", "F2"] and back.crs.equals("EPSG:4490")
    log = filled.import_log()
    assert log[["who", "action", "layer", "rows"]].iloc[0].tolist() == ["tester", "test", "facilities", 3]


def test_failed_transaction_changes_nothing(filled: Store) -> None:
    before, stamp = snapshot(filled), filled.stamp()
    with pytest.raises(RuntimeError), filled.transaction() as tx:
        tx.write("facilities", _points(10))
        tx.write("other", _points(1))
        tx.log(action="test", layer="facilities", rows=10)
        raise RuntimeError("crash in the middle of an import")
    assert snapshot(filled) == before and filled.stamp() == stamp
    assert not filled.has("other") and len(filled.read("facilities")) == 3 and len(filled.import_log()) == 1


def test_failed_geopackage_transaction_leaves_no_temporary_file(filled: Store) -> None:
    if not isinstance(filled, GeoPackageStore):
        return  # a database transaction leaves no files; the test above covers it
    with pytest.raises(RuntimeError), filled.transaction() as tx:
        tx.write("facilities", _points(10))
        raise RuntimeError("crash")
    assert not list(filled.path.parent.glob("*.tmp.gpkg"))


def test_killed_writer_leaves_store_intact(filled: Store) -> None:
    before = snapshot(filled)
    script = textwrap.dedent(f"""
        import os
        from geodata.store import open_store
        from tests.test_store import _points
        s = open_store({filled.target!r})
        with s.transaction() as tx:
            tx.write("facilities", _points(50))
            os._exit(9)  # the process dies mid-write: no cleanup runs
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1], check=False)
    assert done.returncode == 9
    assert snapshot(filled) == before
    if isinstance(filled, GeoPackageStore):
        assert list(filled.path.parent.glob(".mini.gpkg.*.tmp.gpkg")), "the dead writer's temporary copy is left"
    with filled.transaction() as tx:
        tx.write("facilities", _points(2))
    if isinstance(filled, GeoPackageStore):
        assert not list(filled.path.parent.glob(".mini.gpkg.*.tmp.gpkg"))
    assert len(filled.read("facilities")) == 2


def test_stamp_changes_after_a_commit_only(filled: Store) -> None:
    stamp = filled.stamp()
    filled.read("facilities")
    assert filled.stamp() == stamp
    with filled.transaction() as tx:
        tx.write("facilities", _points(4))
        assert filled.stamp() == stamp, "an uncommitted write is invisible to readers"
    assert filled.stamp() != stamp


def test_refuses_unprojected_layers_and_names_missing_ones(filled: Store) -> None:
    with pytest.raises(StoreError, match="EPSG:4490"), filled.transaction() as tx:
        tx.write("facilities", _points(2).to_crs(4545))
    with pytest.raises(StoreError, match="battlemap demo"):
        filled.read("villages")


def test_nullable_columns_and_types_survive_a_round_trip(store: Store) -> None:
    frame = pd.DataFrame(
        {
            "team_id": ["T1", "T2", "T3"],
            "village_code": ["621121100201", "", None],
            "members": pd.array([3, None, 5], dtype="Int64"),
            "checkin_rate": [0.98, None, 0.5],
            "last_inspected_on": pd.to_datetime(["2026-01-02", None, "2026-03-04"]).astype("datetime64[ms]"),
        }
    )
    extra = pd.DataFrame({"n": [1, 2], "flag": [True, False], "maybe": pd.array([True, None], dtype="boolean")})
    with store.transaction() as tx:
        tx.write("teams", frame)
        tx.write("extra_table", extra)
    back = store.read("teams")
    assert str(back["members"].dtype) == "Int64" and back["members"].isna().tolist() == [False, True, False]
    assert back["village_code"].tolist() == ["621121100201", "", None], "empty text and NULL stay apart"
    assert str(back["last_inspected_on"].dtype) == "datetime64[ms]"
    assert back["last_inspected_on"].iloc[0] == pd.Timestamp(dt.date(2026, 1, 2))
    other = store.read("extra_table")
    assert other["n"].dtype == "int64" and other["flag"].dtype == bool and other["maybe"].dtype == "float64"


def test_filters_and_bbox(filled: Store) -> None:
    frame = pd.DataFrame({"team_id": ["T1", "T2", "T3"], "village_code": ["621121100201", "621122100201", None]})
    with filled.transaction() as tx:
        tx.write("teams", frame)
    assert filled.read("teams", where={"village_code": Prefix("621121")})["team_id"].tolist() == ["T1"]
    assert filled.read("teams", where={"village_code": None})["team_id"].tolist() == ["T3"]
    assert filled.read("teams", where={"team_id": "T2"})["team_id"].tolist() == ["T2"]
    assert filled.read("facilities", bbox=(104.005, 34.9, 104.015, 35.1))["facility_id"].tolist() == ["F1"]
    assert filled.read("facilities", columns=["kind"]).columns.tolist() == ["kind", "geometry"]


@pytest.mark.parametrize(
    "where",
    [
        {"team_id": "T1' OR '1'='1"},
        {"team_id": Prefix("%")},
        {"team_id": Prefix("_1")},
        {"team_id": "T1\\' OR 1=1 --"},
    ],
)
def test_filter_values_are_bound_not_injected(store: Store, where: dict) -> None:
    with store.transaction() as tx:
        tx.write("teams", pd.DataFrame({"team_id": ["T1", "T2"]}))
    assert len(store.read("teams", where=where)) == 0
    assert len(store.read("teams")) == 2


def test_bad_names_are_refused(store: Store) -> None:
    with store.transaction() as tx:
        tx.write("teams", pd.DataFrame({"team_id": ["T1"]}))
    with pytest.raises(StoreError):
        store.read("teams", where={'team_id" = team_id OR "team_id': "x"})
    with pytest.raises(StoreError):
        store.read('teams"; DROP TABLE teams; --')
    with pytest.raises(StoreError), store.transaction() as tx:
        tx.write('x"; DROP TABLE teams; --', pd.DataFrame({"a": [1]}))
    assert store.read("teams")["team_id"].tolist() == ["T1"]


def test_sidecars_and_labels(store: Store, tmp_path: Path) -> None:
    if isinstance(store, GeoPackageStore):
        assert store.sidecar(".private.sqlite") == tmp_path / "mini.private.sqlite"
        assert store.sidecar(".jobs", hidden=True) == tmp_path / ".mini.gpkg.jobs"
        assert store.label == str(tmp_path / "mini.gpkg")
    else:
        assert store.sidecar(".private.sqlite").parent == tmp_path / "state"
        assert store.sidecar(".jobs", hidden=True).name.startswith(".127.0.0.1_")


def test_postgis_urls_open_a_postgis_store_with_the_password_masked() -> None:
    s = open_store("postgres://u:secret@db.example:5433/county")
    assert isinstance(s, PostGISStore) and s.url.drivername == "postgresql+psycopg"
    assert "secret" not in repr(s) and "secret" not in s.label and "secret" in s.target
    assert mask_url("postgresql://u:secret@h/d") == "postgresql+psycopg://u:***@h/d"


def test_unreachable_postgis_is_a_clear_error_without_password() -> None:
    s = open_store("postgresql://u:secret@127.0.0.1:9/none")
    with pytest.raises(StoreError, match="cannot use the PostGIS store") as info:
        s.exists()
    assert "secret" not in str(info.value)


def test_postgis_has_spatial_and_code_indexes(postgis_url: str) -> None:
    s = PostGISStore(postgis_url)
    villages = gpd.GeoDataFrame({"village_code": ["621121100201"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4490)
    for _ in range(2):  # the first write creates the table, the second replaces it
        with s.transaction() as tx:
            tx.write("villages", villages)
    with s.engine.connect() as conn:
        indexes = conn.execute(
            sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"), {"t": "villages"}
        ).scalars()
        defs = " | ".join(indexes)
    assert "USING gist (geometry)" in defs and "(village_code text_pattern_ops)" in defs  # LIKE prefix uses it


def test_postgis_writers_are_serialised(postgis_url: str) -> None:
    s = PostGISStore(postgis_url)
    with s.transaction() as tx:
        tx.write("teams", pd.DataFrame({"team_id": ["T1"]}))
    with s.transaction(), s.engine.connect() as other:
        got = other.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": 0x424D5354}).scalar_one()
        assert got is False, "a second writer must wait for the lock"


def test_missing_postgis_extension_is_created_or_explained(postgis_url: str) -> None:
    s = PostGISStore(postgis_url)
    with s.engine.begin() as conn:
        conn.execute(sa.text("DROP EXTENSION postgis"))
    with s.transaction() as tx:  # the test user is a superuser: the store creates it
        tx.write("facilities", _points(1))
    assert len(s.read("facilities")) == 1


def test_demo_fills_an_empty_postgis_database(postgis_admin: str, postgis_url: str) -> None:
    from tests.importing import run

    plain = postgis_url.rsplit("/", 1)[0] + "/battlemap_plain_" + postgis_url.rsplit("_", 1)[1]
    with psycopg.connect(postgis_admin, autocommit=True) as con:  # no PostGIS extension in this one
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(plain.rsplit("/", 1)[1])))
    try:
        assert run(plain, "demo", "--households", "300") == 0
        s = open_store(plain)
        assert s.exists() and s.stamp() == "v2" and len(s.read("households")) == 300  # the demo, then its history
        assert not ensure_demo_store(s, seed=1), "a filled store is left alone"
    finally:
        open_store(plain).engine.dispose()
        with psycopg.connect(postgis_admin, autocommit=True) as con:
            con.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(plain.rsplit("/", 1)[1])))


def test_the_demo_never_overwrites_a_store_or_fills_one_in_production(store: Store) -> None:
    with pytest.raises(ConfigError, match="production never writes the demo"):
        ensure_demo_store(store, seed=1, production=True)
    assert not store.exists(), "a mistyped store in production stays absent"
    with store.transaction() as tx:
        tx.write("towns", town_frame())
    with pytest.raises(ConfigError, match="no villages layer"):
        ensure_demo_store(store, seed=1)
    assert store.has("towns") and not store.has("villages"), "the towns stay as they were"


def test_a_layer_replaced_with_other_columns_reads_back_new(filled: Store) -> None:
    """The catalogue kept per stamp (PostGIS) never serves an older version's columns or layer list."""
    assert "population" not in filled.read("facilities").columns  # the old layout is reflected and kept
    with filled.transaction() as tx:
        tx.write("facilities", _points(2).assign(population=[10, 20]).drop(columns="capacity"))
        tx.write("roads_new", _points(1))
    back = filled.read("facilities")
    assert list(back["population"]) == [10, 20] and "capacity" not in back.columns
    assert filled.has("roads_new") and "roads_new" in filled.layers()
    other = open_store(filled.target) if isinstance(filled, PostGISStore) else filled  # a second store object
    assert list(other.read("facilities")["population"]) == [10, 20]


def test_postgis_reads_reflect_the_catalogue_once_per_version(postgis_url: str, tmp_path: Path) -> None:
    """After the first read of a version, a read costs the stamp query and the select, no catalogue queries."""
    store = PostGISStore(postgis_url, state_dir=tmp_path / "state")
    with store.transaction() as tx:
        tx.write("facilities", _points(3))
    store.read("facilities")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        assert len(store.read("facilities")) == 3 and store.has("facilities")
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if "pg_catalog" in s or "information_schema" in s], statements
