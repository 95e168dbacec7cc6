"""Basemaps from settings: none by default, Tianditu only with a key, AMap with every layer shifted to GCJ-02."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from pyproj import Geod

from geodata.io.crs import wgs84_to_gcj02
from geodata.settings import MapSettings, Settings
from layers.basemap import basemap_layers, shift_for_basemap, tile_sources


def test_default_is_offline() -> None:
    assert tile_sources(MapSettings()) == []
    assert basemap_layers(MapSettings()) == []


def test_tianditu_needs_a_key_and_uses_web_mercator_tiles() -> None:
    assert tile_sources(MapSettings(basemap="tianditu")) == []
    urls = tile_sources(MapSettings(basemap="tianditu", tianditu_key="abc123"))
    assert len(urls) == 8
    assert all("T=vec_w" in u and "tk=abc123" in u and "{s}" not in u for u in urls)
    assert urls[0].startswith("https://t0.tianditu.gov.cn/")


def test_amap_shifts_points_and_polygons_to_gcj02() -> None:
    square = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "a"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[104.6, 35.6], [104.61, 35.6], [104.61, 35.61], [104.6, 35.6]]],
                },
            }
        ],
    }
    fig = go.Figure(
        [
            go.Scattermap(lon=[104.6, None, 104.7], lat=[35.6, None, 35.7]),
            go.Choroplethmap(geojson=square, locations=["a"], z=[1], featureidkey="properties.code"),
        ]
    )
    fig.update_layout(map={"center": {"lon": 104.6, "lat": 35.6}})
    shift_for_basemap(fig, MapSettings(basemap="amap"))
    geod = Geod(ellps="GRS80")
    _, _, moved = geod.inv(104.6, 35.6, fig.data[0].lon[0], fig.data[0].lat[0])
    expected = wgs84_to_gcj02(np.array([104.6]), np.array([35.6]))
    assert fig.data[0].lon[0] == pytest.approx(expected[0][0], abs=1e-6)
    assert 100 < moved < 700  # the GCJ-02 offset here is a few hundred metres
    assert fig.data[0].lon[1] is None  # line breaks survive
    corner = fig.data[1].geojson["features"][0]["geometry"]["coordinates"][0][0]
    assert corner == pytest.approx([fig.data[0].lon[0], fig.data[0].lat[0]], abs=1e-6)
    assert fig.layout.map.center.lon == pytest.approx(fig.data[0].lon[0], abs=1e-6)
    assert basemap_layers(MapSettings(basemap="amap"))[0]["source"][0].startswith("https://webrd01.")


def test_osm_draws_tiles_without_shifting() -> None:
    fig = go.Figure(go.Scattermap(lon=[104.6], lat=[35.6]))
    shift_for_basemap(fig, MapSettings(basemap="osm"))
    assert np.allclose(fig.data[0].lon, [104.6])
    assert tile_sources(MapSettings(basemap="osm")) == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]


def test_exported_html_on_amap_draws_shifted_layers(tmp_path) -> None:
    import geopandas as gpd
    import shapely

    from layers.catalog import indicator
    from layers.classify import classify
    from layers.export_html import ChoroplethView, export_map_html

    shapes = gpd.GeoDataFrame(
        {"code": ["a"], "name": ["村<b>"]}, geometry=[shapely.box(104.6, 35.6, 104.61, 35.61)], crs=4490
    )
    values = pd.Series([0.2], index=["a"])
    ind = indicator("poverty_incidence")
    view = ChoroplethView(shapes, values, ind, classify(values, ind, Settings(), "zh"), "zh")
    html_text = export_map_html(view, title="t", basemap=MapSettings(basemap="amap"))
    assert "webrd0{s}.is.autonavi.com" in html_text and '"subdomains": "1234"' in html_text
    lon, _ = wgs84_to_gcj02(np.array([104.6]), np.array([35.6]))
    assert f"{lon[0]:.6f}"[:9] in html_text  # the polygon's corner moved to GCJ-02
    assert "村<b>" not in html_text and "\\u6751<b>" not in html_text  # the name only ever appears escaped
    assert "\\u6751\\u0026lt;b\\u0026gt;" in html_text
