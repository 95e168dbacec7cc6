"""The monthly bulletin (月通报) as text: title block, sections, paragraphs and tables, for the Word and PDF writers.

Pure: an :class:`analytics.bulletin.Bulletin` in, a :class:`BulletinDoc` out; both writers
walk the same model, so the .docx and the .pdf say the same thing. Numbers are written
from the indicator-table cells (shares as percentages with one decimal, counts whole).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from analytics.bulletin import APPENDIX, LEDGER, SUMMARY, Bulletin
from analytics.measures import MEASURES, RATIOS
from geodata.settings import Settings, get_settings
from layers.catalog import BY_KEY
from layers.i18n import pick, t

SHARES = {r.name for r in RATIOS if not r.name.startswith("km_") and r.name != "income_per_capita"} | {"spend_target"}
INDICES = {"risk_index", "risk_before"}  # written with one decimal even when whole
NAMES = {m.name: (m.zh, m.en) for m in (*MEASURES, *RATIOS)}


@dataclass(frozen=True)
class Table:
    """A table: header cells, rows of cells, relative column widths."""

    header: list[str]
    rows: list[list[str]]
    widths: list[float]


@dataclass(frozen=True)
class Section:
    """A heading with its paragraphs, then optionally a table and the maps (``"maps"`` marks where)."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: Table | None = None
    maps: bool = False
    new_page: bool = False


@dataclass(frozen=True)
class BulletinDoc:
    """The whole bulletin."""

    issuer: str
    title: str
    issue: str
    number: str
    sections: list[Section]
    signature: list[str]


def column_name(column: str, lang: str) -> str:
    """An indicator column's name as the tables head it."""
    if column in BY_KEY:
        return pick((BY_KEY[column].zh, BY_KEY[column].en), lang)
    return pick(NAMES.get(column, (column, column)), lang)


def cell(column: str, value: object) -> str:
    """One cell: shares as 12.3%, counts with thousands separators, indices with one decimal; — when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):  # type: ignore[arg-type]
        return "—"
    number = float(value)  # type: ignore[arg-type]
    if column in SHARES:
        return f"{number * 100:.1f}%"
    if number.is_integer() and column not in INDICES:
        return f"{number:,.0f}"
    return f"{number:.1f}"


def bulletin_doc(
    b: Bulletin, *, county: str, unit: str, lang: str = "zh", settings: Settings | None = None
) -> BulletinDoc:
    """The bulletin's text for ``county`` (its top: a county, city or province; ``unit`` = the unit it covers)."""
    s = settings or get_settings()
    date = f"{b.as_of:%Y-%m-%d}"
    deadline = b.as_of + dt.timedelta(days=s.print.rectify_days)
    sections = [
        Section(t("bulletin_h_summary", lang), _summary(b, unit=unit, lang=lang, settings=s)),
        _ranking(b, lang, s.print.rank_list_length),
        Section(t("bulletin_h_maps", lang), maps=True),
        _findings(b, lang),
        _ledger(b, lang),
        _overdue(b, lang),
        _tasks(b, lang),
        Section(t("bulletin_h_demands", lang), [t(_of(b, "bulletin_demands"), lang, deadline=f"{deadline:%Y-%m-%d}")]),
        _appendix(b, lang, date),
    ]
    return BulletinDoc(
        issuer=t("bulletin_issuer", lang, county=county, issuer=s.print.issuer),
        title=t("bulletin_title", lang, unit=unit),
        issue=t("bulletin_issue", lang, year=b.as_of.year, month=b.as_of.month),
        number=s.print.document_number.format(year=b.as_of.year),
        sections=sections,
        signature=[t("bulletin_issuer", lang, county=county, issuer=s.print.issuer), date],
    )


def _of(b: Bulletin, key: str) -> str:
    """The message key for ``b``'s parts: ``key`` (townships), ``key_county`` (a city's), ``key_city``."""
    return key if b.part == "town" else f"{key}_{b.part}"


def _part_column(b: Bulletin, lang: str) -> str:
    """The heading of the column naming the parts: 乡镇, 县区 in a city's bulletin, 市州 in a province's."""
    return t(f"bulletin_col_{b.part}", lang)


