"""Give imported rows their place: geometry in EPSG:4490, checked against the county and villages.

Coordinates arrive in many systems (CGCS2000 Gauss-Krüger shapefiles, GCJ-02 phone
points, swapped lon/lat). This module converts them, repairs what can be repaired
with a warning (invalid polygons, swapped or missing points, points in another
village than their code) and refuses what cannot (projected numbers without a CRS,
a file whose points mostly fall outside the county).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata._errors import CrsError
from geodata.io.crs import (
    CrsSpec,
    describe_coordinate_problem,
    gcj02_to_wgs84,
    gk_zone_epsg,
    looks_geographic,
    parse_crs,
    to_cgcs2000,
)
from geodata.io.readers import RawTable
from geodata.io.report import Report, RowProblems
from geodata.io.validate import ROW
from geodata.schemas import LayerSchema
from geodata.settings import Settings

STORED = "EPSG:4490"


def source_crs(raw: RawTable, declared: str | int | None, x: np.ndarray, y: np.ndarray, report: Report) -> CrsSpec:
    """The coordinate system to read ``raw`` in: ``--crs``, else the file's own, else inferred.

    Geographic-looking numbers with no CRS are taken as CGCS2000 (with a warning);
    projected numbers with no CRS are refused with advice on ``--crs``.
    """
    if declared not in (None, ""):
        spec = parse_crs(declared)
        file_crs = raw.geometry.crs if raw.geometry is not None else None
        if file_crs is not None and spec.epsg is not None and not file_crs.equals(f"EPSG:{spec.epsg}"):
            report.add(
                "crs_override",
                "warning",
                f"--crs {declared} overrides the file's own CRS ({file_crs.name}); check that this is intended",
            )
        return spec
    if raw.geometry is not None and raw.geometry.crs is not None:
        return parse_crs(raw.geometry.crs.to_wkt())
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any() or looks_geographic(x[finite], y[finite]):
        report.add(
            "crs_assumed",
            "warning",
            "no coordinate system given; geographic numbers taken as CGCS2000 "
            "(EPSG:4490). Pass --crs gcj02 for phone-map (AMap/Tencent/WeChat) points or --crs bd09 for Baidu",
        )
        return parse_crs(4490)
    advice = describe_coordinate_problem(x[finite], y[finite], None) or "pass --crs EPSG_CODE"
    msg = (
        f"{Path(raw.file).name}: the file has no coordinate system and its numbers are not longitude/latitude: {advice}"
    )
    report.add("crs_missing", "error", msg)
    raise CrsError(msg, report)


def transform_geometries(geoms: np.ndarray, spec: CrsSpec) -> np.ndarray:
    """Every vertex converted to CGCS2000 lon/lat (vectorised over all vertices)."""

    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_cgcs2000(coords[:, 0], coords[:, 1], spec)
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, convert)


def repair_polygons(geoms: np.ndarray, sink: RowProblems) -> np.ndarray:
    """Invalid polygons are made valid (warning); empty ones are errors."""
    geoms = np.asarray(geoms, dtype=object)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    sink.flag("missing_geometry", "the feature has no geometry", empty)
    invalid = ~empty & ~shapely.is_valid(geoms)
    for i in np.flatnonzero(invalid):
        sink.at(
            i,
            "invalid_geometry",
            f"invalid polygon ({shapely.is_valid_reason(geoms[i])}); repaired with make_valid",
            severity="warning",
        )
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        geoms[invalid] = [_polygonal(g) for g in fixed]
    return geoms


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygon parts of a geometry (make_valid may return a collection with lines)."""
    if isinstance(geom, (shapely.Polygon, shapely.MultiPolygon)):
        return geom
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, (shapely.Polygon, shapely.MultiPolygon))]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def raw_xy(raw: RawTable, frame: pd.DataFrame, layer: LayerSchema) -> tuple[np.ndarray, np.ndarray]:
    """Source x/y of each row: from point geometry when the file is spatial, else the lon/lat columns."""
    if raw.geometry is not None:
        geoms = np.asarray(raw.geometry.values, dtype=object)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        x, y = np.full(len(geoms), np.nan), np.full(len(geoms), np.nan)
        x[ok], y[ok] = shapely.get_x(geoms[ok]), shapely.get_y(geoms[ok])
        return x, y
    lon, lat = layer.coords or ("lon", "lat")
    return (frame[lon].to_numpy("float64", na_value=np.nan), frame[lat].to_numpy("float64", na_value=np.nan))


