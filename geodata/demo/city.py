"""The demo city (塬州示范市): several demo counties side by side, tiling one fictional city.

``make_demo_city(counties=1)`` is exactly the demo county (code 621199). For more, the
first county is the demo county again and its neighbours are laid around it on a
hexagonal pattern: each fills its own piece of the city outline (no gaps where they
meet, no overlaps) and is generated from its own seed (``seed + k``). Every county is
then coded into the fictional city 6299 (Gansu's prefecture codes stop at 6230, and
xx99 is used by no province): counties 629901, 629902, …; the ids of every ledger
carry the county code so that the counties' rows never collide. A ``regions`` layer
names the city and its counties.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata._errors import InputError
from geodata.demo._land import CELL_M, Land, make_outline, voronoi_cells
from geodata.demo._people import REGION
from geodata.demo.county import (
    DEMO_AS_OF,
    ELEVATION_STEP,
    Frame,
    GeoFrames,
    elevation_points,
    generate_county,
    make_demo_county,
)
from geodata.io.idcard import check_chars

CITY_CODE = "6299"
CITY_NAME = "塬州示范市"
COUNTY_NAMES = (
    "塬川示范县", "河湾示范县", "石峁示范县", "柳沟示范县", "青塬示范县", "安川示范县", "北岭示范县",
    "红崖示范县", "杏河示范县", "西峪示范县", "南梁示范县", "东坪示范县", "白杨示范县", "龙泉示范县",
    "马营示范县", "碧川示范县", "新寨示范县", "平岘示范县", "宁川示范县",
)  # fmt: skip
MAX_COUNTIES = len(COUNTY_NAMES)  # the first county and two hexagonal rings of neighbours
_CITY_STREAM = 1000  # the layout's random stream, apart from every county's own (seed, step) streams
_BLOB_SHARE = 1.3  # each neighbour's reach, as a share of the first county's area
CODE_COLUMNS = ("village_code", "town_code", "household_id")  # start with the county code: recoded


def county_code(index: int) -> str:
    """The 6-digit code of the demo city's county number ``index`` (0 = the first)."""
    return f"{CITY_CODE}{index + 1:02d}"


def make_demo_city(
    *,
    counties: int = 1,
    seed: int = 2026,
    households: int = 60000,
    as_of: dt.date = DEMO_AS_OF,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Frame]:
    """Every layer of ``counties`` demo counties (``households`` each) in one city, geometries in EPSG:4490.

    One county is the demo county unchanged. Raises :class:`InputError` for a number of
    counties outside 1–:data:`MAX_COUNTIES`.
    """
    if not 1 <= counties <= MAX_COUNTIES:
        msg = f"--counties must be between 1 and {MAX_COUNTIES}, got {counties}"
        raise InputError(msg)
    if counties == 1:
        return make_demo_county(seed=seed, households=households, as_of=as_of, progress=progress)
    first, land = generate_county(seed=seed, households=households, as_of=as_of, progress=progress)
    parts, lands = [recode(first, county_code(0))], [land]
    rng = np.random.default_rng([seed, _CITY_STREAM])
    for k, (outline, centre) in enumerate(neighbour_outlines(rng, land.outline, counties - 1), start=1):
        layers, land_k = generate_county(
            seed=seed + k, households=households, as_of=as_of, progress=progress, outline=outline, centre=centre
        )
        parts.append(recode(layers, county_code(k)))
        lands.append(land_k)
    out = {name: _concat([p[name] for p in parts]) for name in first}
    geo = GeoFrames()
    out["elevation"] = city_elevation(geo, lands)
    out["regions"] = _regions(geo, [land.outline for land in lands])
    return out


def neighbour_outlines(
    rng: np.random.Generator, first: shapely.Polygon, count: int
) -> list[tuple[shapely.Polygon, tuple[float, float]]]:
    """``count`` county outlines (metres) around ``first``, each with the point where its seat is sought.

    Seats sit on a hexagonal pattern whose cells have the first county's area; the city
    outline is the first county plus a rounded blob around each seat (holes filled);
    what is not the first county is cut among the seats by Voronoi cells, and the stray
    slivers of a cell go to the neighbour they share most border with.
    """
    centre = np.asarray(first.centroid.coords[0])
    spacing = np.sqrt(first.area / (np.sqrt(3) / 2))  # a hexagon of the first county's area
    seats = centre + _hex_spiral(count) * spacing + rng.normal(0, 0.06 * spacing, (count, 2))
    blobs = [make_outline(rng, (float(x), float(y)), first.area / 1e6 * _BLOB_SHARE) for x, y in seats]
    city = max(shapely.get_parts(shapely.union_all([first, *blobs])), key=lambda g: g.area)
    rest = shapely.Polygon(city.exterior).difference(first)
    cells = voronoi_cells(seats, rest) if count > 1 else [rest]
    pieces = [sorted(shapely.get_parts(c), key=lambda g: -g.area) for c in cells]
    main = [p[0] for p in pieces]
    for k, parts in enumerate(pieces):
        for sliver in parts[1:]:
            shared = [0.0 if j == k else sliver.boundary.intersection(m.boundary).length for j, m in enumerate(main)]
            j = int(np.argmax(shared))
            merged = main[j].union(sliver)
            if shared[j] > 0 and merged.geom_type == "Polygon":
                main[j] = merged
    out = []
    for seat, outline in zip(seats, main, strict=True):
        inside = outline.contains(shapely.Point(seat))
        point = seat if inside else np.asarray(outline.representative_point().coords[0])
        out.append((outline, (float(point[0]), float(point[1]))))
    return out


