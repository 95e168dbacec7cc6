"""Record tables ready for counting, each row with its village code and the flags indicators count.

Households, water samples, C/D cases, projects, teams, inspections and road pieces.

:func:`prepare_records` does all spatial work once — hazard zones → households
(vectorised STRtree), water sites → villages, roads → villages and the road graph →
access distances — so that every indicator at every level is a group-by over these
tables, and every number can be traced back to the rows behind it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analytics.roads import RoadGraph, build_road_graph, distance_to_nearest
from analytics.water import judge_samples
from geodata.io.crs import county_epsg
from geodata.settings import Settings

# Every input layer but villages and households may be absent (a county imports what it has).
OPTIONAL_LAYERS = ("housing", "water_tests", "roads", "facilities", "hazards", "projects", "teams", "inspections")
CLINIC_KINDS = ("clinic", "health_center")  # a township health centre also gives village-level care
HAZARD_RANK = {"low": 1, "medium": 2, "high": 3}
ID_COLUMNS = {
    "villages": "village_code",
    "households": "household_id",
    "cases": "case_id",
    "samples": "sample_id",
    "projects": "project_id",
    "teams": "team_id",
    "inspections": "inspection_id",
    "roads": "road_id",
}


@dataclass
class Records:
    """The record tables (plain DataFrames, each with ``village_code``) and what they were built with."""

    as_of: dt.date
    settings: Settings
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    village_access: pd.DataFrame | None = None  # km_* from each village's inner point (villages with no households)
    absent: frozenset[str] = frozenset()  # optional input layers missing or empty: their figures are unknown

    _keys: dict[tuple[str, int], pd.Series] = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def unit_key(self, table: str, digits: int) -> pd.Series:
        """The first ``digits`` of each row's village code (the unit at that level), computed once."""
        if (table, digits) not in self._keys:
            self._keys[table, digits] = self.tables[table]["village_code"].astype("str").str[:digits]
        return self._keys[table, digits]


def prepare_records(layers: dict[str, pd.DataFrame], *, as_of: dt.date, settings: Settings) -> Records:
    """Record tables from store layers (EPSG:4490); missing optional layers give empty tables."""
    villages = layers["villages"]
    epsg = county_epsg(villages)
    metric_villages = villages.to_crs(epsg)
    absent = frozenset(name for name in OPTIONAL_LAYERS if layers.get(name) is None or not len(layers[name]))
    rec = Records(as_of=as_of, settings=settings, absent=absent)
    rec.tables["villages"] = _villages(villages)
    households = layers.get("households")
    hh = _households(households, settings, as_of) if households is not None else _empty_households()
    hh_metric = households.to_crs(epsg) if households is not None and len(households) else None
    if hh_metric is not None:
        hh = hh.join(_hazard_flags(hh_metric, layers.get("hazards"), epsg))
        hh = hh.join(_located_village(hh_metric, metric_villages, settings.imports.border_tolerance_m))
    rec.tables["households"] = hh
    rec.tables["cases"] = _cases(layers.get("housing"), hh, settings, as_of)
    rec.tables["samples"] = _samples(layers.get("water_tests"), metric_villages, epsg, settings, as_of)
    rec.tables["projects"] = _projects(layers.get("projects"), settings, as_of)
    rec.tables["teams"] = _teams(layers.get("teams"), settings, as_of)
    rec.tables["inspections"] = inspection_records(layers.get("inspections"), as_of)
    roads = layers.get("roads")
    metric_roads = roads.to_crs(epsg) if roads is not None and len(roads) else None
    rec.tables["roads"] = _road_pieces(metric_roads, metric_villages)
    access = _access(
        metric_roads,
        layers.get("facilities"),
        epsg=epsg,
        settings=settings,
        households=hh_metric,
        villages=metric_villages,
    )
    if hh_metric is not None:
        rec.tables["households"] = rec.tables["households"].join(access["households"])
    rec.village_access = access["villages"]
    return rec


def _villages(villages: gpd.GeoDataFrame) -> pd.DataFrame:
    out = pd.DataFrame(villages.drop(columns=villages.geometry.name)).copy()
    out["population"] = out["population"].fillna(0).astype(float)
    out["collective_income"] = out["collective_income"].astype(float)
    return out.reset_index(drop=True)


