"""The demo county (塬川示范县): a believable, deterministic loess-plateau county for demos and tests.

:func:`make_demo_county` returns every layer of the data model as canonical frames in
EPSG:4490, ready for the store. The same seed always gives the same county. The
county is fictional (division code 621199 does not exist) but shaped like the real
ones: ~1,750 km², 11–15 townships, 175–220 villages, households clustered in valley
hamlets, failures of water quality clustered by supply, poverty in the remote uplands.
Building blocks live in the private modules beside it (``_land``, ``_names``, ``_infra``, ``_people``, ``_water``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geodata.demo._dates import elimination_dates, stage_dates
from geodata.demo._infra import make_facilities, make_hazards, make_roads
from geodata.demo._land import CENTRE_LONLAT, GK_EPSG, Land, make_land
from geodata.demo._names import COUNTY_NAME, person_names, surname_pool, town_names, village_names
from geodata.demo._people import (
    REGION,
    make_households,
    make_housing,
    make_inspections,
    make_projects,
    make_teams,
    year_scores,
)
from geodata.demo._plans import make_measures, make_tasks
from geodata.demo._relocated import make_relocated
from geodata.demo._water import UNSAFE_SHARE, make_water_samples, plant_profiles

__all__ = ["AREA_KM2", "COUNTY_CODE", "COUNTY_NAME", "DEMO_AS_OF", "GK_EPSG", "make_demo_county"]

COUNTY_CODE = REGION
AREA_KM2 = 1750.0
DEMO_AS_OF = dt.date(2026, 11, 1)
TARGET_SITES = 210  # water test sites, as in the seed county
ELEVATION_STEP = 2  # the elevation layer keeps every 2nd cell of the 100 m terrain: a 200 m grid
# one random stream each; "extras" draws the columns added later, so that the earlier draws stay as they were
_STEPS = ("land", "names", "infra", "households", "ledgers", "water", "extras", "dates", "relocated", "plans")
GENERATION_STEPS = ("land", "infrastructure", "households", "ledgers", "projected")  # reported to ``progress``
Frame = gpd.GeoDataFrame | pd.DataFrame


def make_demo_county(
    *,
    seed: int = 2026,
    households: int = 60000,
    as_of: dt.date = DEMO_AS_OF,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Frame]:
    """Every layer of the demo county, keyed by layer name, geometries in EPSG:4490."""
    return generate_county(seed=seed, households=households, as_of=as_of, progress=progress)[0]


def generate_county(
    *,
    seed: int,
    households: int,
    as_of: dt.date,
    progress: Callable[[str], None] | None = None,
    outline: shapely.Polygon | None = None,
    centre: tuple[float, float] | None = None,
) -> tuple[dict[str, Frame], Land]:
    """The layers of a demo county and its land (metres), optionally inside a given ``outline`` around ``centre``.

    Without ``outline`` this is the demo county of :func:`make_demo_county`; with one (a
    neighbour in the demo city) the land fills it and the county seat is sought near
    ``centre`` (metres in :data:`GK_EPSG`).
    """
    step = progress or (lambda _label: None)
    rng = {name: np.random.default_rng([seed, k]) for k, name in enumerate(_STEPS)}
    to_gk = Transformer.from_crs(4490, GK_EPSG, always_xy=True)
    land = make_land(rng["land"], centre or to_gk.transform(*CENTRE_LONLAT), AREA_KM2, outline=outline)
    step("land")
    towns, villages = _administer(rng["names"], land, households)
    facilities = make_facilities(rng["infra"], land, villages)
    _supply_water(rng["water"], villages, facilities)
    roads = make_roads(rng["infra"], land, villages)
    hazards = make_hazards(rng["infra"], land)
    step("infrastructure")
    people = make_households(rng["households"], villages, as_of, extras=rng["extras"])
    members = people.groupby("village_index")["members"].sum().reindex(range(len(villages)), fill_value=0)
    registered = np.round(members.to_numpy() * rng["households"].uniform(1.02, 1.18, len(villages)))
    step("households")
    housing = make_housing(rng["ledgers"], people, as_of, extras=rng["extras"])
    teams = make_teams(rng["ledgers"], villages, as_of)
    inspections = make_inspections(rng["ledgers"], teams, people, as_of)
    last = inspections.groupby("team_id")["date"].max()
    teams["last_inspected_on"] = teams["team_id"].map(last).astype("datetime64[ms]")
    projects = make_projects(rng["ledgers"], villages, land.towns, as_of)
    teams["year_score"] = year_scores(rng["ledgers"], teams)  # drawn last: the ledgers above stay as they were
    sites = _water_sites(rng["water"], villages, facilities)
    samples = make_water_samples(rng["water"], sites, as_of)
    people.insert(
        people.columns.get_loc("entered_on") + 1, "eliminated_on", elimination_dates(rng["dates"], people, as_of)
    )
    stages = stage_dates(rng["dates"], housing, as_of)
    for offset, column in enumerate(stages.columns, start=housing.columns.get_loc("deadline") + 1):
        housing.insert(offset, column, stages[column])
    tasks = make_tasks(rng["plans"], villages, people, _unhardened_share(roads, villages), as_of)
    measures = make_measures(rng["plans"], people, as_of)
    step("ledgers")
    to_geo = GeoFrames()
    layers = {
        "towns": to_geo.frame(
            pd.DataFrame({"town_code": [t["town_code"] for t in towns], "name": [t["name"] for t in towns]}),
            [t["polygon"] for t in towns],
        ),
        "villages": _villages_frame(
            to_geo, villages, registered.astype("int64"), {t["town_code"]: t["name"] for t in towns}
        ),
        "households": to_geo.points(people.drop(columns="village_index")),
        "housing": housing,
        "water_tests": _water_frame(to_geo, samples, sites),
        "roads": to_geo.frame(
            pd.DataFrame(
                {
                    "road_id": [f"R{i + 1:04d}" for i in range(len(roads))],
                    "name": [r["name"] or None for r in roads],
                    "road_class": [r["road_class"] for r in roads],
                    "hardened": [bool(r["hardened"]) for r in roads],
                }
            ),
            [r["geometry"] for r in roads],
        ),
        "facilities": _facilities_frame(to_geo, facilities, villages),
        "hazards": to_geo.frame(
            pd.DataFrame(
                {
                    "hazard_id": [f"H{i + 1:03d}" for i in range(len(hazards))],
                    "kind": [h["kind"] for h in hazards],
                    "level": [h["level"] for h in hazards],
                }
            ),
            [h["geometry"] for h in hazards],
        ),
        "elevation": _elevation_frame(to_geo, land),
        "projects": projects,
        "teams": teams,
        "inspections": inspections,
        "tasks": tasks,
        "household_measures": measures,
    }
    layers["relocated_households"] = make_relocated(rng["relocated"], layers["facilities"], layers["households"])
    step("projected")
    return layers, land


def _unhardened_share(roads: list[dict], villages: list[dict]) -> np.ndarray:
    """Per village, the share of its road length (metres, cut by its boundary) that is not hardened."""
    polygons = np.asarray([v["polygon"] for v in villages], dtype=object)
    lines = np.asarray([r["geometry"] for r in roads], dtype=object)
    r_idx, v_idx = shapely.STRtree(polygons).query(lines, predicate="intersects")
    length = shapely.length(shapely.intersection(lines[r_idx], polygons[v_idx]))
    soft = ~np.array([bool(r["hardened"]) for r in roads])[r_idx]
    total = np.bincount(v_idx, weights=length, minlength=len(villages))
    unhardened = np.bincount(v_idx, weights=length * soft, minlength=len(villages))
    return np.divide(unhardened, total, out=np.zeros(len(villages)), where=total > 0)


class GeoFrames:
    """Turns metric GK geometries into EPSG:4490 frames."""

    def __init__(self) -> None:
        self._tr = Transformer.from_crs(GK_EPSG, 4490, always_xy=True)

    def lonlat(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CGCS2000 longitude and latitude of metric coordinates."""
        return self._tr.transform(np.asarray(x, float), np.asarray(y, float))

    def frame(self, table: pd.DataFrame, geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
        """``table`` with ``geoms`` transformed to EPSG:4490."""
        moved = shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.c_[self.lonlat(c[:, 0], c[:, 1])])
        return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=moved, crs=4490)

    def points(self, table: pd.DataFrame) -> gpd.GeoDataFrame:
        """``table`` with metric ``x``/``y`` replaced by lon/lat columns and point geometry."""
        lon, lat = self.lonlat(table["x"], table["y"])
        out = table.drop(columns=["x", "y"]).assign(lon=lon, lat=lat)
        return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(lon, lat), crs=4490)


