"""The /map page: indicator choropleths with drill-down from the store's top → township → village → household.

The top is the county for a one-county store; a store of several counties starts at
their city (or province) with each county a unit, and a click on a county drills into
its townships (:func:`callbacks.top.page_top`).

The layout is a function of the URL (see :mod:`callbacks.map_state`): navigating is a
URL change, so the breadcrumb, shared links and the back button all work. Callbacks
are thin: a click turns into a URL, a layer choice into a URL, a context checkbox into
a figure patch, a household click into its card. Only the selected village's households
ever reach the browser, with personal data masked.
"""

from __future__ import annotations

import dataclasses
import html as html_lib
import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import dash
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from analytics.kpis import month_ranking
from analytics.levels import ROOT_LEVELS, Top, chain
from callbacks import documents, finding_panel, plan_panel
from callbacks.access import (
    ADMIN,
    account_scope,
    audit_export,
    current_account,
    in_scope,
    is_admin,
    restricted,
    scoped_part,
)
from callbacks.map_state import PATH, MapState
from callbacks.register import masked_households, register_callbacks, register_section, risks_text
from callbacks.store_data import StoreData, warm_cache
from callbacks.top import page_top
from callbacks.views import choropleth_view, compare_view, export_html, legend_items
from geodata.divisions import level_of
from geodata.io.privacy import MASKERS
from geodata.private.db import PrivateDB
from geodata.settings import get_settings
from geodata.text_limits import text_limit
from layers import panel
from layers.catalog import CATALOG
from layers.figure_json import json_ready
from layers.geometry import pixel_degrees, simplified
from layers.i18n import fill, pick, t
from layers.sparkline import sparkline_svg
from layers.unit_map import (
    CONTEXT_GROUPS,
    Context,
    context_key,
    context_traces,
    household_traces,
    map_figure,
    outline_trace,
    side_by_side,
    unit_traces,
)

log = logging.getLogger(__name__)
GRAPH = "map-graph"
NOW = "now"  # the period picker's value for the current tables (a dropdown value cannot be None)
DEFAULT_CONTEXT = {
    "province": [],
    "city": ["hazards"],
    "county": ["roads", "hazards"],
    "town": ["roads", "facilities", "hazards"],
    "village": list(CONTEXT_GROUPS),
}
# above the county the other context groups are not sent: a city's roads would be megabytes for lines a few pixels long
SENT_ABOVE_COUNTY = ("city", "province")
CONTEXT_DETAIL_PX = 0.25  # context lines keep vertices a quarter pixel apart at the view's zoom: sharp zoomed in 4×


def register(app: dash.Dash, data: StoreData) -> None:
    """Register the page and wire its callbacks."""
    dash.register_page("map", path="/map", title="地图 · Battlemap", layout=lambda **q: layout(data, **q))
    _register_callbacks(app, data)


def _root(data: StoreData) -> Top:
    """Where the map starts: the account's top, or a township-scoped account's county (the breadcrumb root)."""
    top = page_top(data)
    return top if top.level in ROOT_LEVELS else Top("county", str(top.code)[:6])


def _state(data: StoreData, query: dict[str, Any]) -> MapState:
    """The state asked for in the URL, kept within the account's top unit (a township-scoped account's township)."""
    top, root = page_top(data), _root(data)
    towns, villages, areas = data.cached(f"map-units:{account_scope()}", lambda: _units(data, root))
    periods = frozenset(data.periods())
    state = MapState.from_query(query, towns=towns, villages=villages, periods=periods, areas=areas, top=root.level)
    if top.level not in ROOT_LEVELS and state.town != top.code:
        state = dataclasses.replace(state, town=top.code, village=None)
    scope = scoped_part()  # a county or city account's part: the top view cut to it
    if scope is not None and level_of(scope) != "town":
        state = dataclasses.replace(state, scope=scope)
    return state


