"""The wall screen's key figures: each with its target, progress and change since last month.

Pure functions of the county's indicator rows (now and ``compare_days`` earlier) and
the record tables; the targets come from settings (``[wall]``, ``[teams]``, ``[funds]``,
``[inspection]``).
A tile is green when its target is met, amber when progress reaches ``warn_share`` of
it, red below that; the page adds a symbol as well as a colour.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from analytics.indicators import spend_target
from analytics.records import Records
from geodata.settings import Settings


@dataclass(frozen=True)
class Kpi:
    """One tile: ``value`` against ``target`` (``progress`` 0–1), ``delta`` since the earlier date."""

    key: str
    value: float | None
    target: float | None
    progress: float | None
    delta: float | None
    status: str  # ok, warn, bad; none when there is nothing to judge; nodata when its source layer is absent
    kind: str  # count or share: how value, target and delta are written
    extra: dict[str, float | str | None] = field(default_factory=dict)


# The optional layer each tile is computed from: without it the tile says "no data", never 0 or a red mark.
KPI_SOURCE = {
    "kpi_cd_closed": "housing",
    "kpi_water_pass": "water_tests",
    "kpi_spend": "projects",
    "kpi_checkin": "teams",
    "kpi_inspections": "inspections",
}


def _num(row: pd.Series | None, column: str) -> float | None:
    if row is None or column not in row.index:
        return None
    value = row[column]
    return None if pd.isna(value) else float(value)


def _status(progress: float | None, settings: Settings) -> str:
    if progress is None or math.isnan(progress):
        return "none"
    if progress >= 1 - 1e-9:
        return "ok"
    return "warn" if progress >= settings.wall.warn_share else "bad"


def _share_of(value: float | None, target: float | None) -> float | None:
    if value is None or target is None:
        return None
    if target <= 0:
        return 1.0
    return max(0.0, min(1.0, value / target))


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def _kpi(
    key: str,
    value: float | None,
    target: float | None,
    *,
    before: float | None,
    kind: str,
    settings: Settings,
    progress: float | None = None,
    **extra: float | str | None,
) -> Kpi:
    progress = _share_of(value, target) if progress is None else progress
    return Kpi(key, value, target, progress, _delta(value, before), _status(progress, settings), kind, extra)


def wall_kpis(
    now: pd.Series, before: pd.Series | None, records: Records, *, as_of: dt.date, settings: Settings
) -> list[Kpi]:
    """The tiles of the wall screen, in reading order."""
    monitored = _num(now, "monitored_households")
    eliminated = _eliminated(now)
    pass_rate, pass_before = _pass_rate(now), _pass_rate(before)
    households = _num(now, "households") or 0.0
    unsafe = _num(now, "water_unsafe_households")
    supply_progress = None if unsafe is None or not households else 1 - unsafe / households
    inspected_now, inspected_before, month_target = _teams_inspected_this_month(records, as_of, settings)
    elapsed = as_of.day / calendar.monthrange(as_of.year, as_of.month)[1]
    identify, entry = _num(now, "sla_identify_ok_share"), _num(now, "sla_entry_ok_share")
    timely, timely_before = _timely(now), _timely(before)
    closed, plan, close_by = _cd_plan(records, as_of, settings)
    share, count = {"kind": "share", "settings": settings}, {"kind": "count", "settings": settings}
    tiles = [
        _kpi(
            "kpi_monitoring",
            eliminated,
            monitored,
            before=_eliminated(before),
            **count,
            monitored=monitored,
            open=_num(now, "monitored_open_households"),
            doubtful=_num(now, "elimination_doubtful_households"),
        ),
        _kpi(
            "kpi_cd_closed",
            closed,
            plan,
            before=_cd_before(closed, now, before),
            **count,
            close_by=close_by.isoformat(),
            overdue=_num(now, "cd_cases_overdue"),
        ),
        _kpi(
            "kpi_water_pass",
            pass_rate,
            settings.wall.water_pass_target,
            before=pass_before,
            **share,
            samples=_num(now, "water_samples"),
        ),
        _kpi(
            "kpi_water_unsafe",
            unsafe,
            0.0,
            before=_num(before, "water_unsafe_households"),
            **count,
            progress=supply_progress,
            households=households,
        ),
        _kpi(
            "kpi_spend",
            _num(now, "spend_rate"),
            spend_target(as_of, settings),
            before=_num(before, "spend_rate"),
            **share,
        ),
        _kpi(
            "kpi_checkin",
            _num(now, "team_checkin_rate"),
            settings.teams.checkin_target,
            before=_num(before, "team_checkin_rate"),
            **share,
            teams=_num(now, "teams"),
        ),
        _kpi(
            "kpi_inspections",
            float(len(inspected_now)),
            round(month_target * elapsed),
            before=float(len(inspected_before)),
            **count,
            open_findings=_num(now, "inspection_findings_open"),
            overdue_findings=_num(now, "inspection_findings_overdue"),
            month_target=month_target,
            visits=float(len(_month_visits(records, as_of))),
        ),
        _kpi("kpi_timeliness", timely, 1.0, before=timely_before, **share, identify=identify, entry=entry),
    ]
    return [_no_data(k) if KPI_SOURCE.get(k.key) in records.absent else k for k in tiles]


def _cd_before(closed: float, now: pd.Series, before: pd.Series | None) -> float | None:
    """Last month's closed cases, so that the tile's change is the cases accepted since (from the county rows)."""
    accepted_now, accepted_before = _num(now, "cd_cases_accepted"), _num(before, "cd_cases_accepted")
    if accepted_now is None or accepted_before is None:
        return None
    return closed - (accepted_now - accepted_before)


def _timely(row: pd.Series | None) -> float | None:
    values = (_num(row, "sla_identify_ok_share"), _num(row, "sla_entry_ok_share"))
    return min((v for v in values if v is not None), default=None)


def _no_data(kpi: Kpi) -> Kpi:
    """The tile without its figures: the county has not imported the layer behind it."""
    return Kpi(kpi.key, None, None, None, None, "nodata", kpi.kind)


def _eliminated(row: pd.Series | None) -> float | None:
    """Risks eliminated with their conditions met (消除存疑 ones are not); older snapshots: monitored − open."""
    eliminated = _num(row, "monitored_eliminated_households")
    if eliminated is not None:
        return eliminated
    monitored, open_ = _num(row, "monitored_households"), _num(row, "monitored_open_households")
    return None if monitored is None or open_ is None else monitored - open_


def _pass_rate(row: pd.Series | None) -> float | None:
    fail = _num(row, "water_fail_rate")
    return None if fail is None else 1 - fail


def _month_visits(records: Records, end: dt.date) -> pd.DataFrame:
    """Inspections from the 1st of ``end``'s month to ``end``."""
    visits = records["inspections"]
    if not len(visits):
        return visits
    dates = pd.to_datetime(visits["date"])
    return visits[(dates >= pd.Timestamp(end.replace(day=1))) & (dates <= pd.Timestamp(end))]


