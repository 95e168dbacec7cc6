"""The PostGIS server restarted under a running app: the next requests succeed without restarting the app.

A server of its own (not the session's shared one) is started, filled with the small
demo county and restarted with ``pg_ctl restart -m fast``, which cuts every pooled connection.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from app import create_app
from geodata.store import GeoPackageStore
from geodata.store.postgis import PostGISStore, normalise_url
from harness import postgis_server
from tests.conftest import copy_store
from tests.test_access import client_for, route_page


@pytest.fixture
def own_server() -> Iterator[tuple[Path, str]]:
    """A throwaway PostGIS server and a database with the extension; (cluster folder, database URL)."""
    root = Path(tempfile.mkdtemp(prefix="battlemap-pg-restart-"))
    try:
        admin = postgis_server.start(root)
    except (RuntimeError, OSError, psycopg.Error) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"cannot start a PostGIS server for the restart test: {exc}")
    try:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute("CREATE DATABASE restart_test")
        url = normalise_url(admin).set(database="restart_test").render_as_string(hide_password=False)
        yield root, url
    finally:
        postgis_server.stop(root)
        shutil.rmtree(root, ignore_errors=True)


def test_requests_succeed_after_the_database_restarts(
    own_server: tuple[Path, str], demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, url = own_server
    settings = tmp_path / "settings.toml"
    settings.write_text(f"[store]\nstate_dir = {str(tmp_path / 'state')!r}\n", "utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    store = PostGISStore(url)
    copy_store(GeoPackageStore(demo_store_path), store)  # the small demo county with its indicators

    app = create_app(url)
    client = client_for(app, url, "leader")  # type: ignore[arg-type]
    for page in ("/map", "/wall"):
        assert route_page(client, page).status_code == 200, page
    stamp = store.stamp()

    postgis_server.restart(root)  # every pooled connection of the app is now dead

    for _ in range(3):  # more requests than one: each stale pooled connection is replaced
        for page in ("/map", "/wall"):
            response = route_page(client, page)
            assert response.status_code == 200, (page, response.status_code, response.get_data(as_text=True)[:300])
    assert store.stamp() == stamp
    with store.transaction() as tx:  # and writing works again
        tx.log(action="note", layer="villages", rows=0, source="after restart")
    assert store.stamp() != stamp
