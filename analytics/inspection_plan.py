"""An unannounced inspection plan: draw the stops, place them, route them, and describe the result as JSON data.

:func:`route_context` does the spatial preparation once per store version (metric zone,
road graph, a visiting point per village, the default start); :func:`plan_inspection`
then draws (:mod:`analytics.inspection_draw`) and routes (:mod:`analytics.routing`) and
returns the plan as a JSON-ready ``dict`` — the one form the store keeps and every
output (GPX, HTML, JSON, the page) reads. Personal data in it are masked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from analytics.inspection_draw import Draw, draw_inspection
from analytics.overnight import solve_overnight
from analytics.records import Records, inspection_records
from analytics.roads import RoadGraph, build_road_graph
from analytics.routing import DayRoute, RouteSolution, solve_routes, travel_matrix
from geodata._errors import InputError
from geodata.io.crs import county_epsg
from geodata.io.privacy import mask_name
from geodata.settings import Settings

HOUSEHOLD_CHECKS = ("education_gap", "uninsured", "cd", "water_unsafe", "monitored_open")


@dataclass(frozen=True)
class RouteContext:
    """The spatial side of planning: metric zone, road graph, visiting points (lon/lat) and the default start."""

    epsg: int
    graph: RoadGraph
    points: pd.DataFrame  # village_code → lon, lat (where its households are, else inside its polygon)
    start: tuple[float, float, str]
    seats: pd.DataFrame  # township government seats (乡镇政府) for overnight stays: name, lon, lat

    def to_metric(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Metric x/y in the context's Gauss-Krüger zone."""
        x, y = Transformer.from_crs(4490, self.epsg, always_xy=True).transform(np.asarray(lon), np.asarray(lat))
        return np.c_[x, y]

    def to_lonlat(self, xy: np.ndarray) -> np.ndarray:
        """CGCS2000 lon/lat of metric points."""
        lon, lat = Transformer.from_crs(self.epsg, 4490, always_xy=True).transform(xy[:, 0], xy[:, 1])
        return np.c_[lon, lat]


def route_context(
    villages: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame | None,
    records: Records,
    settings: Settings,
) -> RouteContext:
    """Everything spatial a plan needs, from the store's layers (EPSG:4490)."""
    epsg = county_epsg(villages)
    graph = build_road_graph(roads.to_crs(epsg), settings) if roads is not None and len(roads) else RoadGraph.empty()
    start = _default_start(villages, facilities, settings)
    return RouteContext(epsg, graph, _visit_points(villages, records), start, township_seats(facilities))