def _units(data: StoreData, root: Top) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The townships, villages and areas an account may open (once per store version and scope, not per request)."""
    towns = frozenset(c for c in data.indicators("town").index if in_scope(c))
    villages = frozenset(c for c in data.indicators("village").index if in_scope(c))
    areas = frozenset(c for c in _areas(data) if root.code is None or (c.startswith(root.code) and c != root.code))
    return towns, villages, areas


def _areas(data: StoreData) -> list[str]:
    """The codes of the units above the township that have an indicator table (counties, cities, provinces)."""
    return [str(c) for level in ROOT_LEVELS if level in data.levels() for c in data.indicators(level).index]


@dataclass(frozen=True)
class MapContent:
    """Everything on the page that follows the URL: figure, legend, breadcrumb and the page state."""

    figure: dict[str, Any]  # the figure's JSON form: cheap to share between workers and to send
    legend: list[Any]
    crumbs: list[Any]
    visible: list[str]
    store: dict[str, Any]
    offered: list[str]  # the context groups the figure holds (the others' boxes are disabled)


def map_content(data: StoreData, state: MapState) -> MapContent:
    """The map and what goes with it for ``state``, built once per store version (see :func:`warm_views`)."""
    where = f"{state.scope}:{state.top}:{state.area}:{state.town}:{state.village}"
    key = f"{where}:{state.layer}:{state.lang}:{_when(state)}"
    keep = get_settings().limits.view_cache_entries
    return data.cached_recent("map-content", key, lambda: _build_content(data, state), keep=keep, shared=True)


def panel_content(data: StoreData, state: MapState) -> list[Any]:
    """The unit panel for ``state``, built once per store version."""
    key = f"{state.scope}:{state.top}:{state.area}:{state.town}:{state.village}:{state.lang}:{state.period}"
    keep = get_settings().limits.view_cache_entries
    return data.cached_recent("map-panel", key, lambda: _panel(data, state), keep=keep, shared=True)


def _when(state: MapState) -> str:
    """The period part of a cache key: the month shown, and the month compared with and how."""
    return f"{state.period}:{state.compare}:{state.mode if state.compare else ''}"


def warm_top(data: StoreData) -> None:
    """Build what the first /map needs: the store's tables and shapes, and its top view with its panel."""
    data.warm()
    warm_cache("the top map view", lambda: warm_view(data, MapState(top=data.top(None).level)))


def warm_view(data: StoreData, state: MapState) -> None:
    """Build the map view and the unit panel of ``state`` into the caches (the shared one under gunicorn)."""
    with data.pinned():
        map_content(data, state)
        panel_content(data, state)


def view_states(data: StoreData) -> Iterator[MapState]:
    """Every /map view of the default layer, in the order they are warmed: the top, counties, townships, villages."""
    top = data.top(None)
    below = [str(c) for c in data.indicators("county").index] if top.level != "county" else []
    towns = [str(t) for t in data.indicators("town").index]
    villages = [str(code) for code in data.indicators("village").index]
    yield MapState(top=top.level)
    yield from (MapState(top=top.level, area=c) for c in below)
    yield from (MapState(top=top.level, town=t) for t in towns)
    yield from (MapState(top=top.level, town=v[:9], village=v) for v in villages)


def warm_views(data: StoreData) -> None:
    """Build the first ``[server] warm_views`` views of the default layer (see :func:`view_states`).

    About 0.2 s per view and panel, in the background while the server answers (under
    gunicorn one worker builds them into the shared cache, see :func:`app.warm_rest`).
    The bound keeps a province's warming short: its other views are built on first click,
    unless ``battlemap warm`` built them all first (:mod:`callbacks.prerender`).
    """

    def every_view() -> None:
        for state in itertools.islice(view_states(data), get_settings().server.warm_views):
            if data.stopped.is_set():  # its server stopped: the views would serve nobody
                return
            warm_view(data, state)
        top = data.top(None)
        for period in data.periods():  # the county in every month: switching months needs no computing
            with data.pinned():
                map_content(data, MapState(top=top.level, period=period))

    warm_cache("the map views", every_view)