class VillageIndex:
    """Village polygons with a spatial index, for point-in-village checks and placement."""

    def __init__(self, villages: gpd.GeoDataFrame) -> None:
        self.codes = villages["village_code"].to_numpy(dtype=object)
        self.names = villages["name"].to_numpy(dtype=object) if "name" in villages else self.codes
        self.geoms = np.asarray(villages.geometry.values, dtype=object)
        self.by_code = {c: i for i, c in enumerate(self.codes)}
        self.tree = shapely.STRtree(self.geoms)
        self.county = shapely.union_all(self.geoms)
        shapely.prepare(self.county)
        self.epsg = gk_zone_epsg(float(shapely.centroid(self.county).x))

    def village_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the village containing each point, -1 where none does."""
        out = np.full(len(x), -1)
        pts = shapely.points(x, y)
        pt_idx, poly_idx = self.tree.query(pts, predicate="within")
        out[pt_idx] = poly_idx
        return out

    def inside_coded(self, codes: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """True where a point lies inside the village its code names (vectorised per village)."""
        inside = np.zeros(len(x), dtype=bool)
        frame = pd.DataFrame({"code": codes})
        for code, idx in frame.groupby("code", sort=False).indices.items():
            j = self.by_code.get(code)
            if j is not None:
                inside[idx] = shapely.contains_xy(self.geoms[j], x[idx], y[idx])
        return inside

    def metres_from_coded(self, codes: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Distance in metres (Gauss-Krüger) from each point to its coded village."""
        polys = gpd.GeoSeries([self.geoms[self.by_code[c]] for c in codes], crs=STORED).to_crs(self.epsg)
        pts = gpd.GeoSeries.from_xy(x, y, crs=STORED).to_crs(self.epsg)
        return pts.distance(polys, align=False).to_numpy()

    def in_county(self, x: np.ndarray, y: np.ndarray, buffer_m: float) -> np.ndarray:
        """True where a point is inside the county or within ``buffer_m`` of its outline."""
        inside = shapely.contains_xy(self.county, x, y)
        x0, y0, x1, y1 = self.county.bounds
        pad = 0.5  # degrees: only points this close to the county's box can be within any sensible buffer
        near = ~inside & (x > x0 - pad) & (x < x1 + pad) & (y > y0 - pad) & (y < y1 + pad)
        if near.any():
            pts = gpd.GeoSeries.from_xy(x[near], y[near], crs=STORED).to_crs(self.epsg)
            outline = gpd.GeoSeries([self.county], crs=STORED).to_crs(self.epsg).iloc[0]
            inside[near] = pts.distance(outline).to_numpy() <= buffer_m
        return inside

    def placement(self, codes: np.ndarray) -> np.ndarray:
        """A point inside each coded village (its representative point)."""
        return np.array([shapely.point_on_surface(self.geoms[self.by_code[c]]) for c in codes], dtype=object)


