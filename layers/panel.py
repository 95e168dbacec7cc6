"""The unit panel beside the map: key indicators against their targets and small charts.

Charts are built from aggregates only (counts per status, histogram bins, monthly pass
rates), so no household row leaves the server for a township or the county.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from geodata.settings import Settings
from layers.i18n import t

CHART_LAYOUT = {
    "margin": {"l": 40, "r": 10, "t": 30, "b": 30},
    "height": 190,
    "font": {"size": 11},
    "plot_bgcolor": "#ffffff",
    "paper_bgcolor": "#ffffff",
    "showlegend": False,
}


def key_indicators(row: pd.Series, settings: Settings, lang: str) -> list[dict[str, object]]:
    """Rows of (label, value, target, ok) for the unit's headline indicators; ``ok`` is None without data."""
    incidence, checkin = settings.poverty.poor_village_incidence, settings.teams.checkin_target
    items = [  # key, kind, target text, whether a known value meets it, the target as a number (the trend's line)
        ("poverty_incidence", "share", f"< {incidence:.0%}", lambda v: v < incidence, incidence),
        ("monitored_open_households", "count", "0", lambda v: v == 0, 0.0),
        ("elimination_doubtful_households", "count", "0", lambda v: v == 0, 0.0),
        ("unmonitored_at_risk_households", "count", "0", lambda v: v == 0, 0.0),
        ("monitored_without_helper_households", "count", "0", lambda v: v == 0, 0.0),
        ("uninsured_households", "count", "0", lambda v: v == 0, 0.0),
        ("education_gap_households", "count", "0", lambda v: v == 0, 0.0),
        ("cd_cases_overdue", "count", "0", lambda v: v == 0, 0.0),
        ("water_fail_rate", "share", "0 %", lambda v: v <= 0, 0.0),
        ("spend_rate", "share", f"≥ {row['spend_target']:.0%}", lambda v: v >= row["spend_target"], None),
        ("team_checkin_rate", "share", f"≥ {checkin:.0%}", lambda v: v >= checkin, checkin),
        ("sla_identify_ok_share", "share", "100 %", lambda v: v >= 1, 1.0),
        ("sla_entry_ok_share", "share", "100 %", lambda v: v >= 1, 1.0),
    ]
    out = []
    for key, kind, target, meets, goal in items:
        value = row.get(key)
        known = value is not None and not pd.isna(value)
        out.append(
            {
                "key": key,
                "value": (f"{value * 100:.1f} %" if kind == "share" else f"{int(value)}")
                if known
                else t("no_data", lang),
                "target": target,
                "goal": goal,  # None where the target moves with the date (the spending schedule)
                "ok": bool(meets(float(value))) if known else None,
            }
        )
    base, incidence = row.get("poverty_incidence_base"), out[0]  # what the incidence (the first row) is taken over
    if isinstance(base, str) and incidence["ok"] is not None:
        incidence["value"] = f"{incidence['value']} ({t(f'incidence_base_{base}', lang)})"
    return out


def _figure(traces: list[go.BaseTraceType], title_key: str, lang: str, **layout: object) -> go.Figure:
    """A panel chart: ``traces`` with :data:`CHART_LAYOUT`, the title and ``layout`` (which may set the height).

    The layout goes into the constructor: ``update_layout`` afterwards validates it again,
    four times the cost, and panels are built per unit clicked.
    """
    return go.Figure(traces, layout={**CHART_LAYOUT, "title": {"text": t(title_key, lang)}, **layout})


def no_data_figure(title_key: str, lang: str, height: int = CHART_LAYOUT["height"]) -> go.Figure:
    """An empty chart that says "no data" in grey, for a source layer the county has not imported."""
    note = {
        "text": t("no_data", lang),
        "showarrow": False,
        "font": {"size": 16, "color": "#9e9e9e"},
        "xref": "paper",
        "yref": "paper",
        "x": 0.5,
        "y": 0.5,
    }
    hidden = {"visible": False}
    return _figure([], title_key, lang, annotations=[note], xaxis=hidden, yaxis=hidden, height=height)