def township_seats(facilities: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """The township government facilities (kind ``township_gov``) as name, lon, lat; empty without any."""
    if facilities is None or not len(facilities) or "kind" not in facilities:
        return pd.DataFrame(
            {"name": pd.Series(dtype=str), "lon": pd.Series(dtype=float), "lat": pd.Series(dtype=float)}
        )
    gov = facilities[(facilities["kind"] == "township_gov") & facilities.geometry.notna()]
    names = gov["name"].astype(str) if "name" in gov else pd.Series("", index=gov.index)
    return pd.DataFrame(
        {"name": names.to_numpy(), "lon": gov.geometry.x.to_numpy(), "lat": gov.geometry.y.to_numpy()}
    ).reset_index(drop=True)


def _visit_points(villages: gpd.GeoDataFrame, records: Records) -> pd.DataFrame:
    """Where to go in each village: its most central household (the medoid of its homes), else a point inside it."""
    inner = villages.geometry.representative_point()
    points = pd.DataFrame({"lon": inner.x.to_numpy(), "lat": inner.y.to_numpy()}, index=villages["village_code"])
    hh = records["households"]
    if len(hh) and {"lon", "lat"} <= set(hh.columns):
        located = hh.dropna(subset=["lon", "lat"])
        med = located.groupby("village_code")[["lon", "lat"]].transform("median")
        d = (located["lon"] - med["lon"]) ** 2 + (located["lat"] - med["lat"]) ** 2
        central = located.loc[d.groupby(located["village_code"]).idxmin()].set_index("village_code")[["lon", "lat"]]
        points.update(central.astype(float))
    return points


def _default_start(
    villages: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame | None, settings: Settings
) -> tuple[float, float, str]:
    """The configured start, else the county seat's township government, else the middle of the county."""
    if settings.route.start_lonlat:
        lon, lat = parse_lonlat(settings.route.start_lonlat)
        return lon, lat, ""
    seat = settings.route.seat_town or str(villages["village_code"].str[:9].min())
    if facilities is not None and len(facilities) and "village_code" in facilities:
        gov = facilities[(facilities["kind"] == "township_gov") & (facilities["village_code"].str[:9] == seat)]
        if len(gov):
            return float(gov.geometry.iloc[0].x), float(gov.geometry.iloc[0].y), str(gov["name"].iloc[0])
    middle = villages.geometry.union_all().representative_point()
    return float(middle.x), float(middle.y), ""


def records_on(records: Records, inspections: pd.DataFrame | None, date: dt.date) -> Records:
    """``records`` with every inspection up to ``date`` (records prepared as of an earlier day miss the latest)."""
    if date <= records.as_of:
        return records
    tables = {**records.tables, "inspections": inspection_records(inspections, date, records.settings)}
    return dataclasses.replace(records, tables=tables)


def parse_lonlat(text: str) -> tuple[float, float]:
    """'lon,lat' → (lon, lat); a clear error for anything else."""
    try:
        lon, lat = (float(v) for v in text.replace("，", ",").split(","))
    except ValueError:
        msg = f"start must be 'lon,lat' in degrees (e.g. 104.62,35.61), got {text!r}"
        raise InputError(msg) from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"start {text!r} is not a longitude,latitude pair"
        raise InputError(msg)
    return lon, lat


def plan_inspection(
    records: Records,
    context: RouteContext,
    *,
    date: dt.date,
    stops: int | None = None,
    days: int = 1,
    start: tuple[float, float] | None = None,
    seed: int | None = None,
    hours: float | None = None,
    return_to_start: bool | None = None,
    overnight: bool = False,
    settings: Settings | None = None,
    executor: Executor | None = None,
) -> dict[str, Any]:
    """Draw and route an inspection starting on ``date``; the plan as a JSON-ready dict.

    ``executor`` runs the route search (see :func:`analytics.routing.solve_routes`).
    ``overnight``: every day but the last ends at a township government seat and the
    next starts there (:mod:`analytics.overnight`); refused when the store has no seats.

    Keys: ``date``, ``seed``, ``days``, ``hours``, ``return_to_start``, ``overnight``,
    ``start`` (lon, lat, name), ``stops`` (visiting order, with day, arrival and departure clock
    times, teams and households to check), ``unfitted`` (drawn but not fitting the
    days), ``day_summary`` (with each day's ``start_place`` and ``end_place``: name,
    lon, lat), ``paths`` (one lon/lat polyline per day along the roads),
    ``draw`` (candidates, excluded, due) and ``warnings`` (``{"code": ..., **numbers}``).
    """
    settings = settings or records.settings
    cfg = settings.route
    stops = cfg.stops if stops is None else stops
    hours = cfg.day_hours if hours is None else hours
    back = cfg.return_to_start if return_to_start is None else return_to_start
    _check_request(stops, days, hours, settings)
    if overnight and not len(context.seats):
        msg = (
            "--overnight needs township government seats (乡镇政府): the store's facilities layer has no "
            "feature of kind 'township_gov'; import facilities or plan without --overnight"
        )
        raise InputError(msg)
    places = pd.DataFrame(
        context.to_metric(context.points["lon"].to_numpy(), context.points["lat"].to_numpy()),
        index=context.points.index,
        columns=["x", "y"],
    )
    draw = draw_inspection(records, date=date, stops=stops, seed=seed, settings=settings, places=places)
    table = _stop_table(records, context, draw, settings)
    s_lon, s_lat, s_name = (*start, "") if start is not None else context.start  # "" = no named place
    seats = context.seats if overnight and days > 1 else context.seats.iloc[:0]
    lon = np.r_[s_lon, table["lon"].to_numpy(), seats["lon"].to_numpy()]
    lat = np.r_[s_lat, table["lat"].to_numpy(), seats["lat"].to_numpy()]
    matrix = travel_matrix(context.graph, context.to_metric(lon, lat), settings)
    route = {
        "budget_s": round(hours * 3600),
        "forced": table["forced"].to_numpy(),
        "weight": table["weight"].to_numpy(),
        "time_limit_s": cfg.time_limit_s,
        "patience_s": cfg.patience_s,
        "polish_min_stops": cfg.polish_min_stops,
        "executor": executor,
    }
    service = np.rint(table["service_min"].to_numpy() * 60).astype(int)
    if len(seats):
        rows = list(range(len(table) + 1, len(table) + 1 + len(seats)))
        solution = solve_overnight(
            matrix, service, rows, days=days, return_to_start=back, rounds=cfg.overnight_rounds, **route
        )
    else:
        solution = solve_routes(matrix, service, days=days, return_to_start=back, **route)
    day0 = dt.datetime.combine(date, dt.time.fromisoformat(cfg.day_start))
    start_place = {"name": s_name, "lon": round(float(s_lon), 6), "lat": round(float(s_lat), 6)}
    place = _place_names(start_place, table, seats)
    return {
        "date": date.isoformat(),
        "seed": seed,
        "days": days,
        "hours": hours,
        "return_to_start": back,
        "overnight": bool(len(seats)),
        "start": {"lon": start_place["lon"], "lat": start_place["lat"], "name": s_name},
        "stops": _ordered(table, solution, day0),
        "unfitted": [_stop_record(table.iloc[i]) for i in solution.unfitted],
        "day_summary": _summary(solution, day0, place),
        "paths": _paths(solution, context),
        "draw": {"candidates": draw.candidates, "excluded": draw.excluded, "due_this_cycle": draw.due_this_cycle},
        "warnings": draw.warnings + _unfitted_warning(solution),
    }


def _check_request(stops: int, days: int, hours: float, settings: Settings) -> None:
    """Refuse impossible or absurd requests with the limit that applies."""
    cfg = settings.route
    if not 1 <= stops <= cfg.max_stops:
        msg = f"stops must be between 1 and {cfg.max_stops} (route.max_stops), got {stops}"
        raise InputError(msg)
    if not 1 <= days <= cfg.max_days:
        msg = f"days must be between 1 and {cfg.max_days} (route.max_days), got {days}"
        raise InputError(msg)
    if not 0 < hours <= 24:
        msg = f"hours per day must be more than 0 and at most 24, got {hours}"
        raise InputError(msg)


def _stop_table(records: Records, context: RouteContext, draw: Draw, settings: Settings) -> pd.DataFrame:
    """The drawn stops with their visiting point, service minutes, teams and households (masked)."""
    cfg = settings.route
    table = draw.stops.copy()
    points = context.points.reindex(table["village_code"])
    table["lon"], table["lat"] = points["lon"].to_numpy(), points["lat"].to_numpy()
    has_team = table["team_ids"].str.len() > 0
    per_stop = np.where(has_team, cfg.team_service_min, cfg.village_service_min)
    table["service_min"] = per_stop + cfg.household_service_min * table["households"].str.len()
    teams = records["teams"].set_index("team_id") if len(records["teams"]) else pd.DataFrame()
    table["teams"] = [[_team_record(teams, t) for t in ids] for ids in table["team_ids"]]
    hh = records["households"].set_index("household_id") if len(records["households"]) else pd.DataFrame()
    table["household_records"] = [[_household_record(hh, h) for h in ids] for ids in table["households"]]
    return table.reset_index(drop=True)


def _team_record(teams: pd.DataFrame, team_id: str) -> dict[str, Any]:
    row = teams.loc[team_id] if team_id in teams.index else pd.Series(dtype=object)
    return {
        "team_id": team_id,
        "unit": _text(row.get("unit")),
        "leader": mask_name(_text(row.get("leader"))),
        "checkin_rate": _num(row.get("checkin_rate")),
        "days_in_village": _num(row.get("days_in_village")),
    }


def _household_record(hh: pd.DataFrame, household_id: str) -> dict[str, Any]:
    row = hh.loc[household_id] if household_id in hh.index else pd.Series(dtype=object)
    return {
        "household_id": household_id,
        "head": mask_name(_text(row.get("head_name"))),
        "status": _text(row.get("status")),
        "flags": [f for f in HOUSEHOLD_CHECKS if bool(row.get(f, False))],
    }


def _text(v: Any) -> str | None:
    return None if v is None or (not isinstance(v, (list, str)) and pd.isna(v)) else str(v)


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 3)