def _build_content(data: StoreData, state: MapState) -> MapContent:
    """The map, legend, breadcrumb and page state for ``state`` (context groups shown by the level's default)."""
    lang = state.lang
    view, earlier = choropleth_view(data, state), compare_view(data, state)
    shapes, ind, classes = view.shapes, view.ind, view.classes
    opacity = 0.3 if state.level == "village" else 0.85
    traces = unit_traces(shapes, view.values, ind, classes, lang, opacity=opacity, change=view.change)
    bounds = shapes.total_bounds
    if state.code is not None:  # the unit drilled into
        outline = data.shapes(state.level)
        traces.append(outline_trace(outline[outline["code"] == state.code].geometry, state.code))
    visible = DEFAULT_CONTEXT[state.level]
    offered = visible if state.level in SENT_ABOVE_COUNTY else list(CONTEXT_GROUPS)
    ctx_traces = [tr for tr in context_traces(_context(data, bounds), lang) if tr.meta in offered]
    for tr in ctx_traces:
        tr.visible = True if tr.meta in visible else "legendonly"
        if state.level != "village":
            tr.hoverinfo, tr.hovertemplate = "skip", None  # a click must reach the unit underneath
    households = masked_households(data, state.village) if state.level == "village" else None
    hh_traces = household_traces(households, lang) if households is not None else []
    all_traces = [*traces, *ctx_traces, *hh_traces]
    name = state.code or state.top
    fig = map_figure(all_traces, bounds, view=f"{name}-side" if earlier else name, basemap=get_settings().map)
    if earlier is not None:
        before = unit_traces(shapes, earlier.values, ind, earlier.classes, lang, opacity=opacity)
        before += [go.Scattermap(tr) for tr in traces if tr.meta == "outline"]  # the unit drilled into, both sides
        all_traces += before
        side_by_side(fig, before, bounds, titles=(state.compare or "", state.period or f"{data.as_of():%Y-%m-%d}"))
    drill = {} if state.level == "village" else {str(code): state.drill(str(code)) for code in shapes["code"]}
    store = {
        "area": state.area,
        "top": state.top,
        "town": state.town,
        "village": state.village,
        "layer": state.layer,
        "lang": lang,
        "level": state.level,
        "period": state.period,
        "compare": state.compare,
        "mode": state.mode,
        "groups": [tr.meta for tr in all_traces],
        "drill": drill,
    }
    legend = [
        *legend_items(ind, classes, lang, since=state.compare if view.change else None),
        *_key_items(context_key(lang, households=households is not None)),
    ]
    if state.period and households is not None:  # the ledgers keep no past positions or statuses of households
        legend.append(html.Div(t("households_as_recorded", lang), className="period-note", id="period-note"))
    return MapContent(json_ready(fig), legend, _crumbs(data, state), visible, store, offered)


def layout(data: StoreData, /, shown: str | None = None, **query: Any) -> Any:
    """The page for the state in the URL; while /map is already shown, nothing (the map updates in place)."""
    if shown == PATH:
        return dash.no_update
    state = _state(data, query)
    content = map_content(data, state)
    return html.Div(
        [
            dcc.Location(id="map-url", refresh=False),
            _header(data, state, content.crumbs),
            html.Div(
                [
                    html.Div(
                        [
                            dcc.Graph(
                                id=GRAPH,
                                figure=content.figure,
                                config={"displaylogo": False, "scrollZoom": True},
                                style={"height": "640px"},
                            ),
                            html.Div(content.legend, className="map-legend", id="map-legend"),
                            _controls(state, content.visible, content.offered),
                        ],
                        className="map-column",
                    ),
                    html.Aside(
                        [
                            html.Div(id=finding_panel.Ids.SECTION),  # per account: outside the panel's shared cache
                            dcc.Loading(html.Div(id="unit-panel-body"), type="dot"),
                        ],
                        className="unit-panel",
                        id="unit-panel",
                    ),
                ],
                className="map-body",
            ),
            dcc.Loading(
                html.Div(html.Div(id="household-card", hidden=True), id="household-section"),
                type="dot",
            ),
            dcc.Store(id="map-state", data=content.store),
            dcc.Store(id="household-click"),
            dcc.Store(id="map-drawn"),
        ],
        className="map-page",
        lang="en" if state.lang == "en" else "zh-CN",
    )


def _crumbs(data: StoreData, state: MapState) -> list[Any]:
    """The top › county › township › village, each a link back up (the unit on screen is plain text).

    A one-county store's top reads "全县" as it always did; a city's or province's top is
    its name (e.g. 示例市 › 演示一县 › 某镇 › 某村).
    """
    root = _root(data)
    names = data.unit_names()
    crumbs: list[Any] = []
    codes = chain(root, state.code)
    for i, code in enumerate(codes):
        level = level_of(code)
        top = i == 0
        label = t("county", state.lang) if top and level == "county" else names.get(code, code)
        last = i == len(codes) - 1
        crumb_id = f"crumb-{level}"
        if last and level == "village":
            item: Any = html.Span(label, id=crumb_id)
        else:
            item = dcc.Link(label, href=state.drill(None if top else code), id=crumb_id)
        crumbs += [" › ", item] if crumbs else [item]
    return crumbs


