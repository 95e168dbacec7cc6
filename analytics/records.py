"""Record tables ready for counting, each row with its village code and the flags indicators count.

Households, water samples, C/D cases, projects, teams, inspections, road pieces, and the
plans' tasks and household measures (:mod:`analytics.plans`).

:func:`prepare_records` does all spatial work once — hazard zones → households
(vectorised STRtree), water sites → villages, roads → villages and the road graph →
access distances — so that every indicator at every level is a group-by over these
tables, and every number can be traced back to the rows behind it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analytics.findings import FLAGS, finding_flags
from analytics.plans import measure_records, task_records
from analytics.roads import RoadGraph, build_road_graph, distance_to_nearest
from analytics.water import judge_each_sample, samples_in_window
from geodata._errors import InputError
from geodata.io.crs import county_epsg
from geodata.settings import Settings

PLACED_BY_POSITION = ("roads", "facilities", "hazards")  # used where they lie, whatever county code a row has
# Every input layer but villages and households may be absent (a county imports what it has).
OPTIONAL_LAYERS = (
    "housing",
    "water_tests",
    "roads",
    "facilities",
    "hazards",
    "projects",
    "teams",
    "inspections",
    "tasks",
    "household_measures",
)
CLINIC_KINDS = ("clinic", "health_center")  # a township health centre also gives village-level care
HAZARD_RANK = {"low": 1, "medium": 2, "high": 3}
SAMPLE_FLAGS = {"failing": "failing", "nuclide": "needs_nuclide_analysis", "complete": "complete"}  # → *_in_window
ID_COLUMNS = {
    "villages": "village_code",
    "households": "household_id",
    "cases": "case_id",
    "samples": "sample_id",
    "projects": "project_id",
    "teams": "team_id",
    "inspections": "inspection_id",
    "roads": "road_id",
    "tasks": "task_id",
    "measures": "measure_id",
}


@dataclass
class Records:
    """The record tables (plain DataFrames, each with ``village_code``) and what they were built with."""

    as_of: dt.date
    settings: Settings
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    village_access: pd.DataFrame | None = None  # km_* from each village's inner point (villages with no households)
    absent: frozenset[str] = frozenset()  # optional input layers missing or empty: their figures are unknown
    # several counties: the counties each optional layer has rows in; elsewhere its figures are unknown
    layer_counties: dict[str, frozenset[str]] = field(default_factory=dict)

    # caches of what is derived from the tables; new (empty) in every copy made with dataclasses.replace
    _keys: dict[tuple[str, int], pd.Series] = field(default_factory=dict, init=False, repr=False)
    _rows: dict[tuple[str, int], dict[str, np.ndarray]] = field(default_factory=dict, init=False, repr=False)
    _memo: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the caches (a shared cache stores the tables, not what each process derived)."""
        return {**self.__dict__, "_keys": {}, "_rows": {}, "_memo": {}}

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def within(self, code: str) -> Records:
        """These records cut to the unit ``code`` (any level): e.g. one county of a city store for a plan."""
        keep = {n: f["village_code"].astype("str").str.startswith(code) for n, f in self.tables.items()}
        tables = {n: f[keep[n]].reset_index(drop=True) for n, f in self.tables.items()}
        access = self.village_access
        if access is not None and "villages" in keep:
            access = access[keep["villages"].to_numpy()].reset_index(drop=True)
        return dataclasses.replace(self, tables=tables, village_access=access)

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key for these tables: what every level's aggregation would work out again."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def unit_key(self, table: str, digits: int) -> pd.Series:
        """The first ``digits`` of each row's village code (the unit at that level), computed once."""
        if (table, digits) not in self._keys:
            self._keys[table, digits] = self.tables[table]["village_code"].astype("str").str[:digits]
        return self._keys[table, digits]

    def rows_in(self, table: str, code: str) -> pd.DataFrame:
        """The rows of ``table`` in the unit ``code`` (any level), found by an index built once per level.

        A panel asks for one unit's rows on every click; comparing every row's code would
        scan a province's ten million households each time.
        """
        digits = len(code)
        if (table, digits) not in self._rows:
            key = self.unit_key(table, digits)
            self._rows[table, digits] = key.groupby(key).indices
        return self.tables[table].iloc[self._rows[table, digits].get(code, np.array([], dtype=np.intp))]

    def known_counties(self, table: str, columns: tuple[str, ...]) -> frozenset[str]:
        """Counties (6-digit codes) where a row of ``table`` has a value in any of the optional input ``columns``.

        Elsewhere the layer did not bring them at all, so a count fed by them is unknown there,
        not 0; within a county that has them, an empty cell is unknown for that row only.
        """

        def known() -> frozenset[str]:
            frame = self.tables[table]
            has = np.zeros(len(frame), dtype=bool)
            for column in columns:
                if column in frame:
                    has |= frame[column].notna().to_numpy()
            return frozenset(self.unit_key(table, 6)[has].unique())

        return self.memo(("known_counties", table, columns), known)