def teams_inspected(records: Records, end: dt.date) -> set[str]:
    """The distinct work teams inspected from the 1st of ``end``'s month to ``end``.

    A visit names its team; one without a team id counts for the teams of its village (as
    the draw counts a village visited), and a village without a team counts for none.
    """
    visits = _month_visits(records, end)
    if not len(visits):
        return set()
    named = visits["team_id"] if "team_id" in visits else pd.Series(None, index=visits.index, dtype=object)
    named = named.where(named.notna() & named.astype("str").str.strip().ne(""))
    teams = records.tables.get("teams")
    unnamed = set(visits.loc[named.isna(), "village_code"].dropna().astype(str)) if "village_code" in visits else set()
    by_village = set()
    if teams is not None and len(teams) and unnamed:
        by_village = set(teams.loc[teams["village_code"].astype(str).isin(unnamed), "team_id"].astype(str))
    return set(named.dropna().astype(str)) | by_village


def _teams_inspected_this_month(
    records: Records, as_of: dt.date, settings: Settings
) -> tuple[set[str], set[str], float]:
    """Teams inspected this month to ``as_of``, in the same span ``compare_days`` earlier, and the month's target.

    The target is ``inspection.teams_per_month`` distinct teams, or every team of a county with fewer.
    """
    teams = records.tables.get("teams")
    target = float(settings.inspection.teams_per_month)
    if teams is not None and len(teams):
        target = min(target, float(teams["team_id"].nunique()))
    before = as_of - dt.timedelta(days=settings.wall.compare_days)
    return teams_inspected(records, as_of), teams_inspected(records, before), target