def _header(data: StoreData, state: MapState, crumbs: list[Any]) -> html.Div:
    """Title, breadcrumb, layer picker and the language switch."""
    lang = state.lang
    options = [{"label": pick((m.zh, m.en), lang), "value": m.key} for m in CATALOG]
    other = "en" if lang == "zh" else "zh"
    return html.Div(
        [
            html.Div(
                [
                    html.H1(t("app_title", lang), className="page-title"),
                    html.Nav(crumbs, className="breadcrumb", id="breadcrumb"),
                ],
                className="title-block",
            ),
            html.Div(
                [
                    html.Label(t("layer", lang), htmlFor="layer-picker"),
                    dcc.Dropdown(
                        id="layer-picker", options=options, value=state.layer, clearable=False, className="layer-picker"
                    ),
                    html.A(  # a full load: every label on the page changes
                        t("language", lang), href=state.href(lang=other), id="lang-switch", className="lang-switch"
                    ),
                    html.Button(t("export_html", lang), id="export-html", className="btn"),
                    dcc.Download(id="export-download"),
                    *documents.buttons(lang),
                    html.Span(f"{t('as_of', lang)} {data.as_of():%Y-%m-%d}", className="as-of"),
                ],
                className="toolbar",
            ),
            _period_controls(data, state),
        ],
        className="map-header",
    )


def _period_controls(data: StoreData, state: MapState) -> html.Div:
    """The month shown (the current tables or a month-end snapshot) and the month to compare it with, and how."""
    lang = state.lang
    months = list(reversed(data.periods()))
    shown = [{"label": f"{t('period_now', lang)} ({data.as_of():%Y-%m-%d})", "value": NOW}]
    shown += [{"label": m[:7], "value": m} for m in months]
    compare = [{"label": t("compare_none", lang), "value": NOW}, *({"label": m[:7], "value": m} for m in months)]
    modes = [{"label": t(f"compare_{m}", lang), "value": m} for m in ("change", "side")]
    return html.Div(
        [
            html.Label(t("period", lang), htmlFor="period-picker"),
            dcc.Dropdown(id="period-picker", options=shown, value=state.period or NOW, clearable=False),
            html.Label(t("compare_with", lang), htmlFor="compare-picker"),
            dcc.Dropdown(id="compare-picker", options=compare, value=state.compare or NOW, clearable=False),
            dcc.RadioItems(id="compare-mode", options=modes, value=state.mode, inline=True),
        ],
        className="period-controls",
        hidden=not months,  # no snapshots: only the current tables
    )


def _key_items(key: list[tuple[str, str]]) -> list[Any]:
    """Dots for the point layers (facilities, water sites, households)."""
    return [html.Span(className="key-gap")] + [
        html.Div([html.Span(className="dot", style={"background": c}), html.Span(label)], className="item")
        for c, label in key
    ]


def _controls(state: MapState, visible: list[str], offered: list[str]) -> html.Div:
    return html.Div(
        [
            html.Span(t("context_layers", state.lang)),
            dcc.Checklist(
                id="context-layers", options=_context_options(offered, state.lang), value=visible, inline=True
            ),
        ],
        className="context-controls",
    )


def _context_options(offered: list[str], lang: str) -> list[dict[str, Any]]:
    """The context checkboxes; a group the view does not hold is disabled, saying where it is shown."""
    return [
        {"label": t(g, lang), "value": g}
        if g in offered
        else {"label": html.Span(t(g, lang), title=t("context_from_county", lang)), "value": g, "disabled": True}
        for g in CONTEXT_GROUPS
    ]


