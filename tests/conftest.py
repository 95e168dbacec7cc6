"""Shared fixtures: a hand-built mini county (two towns, four square villages) in a fresh store.

``store`` (and ``mini_store``, built on it) run each test twice: on a GeoPackage file and
on a fresh PostGIS database. The PostGIS server is ``BATTLEMAP_TEST_POSTGIS`` (an admin
URL) when set, else a throwaway one started by :mod:`harness.postgis_server`; when neither
works the PostGIS tests fail, never skip.
"""

from __future__ import annotations

import gc
import hashlib
import os
import secrets
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg
import pytest
import shapely
from psycopg import sql

from geodata.io.idcard import check_char
from geodata.store import GeoPackageStore, Store
from geodata.store.postgis import PostGISStore, normalise_url
from harness import postgis_server

POSTGIS_TEMPLATE = "battlemap_test_template"

# Four 0.02° squares (≈ 1.8 km × 2.2 km) at 104.60–104.64E, 35.60–35.64N.
X0, Y0, D = 104.60, 35.60, 0.02
TOWNS = {"621121100": "安定镇", "621121201": "石峡湾乡"}
VILLAGES = [  # code, name, column, row
    ("621121100201", "红星村", 0, 0),
    ("621121100202", "前进村", 1, 0),
    ("621121201201", "柳树村", 0, 1),
    ("621121201202", "杏园村", 1, 1),
]


def square(col: int, row: int) -> shapely.Polygon:
    """The village square at grid position (col, row)."""
    return shapely.box(X0 + col * D, Y0 + row * D, X0 + (col + 1) * D, Y0 + (row + 1) * D)


def village_frame() -> gpd.GeoDataFrame:
    """The mini county's villages, canonical columns, EPSG:4490."""
    return gpd.GeoDataFrame(
        {
            "village_code": [v[0] for v in VILLAGES],
            "name": [v[1] for v in VILLAGES],
            "town_code": [v[0][:9] for v in VILLAGES],
            "population": [820, 640, 910, 300],
            "collective_income": [52000.0, 0.0, 18000.0, 0.0],
            "former_poverty_village": [False, True, True, False],
        },
        geometry=[square(c, r) for _, _, c, r in VILLAGES],
        crs=4490,
    )


def town_frame() -> gpd.GeoDataFrame:
    """The mini county's two townships (unions of their villages)."""
    v = village_frame()
    towns = v.dissolve("town_code").reset_index()[["town_code", "geometry"]]
    towns["name"] = towns["town_code"].map(TOWNS)
    return towns[["town_code", "name", "geometry"]]


def resident_id(seq: int, birth: str = "19800101") -> str:
    """A valid 18-character resident ID for the county with sequence ``seq``."""
    first17 = f"621121{birth}{seq:03d}"
    return first17 + check_char(first17)


@pytest.fixture(scope="session")
def postgis_admin() -> Iterator[str]:
    """An admin URL of a PostGIS server with a template database that has the extension."""
    url, root = os.environ.get("BATTLEMAP_TEST_POSTGIS"), None
    if not url:
        root = Path(tempfile.mkdtemp(prefix="battlemap-pg-"))
        try:
            url = postgis_server.start(root)
        except (RuntimeError, OSError, psycopg.Error) as exc:
            shutil.rmtree(root, ignore_errors=True)
            pytest.fail(f"cannot start a PostGIS server for the store tests: {exc}; or set BATTLEMAP_TEST_POSTGIS")
    try:
        with psycopg.connect(url, autocommit=True) as con:
            name = sql.Identifier(POSTGIS_TEMPLATE)
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            con.execute(sql.SQL("CREATE DATABASE {}").format(name))
        with psycopg.connect(_with_database(url, POSTGIS_TEMPLATE), autocommit=True) as con:
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        pytest.fail(f"the PostGIS test server at {normalise_url(url).render_as_string()} is not usable: {exc}")
    yield url
    if root is not None:
        postgis_server.stop(root)
        shutil.rmtree(root, ignore_errors=True)


