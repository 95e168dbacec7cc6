"""Coordinate systems: CGCS2000 and its Gauss-Krüger zones, GCJ-02 and BD-09 offsets, diagnostics.

GCJ-02 (phone maps: AMap, Tencent, WeChat) and BD-09 (Baidu) are not PROJ systems; they
are obfuscation functions applied to WGS84. The forward functions follow the published
algorithm (Krasovsky ellipsoid, polynomial-sine series in lon − 105, lat − 35); the
inverses are fixed-point iterations that converge to 1e-9° in a handful of steps,
far below the 0.5 m the importer needs. Everything is vectorised over numpy arrays.
CGCS2000 and WGS84 differ by less than a metre here, so GCJ-02 → WGS84 is taken as
CGCS2000 (PROJ itself applies no shift from EPSG:4326 to EPSG:4490).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError
from pyproj.exceptions import ProjError

from geodata._errors import CrsError

if TYPE_CHECKING:
    import geopandas as gpd

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_PI = np.pi * 3000.0 / 180.0
_CHINA = (72.004, 137.8347, 0.8293, 55.8271)  # lon min, lon max, lat min, lat max of the GCJ-02 domain
_INVERSE_TOL = 1e-9
_INVERSE_STEPS = 12

STORED_EPSG = 4490
OFFSETS = ("gcj02", "bd09")
NAMED = {
    "wgs84": 4326,
    "wgs-84": 4326,
    "cgcs2000": 4490,
    "cgcs-2000": 4490,
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "mars": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
}
ACCEPTED = "an EPSG code (4490, 4326, 4513–4554 …), 'EPSG:4545', WKT, or one of wgs84, cgcs2000, gcj02, bd09"


@dataclass(frozen=True)
class CrsSpec:
    """A coordinate system as the importer understands it: an EPSG/WKT CRS or a Chinese offset."""

    crs: CRS | None = None
    offset: str | None = None  # 'gcj02' or 'bd09'

    @property
    def epsg(self) -> int | None:
        """The EPSG code when there is one (offsets have none)."""
        return None if self.crs is None else self.crs.to_epsg()

    @property
    def label(self) -> str:
        """A short name for messages."""
        if self.offset:
            return self.offset.upper()
        return f"EPSG:{self.epsg}" if self.epsg else (self.crs.name if self.crs else "?")


def parse_crs(text: str | int | None) -> CrsSpec:
    """Understand ``--crs`` values and CRSs read from files (``.prj`` WKT)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        msg = f"no coordinate system given; expected {ACCEPTED}"
        raise CrsError(msg)
    key = str(text).strip()
    named = NAMED.get(key.lower().replace("_", "-")) or NAMED.get(key.lower().replace("-", "").replace("_", ""))
    if named in OFFSETS:
        return CrsSpec(offset=str(named))
    value: str | int = named if named is not None else key
    if isinstance(value, str) and re.fullmatch(r"\d{4,6}", value):
        value = int(value)
    try:
        crs = CRS.from_user_input(value)
        _transformer(crs.to_wkt(), f"EPSG:{STORED_EPSG}")
    except (ProjCRSError, ProjError) as exc:
        msg = f"unknown or unusable coordinate system {str(text)[:80]!r}: {exc}; expected {ACCEPTED}"
        raise CrsError(msg) from exc
    return CrsSpec(crs=crs)


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Where the GCJ-02 offset applies."""
    return (lon >= _CHINA[0]) & (lon <= _CHINA[1]) & (lat >= _CHINA[2]) & (lat <= _CHINA[3])


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) at WGS84 ``lon``/``lat``."""
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def _arrays(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """Float64 copies of the inputs (scalars become 1-element arrays)."""
    return np.atleast_1d(np.asarray(lon, dtype="float64")).copy(), np.atleast_1d(
        np.asarray(lat, dtype="float64")
    ).copy()


def wgs84_to_gcj02(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02; identity outside China, NaN stays NaN."""
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _invert(forward: object, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-point inverse of ``forward``: find p with forward(p) = (lon, lat)."""
    x, y = lon.copy(), lat.copy()
    for _ in range(_INVERSE_STEPS):
        fx, fy = forward(x, y)  # type: ignore[operator]
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if np.nanmax(np.abs(np.concatenate([dx, dy])), initial=0.0) < _INVERSE_TOL:
            break
    return x, y


def gcj02_to_wgs84(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84 by iteration (sub-millimetre); identity outside China."""
    lon, lat = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (Baidu's extra rotation and shift, about 0.9 km more)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02, inverted by iteration."""
    lon, lat = _arrays(lon, lat)
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: object, lat: object) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


@cache
def _transformer(src: str, dst: str) -> Transformer:
    """A cached lon/lat-ordered transformer between two CRSs given as WKT or EPSG strings."""
    return Transformer.from_crs(CRS.from_user_input(src), CRS.from_user_input(dst), always_xy=True)


def to_cgcs2000(x: object, y: object, spec: CrsSpec) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in ``spec`` → CGCS2000 geographic lon/lat (EPSG:4490)."""
    x, y = _arrays(x, y)
    if spec.offset == "gcj02":
        return gcj02_to_wgs84(x, y)
    if spec.offset == "bd09":
        return bd09_to_wgs84(x, y)
    assert spec.crs is not None
    if spec.epsg == STORED_EPSG:
        return x, y
    lon, lat = _transformer(spec.crs.to_wkt(), f"EPSG:{STORED_EPSG}").transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def from_cgcs2000(lon: object, lat: object, target: CrsSpec) -> tuple[np.ndarray, np.ndarray]:
    """CGCS2000 lon/lat → ``target`` (e.g. GCJ-02 to line data up with an AMap basemap)."""
    lon, lat = _arrays(lon, lat)
    if target.offset == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if target.offset == "bd09":
        return wgs84_to_bd09(lon, lat)
    assert target.crs is not None
    x, y = _transformer(f"EPSG:{STORED_EPSG}", target.crs.to_wkt()).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def gk_zone(lon: float) -> int:
    """The 3-degree Gauss-Krüger zone number (central meridian = 3 × zone) for ``lon``."""
    return round(lon / 3.0)


def county_epsg(layer: gpd.GeoDataFrame | gpd.GeoSeries) -> int:
    """EPSG code of the GK zone to measure a county's layers in: the zone of the layer's centre."""
    return gk_zone_epsg(float(layer.geometry.union_all().centroid.x))


def gk_zone_epsg(lon: float, *, prefixed: bool = False) -> int:
    """EPSG code of the CGCS2000 3-degree GK zone for ``lon``.

    ``prefixed`` selects EPSG:4513–4533 (false easting carries the zone number) instead
    of EPSG:4534–4554 (false easting 500 000 m).
    """
    zone = gk_zone(lon)
    if not 25 <= zone <= 45:
        msg = f"longitude {lon} is outside China's CGCS2000 3-degree zones 25–45 (75°E–135°E)"
        raise CrsError(msg)
    return (4513 if prefixed else 4534) + zone - 25


def guess_projected_crs(x: np.ndarray, y: np.ndarray) -> int | None:
    """EPSG of a prefixed GK zone when eastings carry the zone number (e.g. 36 512 345 → 4524), else None."""
    x = np.asarray(x, dtype="float64")
    x = x[np.isfinite(x)]
    if not len(x):
        return None
    zones = np.floor(x / 1e6).astype(int)
    zone = int(np.median(zones))
    if 25 <= zone <= 45 and np.mean(zones == zone) > 0.95:
        return 4513 + zone - 25
    return None


def geographic_points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per point: finite and readable as longitude/latitude, either way round (swaps are repaired later)."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    ax, ay = np.abs(x), np.abs(y)
    return np.isfinite(x) & np.isfinite(y) & (((ax <= 180) & (ay <= 90)) | ((ax <= 90) & (ay <= 180)))


def looks_geographic(x: np.ndarray, y: np.ndarray) -> bool:
    """True when every finite point reads as longitude/latitude, either way round (swaps are repaired later)."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    finite = np.isfinite(x) & np.isfinite(y)
    return bool(finite.any()) and bool(geographic_points(x[finite], y[finite]).all())


def looks_swapped(x: np.ndarray, y: np.ndarray) -> bool:
    """True when most points read as (lat, lon) in China: x within China's latitudes, y within its longitudes."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    return bool(ok.any()) and float(np.mean(_in_china(y[ok], x[ok]) & ~_in_china(x[ok], y[ok]))) > 0.5


def looks_projected(x: np.ndarray, y: np.ndarray) -> bool:
    """True when most values are metre-sized: no longitude/latitude, either way round."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    ax, ay = np.abs(x[ok]), np.abs(y[ok])
    return bool(ok.any()) and float(np.mean((ax > 180) | (ay > 180) | ((ax > 90) & (ay > 90)))) > 0.5


def describe_coordinate_problem(x: np.ndarray, y: np.ndarray, declared: CrsSpec | None) -> str | None:
    """Advice for coordinates that do not fit: projected without CRS, swapped, or simply elsewhere."""
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    if looks_projected(x, y):
        sample = f"eastings ≈ {np.nanmedian(x):,.0f}, northings ≈ {np.nanmedian(y):,.0f}"
        epsg = guess_projected_crs(x, y)
        if epsg:
            zone = epsg - 4513 + 25
            return (
                f"coordinates look projected ({sample}) with the zone number in the easting: "
                f"pass --crs {epsg} (CGCS2000 3-degree Gauss-Krüger zone {zone}, central meridian {3 * zone}°E)"
            )
        return (
            f"coordinates look projected ({sample}): pass --crs with the CGCS2000 3-degree Gauss-Krüger zone "
            "of the data, EPSG:4534–4554 for central meridians 75°E–135°E (e.g. --crs 4545 for 108°E); "
            "the .prj file or the surveyor's notes name it"
        )
    if looks_swapped(x, y):
        return "longitude and latitude look swapped: exchange the two columns (经度 = x ≈ 73–135, 纬度 = y ≈ 18–54)"
    if declared is None or declared.offset is None:
        return (
            "if these are phone-map points (AMap/Gaode, Tencent, WeChat) pass --crs gcj02, for Baidu --crs bd09; "
            "otherwise check that the villages layer belongs to the same county"
        )
    return None