def _panel(data: StoreData, state: MapState) -> list[Any]:
    """Key indicators against targets and the unit's charts (filled after the map has drawn)."""
    lang, settings = state.lang, get_settings()
    level, code = state.level, state.code or _root(data).code
    table = data.indicators_in(level, state.period)  # a past month by the roll-up rule
    row = table.iloc[0] if code is None else table.loc[code]
    code = code or str(table.index[0])
    trends = data.unit_trend(level, code)
    rec = data.records()
    households, cases, samples = (rec.rows_in(name, code) for name in ("households", "cases", "samples"))
    rows = [
        html.Tr(
            [
                html.Td(_label(item["key"], lang)),
                html.Td(item["value"]),
                html.Td(item["target"]),
                html.Td("●", className={True: "ok", False: "bad", None: "nodata"}[item["ok"]]),
                html.Td(_trend(trends, item, lang)),
            ]
        )
        for item in panel.key_indicators(row, settings, lang)
    ]
    head = html.Tr(
        [
            html.Th(t("indicators", lang)),
            html.Th(t("value", lang)),
            html.Th(t("target", lang)),
            html.Th(""),
            html.Th(t("trend", lang)),
        ]
    )
    nodata = panel.no_data_figure  # for a layer the county has not imported
    charts = [
        panel.status_chart(households, lang),
        panel.income_chart(households, settings, lang),
        nodata("cases_by_stage", lang) if "housing" in rec.absent else panel.cases_chart(cases, lang),
        nodata("water_by_month", lang) if "water_tests" in rec.absent else panel.water_chart(samples, lang),
        panel.spend_chart(row, lang),
    ]
    graphs = [
        dcc.Graph(figure=json_ready(f), config={"displayModeBar": False}, className="panel-chart") for f in charts
    ]
    return [
        html.Table([html.Thead(head), html.Tbody(rows)], className="kpi-table", id="kpi-table"),
        _team_project_table(data, row, code, lang),
        plan_panel.plan_section(data, code, lang),
        *graphs,
    ]


def _trend(trends: pd.DataFrame | None, item: dict[str, Any], lang: str) -> Any:
    """The indicator's line over the month-end snapshots, with its target dashed; nothing without two months."""
    key = str(item["key"])
    if trends is None or key not in trends:
        return ""
    goal = item.get("goal")
    line = sparkline_svg(trends[key], target=None if goal is None else float(goal), colour="#0072B2", marker="#D55E00")
    if line is None:
        return ""
    return html.Img(src=line, className="panel-spark", alt=t("trend_months", lang, n=len(trends)))


def _team_project_table(data: StoreData, row: pd.Series, code: str, lang: str) -> html.Table:
    """Poor village, this year's projects and 报账率 (saying its basis), team grades and the month's best and worst."""
    named = month_ranking(data.records(), code)
    names = data.indicators("village")["name"]
    named = named.assign(village=named["village_code"].map(names).fillna(named["village_code"]))
    lines = panel.team_project_rows(row, named, village=len(code) == 12, year=data.as_of().year, lang=lang)
    body = [html.Tr([html.Td(label), html.Td(value)]) for label, value in lines]
    return html.Table(html.Tbody(body), className="kpi-table", id="team-project-table")


def _label(key: str, lang: str) -> str:
    from analytics.measures import MEASURE_BY_NAME, RATIO_BY_NAME  # noqa: PLC0415 - labels only

    entry = MEASURE_BY_NAME.get(key) or RATIO_BY_NAME.get(key)
    return fill(pick((entry.zh, entry.en), lang)) if entry else key  # {timeliness.…} from the settings


def _context(data: StoreData, bounds: np.ndarray) -> Context:
    """Context layers cut to the area on screen, lines and outlines no finer than a fraction of a pixel there."""
    sites = data.water_sites()
    if sites is not None:
        x0, y0, x1, y1 = bounds
        sites = sites[sites["lon"].between(x0, x1) & sites["lat"].between(y0, y1)]
    tolerance = pixel_degrees(bounds) * CONTEXT_DETAIL_PX
    return Context(
        roads=simplified(data.layer_within("roads", bounds), tolerance),
        facilities=data.layer_within("facilities", bounds),
        hazards=simplified(data.layer_within("hazards", bounds), tolerance),
        water_sites=sites,
    )


