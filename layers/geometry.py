"""Geometry for the browser: simplified polygons that keep shared borders, map centre and zoom."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

SIMPLIFY_DEGREES = 0.0003  # ≈ 30 m: invisible at county zoom, shrinks the page several-fold


def browser_polygons(frame: gpd.GeoDataFrame, *, tolerance: float = SIMPLIFY_DEGREES) -> gpd.GeoDataFrame:
    """Polygons simplified for the browser while keeping shared borders shared (coverage simplify)."""
    out = frame.copy()
    out.geometry = shapely.coverage_simplify(np.asarray(frame.geometry.values), tolerance)
    return out


def unit_polygons(villages: gpd.GeoDataFrame, towns: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """The units of ``level`` (village, town or county) as ``code``, ``name``, geometry, simplified for the browser.

    ``towns`` holds every township (``town_code``, ``name``, geometry), e.g. derived from the villages.
    """
    if level == "village":
        frame = villages[["village_code", "name", "geometry"]].rename(columns={"village_code": "code"})
    elif level == "town":
        frame = towns[["town_code", "name", "geometry"]].rename(columns={"town_code": "code"})
    else:
        code = str(villages["village_code"].iloc[0])[:6]
        frame = gpd.GeoDataFrame({"code": [code], "name": [code]}, geometry=[villages.union_all()], crs=villages.crs)
    return browser_polygons(frame.reset_index(drop=True))


def features_within(frame: gpd.GeoDataFrame | None, bounds: np.ndarray) -> gpd.GeoDataFrame | None:
    """The features whose bounding boxes meet ``bounds`` (lon/lat), or None without any."""
    if frame is None or not len(frame):
        return None
    x0, y0, x1, y1 = bounds
    return frame.cx[x0:x1, y0:y1]


def pixel_degrees(bounds: np.ndarray, *, width_px: int = 900, height_px: int = 650) -> float:
    """Degrees of longitude one screen pixel spans when ``bounds`` are framed at :func:`fit_zoom`."""
    return 360.0 / (512.0 * 2 ** fit_zoom(bounds, width_px=width_px, height_px=height_px))


def simplified(frame: gpd.GeoDataFrame | None, tolerance: float) -> gpd.GeoDataFrame | None:
    """Lines and polygons without the vertices closer than ``tolerance`` (degrees) to their outline; points kept.

    Context layers (hazard zones, roads) are drawn at the zoom of the unit on screen: a
    city's hazard zones at full detail were 2.4 MB of a 2.4 MB view.
    """
    if frame is None or not len(frame):
        return frame
    out = frame.copy()
    out.geometry = shapely.simplify(np.asarray(frame.geometry.values), tolerance, preserve_topology=True)
    return out[~out.geometry.is_empty]


def around_bounds(bounds: np.ndarray, km: float) -> np.ndarray:
    """``bounds`` (lon/lat) widened by ``km`` on every side (a degree of latitude is about 111 km)."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    dy = km / 111.0
    dx = dy / max(np.cos(np.radians((y0 + y1) / 2)), 0.1)
    return np.array([x0 - dx, y0 - dy, x1 + dx, y1 + dy])


def fit_zoom(bounds: np.ndarray, *, width_px: int = 900, height_px: int = 650, padding: float = 0.9) -> float:
    """The MapLibre zoom (512-px tiles) at which ``bounds`` (lon/lat) fill ``padding`` of a map of the given size."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    mid = np.radians((y0 + y1) / 2)
    lon_zoom = np.log2(width_px * 360.0 / (512.0 * max(x1 - x0, 1e-6)))
    lat_zoom = np.log2(height_px * 360.0 * np.cos(mid) / (512.0 * max(y1 - y0, 1e-6)))
    return float(round(min(lon_zoom, lat_zoom) + np.log2(padding), 2))


def centre(bounds: np.ndarray) -> dict[str, float]:
    """The centre of ``bounds`` as a MapLibre centre."""
    x0, y0, x1, y1 = (float(b) for b in bounds)
    return {"lon": (x0 + x1) / 2, "lat": (y0 + y1) / 2}


def line_coordinates(geoms: np.ndarray) -> tuple[list[float | None], list[float | None]]:
    """Lon and lat lists of many lines joined with ``None`` breaks: one Scattermap trace for all."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for part in shapely.get_parts(np.asarray(geoms)):
        for ring in [part] if part.geom_type == "LineString" else [part.exterior, *part.interiors]:
            xy = shapely.get_coordinates(ring)
            lons.extend([*np.round(xy[:, 0], 6).tolist(), None])
            lats.extend([*np.round(xy[:, 1], 6).tolist(), None])
    return lons, lats
