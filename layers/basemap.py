"""Optional raster basemaps (Tianditu, OSM, AMap) and the GCJ-02 shift AMap needs.

The default is no basemap: intranets have no internet, and the project's own layers
carry the context. Tianditu is CGCS2000 (no offset); AMap tiles are GCJ-02, so every
coordinate drawn over them is shifted with :func:`geodata.io.crs.wgs84_to_gcj02` first —
otherwise households would sit ~450 m off their houses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
import shapely

from geodata.io.crs import wgs84_to_gcj02
from geodata.settings import MapSettings

SERVERS = {"tianditu": range(8), "amap": range(1, 5), "osm": [None]}
ATTRIBUTION = {"tianditu": "© 天地图 Tianditu", "osm": "© OpenStreetMap contributors", "amap": "© 高德地图 AMap"}


def tile_sources(settings: MapSettings) -> list[str]:
    """The tile URLs of the configured basemap (empty for ``none`` or Tianditu without a key)."""
    name = settings.basemap
    if name not in SERVERS or (name == "tianditu" and not settings.tianditu_key):
        return []
    template = settings.tile_urls[name]
    return [
        template.replace("{s}", "" if s is None else str(s))
        .replace("{layer}", settings.tianditu_layer)
        .replace("{key}", settings.tianditu_key)
        for s in SERVERS[name]
    ]


def leaflet_tiles(settings: MapSettings) -> tuple[str, str] | None:
    """A Leaflet URL template (with ``{s}``) and its subdomains, or None when no basemap is drawn."""
    if not tile_sources(settings):
        return None
    name = settings.basemap
    template = (
        settings.tile_urls[name].replace("{layer}", settings.tianditu_layer).replace("{key}", settings.tianditu_key)
    )
    return template, "".join(str(s) for s in SERVERS[name] if s is not None) or "abc"


def to_gcj02_frame(frame: Any) -> Any:
    """A GeoDataFrame (EPSG:4490 lon/lat) with every coordinate moved to GCJ-02, for AMap tiles."""
    out = frame.copy()
    out.geometry = shapely.transform(out.geometry.values, lambda c: np.c_[wgs84_to_gcj02(c[:, 0], c[:, 1])])
    return out


def basemap_layers(settings: MapSettings) -> list[dict[str, Any]]:
    """``layout.map.layers`` entries drawing the basemap below the traces."""
    sources = tile_sources(settings)
    if not sources:
        return []
    return [
        {
            "sourcetype": "raster",
            "source": sources,
            "below": "traces",
            "sourceattribution": ATTRIBUTION[settings.basemap],
        }
    ]


def shift_for_basemap(fig: go.Figure, settings: MapSettings) -> go.Figure:
    """Move every drawn coordinate to GCJ-02 when the basemap is AMap; otherwise leave the figure alone."""
    if settings.basemap != "amap":
        return fig
    for trace in fig.data:
        if getattr(trace, "lon", None) is not None and trace.lon is not None:
            lon = np.array([np.nan if v is None else v for v in trace.lon], dtype=float)
            lat = np.array([np.nan if v is None else v for v in trace.lat], dtype=float)
            ok = np.isfinite(lon)
            glon, glat = lon.copy(), lat.copy()
            glon[ok], glat[ok] = wgs84_to_gcj02(lon[ok], lat[ok])
            trace.lon = [None if not k else round(float(v), 6) for v, k in zip(glon, ok, strict=True)]
            trace.lat = [None if not k else round(float(v), 6) for v, k in zip(glat, ok, strict=True)]
        if getattr(trace, "geojson", None) is not None:
            trace.geojson = _shift_geojson(
                trace.geojson.to_plotly_json() if hasattr(trace.geojson, "to_plotly_json") else trace.geojson
            )
    centre = fig.layout.map.center
    if centre is not None and centre.lon is not None:
        lon, lat = wgs84_to_gcj02(np.array([centre.lon]), np.array([centre.lat]))
        fig.layout.map.center = {"lon": float(lon[0]), "lat": float(lat[0])}
    return fig


def _shift_geojson(geojson: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection with every position moved to GCJ-02."""

    def move(coords: Any) -> Any:
        array = np.asarray(coords, dtype=float)
        if array.ndim == 1:
            lon, lat = wgs84_to_gcj02(array[:1], array[1:2])
            return [round(float(lon[0]), 7), round(float(lat[0]), 7)]
        if array.ndim == 2:
            lon, lat = wgs84_to_gcj02(array[:, 0], array[:, 1])
            return np.round(np.c_[lon, lat], 7).tolist()
        return [move(c) for c in coords]

    features = []
    for f in geojson.get("features", []):
        geometry = dict(f["geometry"])
        geometry["coordinates"] = move(geometry["coordinates"])
        features.append({**f, "geometry": geometry})
    return {**geojson, "features": features}