def _empty_households() -> pd.DataFrame:
    return pd.DataFrame(columns=["household_id", "village_code", "members"])


def _households(h: gpd.GeoDataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Households with the boolean flags and per-household values the indicators sum."""
    out = pd.DataFrame(h.drop(columns=h.geometry.name)).reset_index(drop=True)
    members = out["members"].fillna(0).astype(float)
    income = out["per_capita_income"].astype(float)
    monitored = out["status"].eq("monitored")
    eliminated = out["risk_eliminated"].astype("boolean").fillna(False).astype(bool)
    poor = (income < settings.poverty.poverty_line).fillna(False)
    out["monitored"] = monitored
    out["monitored_open"] = monitored & ~eliminated
    out["monitored_persons"] = members.where(monitored, 0.0)
    out["poor"] = poor
    # 应纳未纳: under the monitoring line but not a monitored household (possibly missed)
    out["unmonitored_below_line"] = (income < settings.poverty.monitoring_line).fillna(False) & ~monitored
    out["poor_persons"] = members.where(poor, 0.0)
    out["income_x_members"] = (income * members).fillna(0.0)
    out["income_known_persons"] = members.where(income.notna(), 0.0)
    out["education_gap"] = out["education_ok"].astype("boolean").eq(False).fillna(False).astype(bool)
    out["uninsured"] = out["medical_insured"].astype("boolean").eq(False).fillna(False).astype(bool)
    out["cd"] = out["housing_grade"].isin(["C", "D"])
    out["water_unsafe"] = out["water_safe"].astype("boolean").eq(False).fillna(False).astype(bool)
    found, identified, entered = (pd.to_datetime(out[c]) for c in ("risk_found_on", "identified_on", "entered_on"))
    limits = settings.timeliness
    # a clue can be dismissed (no identification date ever): only identified households are checked for it
    done_identify = (identified - found).dt.days
    out["sla_identify_checked"] = monitored & done_identify.notna()
    out["sla_identify_ok"] = out["sla_identify_checked"] & (done_identify <= limits.identify_days)
    checked, ok = _in_time(identified, entered, limits.entry_days, as_of)  # identified must be entered
    out["sla_entry_checked"], out["sla_entry_ok"] = monitored & checked, monitored & ok
    return out


def _in_time(start: pd.Series, end: pd.Series, limit_days: int, as_of: dt.date) -> tuple[pd.Series, pd.Series]:
    """(checked, in time) of a step from ``start`` to ``end`` that must take at most ``limit_days``.

    A step that is done is checked; one not done yet is checked once its limit has passed
    (then it is late), so a household identified and never entered counts against the
    rate instead of dropping out of it.
    """
    done_days = (end - start).dt.days
    waiting_days = (pd.Timestamp(as_of) - start).dt.days
    done = start.notna() & end.notna()
    overdue = start.notna() & end.isna() & (waiting_days > limit_days)
    return done | overdue, done & (done_days <= limit_days)


def _hazard_flags(households: gpd.GeoDataFrame, hazards: gpd.GeoDataFrame | None, epsg: int) -> pd.DataFrame:
    """Whether each household lies in a hazard zone (on its edge counts) and the highest level there."""
    n = len(households)
    level = np.zeros(n, dtype=int)
    if hazards is not None and len(hazards):
        zones = hazards.to_crs(epsg)
        h_idx, z_idx = shapely.STRtree(np.asarray(zones.geometry.values)).query(
            np.asarray(households.geometry.values), predicate="intersects"
        )
        ranks = zones["level"].map(HAZARD_RANK).fillna(1).to_numpy(dtype=int)[z_idx]
        np.maximum.at(level, h_idx, ranks)
    names = {v: k for k, v in HAZARD_RANK.items()}
    return pd.DataFrame(
        {
            "in_hazard": level > 0,
            "hazard_high": level == HAZARD_RANK["high"],
            "hazard_level": [names.get(v) for v in level],
        }
    )


def _located_village(households: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, tolerance_m: float) -> pd.DataFrame:
    """The village each point lies in (vectorised STRtree); within ``tolerance_m`` of a border the coded one wins.

    Households are counted in the village of their code (the register); ``located_elsewhere``
    marks points that lie outside it, a data-quality figure for the village.
    """
    h_idx, v_idx = shapely.STRtree(np.asarray(villages.geometry.values)).query(
        np.asarray(households.geometry.values), predicate="dwithin", distance=tolerance_m
    )
    found = pd.DataFrame({"h": h_idx, "code": villages["village_code"].to_numpy()[v_idx]})
    found["own"] = found["code"].to_numpy() == households["village_code"].to_numpy()[h_idx]
    found["gap"] = shapely.distance(households.geometry.values[h_idx], villages.geometry.values[v_idx])
    found = found.sort_values(["h", "own", "gap"], ascending=[True, False, True])
    first = found.drop_duplicates("h").set_index("h")["code"]
    located = first.reindex(range(len(households)))
    elsewhere = located.to_numpy() != households["village_code"].to_numpy()
    return pd.DataFrame({"located_village_code": located.to_numpy(), "located_elsewhere": elsewhere})


def _cases(housing: pd.DataFrame | None, households: pd.DataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """C/D cases with their household's village; open, overdue and accepted flags."""
    if housing is None or not len(housing):
        return pd.DataFrame(columns=["case_id", "village_code", "open", "overdue", "accepted"])
    village = households.set_index("household_id")["village_code"] if len(households) else pd.Series(dtype=object)
    out = pd.DataFrame(housing).copy()
    out["village_code"] = out["household_id"].map(village)
    closed = out["stage"].isin(settings.housing.closed_stages)
    built = out["stage"].isin(settings.housing.built_stages)
    deadline = pd.to_datetime(out["deadline"])
    month, day = (int(p) for p in settings.housing.accept_by.split("-"))
    year = deadline.dt.year.fillna(as_of.year).astype(int)
    accept_by = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))
    accept_by = accept_by.where(deadline.isna() | (deadline <= accept_by), deadline)  # a December deadline is later
    out["open"] = ~closed
    out["accepted"] = closed
    late_building = ~built & deadline.notna() & (deadline < pd.Timestamp(as_of))
    late_acceptance = built & ~closed & (accept_by < pd.Timestamp(as_of))  # built, not accepted in time
    out["overdue"] = late_building | late_acceptance
    return out[out["village_code"].notna()].reset_index(drop=True)


