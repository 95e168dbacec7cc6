"""The /audit page (admins): the append-only audit log, newest first, filtered by user or action.

Every reveal of personal data, export, import, route plan, login (and failed login),
account change and kiosk token is a row of the log in the private file beside the store
(:mod:`geodata.private.db`); this page only reads it. Refused logins are not rows of the
log but counts per window (:mod:`geodata.private.login_limits`), shown in a table of their
own, with a notice above everything while an account is under attack.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import dash
import pandas as pd
from dash import Input, Output, dcc, html

from callbacks.store_data import StoreData
from geodata._errors import TextTooLong
from geodata.private.accounts import AccountStore
from geodata.private.db import PrivateDB
from geodata.settings import get_settings
from geodata.text_limits import check_length, text_limit
from layers.i18n import lang_of, t

PATH = "/audit"
COLUMNS = ("at", "who", "action", "target", "detail", "reason")
REFUSAL_COLUMNS = ("window_start", "name_prefix", "address", "why", "count", "last_at")
REFUSAL_LABELS = ("window", "name", "address", "why", "count", "last")


class Ids(StrEnum):
    """Component ids of the page."""

    WHO = "audit-who"
    ACTION = "audit-action"
    TABLE = "audit-table"
    ATTACK = "audit-attack"
    REFUSALS = "audit-refusals"
    LANG = "audit-lang"


def register(app: dash.Dash, data: StoreData) -> None:
    """Register the page and its filter callback."""
    dash.register_page("audit", path=PATH, title="审计日志 · Battlemap", layout=lambda **q: layout(data, **q))

    @app.callback(
        Output(Ids.TABLE, "children"),
        Input(Ids.WHO, "value"),
        Input(Ids.ACTION, "value"),
        Input(Ids.LANG, "data"),
    )
    def show(who: str | None, action: str | None, lang: str) -> Any:
        try:
            return audit_table(entries(data, who=who, action=action), lang)
        except TextTooLong as exc:  # a filter longer than any name or action: say so, search nothing
            return html.P(t(f"too_long_{exc.setting}", lang), className="bad", id="audit-filter-error")


def entries(data: StoreData, *, who: str | None = None, action: str | None = None) -> pd.DataFrame:
    """The newest audit entries (as many as the settings show), newest first; long filters refused (TextTooLong)."""
    for text in (who, action):
        check_length(text, what="filter", setting="short_text_chars")
    log = PrivateDB.beside(data.store).audit_log(
        limit=get_settings().auth.audit_page_rows,
        who=(who or "").strip() or None,
        action=(action or "").strip() or None,
    )
    return log.iloc[::-1]


def layout(data: StoreData, /, lang: str | None = None, **_query: Any) -> html.Div:
    """Filters above the table of entries."""
    lang = lang_of(lang)
    other = "en" if lang == "zh" else "zh"
    most = text_limit("short_text_chars")
    return html.Div(
        [
            html.Div(
                [
                    html.H1(t("audit_title", lang), className="page-title"),
                    html.A(t("language", lang), href=f"{PATH}?lang={other}", className="lang-switch", id="lang-switch"),
                ],
                className="route-header",
            ),
            attack_notice(AccountStore.beside(data.store).under_attack(), lang),
            html.P(t("audit_note", lang), className="summary"),
            html.Div(
                [
                    dcc.Input(id=Ids.WHO, placeholder=t("audit_filter_who", lang), debounce=True, maxLength=most),
                    dcc.Input(id=Ids.ACTION, placeholder=t("audit_filter_action", lang), debounce=True, maxLength=most),
                ],
                className="audit-filters",
            ),
            html.Div(audit_table(entries(data), lang), id=Ids.TABLE),
            html.H2(t("audit_refusals_title", lang)),
            html.P(t("audit_refusals_note", lang), className="summary"),
            refusal_table(AccountStore.beside(data.store).refusals(), lang),
            dcc.Store(id=Ids.LANG, data=lang),
        ],
        className="audit-page",
    )


def audit_table(frame: pd.DataFrame, lang: str) -> html.Table:
    """The entries as a table (Dash escapes every cell)."""
    head = html.Thead(html.Tr([html.Th(t(f"audit_{c}", lang)) for c in COLUMNS]))
    rows = [
        html.Tr([html.Td(str(getattr(r, c))) for c in COLUMNS], className=str(r.action).split(":")[0])
        for r in frame.itertuples()
    ]
    return html.Table([head, html.Tbody(rows)], className="kpi-table audit-log", id="audit-rows")


def attack_notice(attacked: pd.DataFrame, lang: str) -> html.Div:
    """One warning per account refused from many addresses within the window; hidden when there is none."""
    notes = [
        html.P(t("audit_attack", lang, name=r.name, refusals=int(r.refusals), addresses=int(r.addresses)))
        for r in attacked.itertuples()
    ]
    return html.Div(notes, id=Ids.ATTACK, className="audit-attack", role="alert", hidden=not notes)


def refusal_table(frame: pd.DataFrame, lang: str) -> html.Table:
    """Counts of refused logins per window, name prefix, address and reason (Dash escapes every cell)."""
    head = html.Thead(html.Tr([html.Th(t(f"audit_refusal_{c}", lang)) for c in REFUSAL_LABELS]))
    rows = [
        html.Tr(
            [
                html.Td(t(f"refusal_{value}", lang) if column == "why" else str(value))
                for column, value in zip(REFUSAL_COLUMNS, (getattr(r, c) for c in REFUSAL_COLUMNS), strict=True)
            ]
        )
        for r in frame.itertuples()
    ]
    return html.Table([head, html.Tbody(rows)], className="kpi-table audit-log", id=Ids.REFUSALS)
