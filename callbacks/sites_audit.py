"""The /sites tab of the relocation sites already built (已建安置点评估): one row per site, made when the tab opens.

Thin: the audit itself is :func:`analytics.site_audit.audit_sites`, cached per store version
and planner's part: a planner scoped to a part of the store audits the sites inside it only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import numpy as np
import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from analytics.site_audit import FLAGS, audit_sites
from callbacks.access import audit_export, scoped_part
from callbacks.store_data import StoreData
from geodata._errors import InputError, without_paths
from layers.i18n import t
from layers.site_text import audit_csv

TABS = "sites-tabs"  # the page's tabs: RANKING (candidates and map) and AUDIT
RANKING, AUDIT = "ranking", "audit"
OUT = "sites-audit"
RANKING_EXPORTS = "sites-ranking-exports"  # the ranking tab's export buttons in the page header
AUDIT_CSV, AUDIT_DOWNLOAD = "sites-audit-csv", "sites-audit-download"


def audit_tab(lang: str) -> html.Div:
    """The tab's content: what the audit shows, then its table (a spinner while it is made)."""
    return html.Div(
        [
            html.P(t("audit_help", lang), className="summary"),
            html.Button(t("audit_csv", lang), id=AUDIT_CSV, className="btn"),
            dcc.Download(id=AUDIT_DOWNLOAD),
            dcc.Loading(
                html.Div(id=OUT, className="sites-table"), type="circle", delay_show=200, id="sites-audit-loading"
            ),
        ],
        className="sites-audit-panel",
        id="sites-audit-panel",
    )


def register(app: dash.Dash, data: StoreData, site_model: Callable[[StoreData], Any]) -> None:
    """Make the audit (cached per store version) when its tab is opened, also from ``?tab=audit``."""

    def cached_audit() -> pd.DataFrame:
        part = scoped_part()
        return data.cached(f"sites:audit:{part or ''}", lambda: _audit(data, site_model(data), part))

    @app.callback(Output(OUT, "children"), Input(TABS, "value"), State("sites-lang", "data"))
    def run(tab: str, lang: str) -> Any:
        if tab != AUDIT:
            raise PreventUpdate
        try:
            audit = cached_audit()
        except InputError as exc:
            return html.P(without_paths(str(exc)), className="bad", id="sites-audit-error")
        return audit_table(audit, lang, has_follow_up=data.layer_or_none("relocated_households") is not None)

    @app.callback(Output(RANKING_EXPORTS, "hidden"), Input(TABS, "value"))
    def exports_shown(tab: str) -> bool:
        return tab == AUDIT

    @app.callback(Output(AUDIT_DOWNLOAD, "data"), Input(AUDIT_CSV, "n_clicks"), prevent_initial_call=True)
    def download(_n: int) -> Any:
        try:
            audit = cached_audit()
        except InputError:
            raise PreventUpdate from None  # the tab already says why there is no audit
        audit_export(data, "export:sites", "audit_csv", sites=len(audit))
        return dcc.send_string(audit_csv(audit), "built_sites_audit.csv")


def _audit(data: StoreData, model: Any, part: str | None = None) -> pd.DataFrame:
    facilities = data.layer_or_none("facilities")
    if facilities is None:
        msg = "no facilities layer: import facilities with the built relocation sites (安置点)"
        raise InputError(msg)
    if part is not None:  # the sites that lie in the planner's part (its villages' area)
        villages = data.layer("villages")
        area = villages[villages["village_code"].astype("str").str.startswith(part)].to_crs(facilities.crs)
        facilities = facilities[facilities.within(area.union_all())]
    relocated = data.layer_or_none("relocated_households")
    return pd.DataFrame(
        audit_sites(
            model,
            facilities,
            hazards=data.layer_or_none("hazards"),
            relocated=pd.DataFrame(relocated) if relocated is not None else None,
        )
    )


def _num(value: float, fmt: str = "{:.0f}") -> str:
    """A figure, or — where it is unknown (no data is not zero)."""
    return fmt.format(value) if value is not None and np.isfinite(value) else "—"


def audit_table(audit: pd.DataFrame, lang: str, *, has_follow_up: bool) -> Any:
    """One row per built site: occupancy, exposure, drive times, follow-up indicators, failed constraints."""
    head = [
        t("audit_site", lang),
        t("capacity", lang),
        t("assign_households", lang),
        t("audit_occupancy", lang),
        t("audit_slope", lang),
        t("audit_hazard", lang),
        t("audit_minutes", lang),
        t("audit_employed", lang),
        t("audit_income_change", lang),
        t("audit_below_line", lang),
        t("audit_flags", lang),
    ]
    rows = []
    for r in audit.itertuples():
        zones = r.hazard_zones or ""
        flags = "、".join(t(f"flag_{f}", lang) for f in FLAGS if f in str(r.flags).split(";")) or "—"
        minutes = " / ".join(_num(getattr(r, f"minutes_{k}")) for k in ("school", "clinic", "township", "market"))
        rows.append(
            html.Tr(
                [
                    html.Td(f"{r.name or r.site_id}"),
                    html.Td(_num(r.capacity)),
                    html.Td(_num(r.households)),
                    html.Td(_num(r.occupancy * 100 if np.isfinite(r.occupancy) else np.nan, "{:.0f}%")),
                    html.Td(_num(r.slope_deg, "{:.1f}")),
                    html.Td(f"{_num(r.hazard_m)} {zones}".strip()),
                    html.Td(minutes),
                    html.Td(_num(r.employed_per_household, "{:.1f}")),
                    html.Td(_num(r.income_change)),
                    html.Td(_num(r.below_monitoring_line)),
                    html.Td(flags, className="bad" if flags != "—" else ""),
                ],
                className="audit-row",
            )
        )
    note = [] if has_follow_up else [html.P(t("audit_no_follow_up", lang), className="summary")]
    return [
        *note,
        html.Table(
            [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
            className="kpi-table",
            id="sites-audit-table",
        ),
    ]