def _administer(rng: np.random.Generator, land: Land, households: int) -> tuple[list[dict], list[dict]]:
    """Names, codes, remoteness, household counts and village attributes."""
    towns, villages = land.towns, land.villages
    cores = town_names(rng, len(towns))
    zhen = 100
    xiang = 200
    for t, core in zip(towns, cores, strict=True):
        is_zhen = t["county_seat"] or rng.random() < 0.55
        t["name"] = core + ("镇" if is_zhen else "乡")
        t["town_code"] = f"{COUNTY_CODE}{zhen if is_zhen else xiang:03d}"
        zhen, xiang = (zhen + 1, xiang) if is_zhen else (zhen, xiang + 1)

    seats = np.array([v["seat"] for v in villages])
    town_seat = np.array([towns[v["town"]]["seat"] for v in villages])
    county_seat = towns[0]["seat"]
    elev = land.terrain.sample(land.terrain.elev, seats[:, 0], seats[:, 1])
    river = land.terrain.sample(land.terrain.river_m, seats[:, 0], seats[:, 1])

    def z(a: np.ndarray) -> np.ndarray:
        return (a - a.mean()) / (a.std() or 1.0)

    score = (
        0.45 * z(np.hypot(*(seats - town_seat).T))
        + 0.35 * z(np.hypot(*(seats - county_seat).T))
        + 0.45 * z(elev)
        + rng.normal(0, 0.3, len(villages))
    )
    remoteness = z(score)
    is_seat = np.array([v["index_in_town"] == 0 for v in villages])
    hotspots = set(np.argsort(np.where(is_seat, -np.inf, remoteness))[-2:])
    surnames = [list(surname_pool(rng, 3)) for _ in villages]
    names = village_names(rng, [s[0] for s in surnames])
    area = np.array([v["polygon"].area / 1e6 for v in villages])
    weight = np.sqrt(area) * np.exp(-0.25 * remoteness) * rng.lognormal(0, 0.3, len(villages))
    weight *= np.where(is_seat, 1.8, 1.0)
    counts = _allocate(households, weight)
    for i, v in enumerate(villages):
        town = towns[v["town"]]
        community = town["county_seat"] and v["index_in_town"] < 2
        v["village_code"] = (
            f"{town['town_code']}{(v['index_in_town'] + 1) if community else 200 + v['index_in_town']:03d}"
        )
        v["name"] = ("东关社区", "西关社区")[v["index_in_town"]] if community else names[i]
        v["surnames"] = surnames[i]
        v["remoteness"] = float(remoteness[i])
        v["elevation"] = float(elev[i])
        v["river_m"] = float(river[i])
        v["households"] = int(counts[i])
        v["hotspot"] = i in hotspots
        v["former_poverty_village"] = bool(rng.random() < 1 / (1 + np.exp(-(1.6 * remoteness[i] - 0.5))))
        v["helpers"] = person_names(
            rng, surname_pool(rng, max(3, counts[i] // 40)), rng.random(max(3, counts[i] // 40)) < 0.7
        )
        income = (
            0.0
            if v["hotspot"] or (remoteness[i] > 0.8 and rng.random() < 0.3)
            else rng.lognormal(np.log(80000) - 0.3 * remoteness[i], 0.6)
        )
        v["collective_income"] = float(round(income, -2))
    return towns, villages


def _allocate(total: int, weight: np.ndarray) -> np.ndarray:
    """Split ``total`` households over villages by weight, every village getting a few when possible."""
    floor = min(3, total // len(weight))
    counts = floor + np.floor((total - floor * len(weight)) * weight / weight.sum()).astype(int)
    short = total - counts.sum()
    counts[np.argsort(-weight)[:short]] += 1
    return counts


def _supply_water(rng: np.random.Generator, villages: list[dict], facilities: list[dict]) -> None:
    """Assign each village to its nearest plant (or its own source when remote) and its unsafe-water share."""
    plants = [f for f in facilities if f["kind"] == "water_plant"]
    profiles = plant_profiles(rng, len(plants))
    for f, profile in zip(plants, profiles, strict=True):
        f["profile"] = profile
    pxy = np.array([f["xy"] for f in plants])
    cut = np.quantile([v["remoteness"] for v in villages], 0.9)
    for v in villages:
        d = np.hypot(*(pxy - v["seat"]).T)
        served = d.min() < 16000 and v["remoteness"] < cut
        v["plant"] = plants[int(d.argmin())] if served else None
        profile = v["plant"]["profile"] if served else "own"
        v["water_unsafe_share"] = UNSAFE_SHARE[profile] * (1 + 0.3 * max(v["remoteness"], 0))


def _water_sites(rng: np.random.Generator, villages: list[dict], facilities: list[dict]) -> list[dict]:
    """Plant outlets, a tap in every supplied village and the own sources of the rest."""
    sites = [
        {
            "site_name": f["name"] + "出厂水",
            "site_type": "plant_outlet",
            "profile": f["profile"],
            "xy": f["xy"],
            "village": f["village"],
        }
        for f in facilities
        if f["kind"] == "water_plant"
    ]
    for v in villages:
        own = v["plant"] is None
        offset = rng.normal(0, 25, 2)
        sites.append(
            {
                "site_name": v["name"] + ("自备水源" if own else "末梢水"),
                "site_type": "own_source" if own else "tap",
                "profile": "good" if own else v["plant"]["profile"],
                "xy": v["seat"] + offset,
                "village": v,
            }
        )
    big = sorted((v for v in villages if len(v["hamlets"]) > 1), key=lambda v: -v["households"])
    for v in big[: max(TARGET_SITES - len(sites), 0)]:  # a second tap at the far hamlet of big villages
        sites.append(
            {
                **sites[-1],
                "site_name": v["name"] + "末梢水(二)",
                "site_type": "tap" if v["plant"] else "own_source",
                "profile": v["plant"]["profile"] if v["plant"] else "good",
                "xy": v["hamlets"][-1],
                "village": v,
            }
        )
    for i, s in enumerate(sites):
        s["site_id"] = f"SZ{i + 1:03d}"
    return sites


def _water_frame(geo: GeoFrames, samples: pd.DataFrame, sites: list[dict]) -> gpd.GeoDataFrame:
    """Lab results joined to their sites' names, types, villages and positions."""
    site_table = pd.DataFrame(
        {
            "site_id": [s["site_id"] for s in sites],
            "site_name": [s["site_name"] for s in sites],
            "site_type": [s["site_type"] for s in sites],
            "supply_type": ["dispersed" if s["site_type"] == "own_source" else "centralised" for s in sites],
            "village_code": [s["village"]["village_code"] for s in sites],
            "x": [s["xy"][0] for s in sites],
            "y": [s["xy"][1] for s in sites],
        }
    )
    merged = samples.merge(site_table, on="site_id", how="left")
    cols = [
        "sample_id",
        "site_id",
        "site_name",
        "site_type",
        "supply_type",
        "sampled_on",
        "indicator",
        "value",
        "unit",
        "village_code",
        "x",
        "y",
    ]
    return geo.points(merged[cols])


def _villages_frame(
    geo: GeoFrames, villages: list[dict], population: np.ndarray, town_name_of: dict[str, str]
) -> gpd.GeoDataFrame:
    """The villages layer; registered ``population`` exceeds resident members (people working away)."""
    return geo.frame(
        pd.DataFrame(
            {
                "village_code": [v["village_code"] for v in villages],
                "name": [v["name"] for v in villages],
                "town_code": [v["village_code"][:9] for v in villages],
                "town_name": [town_name_of[v["village_code"][:9]] for v in villages],
                "population": population,
                "collective_income": [v["collective_income"] for v in villages],
                "former_poverty_village": [v["former_poverty_village"] for v in villages],
            }
        ),
        [v["polygon"] for v in villages],
    )


def _facilities_frame(geo: GeoFrames, facilities: list[dict], villages: list[dict]) -> gpd.GeoDataFrame:
    """Facilities with the code of the village that contains them."""
    xy = np.array([f["xy"] for f in facilities])
    tree = shapely.STRtree([v["polygon"] for v in villages])
    pts, polys = tree.query(shapely.points(xy), predicate="within")
    inside = dict(zip(pts.tolist(), polys.tolist(), strict=True))
    table = pd.DataFrame(
        {
            "facility_id": [f"F{i + 1:04d}" for i in range(len(facilities))],
            "name": [f["name"] for f in facilities],
            "kind": [f["kind"] for f in facilities],
            "capacity": [f["capacity"] for f in facilities],
            "village_code": [
                villages[inside[i]]["village_code"] if i in inside else f["village"]["village_code"]
                for i, f in enumerate(facilities)
            ],
            "x": xy[:, 0],
            "y": xy[:, 1],
        }
    )
    return geo.points(table)


def _elevation_frame(geo: GeoFrames, land: Land) -> gpd.GeoDataFrame:
    """The elevation layer: a 200 m grid of points over the county and a 1 km margin."""
    gx, gy = land.terrain.cell_centres()
    sub = (slice(None, None, ELEVATION_STEP), slice(None, None, ELEVATION_STEP))
    x, y, e = gx[sub], gy[sub], land.terrain.elev[sub]
    rows, cols = np.indices(x.shape)
    keep = shapely.contains_xy(land.outline.buffer(1000), x, y)
    return elevation_points(geo, rows=rows[keep], cols=cols[keep], x=x[keep], y=y[keep], elev=e[keep])


def elevation_points(
    geo: GeoFrames, *, rows: np.ndarray, cols: np.ndarray, x: np.ndarray, y: np.ndarray, elev: np.ndarray
) -> gpd.GeoDataFrame:
    """The elevation layer's rows from grid cells kept (row, column, Gauss-Krüger x/y, metres)."""
    table = pd.DataFrame(
        {
            "row": rows.astype("int64"),
            "col": cols.astype("int64"),
            "x": x,
            "y": y,
            "elev_m": np.round(elev, 1),
            "gk_epsg": np.full(len(x), GK_EPSG, dtype="int64"),
        }
    )
    lon, lat = geo.lonlat(table["x"], table["y"])
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=4490)