def month_ranking(records: Records, unit_code: str) -> pd.DataFrame:
    """The unit's teams named best or worst by the monthly score, the best first, then the worst from the lowest.

    Columns ``team_id``, ``village_code``, ``monthly_score``, ``end`` (best or worst): team
    ids only, never the leader (a person).
    """
    columns = ["team_id", "village_code", "monthly_score", "end"]
    teams = records["teams"]
    if not len(teams) or "monthly_score" not in teams:
        return pd.DataFrame(columns=columns)
    own = records.rows_in("teams", unit_code)
    parts = [
        own[own[flag].astype(bool)].assign(end=end).sort_values(["monthly_score", "team_id"], ascending=[low, True])
        for flag, end, low in (("month_best", "best", False), ("month_worst", "worst", True))
    ]
    return pd.concat(parts, ignore_index=True)[columns]


def _cd_plan(records: Records, as_of: dt.date, settings: Settings) -> tuple[float, float, dt.date]:
    """Cases closed of this year's plan, the plan, and the date they are all to be closed by."""
    month, day = (int(p) for p in settings.wall.cd_close_by.split("-"))
    close_by = dt.date(as_of.year, month, day)
    cases = records["cases"]
    if not len(cases):
        return 0.0, float(settings.wall.cd_plan), close_by
    due = "due" if "due" in cases else "deadline"  # the record's deadline, or complete_by where the ledger has none
    deadline = pd.to_datetime(cases[due]) if due in cases else pd.Series(pd.NaT, index=cases.index)
    this_year = deadline.dt.year.eq(as_of.year)
    planned = cases[this_year] if settings.wall.cd_plan == 0 else cases
    plan = float(len(planned)) if settings.wall.cd_plan == 0 else float(settings.wall.cd_plan)
    return float(planned["accepted"].sum()), plan, close_by


# What each tile's trend line plots from a month-end county row (the tile's own figure, or its closest measure).
TREND = {
    "kpi_monitoring": _eliminated,
    "kpi_cd_closed": lambda row: _num(row, "cd_cases_accepted"),
    "kpi_water_pass": _pass_rate,
    "kpi_water_unsafe": lambda row: _num(row, "water_unsafe_households"),
    "kpi_spend": lambda row: _num(row, "spend_rate"),
    "kpi_checkin": lambda row: _num(row, "team_checkin_rate"),
    "kpi_timeliness": _timely,
}


def kpi_trends(snapshots: pd.DataFrame | None, records: Records, *, months: int) -> dict[str, pd.Series]:
    """Each tile's values at the last ``months`` month-end snapshots of the top unit (one row each), by date.

    No snapshots give no series (never zeros); a value unknown at a date is NaN there. The
    teams inspected are counted from the dated inspection records for each month.
    """
    if snapshots is None or not len(snapshots) or months <= 0:
        return {}
    rows = snapshots.assign(as_of=pd.to_datetime(snapshots["as_of"])).sort_values("as_of").tail(months)
    dates = [pd.Timestamp(d).date() for d in rows["as_of"]]
    out = {
        key: pd.Series([value(row) for _, row in rows.iterrows()], index=dates, dtype=float)
        for key, value in TREND.items()
    }
    out["kpi_inspections"] = pd.Series([float(len(teams_inspected(records, d))) for d in dates], index=dates)
    return {key: series for key, series in out.items() if KPI_SOURCE.get(key) not in records.absent}