def _summary(b: Bulletin, *, unit: str, lang: str, settings: Settings) -> list[str]:
    now, before = b.county, b.county_before
    first = t(
        "bulletin_summary_open",
        lang,
        date=f"{b.as_of:%Y-%m-%d}",
        unit=unit,
        households=cell("households", now.get("households")),
        monitored=cell("monitored_households", now.get("monitored_households")),
        open=cell("monitored_open_households", now.get("monitored_open_households")),
        open_before=cell("monitored_open_households", before.get("monitored_open_households")),
        risk_now=cell("risk_index", now.get("risk_index")),
        risk_before=cell("risk_index", before.get("risk_index")),
    )
    better, worse = [], []
    for column, higher_is_worse in SUMMARY.items():
        a, z = before.get(column), now.get(column)
        if a is None or z is None or pd.isna(a) or pd.isna(z) or cell(column, a) == cell(column, z):
            continue
        item = t(
            "bulletin_item_change", lang, name=column_name(column, lang), before=cell(column, a), now=cell(column, z)
        )
        (worse if (z > a) == higher_is_worse else better).append(item)
    changes = [t("bulletin_better", lang, items="；".join(better))] if better else []
    changes += [t("bulletin_worse", lang, items="；".join(worse))] if worse else []
    rate, target = now.get("spend_rate"), now.get("spend_target")
    targets = []
    if rate is not None and not pd.isna(rate):
        key = "bulletin_spend_behind" if rate < target else "bulletin_spend_ok"
        gap = f"{(target - rate) * 100:.1f}"
        targets.append(t(key, lang, rate=cell("spend_rate", rate), target=cell("spend_target", target), gap=gap))
    if not pd.isna(now.get("cd_cases_open", float("nan"))):
        targets.append(
            t(
                "bulletin_cd",
                lang,
                open=cell("cd_cases_open", now["cd_cases_open"]),
                overdue=cell("cd_cases_overdue", now.get("cd_cases_overdue")),
            )
        )
    if not pd.isna(now.get("team_checkin_rate", float("nan"))):
        goal = cell("team_checkin_rate", settings.teams.checkin_target)
        targets.append(
            t("bulletin_checkin", lang, rate=cell("team_checkin_rate", now["team_checkin_rate"]), target=goal)
        )
    return [first, " ".join([*changes, *targets])]