def _samples(
    tests: gpd.GeoDataFrame | None, villages: gpd.GeoDataFrame, epsg: int, settings: Settings, as_of: dt.date
) -> pd.DataFrame:
    """Water samples judged against GB 5749-2022, each with the village of its site."""
    cols = ["sample_id", "village_code", "in_window", "failing_in_window", "failed_indicators"]
    if tests is None or not len(tests):
        return pd.DataFrame(columns=cols)
    tests = tests.copy()
    missing = tests["village_code"].isna() if "village_code" in tests else pd.Series(True, index=tests.index)
    if missing.any():
        pts = tests.loc[missing].to_crs(epsg)
        p_idx, v_idx = shapely.STRtree(np.asarray(villages.geometry.values)).query(
            np.asarray(pts.geometry.values), predicate="intersects"
        )
        first = pd.Series(v_idx, index=p_idx).groupby(level=0).first()
        codes = pd.Series(None, index=range(len(pts)), dtype=object)
        codes[first.index] = villages["village_code"].to_numpy()[first.to_numpy()]
        tests.loc[missing, "village_code"] = codes.to_numpy()
    samples = judge_samples(tests, settings, as_of=as_of)
    samples["failing_in_window"] = samples["failing"] & samples["in_window"]
    return samples[samples["village_code"].notna()].reset_index(drop=True)


PROJECT_STAGES = ("planned", "started", "completed", "reimbursed")  # each stage includes the ones before it


