"""Coordinate systems: GCJ-02/BD-09 against the prcoords oracle, round trips, zones, diagnostics."""

from __future__ import annotations

import numpy as np
import prcoords
import pytest
from pyproj import Geod

from geodata._errors import CrsError
from geodata.io.crs import (
    bd09_to_wgs84,
    describe_coordinate_problem,
    gcj02_to_wgs84,
    gk_zone_epsg,
    guess_projected_crs,
    looks_geographic,
    looks_projected,
    looks_swapped,
    parse_crs,
    to_cgcs2000,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="GRS80")


@pytest.fixture(scope="module")
def china_points() -> tuple[np.ndarray, np.ndarray]:
    """5,000 random WGS84 points over mainland China's extent."""
    rng = np.random.default_rng(20261122)
    return rng.uniform(73.7, 134.8, 5000), rng.uniform(18.2, 53.5, 5000)


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_gcj02_forward_matches_prcoords(china_points) -> None:
    lon, lat = china_points
    glon, glat = wgs84_to_gcj02(lon, lat)
    ref = np.array([prcoords.wgs_gcj(prcoords.Coords(b, a)) for a, b in zip(lon[:1000], lat[:1000], strict=True)])
    assert np.abs(glat[:1000] - ref[:, 0]).max() < 1e-9
    assert np.abs(glon[:1000] - ref[:, 1]).max() < 1e-9


def test_gcj02_round_trip_is_below_half_a_metre(china_points) -> None:
    lon, lat = china_points
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    err = _metres(lon, lat, back_lon, back_lat)
    assert err.max() < 0.5
    assert err.max() < 0.001  # in fact sub-millimetre


def test_bd09_round_trip_and_oracle(china_points) -> None:
    lon, lat = china_points
    blon, blat = wgs84_to_bd09(lon, lat)
    ref = np.array([prcoords.wgs_bd(prcoords.Coords(b, a)) for a, b in zip(lon[:500], lat[:500], strict=True)])
    assert np.abs(blat[:500] - ref[:, 0]).max() < 1e-9
    err = _metres(lon, lat, *bd09_to_wgs84(blon, blat))
    assert err.max() < 0.5


def test_offset_size_at_the_loess_plateau() -> None:
    glon, glat = wgs84_to_gcj02(108.4, 35.1)
    offset = _metres(108.4, 35.1, glon, glat)[0]
    assert 300 < offset < 700


def test_identity_outside_china_and_nan_passthrough() -> None:
    lon, lat = wgs84_to_gcj02([2.35, np.nan], [48.85, 35.0])
    assert lon[0] == 2.35 and lat[0] == 48.85 and np.isnan(lon[1])
    assert np.isnan(gcj02_to_wgs84([np.nan], [35.0])[0][0])


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("4490", "EPSG:4490"),
        ("EPSG:4545", "EPSG:4545"),
        (4326, "EPSG:4326"),
        ("wgs84", "EPSG:4326"),
        ("CGCS2000", "EPSG:4490"),
        ("GCJ-02", "GCJ02"),
        ("gcj02", "GCJ02"),
        ("BD-09", "BD09"),
    ],
)
def test_parse_crs_variants(text, label) -> None:
    assert parse_crs(text).label == label


def test_parse_crs_refuses_unknown_names() -> None:
    with pytest.raises(CrsError, match="gcj02"):
        parse_crs("beijing-local-grid")


def test_gauss_kruger_zones() -> None:
    assert gk_zone_epsg(108.4) == 4545
    assert gk_zone_epsg(108.4, prefixed=True) == 4524
    assert gk_zone_epsg(104.6) == 4544
    with pytest.raises(CrsError):
        gk_zone_epsg(10.0)
    lon, lat = to_cgcs2000([500000.0], [3885000.0], parse_crs(4545))
    assert abs(lon[0] - 108.0) < 1e-9 and 35.0 < lat[0] < 35.2
    lon2, _ = to_cgcs2000([36_500_000.0], [3885000.0], parse_crs(4524))
    assert abs(lon2[0] - 108.0) < 1e-9


def test_diagnostics_name_the_fix() -> None:
    x, y = np.array([36_512_345.0, 36_513_000.0]), np.array([3_881_234.0, 3_882_000.0])
    assert looks_projected(x, y) and not looks_geographic(x, y)
    assert guess_projected_crs(x, y) == 4524
    assert "--crs 4524" in (describe_coordinate_problem(x, y, None) or "")
    unprefixed = describe_coordinate_problem(np.array([512_345.0]), np.array([3_881_234.0]), None) or ""
    assert "--crs" in unprefixed and "4534" in unprefixed
    assert looks_swapped(np.array([35.6, 35.7]), np.array([104.6, 104.7]))
    assert "swapped" in (describe_coordinate_problem(np.array([35.6]), np.array([104.6]), None) or "")