def _ranking(b: Bulletin, lang: str, length: int) -> Section:
    r = b.ranking
    rows = [
        [
            cell("rank", row["rank"]),
            str(row["name"]),
            cell("risk_index", row["risk_index"]),
            cell("risk_index", row["risk_before"]),
            cell("rank", row["rank_before"]),
            _arrow(row["rank_change"]),
        ]
        for _, row in r.iterrows()
    ]
    header = [t(f"bulletin_col_{c}", lang) for c in ("rank", "risk", "risk_before", "rank_before", "change")]
    header.insert(1, _part_column(b, lang))
    names = r["name"].astype(str).tolist()
    if b.part != "town":  # a city's few counties, a province's few cities: none on both lists
        length = min(length, max(1, len(names) // 2))
    paragraphs = [
        t("bulletin_red", lang, names="、".join(names[:length])),
        t("bulletin_black", lang, names="、".join(reversed(names[-length:]))),
    ]
    return Section(t(_of(b, "bulletin_h_ranking"), lang), paragraphs, Table(header, rows, [1, 2.4, 1.6, 1.6, 1.4, 1.4]))


def _arrow(change: object) -> str:
    if change is None or pd.isna(change):  # type: ignore[arg-type]
        return "—"
    value = int(change)  # type: ignore[call-overload]
    return f"↑{value}" if value > 0 else f"↓{-value}" if value < 0 else "—"


def _findings(b: Bulletin, lang: str) -> Section:
    f = b.findings
    heading = t("bulletin_h_findings", lang)
    if f is None:
        return Section(heading, [t("bulletin_findings_no_data", lang)])
    if not len(f):
        return Section(heading, [t("bulletin_no_findings", lang)])
    done, late = int((f["status"] == "rectified").sum()), int((f["status"] == "overdue").sum())
    count = t("bulletin_findings_count", lang, n=len(f), done=done, late=late)
    rows = [
        [
            f"{row['date']:%m-%d}",
            str(row["town"]),
            str(row["village"]),
            str(row["finding"]),
            f"{row['deadline']:%Y-%m-%d}",
            t(
                f"bulletin_status_{row['status']}",
                lang,
                date=f"{row['rectified_on']:%m-%d}" if row["status"] == "rectified" else "",
            ),
        ]
        for _, row in f.iterrows()
    ]
    header = [t(f"bulletin_col_{c}", lang) for c in ("date", "town", "village", "finding", "deadline", "status")]
    return Section(heading, [count], Table(header, rows, [1, 1.6, 1.6, 4, 1.8, 1.8]))


def _ledger(b: Bulletin, lang: str) -> Section:
    """Every finding up to the month-end by step of rectification (整改销号), the unit's total and per part.

    Each number is a cell of the month-end tables (the county, city or township row and
    the rows of its parts), so it equals what /map and the wall show for that date.
    """
    heading = t("bulletin_h_ledger", lang)
    if b.ledger is None:
        return Section(heading, [t("bulletin_findings_no_data", lang)])
    counts = {c: cell(c, b.county.get(c)) for c in LEDGER}
    total = t("bulletin_ledger_total", lang, **{c.removeprefix("inspection_findings_"): v for c, v in counts.items()})
    if not len(b.ledger):
        return Section(heading, [total])
    rows = [[str(row["name"]), *(cell(c, row[c]) for c in LEDGER)] for _, row in b.ledger.iterrows()]
    header = [_part_column(b, lang)] + [column_name(c, lang) for c in LEDGER]
    return Section(heading, [total], Table(header, rows, [1.6, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2]))


def _overdue(b: Bulletin, lang: str) -> Section:
    o = b.overdue
    heading = t("bulletin_h_overdue", lang)
    if not len(o):
        return Section(heading, [t("bulletin_no_overdue", lang)])
    rows = [
        [
            str(row["name"]),
            cell("cd_cases_overdue", row["cd_cases_overdue"]),
            cell("water_unsafe_households", row["water_unsafe_households"]),
            cell("monitored_open_households", row["monitored_open_households"]),
            f"{cell('spend_rate', row['spend_rate'])} / {cell('spend_target', row['spend_target'])}",
            f"{cell('team_days', row['team_days'])} / {cell('team_days_due', row['team_days_due'])}",
            cell("inspection_findings_open", row["inspection_findings_open"]),
            cell("plan_tasks_overdue", row["plan_tasks_overdue"]),
        ]
        for _, row in o.iterrows()
    ]
    header = [_part_column(b, lang)] + [
        column_name(c, lang) for c in ("cd_cases_overdue", "water_unsafe_households", "monitored_open_households")
    ]
    header += [t("bulletin_col_spend", lang), t("bulletin_col_team_days", lang), t("bulletin_col_findings_open", lang)]
    header.append(t("bulletin_col_tasks_overdue", lang))
    return Section(heading, [], Table(header, rows, [1.6, 1.2, 1.2, 1.2, 2, 2, 1.2, 1.2]))


def _tasks(b: Bulletin, lang: str) -> Section:
    """The overdue 一村一策 tasks by township, each with its village, responsible unit, deadline and progress."""
    f = b.tasks
    heading = t("bulletin_h_tasks", lang)
    if f is None:
        return Section(heading, [t("bulletin_tasks_no_data", lang)])
    if not len(f):
        return Section(heading, [t("bulletin_no_tasks", lang)])
    towns = f.groupby("town", sort=False).size()
    count = t("bulletin_tasks_count", lang, n=len(f), towns=len(towns))
    rows = [
        [
            str(row["town"]),
            str(row["village"]),
            str(row["title"]),
            "—" if pd.isna(row["unit"]) else str(row["unit"]),
            f"{row['deadline']:%Y-%m-%d}",
            "—" if pd.isna(row["progress"]) else f"{float(row['progress']):.0f}%",
        ]
        for _, row in f.iterrows()
    ]
    header = [t(f"bulletin_col_{c}", lang) for c in ("town", "village", "task", "unit", "task_deadline", "progress")]
    return Section(heading, [count], Table(header, rows, [1.4, 1.4, 3.4, 2, 1.6, 1]))


def _appendix(b: Bulletin, lang: str, date: str) -> Section:
    a = b.appendix
    rows = [[str(row["name"]), *(cell(c, row[c]) for c in APPENDIX)] for _, row in a.iterrows()]
    header = [_part_column(b, lang), *(column_name(c, lang) for c in APPENDIX)]
    table = Table(header, rows, [1.6] + [1.0] * len(APPENDIX))
    return Section(t(_of(b, "bulletin_h_appendix"), lang, date=date), [], table, new_page=True)