@dataclass(frozen=True)
class Placed:
    """What :func:`prepare_records` works out in space, the same at every date (computed once for a history).

    Per household (aligned to the households layer's rows): hazard flags, the village the
    point lies in and the road distances; per village the distances from its inner point;
    the road pieces per village; and the water samples judged, each with its village.
    """

    households: pd.DataFrame | None
    village_access: pd.DataFrame
    roads: pd.DataFrame
    samples: pd.DataFrame | None


def place_records(layers: dict[str, pd.DataFrame], settings: Settings) -> Placed:
    """The spatial joins, road access and lab judgements of ``layers`` (EPSG:4490), none of which depend on a date."""
    villages = layers["villages"]
    epsg = county_epsg(villages)
    metric_villages = villages.to_crs(epsg)
    households = layers.get("households")
    hh_metric = households.to_crs(epsg) if households is not None and len(households) else None
    roads = layers.get("roads")
    metric_roads = roads.to_crs(epsg) if roads is not None and len(roads) else None
    access = _access(
        metric_roads,
        layers.get("facilities"),
        epsg=epsg,
        settings=settings,
        households=hh_metric,
        villages=metric_villages,
    )
    places = None
    if hh_metric is not None:
        places = _hazard_flags(hh_metric, layers.get("hazards"), epsg)
        places = places.join(_located_village(hh_metric, metric_villages, settings.imports.border_tolerance_m))
        places = places.join(access["households"])
    return Placed(
        households=places,
        village_access=access["villages"],
        roads=_road_pieces(metric_roads, metric_villages),
        samples=judged_samples(layers, settings, metric_villages=metric_villages),
    )


def prepare_records(
    layers: dict[str, pd.DataFrame], *, as_of: dt.date, settings: Settings, placed: Placed | None = None
) -> Records:
    """Record tables from store layers (EPSG:4490) as of ``as_of``; missing optional layers give empty tables.

    ``placed`` is :func:`place_records` of the same layers and settings, when the caller
    prepares several dates (``battlemap history`` places and judges once for all months).
    """
    placed = place_records(layers, settings) if placed is None else placed
    absent = frozenset(name for name in OPTIONAL_LAYERS if layers.get(name) is None or not len(layers[name]))
    rec = Records(as_of=as_of, settings=settings, absent=absent)
    rec.tables["villages"] = _villages(layers["villages"])
    households = layers.get("households")
    hh = _households(households, settings, as_of) if households is not None else _empty_households()
    if placed.households is not None:
        hh = hh.join(placed.households)
    rec.tables["households"] = hh
    rec.tables["villages"] = with_incidence_base(rec.tables["villages"], hh)
    counties = rec.tables["villages"]["village_code"].astype("str").str[:6].unique()
    county = str(counties[0]) if len(counties) == 1 else None
    rec.tables["cases"] = _cases(layers.get("housing"), hh, settings, as_of, county=county)
    rec.tables["samples"] = _samples(placed.samples, as_of)
    rec.tables["projects"] = _projects(layers.get("projects"), settings, as_of)
    rec.tables["teams"] = _teams(layers.get("teams"), settings, as_of)
    rec.tables["inspections"] = inspection_records(layers.get("inspections"), as_of, settings)
    rec.tables["tasks"] = task_records(layers.get("tasks"), settings, as_of)
    orphan = None if county is None else county + ORPHAN_VILLAGE
    rec.tables["measures"] = measure_records(layers.get("household_measures"), hh, as_of, orphan_village=orphan)
    rec.tables["roads"] = placed.roads
    rec.village_access = placed.village_access
    if county is None:
        rec.layer_counties = _layer_counties(layers, rec.tables["samples"])
    return rec


