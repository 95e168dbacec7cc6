"""What the monthly bulletin (月通报) reports, from two month-ends' indicator tables and the month's inspections.

Pure: tables in, tables out. A county's bulletin ranks and tables its townships; a city's
(a store of several counties) its counties, from the city and county rows; a province's
(several cities) its cities, from the province and city rows. The ranking
(红黑榜) reuses the composite risk index of the indicator tables (its weights are the
``[risk]`` settings): rank 1 is the lowest risk. Nothing here is recomputed from
households: every figure is a cell of the tables of that month-end (or of the month
before, for the changes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from analytics.findings import finding_ledger
from geodata._errors import InputError
from geodata.finding_steps import DONE
from geodata.settings import Settings

# County figures the summary compares with last month: column, and whether a higher value is worse.
SUMMARY = {
    "monitored_open_households": True,
    "cd_cases_open": True,
    "cd_cases_overdue": True,
    "water_unsafe_households": True,
    "water_fail_rate": True,
    "poverty_incidence": True,
    "team_checkin_rate": False,
    "spend_rate": False,
    "inspection_findings_open": True,
    "risk_index": True,
}
# The overdue and lagging items per township, or per county of a city (逾期及滞后事项).
OVERDUE = (
    "cd_cases_overdue",
    "water_unsafe_households",
    "monitored_open_households",
    "spend_rate",
    "spend_target",
    "team_days",
    "team_days_due",
    "inspection_findings_open",
    "plan_tasks_overdue",
)
# The rectification ledger (整改销号进度) per township: findings at each step, then those overdue.
LEDGER = (
    "inspection_findings_step_open",
    "inspection_findings_rectifying",
    "inspection_findings_unverified",
    "inspection_findings_verified",
    "inspection_findings_closed",
    "inspection_findings_overdue",
)
# The units a bulletin ranks and tables, by the level of the unit it covers (lowest first).
PARTS = {"county": "town", "city": "county", "province": "city"}
# The appendix: one row per township.
APPENDIX = (
    "villages",
    "households",
    "monitored_households",
    "monitored_open_households",
    "poverty_incidence",
    "cd_cases_open",
    "cd_cases_overdue",
    "water_fail_rate",
    "water_unsafe_households",
    "spend_rate",
    "team_checkin_rate",
    "risk_index",
)


@dataclass(frozen=True)
class Bulletin:
    """The bulletin's content: the unit now and a month earlier, the ranking, the overdue items, the findings.

    ``county`` is the row of the unit reported (a township, county, city or province);
    the ranking, overdue, ledger and appendix tables hold its ``part`` units (townships,
    the counties of a city, the cities of a province), keyed by ``{part}_code``.
    """

    as_of: dt.date
    before: dt.date
    county: pd.Series
    county_before: pd.Series
    ranking: pd.DataFrame  # {part}_code, name, risk_index, rank, risk_before, rank_before, rank_change
    overdue: pd.DataFrame  # name + OVERDUE, parts with anything overdue or behind
    findings: pd.DataFrame | None  # date, town, village, finding, deadline, status; None without an inspections layer
    appendix: pd.DataFrame  # name + APPENDIX, every part
    tasks: pd.DataFrame | None = None  # the overdue 一村一策 tasks (see overdue_tasks); None without a tasks layer
    ledger: pd.DataFrame | None = None  # name + LEDGER per part with findings; None without an inspections layer
    part: str = "town"  # the level of the units ranked and tabled: town, county for a city, city for a province


def ranking(now: pd.DataFrame, before: pd.DataFrame, names: pd.Series, key: str = "town_code") -> pd.DataFrame:
    """Units (townships, or counties) by composite risk index, lowest first, with last month's index and rank.

    ``rank_change`` > 0 means the unit moved up (a better place than last month); ``key`` names the code column.
    """
    out = pd.DataFrame({"name": names.reindex(now.index), "risk_index": now["risk_index"]})
    out["rank"] = out["risk_index"].rank(method="min").astype("Int64")
    out["risk_before"] = before["risk_index"].reindex(out.index)
    out["rank_before"] = out["risk_before"].rank(method="min").astype("Int64")
    out["rank_change"] = out["rank_before"] - out["rank"]
    return out.rename_axis(key).reset_index().sort_values(["rank", key], ignore_index=True)


def overdue(now: pd.DataFrame, names: pd.Series, key: str = "town_code") -> pd.DataFrame:
    """Townships (or counties) with overdue C/D cases, unsafe water, open risks, or spending or team days behind.

    Also those with 一村一策 tasks overdue (``plan_tasks_overdue``, empty without a tasks layer).
    """
    table = now.reindex(columns=list(OVERDUE)).copy()
    behind = (table["spend_rate"] < table["spend_target"]) | (table["team_days"] < table["team_days_due"])
    late = ["cd_cases_overdue", "water_unsafe_households", "monitored_open_households", "plan_tasks_overdue"]
    counts = table[late].fillna(0).sum(axis=1)
    table.insert(0, "name", names.reindex(table.index))
    kept = table[(counts > 0) | behind.fillna(False) | (table["inspection_findings_open"].fillna(0) > 0)]
    return kept.rename_axis(key).reset_index()


def ledger(now: pd.DataFrame, names: pd.Series, key: str = "town_code") -> pd.DataFrame:
    """Findings per township (or county) at each step of rectification and overdue (cells of its table).

    Units with no finding at any step are left out; a month-end table from before the
    steps existed (no such columns) gives an empty ledger.
    """
    table = now.reindex(columns=list(LEDGER))
    table.insert(0, "name", names.reindex(table.index))
    kept = table[table[list(LEDGER[:-1])].fillna(0).sum(axis=1) > 0]
    return kept.rename_axis(key).reset_index()


def month_findings(
    inspections: pd.DataFrame | None,
    *,
    as_of: dt.date,
    settings: Settings,
    town_names: pd.Series,
    village_names: pd.Series,
) -> pd.DataFrame | None:
    """The problems found by inspections in ``as_of``'s month: township, village, deadline and status.

    Deadlines and statuses come from the rectification ledger (:func:`analytics.findings.finding_ledger`):
    rectified (with its date; verified and closed findings too), overdue, or being rectified.
    The township is the responsible one. Inspectors' names and households are left out
    (personal data). None without inspection records.
    """
    columns = ["date", "town_code", "town", "village", "finding", "deadline", "status", "rectified_on"]
    rows = finding_ledger(inspections, as_of=as_of, settings=settings)
    if rows is None:
        return None
    rows = rows[pd.to_datetime(rows["date"]) >= pd.Timestamp(as_of.replace(day=1))].copy()
    done = rows["status"].isin(DONE).to_numpy()
    rows["rectified_on"] = rows["rectified_on"].where(done)
    late = rows["overdue"].to_numpy()
    rows["status"] = ["rectified" if d else "overdue" if lt else "rectifying" for d, lt in zip(done, late, strict=True)]
    rows["town"] = town_names.reindex(rows["town_code"]).to_numpy()
    rows["village"] = village_names.reindex(rows["village_code"].astype(str)).to_numpy()
    return rows.sort_values(["date", "town_code"]).reset_index(drop=True)[columns]


def overdue_tasks(
    tasks: pd.DataFrame | None, *, town_names: pd.Series, village_names: pd.Series
) -> pd.DataFrame | None:
    """The overdue 一村一策 tasks by township, then deadline: township, village, task, unit, deadline, progress.

    ``tasks`` are :func:`analytics.plans.task_records` of the month-end, so a township's
    rows are exactly its ``plan_tasks_overdue``. The responsible person is left out
    (personal data); the responsible unit is named. None without a tasks layer.
    """
    columns = ["town_code", "town", "village", "title", "unit", "deadline", "progress"]
    if tasks is None:
        return None
    rows = tasks[tasks["overdue"].astype(bool)].copy()
    codes = rows["village_code"].astype(str)
    rows["town_code"] = codes.str[:9]
    rows["town"] = town_names.reindex(rows["town_code"]).to_numpy()
    rows["village"] = village_names.reindex(codes).to_numpy()
    rows["deadline"] = pd.to_datetime(rows["deadline"]).dt.date
    return rows.sort_values(["town_code", "deadline", "village"]).reset_index(drop=True)[columns]


def reported_unit(now: dict[str, pd.DataFrame]) -> tuple[str, str]:
    """The level and code of the unit a bulletin of these tables covers: the lowest level holding a single unit.

    A county's tables give the county, a city's (several counties) the city, a
    province's (several cities) the province; a store spanning several provinces is
    refused with what to give instead (:func:`several_provinces`).
    """
    for level in PARTS:
        table = now.get(level)
        if table is not None and len(table) == 1:
            return level, str(table.index[0])
    raise several_provinces(list(now.get("province", pd.DataFrame()).index.astype(str)))


def several_provinces(codes: list[str]) -> InputError:
    """The refusal of a bulletin for a store spanning the provinces ``codes``: it covers one province at most."""
    return InputError(
        f"the monthly bulletin covers one province at most; this store spans {len(codes)} provinces "
        f"({', '.join(codes)}): give --scope with one province's code (2 digits), or a city (4), county (6) "
        "or township (9) code"
    )


def bulletin(
    now: dict[str, pd.DataFrame],
    before: dict[str, pd.DataFrame],
    *,
    as_of: dt.date,
    before_as_of: dt.date,
    findings: pd.DataFrame | None,
    town_names: pd.Series,
    town: str | None = None,
    tasks: pd.DataFrame | None = None,
    part_names: pd.Series | None = None,
) -> Bulletin:
    """The bulletin of the tables' top (a county, a city or a province: :func:`reported_unit`), or of ``town``.

    ``now`` and ``before`` are ``{level: table}`` of this month-end and the one before,
    cut to the part reported (:func:`analytics.levels.within`) for a scoped account. A
    city's bulletin ranks and tables its counties, a province's its cities (named by
    ``part_names``, else by code).
    """
    part = "town"
    if town:
        if findings is not None:
            findings = findings[findings["town_code"] == town].reset_index(drop=True)
        if tasks is not None:
            tasks = tasks[tasks["town_code"] == town].reset_index(drop=True)
        shown = now["town"].loc[[town]]
        county, county_before = now["town"].loc[town], before["town"].reindex([town]).iloc[0]
    else:
        level, code = reported_unit(now)
        part, shown = PARTS[level], now[PARTS[level]]
        # a month before the store reached this level (e.g. held one county) has no row: its changes are unknown
        earlier = before.get(level, now[level].iloc[:0]).reindex([code])
        county, county_before = now[level].loc[code], earlier.iloc[0]
    names = town_names if part == "town" else _names(part_names, shown.index)
    key = f"{part}_code"
    appendix = shown.reindex(columns=list(APPENDIX))
    appendix.insert(0, "name", names.reindex(appendix.index))
    return Bulletin(
        as_of=as_of,
        before=before_as_of,
        county=county,
        county_before=county_before,
        ranking=ranking(now[part], before.get(part, now[part].iloc[:0]), names, key),  # a township among all
        overdue=overdue(shown, names, key),
        findings=findings,
        ledger=None if findings is None else ledger(shown, names, key),
        appendix=appendix.rename_axis(key).reset_index(),
        tasks=tasks,
        part=part,
    )


def _names(given: pd.Series | None, codes: pd.Index) -> pd.Series:
    """A name for each of ``codes``: the one given, else the code itself."""
    known = given.reindex(codes) if given is not None else pd.Series(index=codes, dtype=object)
    return known.fillna(pd.Series(codes.astype(str), index=codes))