def gcj02_share_gain(index: VillageIndex, codes: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> float:
    """How much the share of points inside their coded village rises if they are read as GCJ-02."""
    known = np.array([c in index.by_code for c in codes]) & np.isfinite(lon) & np.isfinite(lat)
    if known.sum() < 10:
        return 0.0
    as_is = index.inside_coded(codes[known], lon[known], lat[known]).mean()
    wlon, wlat = gcj02_to_wgs84(lon[known], lat[known])
    shifted = index.inside_coded(codes[known], wlon, wlat).mean()
    return float(shifted - as_is)


def locate_points(
    frame: pd.DataFrame,
    lon: np.ndarray,
    lat: np.ndarray,
    *,
    layer: LayerSchema,
    index: VillageIndex | None,
    settings: Settings,
    report: Report,
    sheet: str | None,
    declared_crs: bool,
) -> np.ndarray:
    """Point geometries for ``frame``, checked and repaired against the county and villages.

    Adds ``location_estimated`` and ``location_mismatch`` flags to ``frame`` in place.
    """
    sink = RowProblems(report, frame[ROW].to_numpy(), sheet)
    n = len(frame)
    lon, lat = lon.copy(), lat.copy()
    estimated = np.zeros(n, dtype=bool)
    mismatch = np.zeros(n, dtype=bool)
    codes = frame["village_code"].to_numpy(dtype=object) if "village_code" in frame else np.full(n, None, dtype=object)
    known = np.array([index is not None and c in index.by_code for c in codes], dtype=bool)
    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    if index is not None:
        _swap_and_fence(lon, lat, missing, index=index, sink=sink, settings=settings)
        outside = ~missing & ~index.in_county(lon, lat, settings.imports.county_buffer_m)
        for i in np.flatnonzero(outside):
            what = "placed inside its village" if known[i] else "kept where it is"
            sink.at(
                i,
                "outside_county",
                f"point lies outside the county; {what}",
                column="lon/lat",
                value=f"{lon[i]:.6f},{lat[i]:.6f}",
                severity="warning",
            )
        missing |= outside & known
        if not declared_crs:
            gain = gcj02_share_gain(index, codes, lon, lat)
            if gain > settings.imports.crs_hint_gain:
                report.add(
                    "looks_gcj02",
                    "warning",
                    f"{gain:.0%} more points fall in their own village when read "
                    "as GCJ-02 (phone-map) coordinates: re-import with --crs gcj02",
                )
    place = missing & known
    sink.flag(
        "location_estimated",
        "no usable coordinates: placed at a point inside its village",
        place,
        column="lon/lat",
        severity="warning",
    )
    sink.flag(
        "missing_location",
        "no usable coordinates and no known village to place it in",
        missing & ~place,
        column="lon/lat",
        severity="warning",
    )
    geoms = shapely.points(lon, lat)
    geoms[missing] = None
    if place.any():
        geoms[place] = index.placement(codes[place])  # type: ignore[union-attr]
        estimated[place] = True
    if index is not None and layer.village_column:
        mismatch = _check_in_village(
            geoms, codes, known & ~estimated & ~missing, index=index, sink=sink, settings=settings
        )
    frame["location_estimated"] = pd.array(estimated, dtype="boolean")
    frame["location_mismatch"] = pd.array(mismatch, dtype="boolean")
    return geoms


def _swap_and_fence(
    lon: np.ndarray, lat: np.ndarray, missing: np.ndarray, *, index: VillageIndex, sink: RowProblems, settings: Settings
) -> None:
    """Swap back rows whose lon/lat were entered the wrong way round; refuse a file that misses the county."""
    buffer_m = settings.imports.county_buffer_m
    outside = ~missing & ~index.in_county(lon, lat, buffer_m)
    if outside.any():
        swapped_in = np.zeros(len(lon), dtype=bool)
        swapped_in[outside] = index.in_county(lat[outside], lon[outside], buffer_m)
        sink.flag(
            "swapped_lonlat",
            "longitude and latitude were swapped; swapped back",
            swapped_in,
            column="lon/lat",
            values=[f"{a},{b}" for a, b in zip(lon, lat, strict=True)],
            severity="warning",
        )
        lon[swapped_in], lat[swapped_in] = lat[swapped_in].copy(), lon[swapped_in].copy()
        outside &= ~swapped_in
    present = (~missing).sum()
    if present and outside.sum() / present > settings.imports.outside_county_share_refuse:
        advice = describe_coordinate_problem(lon[~missing], lat[~missing], None) or (
            "check the coordinate system (--crs) and that the villages layer is the right county"
        )
        msg = f"{outside.sum()} of {present} points lie outside the county: wrong coordinate system? {advice}"
        sink.report.add("outside_county", "error", msg, sheet=sink.sheet, column="lon/lat")
        raise CrsError(msg, sink.report)


def _check_in_village(
    geoms: np.ndarray,
    codes: np.ndarray,
    check: np.ndarray,
    *,
    index: VillageIndex,
    sink: RowProblems,
    settings: Settings,
) -> np.ndarray:
    """Flag points that lie in another village than their code (beyond the border tolerance)."""
    mismatch = np.zeros(len(geoms), dtype=bool)
    idx = np.flatnonzero(check)
    if not len(idx):
        return mismatch
    x, y = shapely.get_x(geoms[idx]), shapely.get_y(geoms[idx])
    out = ~index.inside_coded(codes[idx], x, y)
    if not out.any():
        return mismatch
    far_idx = idx[out]
    dist = index.metres_from_coded(codes[far_idx], x[out], y[out])
    far_idx, dist = (
        far_idx[dist > settings.imports.border_tolerance_m],
        dist[dist > settings.imports.border_tolerance_m],
    )
    actual = index.village_of(shapely.get_x(geoms[far_idx]), shapely.get_y(geoms[far_idx]))
    for i, d, a in zip(far_idx, dist, actual, strict=True):
        where = f"village {index.codes[a]} {index.names[a]}" if a >= 0 else "no village"
        sink.at(
            i,
            "wrong_village",
            f"point lies in {where}, {d:.0f} m from village {codes[i]} named by its code; "
            "code kept, point kept, flagged location_mismatch",
            column="village_code",
            value=codes[i],
            severity="warning",
        )
    mismatch[far_idx] = True
    return mismatch