def _layer_counties(layers: dict[str, pd.DataFrame], samples: pd.DataFrame) -> dict[str, frozenset[str]]:
    """The counties each optional layer keyed by village or household has rows in (a store of several counties).

    A county that imported none of a layer's rows has no data for it, exactly as when it is
    built alone (the dask engine's partitions), not zero. Layers placed by position (roads,
    facilities, hazards) are left out; water samples count where they were placed too.
    """
    households = layers.get("households")
    county_of = pd.Series(dtype=str)
    if households is not None and len(households):
        ids = households.drop_duplicates("household_id")
        county_of = pd.Series(ids["village_code"].astype("str").str[:6].to_numpy(), index=ids["household_id"])
    out: dict[str, frozenset[str]] = {}
    for name in OPTIONAL_LAYERS:
        frame = layers.get(name)
        if name in PLACED_BY_POSITION or frame is None or not len(frame):
            continue
        if "village_code" in frame:
            codes = frame["village_code"].dropna().astype("str").str[:6]
        elif "household_id" in frame:
            codes = frame["household_id"].map(county_of).dropna()
        else:
            continue
        if name == "water_tests":
            codes = pd.concat([codes, samples["village_code"].dropna().astype("str").str[:6]])
        out[name] = frozenset(codes.unique())
    return out


