"""The demo county's land: outline, rivers, terrain, townships and villages (metres, CGCS2000 GK zone).

Everything here is in the Gauss-Krüger zone of the county (EPSG:4544, central meridian
105°E) so that distances and areas are metric; :mod:`geodata.demo.county` converts to EPSG:4490.
The terrain is a loess plateau cut by one main valley and steep tributary gullies, so
that valleys hold the township seats and most hamlets, and the slopes hold landslides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry import LineString, MultiPoint, Point, Polygon

GK_EPSG = 4544
CENTRE_LONLAT = (104.60, 35.60)
CELL_M = 100.0


@dataclass(frozen=True)
class Terrain:
    """Elevation (m) and slope (degrees) on a north-up grid; row 0 is the northern edge."""

    xmin: float
    ymax: float
    elev: np.ndarray
    slope: np.ndarray
    river_m: np.ndarray  # distance to the nearest river or gully (m)

    def indices(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (row, col) of metric coordinates."""
        return (self.ymax - np.asarray(y)) / CELL_M, (np.asarray(x) - self.xmin) / CELL_M

    def sample(self, grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear value of ``grid`` at metric points."""
        r, c = self.indices(x, y)
        return ndimage.map_coordinates(grid, [r, c], order=1, mode="nearest")

    def cell_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y of every cell, shaped like the grid."""
        rows, cols = self.elev.shape
        xs = self.xmin + np.arange(cols) * CELL_M
        ys = self.ymax - np.arange(rows) * CELL_M
        return np.meshgrid(xs, ys)


@dataclass(frozen=True)
class Land:
    """The county's physical and administrative geography in metres."""

    centre: tuple[float, float]
    outline: Polygon
    main_river: LineString
    gullies: list[LineString]
    terrain: Terrain
    towns: list[dict]
    villages: list[dict]


def make_outline(rng: np.random.Generator, centre: tuple[float, float], area_km2: float) -> Polygon:
    """An irregular, roughly round county outline of exactly ``area_km2``."""
    theta = np.linspace(0, 2 * np.pi, 480, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 12):
        radius += rng.normal(0, 0.22 / k) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius *= 1 + rng.normal(0, 0.008, theta.size)  # ragged edges, like a boundary following ridges
    shape = Polygon(np.c_[np.cos(theta) * radius, np.sin(theta) * radius])
    scale = np.sqrt(area_km2 * 1e6 / shape.area)
    return shapely.affinity.affine_transform(shape, [scale, 0, 0, scale, centre[0], centre[1]])


def _wiggly_line(
    rng: np.random.Generator, start: np.ndarray, heading: float, length: float, wiggle: float
) -> LineString:
    """A meandering line from ``start`` in direction ``heading`` (radians)."""
    steps = max(int(length / 250.0), 4)
    turns = np.cumsum(rng.normal(0, wiggle, steps))
    angles = heading + turns - turns.mean() * 0.5
    pts = start + np.cumsum(np.c_[np.cos(angles), np.sin(angles)] * (length / steps), axis=0)
    return LineString(np.vstack([start, pts]))


def make_rivers(rng: np.random.Generator, outline: Polygon) -> tuple[LineString, list[LineString]]:
    """The main river across the county (west to east) and tributary gullies branching from it."""
    xmin, _, xmax, _ = outline.bounds
    cy = outline.centroid.y
    xs = np.linspace(xmin - 3000, xmax + 3000, 240)
    phase = rng.uniform(0, 2 * np.pi)
    ys = cy + rng.uniform(-2500, 2500) + 3500 * np.sin(xs / 9000 + phase) + 1200 * np.sin(xs / 2700 + 2 * phase)
    main = LineString(np.c_[xs, ys])
    gullies: list[LineString] = []
    for frac in np.linspace(0.08, 0.92, 11) + rng.uniform(-0.03, 0.03, 11):
        start = np.array(main.interpolate(frac, normalized=True).coords[0])
        for side in (1, -1):
            if rng.random() < 0.2:
                continue
            heading = side * np.pi / 2 + rng.normal(0, 0.45)
            trunk = _wiggly_line(rng, start, heading, rng.uniform(9000, 22000), 0.12)
            gullies.append(trunk)
            for along in rng.uniform(0.25, 0.8, rng.integers(1, 4)):  # side gullies off each trunk
                p = np.array(trunk.interpolate(along, normalized=True).coords[0])
                turn = heading + rng.choice([-1, 1]) * rng.uniform(0.7, 1.3)
                gullies.append(_wiggly_line(rng, p, turn, rng.uniform(2500, 7000), 0.2))
    return main, gullies


def _distance_grid(lines: list[LineString], shape: tuple[int, int], xmin: float, ymax: float) -> np.ndarray:
    """Distance (m) from each cell to the nearest of ``lines``, by Euclidean distance transform."""
    mask = np.ones(shape, dtype=bool)
    for line in lines:
        xy = shapely.get_coordinates(shapely.segmentize(line, CELL_M / 4))
        r = np.round((ymax - xy[:, 1]) / CELL_M).astype(int)
        c = np.round((xy[:, 0] - xmin) / CELL_M).astype(int)
        keep = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
        mask[r[keep], c[keep]] = False
    return ndimage.distance_transform_edt(mask) * CELL_M


def make_terrain(
    rng: np.random.Generator, outline: Polygon, main: LineString, gullies: list[LineString]
) -> tuple[Terrain, np.ndarray]:
    """Loess-plateau elevation: a rolling surface cut by a broad main valley and narrow gullies."""
    xmin, ymin, xmax, ymax = outline.buffer(3000).bounds
    shape = (int((ymax - ymin) / CELL_M) + 1, int((xmax - xmin) / CELL_M) + 1)
    xs = xmin + np.arange(shape[1]) * CELL_M
    ys = ymax - np.arange(shape[0]) * CELL_M
    gx, gy = np.meshgrid(xs, ys)
    cx, cy = outline.centroid.x, outline.centroid.y
    surface = 1950 - 0.004 * (gx - cx) + 0.003 * (gy - cy)  # the plateau tilts down to the south-east
    for _ in range(8):
        wavelength = rng.uniform(1500, 16000)
        angle = rng.uniform(0, np.pi)
        surface += rng.uniform(8, 40) * np.cos(
            (gx * np.cos(angle) + gy * np.sin(angle)) * 2 * np.pi / wavelength + rng.uniform(0, 2 * np.pi)
        )
    d_main = _distance_grid([main], shape, xmin, ymax)
    d_gully = _distance_grid(gullies, shape, xmin, ymax)
    floor = 1560 - 0.0035 * (gx - cx)  # the river falls eastwards
    main_cut = (surface - floor) * np.exp(-((d_main / 2200) ** 1.2))
    gully_cut = 240 * np.exp(-d_gully / 280) * (1 - np.exp(-d_main / 1200))
    elev = surface - np.maximum(main_cut, gully_cut)
    elev = ndimage.gaussian_filter(elev, 0.7)
    dy, dx = np.gradient(elev, CELL_M)
    slope = np.degrees(np.arctan(np.hypot(dx, dy)))
    terrain = Terrain(xmin=xmin, ymax=ymax, elev=elev, slope=slope, river_m=np.minimum(d_main, d_gully))
    return terrain, d_main


def spaced_points(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray, weight: np.ndarray, *, count: int, spacing: float
) -> np.ndarray:
    """Up to ``count`` points drawn from candidates by weight, no two closer than ``spacing`` (m)."""
    if count <= 0 or x.size == 0:
        return np.empty((0, 2))
    p = weight / weight.sum()
    order = rng.choice(x.size, size=min(x.size, max(count * 40, 200)), replace=False, p=p)
    chosen: list[tuple[float, float]] = []
    for i in order:
        if all((x[i] - a) ** 2 + (y[i] - b) ** 2 >= spacing**2 for a, b in chosen):
            chosen.append((x[i], y[i]))
            if len(chosen) == count:
                break
    return np.array(chosen)


def cells_in(terrain: Terrain, polygon: Polygon) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, y, elevation and slope of the terrain cells inside ``polygon``."""
    gx, gy = terrain.cell_centres()
    x0, y0, x1, y1 = polygon.bounds
    box = (gx >= x0) & (gx <= x1) & (gy >= y0) & (gy <= y1)
    inside = np.zeros_like(box)
    inside[box] = shapely.contains_xy(polygon, gx[box], gy[box])
    return gx[inside], gy[inside], terrain.elev[inside], terrain.slope[inside]


def valley_weight(elev: np.ndarray, slope: np.ndarray, flat: float = 12.0) -> np.ndarray:
    """Where people settle: low and gentle ground."""
    return np.exp(-(elev - elev.min()) / 70.0) * (slope < flat) + 1e-9


def voronoi_cells(seats: np.ndarray, within: Polygon) -> list[Polygon]:
    """Voronoi cells of ``seats`` clipped to ``within``, in the order of the seats."""
    if len(seats) == 1:
        return [within]
    cells = shapely.voronoi_polygons(MultiPoint(seats), extend_to=within, ordered=True)
    out = []
    for cell in shapely.get_parts(cells):
        part = shapely.make_valid(cell.intersection(within))
        polys = [g for g in shapely.get_parts(part) if g.geom_type == "Polygon"]
        out.append(shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0])
    return out


def largest_part(geom: shapely.Geometry) -> Polygon:
    """The biggest polygon of a (multi)polygon."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon"]
    return max(parts, key=lambda g: g.area)