def _with_database(url: str, database: str) -> str:
    return normalise_url(url).set(database=database, drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgis_url(postgis_admin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database with PostGIS for one test, dropped afterwards.

    Stores opened from the URL (the CLI) keep their local files in ``tmp_path/state``.
    """
    settings = tmp_path / "store-settings.toml"
    settings.write_text(f"[store]\nstate_dir = {str(tmp_path / 'state')!r}\n", "utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    name = f"battlemap_test_{secrets.token_hex(6)}"
    with psycopg.connect(postgis_admin, autocommit=True) as con:
        con.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(POSTGIS_TEMPLATE))
        )
    url = _with_database(postgis_admin, name)
    yield url
    PostGISStore(url).engine.dispose()
    with psycopg.connect(postgis_admin, autocommit=True) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    with warnings.catch_warnings():  # connections a finished test's threads dropped die with the database
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
def patient_login_waits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings whose first login wait (10 minutes) outlasts any argon2 check on a busy machine.

    With the default 2 s, a slow check of the last free failure lets the next attempt
    through, and a test expecting 429 sees 401.
    """
    settings = tmp_path / "patient-login-waits.toml"
    settings.write_text("[auth]\ndelay_first_s = 600.0\n", "utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))


@pytest.fixture(params=["gpkg", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store of each kind; a PostGIS store keeps its local files in ``tmp_path/state``."""
    if request.param == "gpkg":
        return GeoPackageStore(tmp_path / "mini.gpkg")
    return PostGISStore(request.getfixturevalue("postgis_url"), state_dir=tmp_path / "state")


@pytest.fixture
def gpkg(tmp_path: Path) -> Store:
    """The mini county's towns and villages in a GeoPackage (for the tests that need one kind only)."""
    store = GeoPackageStore(tmp_path / "mini.gpkg")
    with store.transaction() as tx:
        tx.write("towns", town_frame())
        tx.write("villages", village_frame())
    return store


@pytest.fixture
def mini_store(store: Store) -> Store:
    """A store (of each kind) holding the mini county's towns and villages."""
    with store.transaction() as tx:
        tx.write("towns", town_frame())
        tx.write("villages", village_frame())
    return store


def snapshot(store: Store) -> str:
    """A digest of the whole store: the file's bytes, or the stamp and every table's rows."""
    if isinstance(store, GeoPackageStore):
        return hashlib.sha256(store.path.read_bytes()).hexdigest() if store.exists() else "missing"
    digest = hashlib.sha256(store.stamp().encode())
    for layer in store.layers():
        frame = pd.DataFrame(store.read(layer))
        if "geometry" in frame:
            frame["geometry"] = shapely.to_wkb(frame["geometry"].array, hex=True)
        digest.update(layer.encode() + pd.util.hash_pandas_object(frame.astype("string"), index=False).values.tobytes())
    return digest.hexdigest()


DEMO_HOUSEHOLDS = 4000  # small enough for quick tests, large enough for every village to have households


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a small deterministic demo county, written once per test session (do not modify)."""
    from geodata.demo.store import write_demo

    store = GeoPackageStore(tmp_path_factory.mktemp("demo") / "demo.gpkg")
    write_demo(store, seed=7, households=DEMO_HOUSEHOLDS)
    return store.path


def copy_store(source: Store, target: Store) -> None:
    """Write every layer of ``source`` into ``target`` in one transaction (a store of either kind)."""
    if isinstance(source, GeoPackageStore) and isinstance(target, GeoPackageStore):
        shutil.copyfile(source.path, target.path)
        return
    with target.transaction() as tx:
        for layer in source.layers():
            tx.write(layer, source.read(layer))


CITY_HOUSEHOLDS = 150  # per county: every county still has households, C/D cases, findings and tasks
CITY_SEED = 2026
CITY_AS_OF = "2026-11-01"


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """Households per county → a 3-county demo city (6299), unbuilt, written once per session (copy, do not modify).

    Several files need the city with their own changes; writing it is the slow part, so
    it is written once per household count and copied.
    """
    from geodata.demo.store import write_demo

    written: dict[int, Path] = {}

    def path(households: int) -> Path:
        if households not in written:
            store = GeoPackageStore(tmp_path_factory.mktemp(f"demo-city-{households}") / "city.gpkg")
            write_demo(store, seed=CITY_SEED, households=households, counties=3)
            written[households] = store.path
        return written[households]

    return path


def copied(source: Path, folder: Path) -> GeoPackageStore:
    """A copy of the GeoPackage at ``source`` in ``folder``, to change."""
    target = GeoPackageStore(folder / source.name)
    copy_store(GeoPackageStore(source), target)
    return target


@pytest.fixture(scope="session")
def city_path(demo_city: Callable[[int], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 3-county demo city with :data:`CITY_HOUSEHOLDS` per county, built as of 2026-11-01 (do not modify)."""
    from battlemap_cli.main import main

    store = copied(demo_city(CITY_HOUSEHOLDS), tmp_path_factory.mktemp("city"))
    assert main(["--store", store.target, "build", "--as-of", CITY_AS_OF]) == 0
    return store.path


@pytest.fixture(scope="session")
def city_history_path(city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """:func:`city_path` with month-end snapshots of 2026-09 and 2026-10 (do not modify)."""
    from battlemap_cli.main import main

    store = copied(city_path, tmp_path_factory.mktemp("city-history"))
    assert main(["--store", store.target, "history", "--from", "2026-09", "--to", "2026-10"]) == 0
    return store.path


@pytest.fixture(autouse=True)
def _stop_background_warming() -> Iterator[None]:
    """After each test, the warm-up threads of the apps it made stop (they would go on, slowing later tests)."""
    from callbacks.store_data import StoreData

    before = {id(data) for data in StoreData.alive()}
    yield
    for data in StoreData.alive():
        if id(data) not in before:
            data.stopped.set()