def household_card(
    data: StoreData, household_id: str, lang: str, *, revealed: bool = False, note: str = ""
) -> html.Div:
    """The card of one household: guarantees and water, risks, C/D stage, helper, dates and timeliness.

    Names, ID number and phone are masked unless ``revealed`` (an admin who gave a reason, audited);
    an admin sees the form to ask for that. A household outside the account's township is not shown.
    """
    rec = data.records()
    h = rec["households"]
    match = h[h["household_id"] == household_id]
    if match.empty or not in_scope(match.iloc[0]["village_code"]):
        return html.Div(t("click_household", lang))
    row = match.iloc[0]

    def personal(column: str, mask: str) -> str:
        value = row[column]
        if pd.isna(value):
            return "—"
        return str(value) if revealed else str(MASKERS[mask](value))

    cases = rec["cases"]
    case = cases[cases["household_id"] == household_id] if "household_id" in cases else cases.iloc[:0]
    settings = get_settings()

    def yes_no(v: Any) -> str:
        return "—" if pd.isna(v) else t("yes" if bool(v) else "no", lang)

    def date(v: Any) -> str:
        return "—" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"

    def sla(start: Any, end: Any, limit: int) -> str:
        if pd.isna(start) or pd.isna(end):
            return "—"
        days = (pd.Timestamp(end) - pd.Timestamp(start)).days
        return f"{days} {'天' if lang == 'zh' else 'days'} · {t('ok' if days <= limit else 'late', lang)}"

    items = [
        ("household_id", row["household_id"]),
        ("head_name", personal("head_name", "head_name")),
        ("id_number", personal("id_number", "id_number")),
        ("phone", personal("phone", "phone")),
        ("status", t(f"status_{row['status']}", lang)),
        ("members", int(row["members"])),
        ("income", f"{row['per_capita_income']:,.0f}" if pd.notna(row["per_capita_income"]) else "—"),
        ("education_ok", yes_no(row["education_ok"])),
        ("medical_insured", yes_no(row["medical_insured"])),
        ("housing_grade", row["housing_grade"] if pd.notna(row["housing_grade"]) else "—"),
        ("water_safe", yes_no(row["water_safe"])),
        ("risk_types", risks_text(row["risk_types"], lang) if pd.notna(row["risk_types"]) else t("none", lang)),
        ("risk_eliminated", yes_no(row["risk_eliminated"])),
        ("cd_stage", ", ".join(t(f"stage_{s}", lang) for s in case["stage"]) if len(case) else t("none", lang)),
        ("helper", personal("helper", "head_name")),
        ("in_hazard", yes_no(row.get("in_hazard"))),
        ("risk_found_on", date(row["risk_found_on"])),
        ("identified_on", date(row["identified_on"])),
        ("entered_on", date(row["entered_on"])),
        ("sla_identify", sla(row["risk_found_on"], row["identified_on"], settings.timeliness.identify_days)),
        ("sla_entry", sla(row["identified_on"], row["entered_on"], settings.timeliness.entry_days)),
    ]
    return html.Div(
        [
            html.H3(t("household_card", lang)),
            html.Dl([part for key, value in items for part in (html.Dt(t(key, lang)), html.Dd(str(value)))]),
            *plan_panel.measure_list(rec, household_id, lang),
            *_reveal_form(household_id, lang, revealed=revealed, note=note),
        ],
        id=f"card-{html_lib.escape(str(household_id))}",
    )


def _reveal_form(household_id: str, lang: str, *, revealed: bool, note: str) -> list[Any]:
    """For admins: a reason box and a button that reveal this household's personal data (audited)."""
    if revealed:
        return [html.P(t("revealed", lang), className="revealed", id="reveal-message")]
    if not is_admin():
        return []
    return [
        html.Div(
            [
                dcc.Input(
                    id="reveal-reason",
                    placeholder=t("reveal_reason", lang),
                    type="text",
                    maxLength=text_limit("reason_chars"),
                ),
                html.Button(t("reveal_button", lang), id="reveal-button", className="btn", n_clicks=0),
                dcc.Store(id="reveal-household", data=household_id),
            ],
            className="reveal-form",
        ),
        html.P(note, id="reveal-message", className="login-message"),
    ]


def reveal(data: StoreData, household_id: str, reason: str | None, lang: str) -> html.Div:
    """The card with personal data shown, after auditing who asked, for which household and why."""
    reason = (reason or "").strip()
    account = current_account()
    if account is None or account.role != "admin":
        raise PreventUpdate  # the guard lets only admins reach this callback
    if len(reason) < get_settings().auth.min_reason_length:
        return household_card(data, household_id, lang, note=t("reveal_short", lang))
    if len(reason) > text_limit("reason_chars"):  # the audit log refuses it too; say so before looking anything up
        return household_card(data, household_id, lang, note=t("too_long_reason_chars", lang))
    h = data.records()["households"]
    match = h[h["household_id"] == household_id]
    if match.empty:
        raise PreventUpdate
    PrivateDB.beside(data.store).audit(
        who=account.name,
        action="reveal",
        target=household_id,
        reason=reason,
        detail={
            "village_code": str(match.iloc[0]["village_code"]),
            "fields": ["head_name", "id_number", "phone", "helper"],
        },
    )
    return household_card(data, household_id, lang, revealed=True)