def status_chart(households: pd.DataFrame, lang: str) -> go.Figure:
    """Households by status: ordinary, lifted, monitored (risk eliminated) and monitored with the risk open."""
    monitored = households["status"].eq("monitored")
    open_ = monitored & households["monitored_open"].astype(bool)
    counts = {
        t("status_normal", lang): int(households["status"].eq("normal").sum()),
        t("status_lifted", lang): int(households["status"].eq("lifted").sum()),
        t("status_monitored", lang): int((monitored & ~open_).sum()),
        t("status_monitored_open", lang): int(open_.sum()),
    }
    bar = go.Bar(
        x=list(counts.values()),
        y=list(counts),
        orientation="h",
        text=list(counts.values()),
        marker_color=["#9e9e9e", "#0072B2", "#E69F00", "#D55E00"],
    )
    return _figure([bar], "by_status", lang)


def income_chart(households: pd.DataFrame, settings: Settings, lang: str) -> go.Figure:
    """Histogram of income per person (server-side bins) with the poverty and monitoring lines."""
    income = pd.to_numeric(households["per_capita_income"], errors="coerce").dropna()
    top = float(np.nanpercentile(income, 98)) if len(income) else 1.0
    edges = np.linspace(0, max(top, settings.poverty.monitoring_line * 1.5), 31)
    counts, _ = np.histogram(income.clip(upper=edges[-1]), bins=edges)
    lines = (
        (settings.poverty.poverty_line, "poverty_line", "#D55E00", "right"),
        (settings.poverty.monitoring_line, "monitoring_line", "#E69F00", "left"),
    )
    # the lines as plain layout shapes: what add_vline draws, at a small part of its cost (panels are built per unit)
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "y domain",
            "x0": value,
            "x1": value,
            "y0": 0,
            "y1": 1,
            "line": {"color": colour, "width": 2, "dash": "dash"},
        }
        for value, _, colour, _ in lines
    ]
    notes = [
        {
            "x": value,
            "xref": "x",
            "y": 1,
            "yref": "y domain",
            "text": f"{t(key, lang)} {value:,.0f}",
            "showarrow": False,
            "xanchor": anchor,
            "yanchor": "top",
            "font": {"size": 10},
        }
        for value, key, _, anchor in lines
    ]
    bar = go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), marker_color="#88CCEE")
    return _figure([bar], "income_distribution", lang, shapes=shapes, annotations=notes)


def cases_chart(cases: pd.DataFrame, lang: str) -> go.Figure:
    """C/D cases by stage, overdue ones marked."""
    stages = ["pending", "started", "completed", "accepted"]
    counts = cases["stage"].value_counts().reindex(stages, fill_value=0) if len(cases) else pd.Series(0, stages)
    overdue = (
        cases[cases["overdue"].astype(bool)]["stage"].value_counts().reindex(stages, fill_value=0)
        if len(cases)
        else pd.Series(0, stages)
    )
    labels = [t(f"stage_{s}", lang) for s in stages]
    bars = [
        go.Bar(x=labels, y=(counts - overdue).to_numpy(), marker_color="#0072B2", name="on time"),
        go.Bar(x=labels, y=overdue.to_numpy(), marker_color="#D55E00", name="overdue"),
    ]
    return _figure(bars, "cases_by_stage", lang, barmode="stack")


def water_chart(samples: pd.DataFrame, lang: str) -> go.Figure:
    """Share of samples passing, month by month."""
    if len(samples):
        month = pd.to_datetime(samples["sampled_on"]).dt.to_period("M").astype(str)
        rate = 1 - samples["failing"].astype(float).groupby(month).mean()
    else:
        rate = pd.Series(dtype=float)
    line = go.Scatter(x=rate.index, y=rate.to_numpy() * 100, mode="lines+markers", line_color="#009E73")
    return _figure([line], "water_by_month", lang, yaxis={"range": [0, 105], "ticksuffix": " %"})


