"""The start-up warm-up: at most ``[server] warm_views`` map views, the top first, then townships and villages."""

from pathlib import Path

import pytest

from callbacks import map_page
from callbacks.store_data import StoreData
from geodata.store import GeoPackageStore


def test_warm_up_builds_at_most_warm_views_views_top_first(
    demo_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "battlemap.toml"
    settings.write_text("[server]\nwarm_views = 3\n", "utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    data = StoreData(GeoPackageStore(demo_store_path))  # read only
    map_page.warm_views(data)
    views = [k.split(":", 1)[1] for k in data._cache if k.startswith("map-content:")]
    panels = [k for k in data._cache if k.startswith("map-panel:")]
    towns = sorted(str(t) for t in data.indicators("town").index)
    assert len(views) == 3 and len(panels) == 3, views
    assert views[0].startswith("None:county:None:None:None:"), views  # the top (a one-county store)
    assert [v.split(":")[3] for v in views[1:]] == towns[:2]  # then the townships in code order
    assert not any(v.split(":")[4] != "None" for v in views), "no village before the townships"


def test_a_stopped_server_builds_no_more_views(demo_store_path: Path) -> None:
    """Once its server stopped, the warm-up ends at the next view instead of building views for nobody."""
    data = StoreData(GeoPackageStore(demo_store_path), shared=None)  # read only
    data.stopped.set()
    map_page.warm_views(data)
    assert not [k for k in data._cache if k.startswith(("map-content:", "map-panel:"))]