def _projects(projects: pd.DataFrame | None, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """The ``as_of`` year's projects with budget, disbursement, reimbursed amount and their stages.

    Only projects of that fund year (资金年度, column ``year``) count, so that a ledger of
    several years mixes nothing into this year's spending schedule; projects without a
    year count as this year's when ``funds.count_projects_without_year`` says so.
    ``reimbursed_known_budget`` is the budget of the projects whose reimbursed amount
    (已报账金额) is given: 报账率 by money is the amount over it, so a project without
    an amount is left out of that rate rather than counted as nothing reimbursed.
    """
    columns = ["project_id", "village_code", "budget", "disbursed", "status", "year", "reimbursed_amount"]
    if projects is None or not len(projects):
        return pd.DataFrame(
            columns=[*columns, "reimbursed_known_budget", "started", "completed", "reimbursed"],
        )
    out = pd.DataFrame(projects).copy()
    year = _optional_number(out, "year")
    this_year = year.eq(as_of.year) | (year.isna() & settings.funds.count_projects_without_year)
    out = out.assign(year=year, reimbursed_amount=_optional_number(out, "reimbursed_amount"))
    out = out.loc[this_year.to_numpy(), columns].reset_index(drop=True)
    out["disbursed"] = out["disbursed"].fillna(0.0).astype(float)
    out["budget"] = out["budget"].astype(float)
    out["reimbursed_known_budget"] = out["budget"].where(out["reimbursed_amount"].notna(), 0.0)
    out["reimbursed_amount"] = out["reimbursed_amount"].fillna(0.0)
    stage = out["status"].map({s: i for i, s in enumerate(PROJECT_STAGES)})  # unknown status: not started
    out["started"] = stage.ge(1).fillna(False).astype(bool)
    out["completed"] = stage.ge(2).fillna(False).astype(bool)
    out["reimbursed"] = stage.ge(3).fillna(False).astype(bool)
    return out


TEAM_FLAGS = (  # counted by the measures: monthly ranking, then the year-end grade bands
    "scored",
    "month_best",
    "month_worst",
    "year_scored",
    "grade_excellent",
    "grade_good",
    "grade_fair",
    "grade_poor",
)


def _teams(teams: pd.DataFrame | None, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Teams with the days due so far this year (220 pro-rated to ``as_of``), monthly ranking and year-end grade.

    The monthly score (月度考核得分) names the county's best and worst ``teams.rank_share``;
    the year-end score (年度考核得分, ``year_score``) gives the four grades 优秀, 良好, 一般 and 差.
    """
    if teams is None or not len(teams):
        return pd.DataFrame(
            columns=[
                "team_id",
                "village_code",
                "checkin_rate",
                "days_in_village",
                "days_due",
                "checkin_members",
                "checkin_x_members",
                *TEAM_FLAGS,
            ]
        )
    out = pd.DataFrame(teams).copy()
    year = dt.date(as_of.year, 1, 1)
    days_in_year = (dt.date(as_of.year + 1, 1, 1) - year).days
    out["days_due"] = settings.teams.days_per_year * ((as_of - year).days + 1) / days_in_year  # as_of itself counts
    out["checkin_rate"] = out["checkin_rate"].astype(float)
    # the rate is a share of members' check-ins, not of teams: each rated team weighs its members (at least 1)
    weight = _optional_number(out, "members").fillna(1).clip(lower=1).where(out["checkin_rate"].notna(), 0.0)
    out["checkin_members"] = weight
    out["checkin_x_members"] = (out["checkin_rate"] * weight).fillna(0.0)
    score = _optional_number(out, "monthly_score")
    out["scored"] = score.notna()
    county = out["village_code"].astype("str").str[:6]
    out["month_best"] = _ranked_end(score, county, settings.teams.rank_share, best=True)
    out["month_worst"] = _ranked_end(score, county, settings.teams.rank_share, best=False)
    grades = settings.teams
    year_score = _optional_number(out, "year_score")  # an unknown score is in no band
    out["year_scored"] = year_score.notna()
    out["grade_excellent"] = year_score >= grades.grade_excellent
    out["grade_good"] = (year_score >= grades.grade_good) & (year_score < grades.grade_excellent)
    out["grade_fair"] = (year_score >= grades.grade_fair) & (year_score < grades.grade_good)
    out["grade_poor"] = year_score < grades.grade_fair
    out["days_in_village"] = out["days_in_village"].astype(float)
    return out


def _ranked_end(score: pd.Series, county: pd.Series, share: float, *, best: bool) -> pd.Series:
    """Teams among the best (or worst) ``share`` of their county's scored teams, ties with the last one included.

    Each end names round(share × scored teams), at least one; a county whose scored teams
    all have the same score (or that has fewer than two) names none.
    """
    groups = score.groupby(county)
    scored = groups.transform("count")
    named = np.maximum(1, np.floor(scored * share + 0.5))
    place = groups.rank(method="min", ascending=not best)
    spread = groups.transform("max") > groups.transform("min")
    return (place <= named) & spread & (scored >= 2)


def _optional_number(frame: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as floats, all NaN when the layer does not have it."""
    if column not in frame:
        return pd.Series(np.nan, index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def inspection_records(inspections: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    """Inspections up to ``as_of``; a finding is open until rectified."""
    if inspections is None or not len(inspections):
        return pd.DataFrame(columns=["inspection_id", "village_code", "date", "open_finding"])
    out = pd.DataFrame(inspections).copy()
    out["date"] = pd.to_datetime(out["date"])
    out = out[out["date"] <= pd.Timestamp(as_of)]
    rectified = out["rectified"].astype("boolean").fillna(False).astype(bool)
    out["open_finding"] = out["finding"].notna() & out["finding"].astype("str").str.strip().ne("") & ~rectified
    return out.reset_index(drop=True)


def _road_pieces(roads: gpd.GeoDataFrame | None, villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Each road cut by village boundaries: the piece's length and hardened length in metres."""
    if roads is None:
        return pd.DataFrame(columns=["road_id", "village_code", "length_m", "hardened_m"])
    r_idx, v_idx = shapely.STRtree(np.asarray(villages.geometry.values)).query(
        np.asarray(roads.geometry.values), predicate="intersects"
    )
    pieces = shapely.intersection(roads.geometry.values[r_idx], villages.geometry.values[v_idx])
    length = shapely.length(np.asarray(pieces))
    hardened = roads["hardened"].astype("boolean").fillna(False).astype(bool).to_numpy()[r_idx]
    out = pd.DataFrame(
        {
            "road_id": roads["road_id"].to_numpy()[r_idx],
            "village_code": villages["village_code"].to_numpy()[v_idx],
            "length_m": length,
            "hardened_m": np.where(hardened, length, 0.0),
        }
    )
    return out[out["length_m"] > 0].reset_index(drop=True)


def _access(
    roads: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame | None,
    *,
    epsg: int,
    settings: Settings,
    households: gpd.GeoDataFrame | None,
    villages: gpd.GeoDataFrame,
) -> dict[str, pd.DataFrame]:
    """Kilometres by road to the nearest clinic, school and own township government, per household and village."""
    inner = villages.geometry.representative_point()
    places = {"villages": (inner.x.to_numpy(), inner.y.to_numpy(), villages["village_code"].to_numpy())}
    if households is not None:
        places["households"] = (
            households.geometry.x.to_numpy(),
            households.geometry.y.to_numpy(),
            households["village_code"].to_numpy(),
        )
    out = {k: pd.DataFrame(index=range(len(v[0]))) for k, v in places.items()}
    if facilities is None or not len(facilities):
        for frame in out.values():
            frame[["km_clinic", "km_school", "km_township"]] = np.nan
        return out
    graph = build_road_graph(roads, settings) if roads is not None and len(roads) else RoadGraph.empty()
    fac = facilities.to_crs(epsg)
    fx, fy = fac.geometry.x.to_numpy(), fac.geometry.y.to_numpy()
    kind = fac["kind"].to_numpy()
    for name, (x, y, codes) in places.items():
        for column, kinds in (("km_clinic", CLINIC_KINDS), ("km_school", ("school",))):
            sel = np.isin(kind, kinds)
            out[name][column] = distance_to_nearest(graph, x, y, fx[sel], fy[sel]) / 1000.0
        out[name]["km_township"] = _to_own_township(graph, np.c_[x, y], codes, fac, np.c_[fx, fy]) / 1000.0
    return out


def _to_own_township(
    graph: RoadGraph, xy: np.ndarray, codes: np.ndarray, fac: gpd.GeoDataFrame, fxy: np.ndarray
) -> np.ndarray:
    """Metres to the government of each point's own township (the nearest one when it has none)."""
    x, y, fx, fy = xy[:, 0], xy[:, 1], fxy[:, 0], fxy[:, 1]
    gov = (fac["kind"] == "township_gov").to_numpy()
    gov_town = fac["village_code"].astype("str").str[:9].to_numpy()
    towns = np.array([str(c)[:9] for c in codes])
    result = distance_to_nearest(graph, x, y, fx[gov], fy[gov])
    for town in np.unique(towns):
        own = gov & (gov_town == town)
        if own.any():
            sel = towns == town
            result[sel] = distance_to_nearest(graph, x[sel], y[sel], fx[own], fy[own])
    return result