def _register_callbacks(app: dash.Dash, data: StoreData) -> None:
    register_callbacks(app, data)
    _register_navigation(app, data)
    _register_view(app, data)
    plan_panel.register(app, data)
    finding_panel.register(app, data, lambda state: _from_store(data, state))
    documents.register(app, data, lambda state: _from_store(data, state))


def _register_navigation(app: dash.Dash, data: StoreData) -> None:
    """Clicks and the layer picker become URLs; a URL change redraws in place; a household click shows its card."""

    @app.callback(
        Output(GRAPH, "figure", allow_duplicate=True),
        Output("map-legend", "children"),
        Output("breadcrumb", "children"),
        Output("layer-picker", "value"),
        Output("map-state", "data"),
        Output("context-layers", "value"),
        Output("context-layers", "options"),
        Output("household-card", "children", allow_duplicate=True),
        Output("period-picker", "value"),
        Output("compare-picker", "value"),
        Output("compare-mode", "value"),
        Input("map-url", "search"),
        State("map-url", "pathname"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )
    def on_url(search: str | None, pathname: str | None, shown: dict) -> tuple[Any, ...]:
        if pathname != PATH:
            raise PreventUpdate
        state = _state(data, dict(parse_qsl((search or "").lstrip("?"))))
        if state.lang != shown.get("lang"):
            raise PreventUpdate  # the language link reloads the page
        keys = ("area", "town", "village", "layer", "period", "compare", "mode")
        if all(getattr(state, k) == shown.get(k) for k in keys):
            raise PreventUpdate  # the page was just drawn for this URL (the Location reports it on mount)
        content = map_content(data, state)
        layer = dash.no_update if state.layer == shown.get("layer") else state.layer
        return (
            content.figure,
            content.legend,
            content.crumbs,
            layer,
            content.store,
            content.visible,
            _context_options(content.offered, state.lang),
            t("click_household", state.lang),
            *(dash.no_update if getattr(state, k) == shown.get(k) else v for k, v in _pickers(state).items()),
        )

    app.clientside_callback(  # in the browser: a unit click is a URL change, no round trip first
        """function(click, state) {
            const point = ((click || {}).points || [])[0] || {};
            const meta = (state.groups || [])[point.curveNumber];
            let code = Array.isArray(point.customdata) ? point.customdata[0] : point.customdata;
            const none = window.dash_clientside.no_update;
            if (!code) { return [none, none]; }
            code = String(code);
            if (meta === 'units' && state.drill && state.drill[code]) { return [state.drill[code], none]; }
            if (meta === 'households') { return [none, code]; }
            return [none, none];
        }""",
        Output("url", "href", allow_duplicate=True),
        Output("household-click", "data"),
        Input(GRAPH, "clickData"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("household-card", "children", allow_duplicate=True),
        Input("household-click", "data"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )
    def on_household_click(household_id: str | None, state: dict) -> Any:
        if not household_id:
            raise PreventUpdate
        return household_card(data, html_lib.unescape(household_id), state["lang"])

    app.clientside_callback(  # in the browser: a month chosen is a URL change, no round trip (the server checks it)
        """function(period, compare, mode, state) {
            const shown = [state.period || NOW, state.compare || NOW, state.mode || 'change'];
            if (period === shown[0] && compare === shown[1] && mode === shown[2]) {
                return window.dash_clientside.no_update;
            }
            const url = new URL(window.location.href);
            const set = (key, value) => (value && value !== NOW
                ? url.searchParams.set(key, value) : url.searchParams.delete(key));
            set('period', period);
            set('compare', compare);
            set('mode', compare && compare !== NOW && mode === 'side' ? 'side' : null);
            return url.pathname + url.search;
        }""".replace("NOW", repr(NOW)),
        Output("url", "href", allow_duplicate=True),
        Input("period-picker", "value"),
        Input("compare-picker", "value"),
        Input("compare-mode", "value"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("url", "href", allow_duplicate=True),
        Input("layer-picker", "value"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )
    def on_layer(layer: str, state: dict) -> Any:
        if layer == state["layer"]:
            return dash.no_update
        return _from_store(data, state).href(layer=layer)


def _register_view(app: dash.Dash, data: StoreData) -> None:
    """Register the panel and register fill-ins, selection, context-layer toggles and CSV export."""
    app.clientside_callback(  # the panel waits for the map: both drawing at once makes both slower
        """function(state) {
            const view = state.village || state.town || state.area || state.top || 'county';
            const started = Date.now();
            return new Promise(resolve => {
                const check = () => {
                    const gd = document.querySelector('#map-graph .js-plotly-plot');
                    const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
                    const drawn = sub && [view, view + '-side'].includes(gd.layout.uirevision) && sub.map.loaded();
                    if (drawn || Date.now() - started > MAX_WAIT_MS) { resolve(state); } else { setTimeout(check, 50); }
                };
                check();
            });
        }""".replace("MAX_WAIT_MS", "3000"),
        Output("map-drawn", "data"),
        Input("map-state", "data"),
    )

    @app.callback(Output("unit-panel-body", "children"), Input("map-drawn", "data"))
    def fill_panel(state: dict) -> list[Any]:
        return panel_content(data, _from_store(data, state))

    @app.callback(Output("household-section", "children"), Input("map-drawn", "data"))
    def fill_households(state: dict) -> Any:
        current = _from_store(data, state)
        if current.level != "village":
            return html.Div(id="household-card", hidden=True)
        return register_section(current.lang)

    _register_selection(app, data)
    with restricted(app, ADMIN):

        @app.callback(
            Output("household-card", "children", allow_duplicate=True),
            Input("reveal-button", "n_clicks"),
            State("reveal-reason", "value"),
            State("reveal-household", "data"),
            State("map-state", "data"),
            prevent_initial_call=True,
        )
        def on_reveal(n: int | None, reason: str | None, household_id: str | None, state: dict) -> Any:
            if not n or not household_id:
                raise PreventUpdate
            return reveal(data, household_id, reason, state["lang"])


def _register_selection(app: dash.Dash, data: StoreData) -> None:
    """Register the household card from the register, context toggles and the exports."""

    @app.callback(
        Output("household-card", "children", allow_duplicate=True),
        Input("household-grid", "selectedRows"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )
    def on_row(rows: list[dict] | None, state: dict) -> Any:
        if not rows:
            return dash.no_update
        return household_card(data, rows[0]["household_id"], state["lang"])

    app.clientside_callback(  # in the browser: restyle the figure on screen, never a stale copy of it
        """function(groups) {
            const gd = document.querySelector('#map-graph .js-plotly-plot');
            if (!gd || !gd.data) { return window.dash_clientside.no_update; }
            const idx = [], vis = [];
            gd.data.forEach((trace, i) => {
                if (GROUPS.includes(trace.meta)) {
                    const want = groups.includes(trace.meta) ? true : 'legendonly';
                    if ((trace.visible === undefined ? true : trace.visible) !== want) { idx.push(i); vis.push(want); }
                }
            });
            if (idx.length) { Plotly.restyle(gd, {visible: vis}, idx); }
            return window.dash_clientside.no_update;
        }""".replace("GROUPS", json.dumps(list(CONTEXT_GROUPS))),
        Output("context-layers", "className"),
        Input("context-layers", "value"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("export-download", "data"),
        Input("export-html", "n_clicks"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )
    def on_export_html(_n: int, state: dict) -> dict:
        current = _from_store(data, state)
        households = masked_households(data, current.village) if current.level == "village" else None
        name = current.code or current.top
        audit_export(data, "export:html", name, layer=current.layer)
        return dcc.send_string(
            export_html(data, current, households=households), f"battlemap-{name}-{current.layer}.html"
        )


def _pickers(state: MapState) -> dict[str, str]:
    """The period controls' values for ``state``."""
    return {"period": state.period or NOW, "compare": state.compare or NOW, "mode": state.mode}


def _from_store(data: StoreData, state: dict) -> MapState:
    """The page state kept in the ``map-state`` store, as the browser sent it: known codes within the user's scope.

    Unknown codes, layers and languages never reach a cache key (each would be a new entry).
    """
    asked = state if isinstance(state, dict) else {}
    current = _state(data, asked)
    shown = (current.area, current.town, current.village)
    if shown != tuple(asked.get(k) or None for k in ("area", "town", "village")):
        raise PreventUpdate  # a code the store does not have, or outside the account's scope
    return current