def _stop_record(row: pd.Series) -> dict[str, Any]:
    """One stop as JSON data (without its place in a route)."""
    return {
        "village_code": row["village_code"],
        "village": row["name"],
        "town_code": row["town_code"],
        "lon": round(float(row["lon"]), 6),
        "lat": round(float(row["lat"]), 6),
        "forced": bool(row["forced"]),
        "reasons": list(row["reasons"]),
        "weight": round(float(row["weight"]), 3),
        "service_min": float(row["service_min"]),
        "teams": row["teams"],
        "households": row["household_records"],
    }


def _clock(day0: dt.datetime, day: int, seconds: int) -> str:
    return (day0 + dt.timedelta(days=day, seconds=int(seconds))).strftime("%Y-%m-%d %H:%M")


def _ordered(table: pd.DataFrame, solution: RouteSolution, day0: dt.datetime) -> list[dict[str, Any]]:
    """The routed stops numbered in visiting order across the days, with clock times."""
    out = []
    number = itertools.count(1)
    for day in solution.days:
        for i, arrive, depart in zip(day.stops, day.arrive_s, day.depart_s, strict=True):
            record = _stop_record(table.iloc[i])
            record.update(
                number=next(number),
                day=day.day + 1,
                arrive=_clock(day0, day.day, arrive),
                depart=_clock(day0, day.day, depart),
                arrive_min=round(arrive / 60, 1),
            )
            out.append(record)
    return out


