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

CHART_LAYOUT = {"margin": {"l": 40, "r": 10, "t": 30, "b": 30}, "height": 190, "font": {"size": 11},
                "plot_bgcolor": "#ffffff", "paper_bgcolor": "#ffffff", "showlegend": False}  # fmt: skip


def key_indicators(row: pd.Series, settings: Settings, lang: str) -> list[dict[str, object]]:
    """Rows of (label, value, target, ok) for the unit's headline indicators."""

    def pct(v: float) -> str:
        return "—" if pd.isna(v) else f"{v * 100:.1f} %"

    items = [
        ("poverty_incidence", pct(row["poverty_incidence"]), f"< {settings.poverty.poor_village_incidence:.0%}",
         not row["poverty_incidence"] >= settings.poverty.poor_village_incidence),
        ("monitored_open_households", f"{int(row['monitored_open_households'])}", "0",
         row["monitored_open_households"] == 0),
        ("uninsured_households", f"{int(row['uninsured_households'])}", "0", row["uninsured_households"] == 0),
        ("education_gap_households", f"{int(row['education_gap_households'])}", "0",
         row["education_gap_households"] == 0),
        ("cd_cases_overdue", f"{int(row['cd_cases_overdue'])}", "0", row["cd_cases_overdue"] == 0),
        ("water_fail_rate", pct(row["water_fail_rate"]), "0 %", not row["water_fail_rate"] > 0),
        ("spend_rate", pct(row["spend_rate"]), f"≥ {row['spend_target']:.0%}",
         not row["spend_rate"] < row["spend_target"]),
        ("team_checkin_rate", pct(row["team_checkin_rate"]), f"≥ {settings.teams.checkin_target:.0%}",
         not row["team_checkin_rate"] < settings.teams.checkin_target),
        ("sla_identify_ok_share", pct(row["sla_identify_ok_share"]), "100 %",
         not row["sla_identify_ok_share"] < 1),
        ("sla_entry_ok_share", pct(row["sla_entry_ok_share"]), "100 %", not row["sla_entry_ok_share"] < 1),
    ]  # fmt: skip
    return [{"key": k, "value": v, "target": target, "ok": bool(ok)} for k, v, target, ok in items]


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
    fig = go.Figure(go.Bar(x=list(counts.values()), y=list(counts), orientation="h", text=list(counts.values()),
                           marker_color=["#9e9e9e", "#0072B2", "#E69F00", "#D55E00"]))  # fmt: skip
    return fig.update_layout(title=t("by_status", lang), **CHART_LAYOUT)


def income_chart(households: pd.DataFrame, settings: Settings, lang: str) -> go.Figure:
    """Histogram of income per person (server-side bins) with the poverty and monitoring lines."""
    income = pd.to_numeric(households["per_capita_income"], errors="coerce").dropna()
    top = float(np.nanpercentile(income, 98)) if len(income) else 1.0
    edges = np.linspace(0, max(top, settings.poverty.monitoring_line * 1.5), 31)
    counts, _ = np.histogram(income.clip(upper=edges[-1]), bins=edges)
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), marker_color="#88CCEE"))
    lines = (
        (settings.poverty.poverty_line, "poverty_line", "#D55E00", "top left"),
        (settings.poverty.monitoring_line, "monitoring_line", "#E69F00", "top right"),
    )
    for value, key, colour, position in lines:
        fig.add_vline(
            x=value,
            line={"color": colour, "width": 2, "dash": "dash"},
            annotation_text=f"{t(key, lang)} {value:,.0f}",
            annotation_position=position,
            annotation_font_size=10,
        )
    return fig.update_layout(title=t("income_distribution", lang), **CHART_LAYOUT)


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
    fig = go.Figure([
        go.Bar(x=labels, y=(counts - overdue).to_numpy(), marker_color="#0072B2", name="on time"),
        go.Bar(x=labels, y=overdue.to_numpy(), marker_color="#D55E00", name="overdue"),
    ])  # fmt: skip
    return fig.update_layout(title=t("cases_by_stage", lang), barmode="stack", **CHART_LAYOUT)


def water_chart(samples: pd.DataFrame, lang: str) -> go.Figure:
    """Share of samples passing, month by month."""
    if len(samples):
        month = pd.to_datetime(samples["sampled_on"]).dt.to_period("M").astype(str)
        rate = 1 - samples["failing"].astype(float).groupby(month).mean()
    else:
        rate = pd.Series(dtype=float)
    fig = go.Figure(go.Scatter(x=rate.index, y=rate.to_numpy() * 100, mode="lines+markers", line_color="#009E73"))
    fig.update_yaxes(range=[0, 105], ticksuffix=" %")
    return fig.update_layout(title=t("water_by_month", lang), **CHART_LAYOUT)


def spend_chart(row: pd.Series, lang: str) -> go.Figure:
    """Spent against the schedule's share for today."""
    spent = 0.0 if pd.isna(row["spend_rate"]) else float(row["spend_rate"])
    fig = go.Figure(go.Bar(x=[spent * 100, row["spend_target"] * 100], y=[t("spent", lang), t("schedule", lang)],
                           orientation="h", marker_color=["#0072B2" if spent >= row["spend_target"] else "#D55E00",
                                                          "#bbbbbb"],
                           text=[f"{spent:.0%}", f"{row['spend_target']:.0%}"]))  # fmt: skip
    fig.update_xaxes(range=[0, 100], ticksuffix=" %")
    return fig.update_layout(title=t("spend_vs_schedule", lang), **{**CHART_LAYOUT, "height": 130})