def _villages(villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """Villages with their registered population and collective income as numbers, NaN where not given."""
    out = pd.DataFrame(villages.drop(columns=villages.geometry.name)).copy()
    out["population"] = _optional_number(out, "population")
    out["collective_income"] = _optional_number(out, "collective_income")
    return out.reset_index(drop=True)


def with_incidence_base(villages: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """Villages with the persons their poverty incidence is taken over (贫困发生率的分母).

    The registered population (户籍人口) where the village has one and households with a
    known income, else the persons of those households; a village without such households
    has no incidence. ``base_population`` / ``base_persons`` say which one each village used.
    """
    out = villages.copy()
    if len(households):
        persons = households.groupby("village_code")["income_known_persons"].sum()
        recorded = out["village_code"].map(persons).fillna(0.0).astype(float)
    else:
        recorded = pd.Series(0.0, index=out.index)
    population = out["population"].gt(0) & recorded.gt(0)
    out["incidence_base"] = out["population"].where(population, recorded).astype(float)
    out["base_population"] = population
    out["base_persons"] = ~population & recorded.gt(0)
    return out


def _empty_households() -> pd.DataFrame:
    return pd.DataFrame(columns=["household_id", "village_code", "members", "income_known_persons"])


# The flags of 两不愁三保障 and drinking water read from one yes/no column each (housing: from housing_grade).
GUARANTEE_COLUMNS = {
    "food_gap": "food_ok",
    "clothing_gap": "clothing_ok",
    "education_gap": "education_ok",
    "uninsured": "medical_insured",
    "water_unsafe": "water_safe",
}


def _households(h: gpd.GeoDataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Households with the boolean flags and per-household values the indicators sum.

    Every optional column may be absent or empty: an unknown value never makes a
    household fail a check (the counts say how many are *known* to fail).
    """
    out = as_recorded_on(pd.DataFrame(h.drop(columns=h.geometry.name)).reset_index(drop=True), as_of)
    members = out["members"].fillna(0).astype(float)
    income = _optional_number(out, "per_capita_income")
    lines = settings.poverty
    out["monitored"] = out["status"].eq("monitored") & ~out.pop("identified_later")
    out["monitored_persons"] = members.where(out["monitored"], 0.0)
    out["poor"] = income < lines.poverty_line  # unknown income: not poor
    out["poor_persons"] = members.where(out["poor"], 0.0)
    out["national_poor"] = income < lines.national_poverty_line
    out["national_poor_persons"] = members.where(out["national_poor"], 0.0)
    out["income_x_members"] = (income * members).fillna(0.0)
    out["income_known_persons"] = members.where(income.notna(), 0.0)
    for flag, column in GUARANTEE_COLUMNS.items():
        out[flag] = says_no(out, column)
    grade = out["housing_grade"] if "housing_grade" in out else pd.Series(None, index=out.index, dtype=object)
    out["cd"] = grade.isin(["C", "D"])
    out["no_house"] = grade.eq("none")
    out["housing_insecure"] = grade.isin(settings.housing.insecure_grades)
    out = out.join(_monitoring_flags(out, income, members, settings)).join(_timeliness(out, settings, as_of))
    out["unmonitored_at_risk"] = ~out["monitored"] & (out["at_risk"] | out["clue_overdue"])
    return out


HOUSEHOLD_DATES = ("risk_found_on", "identified_on", "entered_on", "eliminated_on")


def as_recorded_on(households: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Households as their dated records stood at the end of ``as_of`` (for month-end snapshots).

    A date after ``as_of`` had not happened yet: it is blanked; a monitored household
    identified later was not monitored then (``identified_later``), and a risk eliminated
    later (``eliminated_on``) was not eliminated then. Undated statuses count as recorded.
    """
    out = households.copy()
    end = pd.Timestamp(as_of)
    later = {c: _optional_date(out, c) > end for c in HOUSEHOLD_DATES}
    for column, after in later.items():
        if column in out and after.any():
            out[column] = out[column].where(~after)
    out["identified_later"] = later["identified_on"].to_numpy()
    if "risk_eliminated" in out and later["eliminated_on"].any():
        out["risk_eliminated"] = out["risk_eliminated"].astype("boolean").mask(later["eliminated_on"], False)
    return out


def says_no(frame: pd.DataFrame, column: str) -> pd.Series:
    """True where the yes/no ``column`` says no; an empty cell or an absent column is unknown, never a failure."""
    if column not in frame:
        return pd.Series(False, index=frame.index)
    return frame[column].astype("boolean").eq(False).fillna(False).astype(bool)


def _says_yes(frame: pd.DataFrame, column: str) -> pd.Series:
    """True where the yes/no ``column`` says yes; empty or absent is not yes."""
    if column not in frame:
        return pd.Series(False, index=frame.index)
    return frame[column].astype("boolean").eq(True).fillna(False).astype(bool)


def _monitoring_flags(out: pd.DataFrame, income: pd.Series, members: pd.Series, settings: Settings) -> pd.DataFrame:
    """Who is at risk (income net of rigid spending below the monitoring line, or a failed guarantee), and what follows.

    - ``at_risk``: what makes a household not monitored a suspected missed one (疑似应纳未纳, with overdue clues);
    - ``elimination_doubtful`` (消除存疑): monitored, marked eliminated, yet at risk — not counted as eliminated;
    - ``monitored_eliminated``: eliminated with its conditions met; ``monitored_open``: every other monitored one.
    """
    cfg = settings.monitoring
    unknown = sorted(set(cfg.guarantee_flags) - {*GUARANTEE_COLUMNS, "housing_insecure"})
    if unknown:
        msg = f"[monitoring] guarantee_flags: unknown {unknown}; known: {[*GUARANTEE_COLUMNS, 'housing_insecure']}"
        raise InputError(msg)
    spending = _optional_number(out, "rigid_spending").fillna(0.0) if cfg.deduct_rigid_spending else 0.0
    net = income - spending / members.clip(lower=1)
    at_risk = (net < settings.poverty.monitoring_line) | out[list(cfg.guarantee_flags)].any(axis=1)
    monitored = out["monitored"]
    claimed = monitored & _says_yes(out, "risk_eliminated")
    helper = out["helper"] if "helper" in out else pd.Series(None, index=out.index, dtype=object)
    return pd.DataFrame(
        {
            "at_risk": at_risk,
            "elimination_doubtful": claimed & at_risk,
            "monitored_eliminated": claimed & ~at_risk,
            "monitored_open": monitored & ~(claimed & ~at_risk),
            "without_helper": monitored & ~(helper.notna() & helper.astype("str").str.strip().ne("")).astype(bool),
        },
        index=out.index,
    )


def _timeliness(out: pd.DataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """The 15-day identification and 10-day entry checks; a clue still unidentified past its days is late.

    A household whose risk was found (``risk_found_on``) more than ``identify_days`` ago
    and that is still not identified counts as checked and late whatever its status
    (应纳未纳 risk), and as a suspected missed household when it is not monitored.
    """
    found, identified, entered = (_optional_date(out, c) for c in ("risk_found_on", "identified_on", "entered_on"))
    limits = settings.timeliness
    monitored = out["monitored"]
    checked, ok = _in_time(found, identified, limits.identify_days, as_of)
    overdue = checked & identified.isna()
    entry_checked, entry_ok = _in_time(identified, entered, limits.entry_days, as_of)  # identified must be entered
    return pd.DataFrame(
        {
            "clue_overdue": overdue,
            "sla_identify_checked": (monitored & checked) | overdue,
            "sla_identify_ok": monitored & ok,
            "sla_entry_checked": monitored & entry_checked,
            "sla_entry_ok": monitored & entry_ok,
        },
        index=out.index,
    )


def _optional_date(frame: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as timestamps, all NaT when the layer does not have it."""
    if column not in frame:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[column])


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


ORPHAN_VILLAGE = "000000"  # after a county code: a case whose household is not in the register counts for the county


def _cases(
    housing: pd.DataFrame | None,
    households: pd.DataFrame,
    settings: Settings,
    as_of: dt.date,
    *,
    county: str | None = None,
) -> pd.DataFrame:
    """C/D cases with their household's village; open, overdue, accepted, unpaid and orphan flags.

    A case whose household is not in the households layer is kept and flagged
    (``without_household``); it counts for ``county`` (the store's only county) under
    the code ``county + ORPHAN_VILLAGE``, which no village or township has (with several
    counties it cannot be placed and counts for none). A case is closed when its stage
    closes it and, where the ledger says so, its subsidy is paid (兑付); a case without a
    deadline must be built by ``housing.complete_by``.
    """
    if housing is None or not len(housing):
        return pd.DataFrame(
            columns=["case_id", "village_code", "open", "overdue", "accepted", "unpaid", "without_household"]
        )
    cfg = settings.housing
    village = households.set_index("household_id")["village_code"] if len(households) else pd.Series(dtype=object)
    out = cases_on(pd.DataFrame(housing), as_of)
    out["village_code"] = out["household_id"].map(village)
    out["without_household"] = out["village_code"].isna()
    if county is not None:
        out.loc[out["without_household"], "village_code"] = county + ORPHAN_VILLAGE
    staged = out["stage"].isin(cfg.closed_stages)
    out["unpaid"] = staged & says_no(out, "subsidy_paid")  # accepted, subsidy not paid (兑付)
    closed = staged & ~out["unpaid"]
    built = out["stage"].isin(cfg.built_stages)
    deadline = _deadline(out, cfg.complete_by, as_of)
    month, day = (int(p) for p in cfg.accept_by.split("-"))
    accept_by = pd.to_datetime(pd.DataFrame({"year": deadline.dt.year, "month": month, "day": day}))
    accept_by = accept_by.where(deadline <= accept_by, deadline)  # a December deadline is later
    out["due"] = deadline
    out["open"] = ~closed
    out["accepted"] = closed
    late_building = ~built & (deadline < pd.Timestamp(as_of))
    late_acceptance = built & ~closed & (accept_by < pd.Timestamp(as_of))  # built, not accepted and paid in time
    out["overdue"] = late_building | late_acceptance
    return out.reset_index(drop=True)


CASE_STAGES = ("pending", "started", "completed", "accepted")  # each with the date it was reached: <stage>_on


def cases_on(housing: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The C/D ledger as it stood at the end of ``as_of``: cases appraised later left out, stages dated back.

    A case's stage goes back one step while the date it reached that stage
    (``started_on``, ``completed_on``, ``accepted_on``) is after ``as_of``; a stage
    without a date counts as reached (ledgers that keep no dates read as today).
    """
    end = pd.Timestamp(as_of)
    out = housing[~(_optional_date(housing, "appraised_on") > end).to_numpy()].copy()
    rank = out["stage"].map({s: i for i, s in enumerate(CASE_STAGES)})
    for index in range(len(CASE_STAGES) - 1, 0, -1):
        later = (_optional_date(out, f"{CASE_STAGES[index]}_on") > end).to_numpy()
        rank = rank.mask((rank == index).to_numpy() & later, index - 1)
    staged = rank.map(dict(enumerate(CASE_STAGES))).where(rank.notna(), out["stage"])
    if "subsidy_paid" in out:  # a subsidy is paid on acceptance at the earliest
        demoted = (out["stage"].eq("accepted") & staged.ne("accepted")).to_numpy()
        out["subsidy_paid"] = out["subsidy_paid"].astype("boolean").mask(demoted, False)
    out["stage"] = staged
    return out.reset_index(drop=True)


def _deadline(cases: pd.DataFrame, complete_by: str, as_of: dt.date) -> pd.Series:
    """Each case's construction deadline: its own, else ``complete_by`` of the year it was appraised in.

    A case appraised after that day of its year is due on it the next year; one without
    an appraisal date is due in the year of ``as_of``.
    """
    own = _optional_date(cases, "deadline")
    appraised = _optional_date(cases, "appraised_on")
    month, day = (int(p) for p in complete_by.split("-"))
    year = appraised.dt.year.fillna(as_of.year).astype(int)
    default = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))
    default = default.where(~(appraised > default), default + pd.DateOffset(years=1))
    return own.fillna(default)


SAMPLE_COLUMNS = [
    "sample_id",
    "village_code",
    "in_window",
    "failed_indicators",
    *(f"{f}_in_window" for f in SAMPLE_FLAGS),
]


def judged_samples(
    layers: dict[str, pd.DataFrame], settings: Settings, *, metric_villages: gpd.GeoDataFrame | None = None
) -> pd.DataFrame | None:
    """Water samples judged against GB 5749-2022 (any date), each with the village of its site; None without tests."""
    tests = layers.get("water_tests")
    if tests is None or not len(tests):
        return None
    if metric_villages is None:
        metric_villages = layers["villages"].to_crs(county_epsg(layers["villages"]))
    tests = tests.copy()
    missing = tests["village_code"].isna() if "village_code" in tests else pd.Series(True, index=tests.index)
    if missing.any():
        pts = tests.loc[missing].to_crs(metric_villages.crs)
        p_idx, v_idx = shapely.STRtree(np.asarray(metric_villages.geometry.values)).query(
            np.asarray(pts.geometry.values), predicate="intersects"
        )
        first = pd.Series(v_idx, index=p_idx).groupby(level=0).first()
        codes = pd.Series(None, index=range(len(pts)), dtype=object)
        codes[first.index] = metric_villages["village_code"].to_numpy()[first.to_numpy()]
        tests.loc[missing, "village_code"] = codes.to_numpy()
    return judge_each_sample(tests, settings)


def _samples(judged: pd.DataFrame | None, as_of: dt.date) -> pd.DataFrame:
    """The judged samples as of ``as_of``: ``in_window`` and the counted flags.

    Counted flags: ``failing_in_window``, ``nuclide_in_window`` (needs nuclide analysis)
    and ``complete_in_window`` (every indicator of the monitoring plan tested).
    """
    if judged is None:
        return pd.DataFrame(columns=SAMPLE_COLUMNS)
    samples = samples_in_window(judged, as_of)
    for flag, column in SAMPLE_FLAGS.items():
        samples[f"{flag}_in_window"] = samples[column] & samples["in_window"]
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


def inspection_records(inspections: pd.DataFrame | None, as_of: dt.date, settings: Settings) -> pd.DataFrame:
    """Inspections up to ``as_of`` with each finding's status then and its flags (see ``finding_flags``).

    A finding is open until rectified, overdue when open past its deadline, unverified
    when rectified but not yet verified by a follow-up visit.
    """
    if inspections is None or not len(inspections):
        return pd.DataFrame(columns=["inspection_id", "village_code", "date", *FLAGS])
    out = pd.DataFrame(inspections).copy()
    out["date"] = pd.to_datetime(out["date"])
    out = out[out["date"] <= pd.Timestamp(as_of)]
    flags = finding_flags(out, as_of=as_of, settings=settings)
    out["status"] = flags["status"]
    for column in FLAGS:
        out[column] = flags[column]
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