def _place_names(start: dict[str, Any], table: pd.DataFrame, seats: pd.DataFrame) -> list[dict[str, Any]]:
    """Name, lon and lat of every matrix row: the start, the stops (their village), the seats."""
    stops = [{"name": r["name"], "lon": r["lon"], "lat": r["lat"]} for _, r in table.iterrows()]
    govs = [{"name": r["name"], "lon": r["lon"], "lat": r["lat"]} for _, r in seats.iterrows()]
    return [start] + [{**p, "lon": round(float(p["lon"]), 6), "lat": round(float(p["lat"]), 6)} for p in stops + govs]


def _end_row(day: DayRoute) -> int:
    """The matrix row a day ends at: its end place, else its last stop (else where it started)."""
    if day.end is not None:
        return day.end
    return day.stops[-1] + 1 if day.stops else day.start


def _summary(solution: RouteSolution, day0: dt.datetime, place: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "day": d.day + 1,
            "date": (day0 + dt.timedelta(days=d.day)).date().isoformat(),
            "stops": len(d.stops),
            "distance_km": round(d.metres / 1000, 2),
            "travel_h": round(d.travel_s / 3600, 2),
            "total_h": round(d.end_s / 3600, 2),
            "leave": _clock(day0, d.day, 0),
            "end": _clock(day0, d.day, d.end_s),
            "start_place": place[d.start],
            "end_place": place[_end_row(d)],
        }
        for d in solution.days
    ]


def _paths(solution: RouteSolution, context: RouteContext) -> list[list[list[float]]]:
    """Each day's route as lon/lat pairs following the roads."""
    out = []
    for d in solution.days:
        parts = [solution.matrix.path(a, b) for a, b in itertools.pairwise(d.places())]
        if not parts:
            out.append([])
            continue
        lonlat = context.to_lonlat(np.vstack(parts))
        keep = np.r_[True, np.any(np.diff(lonlat, axis=0) != 0, axis=1)]
        out.append(np.round(lonlat[keep], 6).tolist())
    return out


def _unfitted_warning(solution: RouteSolution) -> list[dict[str, Any]]:
    return [{"code": "unfitted", "count": len(solution.unfitted)}] if solution.unfitted else []