def hamlets_for(rng: np.random.Generator, terrain: Terrain, polygon: Polygon, seat: np.ndarray) -> np.ndarray:
    """2–5 hamlet centres (自然村) in a village: the seat plus spaced points on low, gentle ground."""
    x, y, e, s = cells_in(terrain, polygon)
    extra = spaced_points(rng, x, y, valley_weight(e, s, 15.0), count=int(rng.integers(1, 5)), spacing=900.0)
    far = [p for p in extra if np.hypot(*(p - seat)) > 700]
    return np.vstack([seat[None, :], np.array(far).reshape(-1, 2)])


def make_land(
    rng: np.random.Generator, centre: tuple[float, float], area_km2: float, *, outline: Polygon | None = None
) -> Land:
    """Outline, rivers, terrain, township and village polygons with seats and hamlets.

    ``outline`` (metres) replaces the drawn one for a county that must fit beside others;
    ``centre`` is then a point inside it, where the county seat is sought.
    """
    outline = make_outline(rng, centre, area_km2) if outline is None else outline
    main, gullies = make_rivers(rng, outline)
    gullies = [g.intersection(outline.buffer(2500)) for g in gullies]
    gullies = [g for g in gullies if not g.is_empty and g.geom_type == "LineString" and g.length > 1500]
    terrain, d_main = make_terrain(rng, outline, main, gullies)
    x, y, e, s = cells_in(terrain, outline.buffer(-1500))
    near_main = terrain.sample(d_main, x, y)

    n_towns = int(rng.integers(11, 16))
    county_seat = spaced_points(
        rng, x, y, np.exp(-near_main / 300 - np.hypot(x - centre[0], y - centre[1]) / 6000), count=1, spacing=0
    )
    weight = valley_weight(e, s) + 1e-6
    others = spaced_points(rng, x, y, weight**0.3, count=n_towns * 3, spacing=np.sqrt(outline.area / n_towns) * 0.75)
    others = others[np.hypot(*(others - county_seat[0]).T) > np.sqrt(outline.area / n_towns) * 0.75][: n_towns - 1]
    seats = np.vstack([county_seat, others])
    town_cells = voronoi_cells(seats, outline)

    towns: list[dict] = []
    villages: list[dict] = []
    n_villages = int(rng.integers(175, 221))
    for t, (seat, cell) in enumerate(zip(seats, town_cells, strict=True)):
        towns.append({"index": t, "seat": seat, "polygon": cell, "county_seat": t == 0})
        share = cell.area / outline.area
        count = max(6, round(n_villages * share))
        cx, cy, ce, cs = cells_in(terrain, cell)
        vseats = spaced_points(
            rng, cx, cy, valley_weight(ce, cs, 14.0) ** 0.25, count=count * 2, spacing=np.sqrt(cell.area / count) * 0.7
        )
        vseats = vseats[np.hypot(*(vseats - seat).T) > 800][: count - 1]
        vseats = np.vstack([seat[None, :], vseats])
        for k, (vseat, vcell) in enumerate(zip(vseats, voronoi_cells(vseats, cell), strict=True)):
            villages.append(
                {
                    "town": t,
                    "index_in_town": k,
                    "seat": vseat,
                    "polygon": vcell,
                    "hamlets": hamlets_for(rng, terrain, largest_part(vcell), vseat),
                }
            )
    return Land(centre, outline, main, gullies, terrain, towns, villages)


def seat_point(v: dict) -> Point:
    """A village's seat as a shapely point."""
    return Point(*v["seat"])