def _hex_spiral(count: int) -> np.ndarray:
    """The first ``count`` centres of a hexagonal lattice (unit spacing) around the origin, ring by ring."""
    directions = [np.array([np.cos(a), np.sin(a)]) for a in np.radians([0, 60, 120, 180, 240, 300])]
    points: list[np.ndarray] = []
    ring = 1
    while len(points) < count:
        p = directions[4] * ring  # start at the south-west corner of the ring
        for side in range(6):
            for _ in range(ring):
                points.append(p)
                p = p + directions[side]
        ring += 1
    return np.array(points[:count])


def recode(layers: dict[str, Frame], code: str) -> dict[str, Frame]:
    """The demo county's layers coded as county ``code``: division codes, resident IDs and every other id."""
    out = {}
    for name, given in layers.items():
        frame = given.copy()
        for column in frame.columns:
            if column in CODE_COLUMNS:
                frame[column] = _swap_prefix(frame[column], code)
            elif column.endswith("_id"):
                frame[column] = frame[column].map(lambda v: f"{code}-{v}", na_action="ignore")
        if "id_number" in frame:
            frame["id_number"] = _resident_ids(frame["id_number"], code)
        out[name] = frame
    return out


def _swap_prefix(values: pd.Series, code: str) -> pd.Series:
    """Codes starting with the demo county's code, starting with ``code`` instead."""
    text = values.astype("object")
    return text.map(lambda v: code + v[len(REGION) :] if str(v).startswith(REGION) else v, na_action="ignore")


def _resident_ids(ids: pd.Series, code: str) -> pd.Series:
    """Resident IDs born in county ``code``: the region part replaced and the check character recomputed."""
    known = ids.notna()
    body = np.array([code + str(v)[len(code) : 17] for v in ids[known]], dtype="U17")
    out = ids.astype("object").copy()
    out[known] = np.char.add(body, check_chars(body)) if len(body) else body
    return out


def _concat(frames: list[Frame]) -> Frame:
    """The counties' rows of one layer, one after the other."""
    merged = pd.concat(frames, ignore_index=True)
    if isinstance(frames[0], gpd.GeoDataFrame):
        return gpd.GeoDataFrame(merged, geometry=frames[0].geometry.name, crs=frames[0].crs)
    return merged


def city_elevation(geo: GeoFrames, lands: list[Land]) -> gpd.GeoDataFrame:
    """One elevation grid for the city (as the demo county's: 200 m, and 1 km beyond the outline).

    The grid keeps the first county's points where they were; every point takes its
    height from the terrain of the county it lies in (or, in the margin, the first whose
    1 km band reaches it).
    """
    step = CELL_M * ELEVATION_STEP
    first = lands[0].terrain
    reach = [land.outline.buffer(1000) for land in lands]
    xmin, ymin, xmax, ymax = shapely.union_all(reach).bounds
    x0 = first.xmin - np.ceil((first.xmin - xmin) / step) * step
    y0 = first.ymax + np.ceil((ymax - first.ymax) / step) * step
    xs = np.arange(x0, xmax + step, step)
    ys = np.arange(y0, ymin - step, -step)
    gx, gy = np.meshgrid(xs, ys)
    rows, cols = np.indices(gx.shape)
    owner = np.full(gx.shape, -1)
    for shapes in ([land.outline for land in lands], reach):
        for k, shape in enumerate(shapes):
            free = owner < 0
            owner[free & shapely.contains_xy(shape, gx, gy)] = k
    elev = np.full(gx.shape, np.nan)
    for k, land in enumerate(lands):
        mine = owner == k
        elev[mine] = land.terrain.sample(land.terrain.elev, gx[mine], gy[mine])
    keep = owner >= 0
    return elevation_points(geo, rows=rows[keep], cols=cols[keep], x=gx[keep], y=gy[keep], elev=elev[keep])


def _regions(geo: GeoFrames, outlines: list[shapely.Polygon]) -> gpd.GeoDataFrame:
    """The ``regions`` layer: the city and each county, named, with their outlines."""
    codes = [county_code(k) for k in range(len(outlines))]
    table = pd.DataFrame(
        {
            "code": [CITY_CODE, *codes],
            "name": [CITY_NAME, *COUNTY_NAMES[: len(outlines)]],
            "level": ["city", *["county"] * len(outlines)],
        }
    )
    return geo.frame(table, [shapely.union_all(outlines), *outlines])


__all__ = ["CITY_CODE", "CITY_NAME", "MAX_COUNTIES", "county_code", "make_demo_city"]