def spend_chart(row: pd.Series, lang: str) -> go.Figure:
    """Spent against the schedule's share for today ("no data" without a spend rate)."""
    if pd.isna(row["spend_rate"]):
        return no_data_figure("spend_vs_schedule", lang, height=130)
    spent = float(row["spend_rate"])
    bar = go.Bar(
        x=[spent * 100, row["spend_target"] * 100],
        y=[t("spent", lang), t("schedule", lang)],
        orientation="h",
        marker_color=["#0072B2" if spent >= row["spend_target"] else "#D55E00", "#bbbbbb"],
        text=[f"{spent:.0%}", f"{row['spend_target']:.0%}"],
    )
    return _figure([bar], "spend_vs_schedule", lang, xaxis={"range": [0, 100], "ticksuffix": " %"}, height=130)


def reimbursed_rate(row: pd.Series) -> tuple[float | None, str | None]:
    """报账率 and its basis: by money (reimbursed amount ÷ budget) where amounts are given, else by project count."""
    for column, basis in (("reimbursed_money_rate", "amount"), ("project_reimbursed_rate", "count")):
        value = row.get(column)
        if value is not None and not pd.isna(value):
            return float(value), basis
    return None, None


def _share(value: object) -> str | None:
    return None if value is None or pd.isna(value) else f"{float(value) * 100:.1f} %"


def _count_of(row: pd.Series, part: str, whole: str, rate: str) -> str | None:
    """'40.0 % (2 / 5)': a rate with the counts behind it."""
    share = _share(row.get(rate))
    return None if share is None else f"{share} ({int(row[part])} / {int(row[whole])})"


def team_project_rows(
    row: pd.Series, named: pd.DataFrame, *, village: bool, year: int, lang: str
) -> list[tuple[str, str]]:
    """(label, value) lines of the panel's second table: poor village, this year's projects, team grades and ranking.

    ``named`` holds the teams of the unit named best or worst this month (``team_id``,
    ``village``, ``monthly_score``, ``end``): team ids and village names, never a person.
    """
    no_data = t("no_data", lang)
    poor = row.get("poor_villages")
    if village:
        poor_text = no_data if poor is None or pd.isna(poor) else t("yes" if poor else "no", lang)
    else:
        poor_text = no_data if poor is None or pd.isna(poor) else f"{int(poor)}"
    rate, basis = reimbursed_rate(row)
    reimbursed = no_data if rate is None else f"{_share(rate)} ({t(f'reimbursed_by_{basis}', lang)})"
    projects = row.get("projects")
    lines = [
        (t("poor_village_flag" if village else "poor_villages_in_unit", lang), poor_text),
        (t("projects_of_year", lang, year=year), no_data if pd.isna(projects) else f"{int(projects)}"),
        *(
            (t(rate_key, lang), _count_of(row, part, "projects", rate_key) or no_data)
            for rate_key, part in (
                ("project_start_rate", "projects_started"),
                ("project_completion_rate", "projects_completed"),
            )
        ),
        (t("reimbursed_rate", lang), reimbursed),
    ]
    scored = row.get("teams_year_scored")
    grades = no_data
    if scored is not None and not pd.isna(scored) and scored:
        bands = ("excellent", "good", "fair", "poor")
        grades = " · ".join(f"{t(f'grade_{band}', lang)} {int(row[f'teams_grade_{band}'])}" for band in bands)
    lines.append((t("team_grades", lang), grades))
    for end in ("best", "worst"):
        teams = named[named["end"] == end]
        names = " · ".join(f"{r.team_id} {r.village} ({r.monthly_score:g})" for r in teams.itertuples())
        lines.append((t(f"month_{end}", lang), names or "—"))
    return lines
