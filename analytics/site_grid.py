"""The county's suitability grid: cell geometry, rasterised polygons, elevation and slope, road access per cell.

A :class:`Grid` is a north-up lattice of square cells (``settings.sites.cell_m``, 100 m by
default) in the county's CGCS2000 Gauss-Krüger zone. Everything here is computed once per
store version and reused for every weight change: polygons become boolean rasters
(``shapely.contains_xy`` on cell centres), distances to them come from a Euclidean
distance transform, and each cell is tied to the road network through the nearest point
of a road densified to one node per cell length.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy import ndimage

from analytics.roads import RoadGraph, graph_from_pieces, noded_pieces
from geodata.settings import Settings

HALF_DIAGONAL = np.sqrt(0.5)  # a polygon within this many cell sides of a centre may touch the cell


@dataclass(frozen=True)
class Grid:
    """Cell centres ``x0 + col·cell``, ``y0 − row·cell`` (row 0 is the northern edge) in ``epsg``."""

    x0: float
    y0: float
    cell: float
    shape: tuple[int, int]
    epsg: int

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell: float, epsg: int) -> Grid:
        """The grid whose cells cover ``bounds`` (xmin, ymin, xmax, ymax)."""
        xmin, ymin, xmax, ymax = bounds
        cols = int(np.ceil((xmax - xmin) / cell)) + 1
        rows = int(np.ceil((ymax - ymin) / cell)) + 1
        return cls(xmin, ymax, cell, (rows, cols), epsg)

    @property
    def size(self) -> int:
        """Number of cells."""
        return self.shape[0] * self.shape[1]

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell centre coordinates (x, y), each shaped like the grid."""
        xs = self.x0 + np.arange(self.shape[1]) * self.cell
        ys = self.y0 - np.arange(self.shape[0]) * self.cell
        return np.meshgrid(xs, ys)

    def rowcol(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (row, col) of metric points."""
        return (self.y0 - np.asarray(y, float)) / self.cell, (np.asarray(x, float) - self.x0) / self.cell

    def flat_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat index of the cell holding each point (clipped to the grid)."""
        r, c = self.rowcol(x, y)
        r = np.clip(np.round(r).astype(int), 0, self.shape[0] - 1)
        c = np.clip(np.round(c).astype(int), 0, self.shape[1] - 1)
        return r * self.shape[1] + c

    def cell_boxes(self, flat: np.ndarray) -> np.ndarray:
        """Square polygons of the cells at ``flat`` indices."""
        r, c = np.divmod(np.asarray(flat), self.shape[1])
        x = self.x0 + c * self.cell
        y = self.y0 - r * self.cell
        h = self.cell / 2
        return shapely.box(x - h, y - h, x + h, y + h)

    def sample(self, raster: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Bilinear value of ``raster`` at metric points."""
        r, c = self.rowcol(x, y)
        return ndimage.map_coordinates(raster, [r, c], order=1, mode="nearest")


def rasterise(grid: Grid, geoms: np.ndarray, *, grow_m: float = 0.0) -> np.ndarray:
    """Cells whose centre lies within ``grow_m`` of any of ``geoms`` (boolean raster)."""
    out = np.zeros(grid.shape, dtype=bool)
    geoms = np.asarray(geoms)
    if not len(geoms):
        return out
    shape = shapely.union_all(geoms)
    if grow_m > 0:
        shape = shapely.buffer(shape, grow_m)
    shapely.prepare(shape)
    xmin, ymin, xmax, ymax = shapely.bounds(shape)
    r0, c0 = grid.rowcol(xmin, ymax)
    r1, c1 = grid.rowcol(xmax, ymin)
    rs = slice(max(int(np.floor(r0)), 0), max(min(int(np.ceil(r1)) + 1, grid.shape[0]), 0))
    cs = slice(max(int(np.floor(c0)), 0), max(min(int(np.ceil(c1)) + 1, grid.shape[1]), 0))
    gx, gy = grid.centres()
    out[rs, cs] = shapely.contains_xy(shape, gx[rs, cs], gy[rs, cs])
    return out


def distance_to(mask: np.ndarray, cell: float) -> np.ndarray:
    """Metres from each cell centre to the nearest ``True`` cell (0 on them; inf when there is none)."""
    if not mask.any():
        return np.full(mask.shape, np.inf)
    return ndimage.distance_transform_edt(~mask) * cell


def distance_to_geoms(grid: Grid, geoms: np.ndarray, *, exact_within_m: float) -> np.ndarray:
    """Metres from each cell centre to the nearest of ``geoms``: exact (STRtree nearest) up to ``exact_within_m``.

    A distance transform of the rasterised geometries finds the cells that are near; only
    those get an exact distance, the rest keep the transform's estimate (inf without geoms).
    """
    geoms = np.asarray(geoms)
    if not len(geoms):
        return np.full(grid.shape, np.inf)
    approx = distance_to(rasterise(grid, geoms, grow_m=grid.cell * HALF_DIAGONAL), grid.cell).ravel()
    near = np.flatnonzero(approx <= exact_within_m + grid.cell)
    gx, gy = grid.centres()
    _, dist = shapely.STRtree(geoms).query_nearest(
        shapely.points(gx.ravel()[near], gy.ravel()[near]), return_distance=True, all_matches=False
    )
    out = approx.copy()
    out[near] = dist
    return out.reshape(grid.shape)


def elevation_raster(elevation: pd.DataFrame | None, grid: Grid) -> np.ndarray:
    """Elevation (m) at every cell, bilinear from the ``elevation`` grid layer (0 everywhere without one).

    The layer is a lattice of points with ``row``, ``col``, ``x``, ``y``, ``elev_m`` and
    ``gk_epsg`` (see DATA_MODEL.md); its origin and spacing are fitted from the points, holes
    take their nearest neighbour's value, and the grid's centres are moved into the layer's
    zone when it differs.
    """
    if elevation is None or not len(elevation):
        return np.zeros(grid.shape)
    rows = elevation["row"].to_numpy(int)
    cols = elevation["col"].to_numpy(int)
    lattice = np.full((rows.max() + 1, cols.max() + 1), np.nan)
    lattice[rows, cols] = elevation["elev_m"].to_numpy(float)
    holes = np.isnan(lattice)
    if holes.any():
        nearest = ndimage.distance_transform_edt(holes, return_distances=False, return_indices=True)
        lattice = lattice[tuple(nearest)]
    sx, x0 = np.polyfit(cols, elevation["x"].to_numpy(float), 1) if np.ptp(cols) else (1.0, 0.0)
    sy, y0 = np.polyfit(rows, elevation["y"].to_numpy(float), 1) if np.ptp(rows) else (-1.0, 0.0)
    gx, gy = grid.centres()
    epsg = int(pd.Series(elevation["gk_epsg"]).mode().iloc[0])
    if epsg != grid.epsg:
        gx, gy = Transformer.from_crs(grid.epsg, epsg, always_xy=True).transform(gx, gy)
    return ndimage.map_coordinates(lattice, [(gy - y0) / sy, (gx - x0) / sx], order=1, mode="nearest")


def slope_raster(elev: np.ndarray, cell: float) -> np.ndarray:
    """Slope in degrees from centred differences of the elevation raster."""
    dy, dx = np.gradient(elev, cell)
    return np.degrees(np.arctan(np.hypot(dx, dy)))


@dataclass(frozen=True)
class RoadAccess:
    """The densified road graph and, for every cell, its nearest node and the straight metres to it."""

    graph: RoadGraph
    node: np.ndarray  # flat cell → node index
    gap_m: np.ndarray  # flat cell → metres off road to that node


def road_access(roads: gpd.GeoDataFrame | None, grid: Grid, settings: Settings) -> RoadAccess | None:
    """Tie every cell to the road network (None without roads).

    Roads are noded at crossings as for every other distance (:func:`analytics.roads.noded_pieces`),
    then each piece is cut into lengths of at most one cell, so that a cell joins the
    road at most half a cell from the point nearest to it, not at a distant junction.
    """
    if roads is None or not len(roads):
        return None
    pieces, source = noded_pieces(roads, settings)
    dense = shapely.segmentize(pieces, grid.cell)
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    same = owner[1:] == owner[:-1]
    segments = shapely.linestrings(np.stack([coords[:-1][same], coords[1:][same]], axis=1))
    graph = graph_from_pieces(segments, source[owner[:-1][same]], roads, settings)
    gx, gy = grid.centres()
    node, gap = graph.nearest_nodes(gx.ravel(), gy.ravel())
    return RoadAccess(graph, node, gap)
