"""The demo county's roads, facilities and hazard zones (metres, GK zone), built on its land.

Roads form one connected network whose features end exactly at shared nodes (township
seats, village seats, hamlets), so a graph built from line end points is routable.
Facilities sit at the seats; water plants define supply zones; floods follow the
valleys and landslides the steep gully sides.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import shapely
from scipy import ndimage
from scipy.spatial import Delaunay
from shapely.geometry import LineString

from geodata.demo._land import CELL_M, Land


def _curvy(rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> LineString:
    """A road from ``a`` to ``b`` that bends a little but ends exactly at both points."""
    length = float(np.hypot(*(b - a)))
    n = max(int(length / 400), 2)
    t = np.linspace(0, 1, n + 1)[1:-1]
    normal = np.array([-(b - a)[1], (b - a)[0]]) / max(length, 1.0)
    bend = np.sin(np.pi * t) * rng.normal(0, 0.06 * length) + rng.normal(0, 0.01 * length, t.size)
    mid = a + np.outer(t, b - a) + np.outer(bend, normal)
    return LineString(np.vstack([a, mid, b]))


def _mst_edges(points: np.ndarray) -> list[tuple[int, int]]:
    """Edges of the Euclidean minimum spanning tree of ``points``."""
    g = nx.Graph()
    g.add_nodes_from(range(len(points)))
    if len(points) >= 4:
        tri = Delaunay(points)
        pairs = {tuple(sorted((s[i], s[j]))) for s in tri.simplices for i, j in ((0, 1), (1, 2), (0, 2))}
    else:
        pairs = {(i, j) for i in range(len(points)) for j in range(i + 1, len(points))}
    for i, j in pairs:
        g.add_edge(i, j, weight=float(np.hypot(*(points[i] - points[j]))))
    return [tuple(sorted(e)) for e in nx.minimum_spanning_edges(g, data=False)]


def make_roads(rng: np.random.Generator, land: Land, villages: list[dict]) -> list[dict]:
    """County roads between township seats, township and village roads to every village seat, tracks to hamlets."""
    roads: list[dict] = []

    def add(a: np.ndarray, b: np.ndarray, cls: str, hardened: bool, name: str) -> None:
        roads.append({"road_class": cls, "hardened": hardened, "name": name, "geometry": _curvy(rng, a, b)})

    seats = np.array([t["seat"] for t in land.towns])
    mst = set(_mst_edges(seats))
    tri = Delaunay(seats)
    extra = {tuple(sorted((s[i], s[j]))) for s in tri.simplices for i, j in ((0, 1), (1, 2), (0, 2))} - mst
    loops = [e for e in sorted(extra) if rng.random() < 0.35]
    for k, (i, j) in enumerate(sorted(mst) + loops):
        add(seats[i], seats[j], "county", True, f"县道X{301 + k}线 {land.towns[i]['name']}—{land.towns[j]['name']}")

    for t in range(len(land.towns)):
        members = [v for v in villages if v["town"] == t]
        pts = np.array([v["seat"] for v in members])
        for i, j in _mst_edges(pts):
            a, b = members[i], members[j]
            remote = max(a["remoteness"], b["remoteness"])
            if i == 0 or rng.random() < 0.35:
                add(pts[i], pts[j], "township", rng.random() < 0.96, f"乡道 {a['name']}—{b['name']}")
            else:
                hard = rng.random() < 0.93 - 0.12 * max(remote, 0)
                add(pts[i], pts[j], "village", bool(hard), f"村道 {a['name']}—{b['name']}")
        for v in members:
            for h in v["hamlets"][1:]:
                cls = "village" if rng.random() < 0.6 else "track"
                hard = cls == "village" and rng.random() < 0.8 - 0.15 * max(v["remoteness"], 0)
                add(v["seat"], h, cls, bool(hard), f"{v['name']}通组路" if cls == "village" else "")
    return roads


def _offset(rng: np.random.Generator, p: np.ndarray, metres: float) -> np.ndarray:
    """A point ``metres`` away from ``p`` in a random direction."""
    angle = rng.uniform(0, 2 * np.pi)
    return p + metres * np.array([np.cos(angle), np.sin(angle)])


def _facility(kind: str, name: str, xy: np.ndarray, village: dict, capacity: float | None = None) -> dict:
    return {"kind": kind, "name": name, "xy": xy, "village": village, "capacity": capacity}


def make_facilities(rng: np.random.Generator, land: Land, villages: list[dict]) -> list[dict]:
    """Township governments, health centres, schools, clinics, water plants, relocation sites, markets."""
    seat_villages = {v["town"]: v for v in villages if v["index_in_town"] == 0}
    out = _township_facilities(rng, land, seat_villages) + _village_facilities(rng, villages)
    for v in sorted(villages, key=lambda v: v["river_m"])[:: max(len(villages) // 40, 1)][:7]:
        capacity = float(rng.integers(2, 20)) * 500
        out.append(_facility("water_plant", f"{v['name'][:-1]}水厂", _offset(rng, v["seat"], 200), v, capacity))
    for t in rng.choice(len(land.towns), size=min(4, len(land.towns)), replace=False):
        v = seat_villages[int(t)]
        name = f"{land.towns[int(t)]['name']}易地搬迁安置点"
        out.append(_facility("relocation_site", name, _offset(rng, v["seat"], 700), v, float(rng.integers(6, 30)) * 10))
    return out


def _township_facilities(rng: np.random.Generator, land: Land, seat_villages: dict[int, dict]) -> list[dict]:
    """Government, health centre, central school, and in some towns a middle school and a market."""
    out: list[dict] = []

    def add(kind: str, name: str, xy: np.ndarray, village: dict, capacity: float | None) -> None:
        out.append(_facility(kind, name, xy, village, capacity))

    for t, town in enumerate(land.towns):
        v = seat_villages[t]
        tn = town["name"]
        add("township_gov", f"{tn}人民政府", _offset(rng, v["seat"], 60), v, None)
        add("health_center", f"{tn}卫生院", _offset(rng, v["seat"], 150), v, float(rng.integers(20, 80)))
        add("school", f"{tn}中心小学", _offset(rng, v["seat"], 250), v, float(rng.integers(300, 1200)))
        if town["county_seat"] or rng.random() < 0.5:
            add("school", f"{tn}初级中学", _offset(rng, v["seat"], 350), v, float(rng.integers(400, 1500)))
        if town["county_seat"] or rng.random() < 0.6:
            add("market", f"{tn}集贸市场", _offset(rng, v["seat"], 120), v, None)
    return out


def _village_facilities(rng: np.random.Generator, villages: list[dict]) -> list[dict]:
    """A clinic in nearly every village (the remotest may lack one) and primary schools in the big ones."""
    out: list[dict] = []

    def add(kind: str, name: str, xy: np.ndarray, village: dict, capacity: float | None) -> None:
        out.append(_facility(kind, name, xy, village, capacity))

    size = np.array([v["households"] for v in villages])
    remote = np.array([v["remoteness"] for v in villages])
    for i, v in enumerate(villages):
        if v["index_in_town"] == 0:
            continue
        if remote[i] < np.quantile(remote, 0.9) or rng.random() < 0.3:
            add("clinic", f"{v['name']}卫生室", _offset(rng, v["seat"], 40), v, None)
        if size[i] >= np.quantile(size, 0.75):
            add("school", f"{v['name']}小学", _offset(rng, v["seat"], 90), v, float(rng.integers(40, 260)))
    for v in villages:
        if v["index_in_town"] == 0:
            add("clinic", f"{v['name']}卫生室", _offset(rng, v["seat"], 40), v, None)
    return out


def make_hazards(rng: np.random.Generator, land: Land) -> list[dict]:
    """Flood zones along stretches of the valleys and landslide/collapse zones on steep slopes."""
    out: list[dict] = []
    main = land.main_river.intersection(land.outline)
    for line in shapely.get_parts(main):
        edges = np.arange(0, line.length, 4000.0)
        for a in edges:
            if rng.random() < 0.6:
                stretch = shapely.ops.substring(line, a, min(a + rng.uniform(2000, 4000), line.length))
                level = rng.choice(["high", "medium"], p=[0.45, 0.55])
                out.append({"kind": "flood", "level": str(level), "geometry": stretch.buffer(rng.uniform(110, 220))})
    for gully in land.gullies:
        if gully.length > 6000 and rng.random() < 0.5:
            stretch = shapely.ops.substring(gully, 0, min(4000, gully.length))
            kind = "debris_flow" if rng.random() < 0.25 else "flood"
            level = rng.choice(["high", "medium", "low"], p=[0.3, 0.5, 0.2])
            out.append({"kind": kind, "level": str(level), "geometry": stretch.buffer(rng.uniform(100, 160))})
    steep = land.terrain.slope > 21
    labels, n = ndimage.label(steep)
    sizes = ndimage.sum(steep, labels, index=np.arange(1, n + 1))
    gx, gy = land.terrain.cell_centres()
    for label in np.argsort(sizes)[::-1][:40] + 1:
        cells = labels == label
        if cells.sum() < 3:
            break
        hull = shapely.union_all(shapely.buffer(shapely.points(gx[cells], gy[cells]), CELL_M * 1.3)).simplify(25)
        worst = float(land.terrain.slope[cells].max())
        level = "high" if worst > 30 else "medium" if worst > 26 else "low"
        kind = str(rng.choice(["landslide", "collapse", "debris_flow"], p=[0.7, 0.2, 0.1]))
        out.append({"kind": kind, "level": level, "geometry": hull})
    for h in out:
        h["geometry"] = shapely.make_valid(h["geometry"].intersection(land.outline))
    return [h for h in out if h["geometry"].area > 2e4 and h["geometry"].geom_type in ("Polygon", "MultiPolygon")]
