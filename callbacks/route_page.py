"""The /route page: plan an unannounced inspection (四不两直暗访), see it on a map, print it, download it.

Inputs on the left (date, stops, days, hours, start, seed); the plan is drawn and routed
by :mod:`analytics.inspection_plan`, stored for its owner in the private plan store
(audited), and shown as a map with numbered stops (the same offline Folium map as the
HTML export, in an iframe: its numbers need no font server), the stops in order with
arrival times, and the checklist. Downloads fetch the plan again through the owner
check, so every export is audited too. Findings after the visit go into the
``inspections`` layer through the same checks as ``battlemap inspections add``.

The user is the logged-in account (:func:`current_user`); only inspectors and admins
reach the page at all (:mod:`callbacks.access`), an inspector sees only their own plans,
an admin every plan.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Executor
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

import dash
import flask
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from analytics.inspection_plan import RouteContext, parse_lonlat, plan_inspection, records_on, route_context
from callbacks import field_page, security_headers
from callbacks.access import current_user, is_admin, scoped_part
from callbacks.field_page import desk_href, field_href
from callbacks.plan_access import viewer_plan
from callbacks.solver_pool import SolverPool
from callbacks.store_data import StoreData
from callbacks.top import page_top
from geodata._errors import BattlemapError, InputError, TextTooLong, without_paths
from geodata.private.findings import add_finding
from geodata.private.plan_store import PLAN_ID, PlanAccessError, PlanStore
from geodata.settings import get_settings
from geodata.text_limits import check_length, text_limit
from layers.checklist import day_lines, reasons_text, stop_sections, stop_title, warning_text
from layers.geometry import around_bounds, features_within
from layers.i18n import lang_of, t
from layers.route_export import plan_gpx, plan_html, plan_json, plan_map
from layers.route_kml import plan_kml
from layers.route_sheet import route_sheet_pdf

PATH = "/route"
MAP_PATH = "/route/map/"  # + plan id: the map page (access: callbacks.access.SUBPAGES)


class Ids(StrEnum):
    """Component ids of the page."""

    DATE = "route-date"
    STOPS = "route-stops"
    DAYS = "route-days"
    HOURS = "route-hours"
    START = "route-start"
    COUNTY = "route-county"
    SEED = "route-seed"
    RETURN = "route-return"
    OVERNIGHT = "route-overnight"
    PLAN = "route-plan"
    MINE = "route-mine"
    PLAN_ID = "route-plan-id"
    LANG = "route-lang"
    MESSAGE = "route-message"
    MAP = "route-map"
    SUMMARY = "route-summary"
    STOPS_TABLE = "route-stops-table"
    CHECKLIST = "route-checklist"
    DOWNLOADS = "route-downloads"
    GPX = "route-gpx"
    HTML = "route-html"
    JSON = "route-json"
    KML = "route-kml"
    SHEET = "route-sheet"  # the A4 route sheet per day (PDF)
    PRINT = "route-print"
    DOWNLOAD = "route-download"
    FINDING_STOP = "finding-stop"
    FINDING_TEXT = "finding-text"
    FINDING_SAVE = "finding-save"
    FINDING_MESSAGE = "finding-message"


def register(app: dash.Dash, data: StoreData) -> None:
    """Register the page and wire its callbacks."""
    dash.register_page("route", path=PATH, title="暗访路线 · Battlemap", layout=lambda **q: layout(data, **q))
    _register_planning(app, data, SolverPool(get_settings().server.solver_processes))
    _register_downloads(app, data)
    _register_findings(app, data)
    app.server.add_url_rule(f"{MAP_PATH}<plan_id>", "route_map", lambda plan_id: map_page(data, plan_id))
    field_page.register(app.server, data)  # the plan's phone page for the trip, offline


def _plans(data: StoreData) -> PlanStore:
    return PlanStore.beside(data.store)


def layout(data: StoreData, /, lang: str | None = None, **_query: Any) -> html.Div:
    """Inputs on the left; map, stops, checklist and downloads on the right."""
    lang = lang_of(lang)
    cfg = get_settings().route
    mine = _plans(data).plans(viewer=current_user(), admin=is_admin())
    other = "en" if lang == "zh" else "zh"

    def field(label: str, control: Any) -> html.Label:
        return html.Label([html.Span(t(label, lang)), control], className="route-field")

    counties = county_options(data)
    first = _county(data, None)  # the first county offered, or the account's part of the store
    inputs = html.Aside(
        [
            html.Div(  # a store of several counties: a plan is drawn and routed in one county
                field(
                    "plan_county",
                    dcc.Dropdown(
                        id=Ids.COUNTY,
                        options=counties,
                        value=counties[0]["value"] if counties else None,
                        clearable=False,
                    ),
                ),
                hidden=not counties,
            ),
            field("plan_date", dcc.Input(id=Ids.DATE, type="date", value=dt.date.today().isoformat())),
            field("plan_stops", dcc.Input(id=Ids.STOPS, type="number", min=1, max=cfg.max_stops, value=cfg.stops)),
            field("plan_days", dcc.Input(id=Ids.DAYS, type="number", min=1, max=cfg.max_days, value=1)),
            field("plan_hours", dcc.Input(id=Ids.HOURS, type="number", min=1, max=24, step=0.5, value=cfg.day_hours)),
            field(
                "plan_start",
                dcc.Input(
                    id=Ids.START,
                    type="text",
                    placeholder=_start_hint(data, first),
                    debounce=True,
                    maxLength=text_limit("short_text_chars"),
                ),
            ),
            field("plan_seed", dcc.Input(id=Ids.SEED, type="number", placeholder="—")),
            dcc.Checklist(
                id=Ids.RETURN,
                options=[{"label": t("plan_return", lang), "value": "return"}],
                value=["return"] if cfg.return_to_start else [],
            ),
            _overnight_box(data, lang, first),
            html.Button(t("plan_button", lang), id=Ids.PLAN, className="btn btn-primary", n_clicks=0),
            html.Div(id=Ids.MESSAGE, className="route-message"),
            field("plan_id", dcc.Dropdown(id=Ids.MINE, options=_plan_options(mine), placeholder="—", clearable=False)),
        ],
        className="route-inputs",
    )
    downloads = html.Div(
        [
            html.Button(t(key, lang), id=bid, className="btn", disabled=True)
            for key, bid in (
                ("download_gpx", Ids.GPX),
                ("download_html", Ids.HTML),
                ("download_json", Ids.JSON),
                ("download_kml", Ids.KML),
                ("download_sheet", Ids.SHEET),
                ("print", Ids.PRINT),
            )
        ],
        id=Ids.DOWNLOADS,
        className="route-downloads",
    )
    result = dcc.Loading(
        html.Div(
            [
                html.Iframe(id=Ids.MAP, className="route-map", src=None, sandbox="allow-scripts"),  # no same origin
                html.Div(t("plan_empty", lang), id=Ids.SUMMARY, className="route-summary"),
                html.Div(id=Ids.STOPS_TABLE),
                html.Div(id=Ids.CHECKLIST, className="route-checklist"),
                dcc.Store(id=Ids.PLAN_ID),  # inside the spinner: it turns while the plan is drawn and routed
            ]
        ),
        type="circle",
        id="route-loading",
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H1(t("route_title", lang), className="page-title"),
                    html.A(t("language", lang), href=f"{PATH}?lang={other}", className="lang-switch", id="lang-switch"),
                ],
                className="route-header",
            ),
            html.P(t("route_note", lang), className="summary"),
            html.Div(
                [inputs, html.Main([downloads, result, _finding_form(lang)], className="route-main")],
                className="route-body",
            ),
            dcc.Store(id=Ids.LANG, data=lang),
            dcc.Download(id=Ids.DOWNLOAD),
        ],
        className="route-page",
    )


def county_options(data: StoreData) -> list[dict[str, str]]:
    """The counties a plan may be drawn in when the page's top is above the county (else none: the county itself)."""
    top = page_top(data)
    if top.level in ("county", "town", "village"):
        return []
    names = data.unit_names()
    codes = [str(c) for c in data.indicators("county").index if top.code is None or str(c).startswith(top.code)]
    return [{"label": names.get(c, c), "value": c} for c in codes]


def _county(data: StoreData, county: str | None) -> str | None:
    """The unit a plan is drawn in: ``county`` of those the page offers (the first when none is chosen).

    Without a choice, the account's part of a larger store (its county or township: a
    township-scoped inspector draws stops in their township only), else None (the whole
    one-county store). A county the page does not offer (asked for around the page) is
    refused with InputError, never drawn.
    """
    options = [o["value"] for o in county_options(data)]
    part = scoped_part()
    if county in (None, ""):
        return options[0] if options else part
    if not options and (part is None or part.startswith(county)):
        return part  # the county the page is about (or a one-county store's own): nothing to choose
    if county not in options:
        msg = f"county {county!r} is not one you may plan in; plan in {', '.join(options) or part}"
        raise InputError(msg)
    return county


def _overnight_box(data: StoreData, lang: str, county: str | None = None) -> html.Div:
    """The overnight checkbox; disabled, with the reason shown, when the store has no township seats."""
    unavailable = not len(_context(data, county).seats)
    box = dcc.Checklist(
        id=Ids.OVERNIGHT,
        options=[{"label": t("plan_overnight", lang), "value": "overnight", "disabled": unavailable}],
        value=[],
    )
    note = html.Div(t("plan_overnight_unavailable", lang), className="route-message", id="route-overnight-note")
    return html.Div([box, note] if unavailable else [box])


def _plan_options(plans: Any) -> list[dict[str, str]]:
    return [{"label": f"{r.date} · {r.stops} · {r.plan_id}", "value": r.plan_id} for r in plans.itertuples()]


def _finding_form(lang: str) -> html.Section:
    """Record what was found at a stop (an inspections row, validated like an import)."""
    return html.Section(
        [
            html.H2(t("findings_add", lang)),
            dcc.Dropdown(id=Ids.FINDING_STOP, options=[], placeholder=t("village", lang), className="finding-stop"),
            dcc.Textarea(
                id=Ids.FINDING_TEXT,
                placeholder=t("form_problem", lang),
                className="finding-text",
                maxLength=text_limit("finding_chars"),
            ),
            html.Button(t("findings_add", lang), id=Ids.FINDING_SAVE, className="btn", n_clicks=0),
            html.Span(id=Ids.FINDING_MESSAGE, className="route-message"),
        ],
        className="finding-form",
    )


def make_plan(
    data: StoreData,
    *,
    date: dt.date,
    stops: int,
    days: int,
    hours: float,
    start: str | None,
    seed: int | None,
    back: bool,
    overnight: bool = False,
    executor: Executor | None = None,
    county: str | None = None,
) -> dict[str, Any]:
    """Draw and route a plan on the store's data (the spatial context cached per store version).

    ``executor`` runs the route search (the web app's :class:`~callbacks.solver_pool.SolverPool`);
    ``county`` draws it in that county of a store of several counties (default: the first).
    """
    settings = get_settings()
    county = _county(data, county)
    records = records_on(data.records(), data.layer_or_none("inspections"), date)
    return plan_inspection(
        records if county is None else records.within(county),
        _context(data, county),
        date=date,
        stops=stops,
        days=days,
        hours=hours,
        seed=seed,
        start=parse_lonlat(start) if start else None,
        return_to_start=back,
        overnight=overnight,
        settings=settings,
        executor=executor,
    )


def _context(data: StoreData, county: str | None = None) -> RouteContext:
    """The road graph, visit points and default start of the store or ``county`` (cached per store version)."""
    settings = get_settings()

    def build() -> RouteContext:
        villages, records = data.layer("villages"), data.records()
        roads, facilities = data.layer_or_none("roads"), data.layer_or_none("facilities")
        if county is not None:
            villages = villages[villages["village_code"].astype("str").str.startswith(county)]
            records = records.within(county)
            around = around_bounds(villages.total_bounds, settings.route.road_margin_km)
            roads, facilities = features_within(roads, around), features_within(facilities, around)
        return route_context(villages, roads, facilities, records, settings)

    return data.cached(f"route_context:{county}:{settings.roads!r}:{settings.route!r}", build)


def _start_hint(data: StoreData, county: str | None = None) -> str:
    """The default start as the placeholder of the start box: where a plan starts when it is left empty."""
    lon, lat, name = _context(data, county).start
    return f"{lon:.4f},{lat:.4f}" + (f" ({name})" if name else "")


def map_src(plan_id: str, lang: str) -> str:
    """The address of a plan's map page (:func:`map_page`), shown in the page's sandboxed iframe."""
    return f"{MAP_PATH}{plan_id}?{urlencode({'lang': lang_of(lang)})}"


def map_page(data: StoreData, plan_id: str) -> flask.Response:
    """The route map of a plan as its own page: the owner (or an admin) only, audited, sandboxed.

    A Folium page runs inline scripts, which the app's pages do not allow; served on its
    own it gets a policy of its own (:func:`callbacks.security_headers.sandboxed`). An id
    that is not a plan id, another inspector's plan and a missing plan are all 404.
    """
    if not PLAN_ID.fullmatch(plan_id):
        flask.abort(404)
    lang = lang_of(flask.request.args.get("lang"))
    try:
        plan = viewer_plan(data, plan_id, "route:map")
    except PlanAccessError:
        flask.abort(404)
    doc = plan_map(plan, lang, basemap=get_settings().map, outlines=data.shapes("village"))
    response = flask.Response(doc, mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-store"  # an unannounced visit's plan stays off shared caches
    return security_headers.sandboxed(response)


def plan_view(data: StoreData, plan: dict[str, Any], lang: str) -> tuple[Any, ...]:
    """Map address, summary, stop table, checklist and finding-stop options of a stored plan."""
    doc = map_src(plan["plan_id"], lang)
    summary = [html.Div(f"{t('plan_id', lang)}: {plan['plan_id']}", id="route-plan-label")]
    summary.append(  # the phone page for the trip; kept on the phone once opened (layers/field_pack.py)
        html.A(t("field_link", lang), href=field_href(plan["plan_id"], lang), className="btn", id="route-field-link")
    )
    summary.append(  # what the phone has sent for the plan, per stop (layers/field_desk.py)
        html.A(t("field_desk_link", lang), href=desk_href(plan["plan_id"], lang), className="btn", id="route-desk-link")
    )
    summary += [html.Div(line) for line in day_lines(plan, lang)]
    if plan["unfitted"]:
        names = "、".join(f"{s['village']}" for s in plan["unfitted"])
        summary.append(html.Div(f"{t('unfitted', lang)}: {names}", className="route-unfitted"))
    summary += [
        html.Div(f"{t('plan_warning', lang)}: {warning_text(w, lang)}", className="route-warning")
        for w in plan["warnings"]
        if w["code"] != "unfitted"
    ]  # the unfitted stops are listed above
    options = [{"label": f"{s['number']}. {s['village']}", "value": s["number"]} for s in plan["stops"]]
    return doc, summary, _stop_table(plan, lang), _checklist(plan, lang), options


def _stop(plan: dict[str, Any], number: Any) -> tuple[str, str | None]:
    """The village code and first team of the plan's stop ``number`` (the browser sends only the number)."""
    stop = next((s for s in plan["stops"] if str(s["number"]) == str(number)), None)
    if stop is None:
        msg = f"plan {plan['plan_id']} has no stop {number!r}"
        raise PlanAccessError(msg)
    return stop["village_code"], (stop["teams"][0]["team_id"] if stop["teams"] else None)


def _stop_table(plan: dict[str, Any], lang: str) -> html.Table:
    """The stops in order; each cell names its column (data-label), so a phone shows a row as a labelled card."""
    keys = ("stop_no", "day", "arrive", "depart", "village", "teams", "households_to_visit", "why_drawn")
    heads = [t(key, lang) for key in keys]

    def row(s: dict[str, Any]) -> html.Tr:
        cells = (
            s["number"],
            s["day"],
            s["arrive"][-5:],
            s["depart"][-5:],
            f"{s['village']} ({s['village_code']})",
            ", ".join(x["team_id"] for x in s["teams"]) or "—",
            ", ".join(f"{h['household_id']} {h['head'] or ''}" for h in s["households"]) or "—",
            reasons_text(s, lang),
        )
        return html.Tr([html.Td(c, **{"data-label": h}) for h, c in zip(heads, cells, strict=True)])

    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in heads])), html.Tbody([row(s) for s in plan["stops"]])],
        className="kpi-table route-stops",
        id="route-stop-rows",
    )


def _checklist(plan: dict[str, Any], lang: str) -> list[Any]:
    out: list[Any] = [html.H2(t("checklist", lang))]
    for stop in plan["stops"]:
        parts: list[Any] = [html.H3(stop_title(stop, lang))]
        for section in stop_sections(stop, lang):
            box = "" if section.form else "☐ "  # the form's fields are written in by hand
            parts += [html.H4(section.heading), html.Ul([html.Li(box + item) for item in section.items])]
        out.append(html.Section(parts, className="route-stop-checks"))
    return out


def _register_planning(app: dash.Dash, data: StoreData, solvers: SolverPool) -> None:
    """Plan on the button; reopen one of my plans from the list."""

    @app.callback(
        Output(Ids.PLAN_ID, "data"),
        Output(Ids.MESSAGE, "children"),
        Output(Ids.MINE, "options"),
        Input(Ids.PLAN, "n_clicks"),
        State(Ids.DATE, "value"),
        State(Ids.STOPS, "value"),
        State(Ids.DAYS, "value"),
        State(Ids.HOURS, "value"),
        State(Ids.START, "value"),
        State(Ids.SEED, "value"),
        State(Ids.RETURN, "value"),
        State(Ids.OVERNIGHT, "value"),
        State(Ids.LANG, "data"),
        State(Ids.COUNTY, "value"),
        prevent_initial_call=True,
        running=[(Output(Ids.PLAN, "disabled"), True, False)],
    )
    def on_plan(  # noqa: PLR0917 - Dash passes a callback's inputs and states by position
        _n: int,
        date: str | None,
        stops: Any,
        days: Any,
        hours: Any,
        start: str | None,
        seed: Any,
        back: list[str] | None,
        overnight: list[str] | None,
        lang: str,
        county: str | None,
    ) -> tuple[Any, ...]:
        try:
            check_length(start, what="start", setting="short_text_chars")
            plan = make_plan(
                data,
                date=_date(date),
                stops=int(stops or 0),
                days=int(days or 0),
                hours=float(hours or 0),
                start=(start or "").strip() or None,
                seed=None if seed in (None, "") else int(seed),
                back="return" in (back or []),
                overnight="overnight" in (overnight or []),
                executor=solvers.executor(),
                county=county,
            )
        except TextTooLong as exc:
            return dash.no_update, t(f"too_long_{exc.setting}", lang), dash.no_update
        except (BattlemapError, ValueError) as exc:
            return dash.no_update, without_paths(str(exc)), dash.no_update
        plans = _plans(data)
        plan_id = plans.save(plan, owner=current_user())["plan_id"]
        return plan_id, "", _plan_options(plans.plans(viewer=current_user(), admin=is_admin()))

    @app.callback(Output(Ids.START, "placeholder"), Input(Ids.COUNTY, "value"), prevent_initial_call=True)
    def on_county(county: str | None) -> str:
        try:
            return _start_hint(data, _county(data, county))
        except InputError:
            return ""  # a county the page does not offer: no hint

    @app.callback(
        Output(Ids.PLAN_ID, "data", allow_duplicate=True), Input(Ids.MINE, "value"), prevent_initial_call=True
    )
    def on_pick(plan_id: str | None) -> str:
        if not plan_id:
            raise PreventUpdate
        return plan_id

    @app.callback(
        Output(Ids.MAP, "src"),
        Output(Ids.SUMMARY, "children"),
        Output(Ids.STOPS_TABLE, "children"),
        Output(Ids.CHECKLIST, "children"),
        Output(Ids.FINDING_STOP, "options"),
        *[Output(b, "disabled") for b in (Ids.GPX, Ids.HTML, Ids.JSON, Ids.KML, Ids.SHEET, Ids.PRINT)],
        Input(Ids.PLAN_ID, "data"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def show(plan_id: str | None, lang: str) -> tuple[Any, ...]:
        if not plan_id:
            raise PreventUpdate
        try:  # an audited view; another inspector's plan is refused (and the refusal audited)
            plan = viewer_plan(data, plan_id)
        except PlanAccessError as exc:
            return None, str(exc), [], [], [], True, True, True, True, True, True
        return (*plan_view(data, plan, lang), False, False, False, False, False, False)

    app.clientside_callback(
        "function(n) { if (n) { window.print(); } return window.dash_clientside.no_update; }",
        Output(Ids.PRINT, "className"),
        Input(Ids.PRINT, "n_clicks"),
        prevent_initial_call=True,
    )


def _date(text: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        msg = f"not a date (YYYY-MM-DD): {text!r}"
        raise ValueError(msg) from None


def _register_downloads(app: dash.Dash, data: StoreData) -> None:
    """GPX, HTML, JSON, KML and the A4 route sheet (PDF) of the shown plan, each through the owner check, audited."""

    @app.callback(
        Output(Ids.DOWNLOAD, "data"),
        Input(Ids.GPX, "n_clicks"),
        Input(Ids.HTML, "n_clicks"),
        Input(Ids.JSON, "n_clicks"),
        Input(Ids.KML, "n_clicks"),
        Input(Ids.SHEET, "n_clicks"),
        State(Ids.PLAN_ID, "data"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def download(
        _g: int | None, _h: int | None, _j: int | None, _k: int | None, _s: int | None, plan_id: str | None, lang: str
    ) -> dict:
        kind = {Ids.GPX: "gpx", Ids.HTML: "html", Ids.JSON: "json", Ids.KML: "kml", Ids.SHEET: "pdf"}.get(
            dash.ctx.triggered_id
        )
        if not plan_id or kind is None:
            raise PreventUpdate
        try:
            plan = viewer_plan(data, plan_id, f"route:export:{kind}")
        except PlanAccessError:
            raise PreventUpdate from None
        if kind == "pdf":  # the inspector carries it where phones have no signal
            return dcc.send_bytes(route_sheet_pdf(plan, lang), f"{plan_id}.pdf")
        if kind == "gpx":
            text = plan_gpx(plan, lang)
        elif kind == "json":
            text = plan_json(plan)
        elif kind == "kml":
            text = plan_kml(plan, lang)
        else:
            text = plan_html(plan, lang, basemap=get_settings().map, outlines=data.shapes("village"))
        return dcc.send_string(text, f"{plan_id}.{kind}")


def _register_findings(app: dash.Dash, data: StoreData) -> None:
    """A finding typed in after the visit becomes an inspections row (validated, one transaction)."""

    @app.callback(
        Output(Ids.FINDING_MESSAGE, "children"),
        Input(Ids.FINDING_SAVE, "n_clicks"),
        State(Ids.PLAN_ID, "data"),
        State(Ids.FINDING_STOP, "value"),
        State(Ids.FINDING_TEXT, "value"),
        State(Ids.LANG, "data"),
        running=[(Output(Ids.FINDING_SAVE, "disabled"), True, False)],  # a double click files one finding
        prevent_initial_call=True,
    )
    def save(_n: int, plan_id: str | None, stop: Any, text: str | None, lang: str) -> str:
        if not plan_id or stop in (None, ""):
            raise PreventUpdate
        try:  # the stop is looked up in the inspector's own plan, never taken from the browser
            plan = viewer_plan(data, plan_id, "route:finding")
            village, team = _stop(plan, stop)
            new_id = add_finding(
                data.store, date=dt.date.today(), team_id=team, village_code=village, finding=text, who=current_user()
            )
        except TextTooLong as exc:  # the page's box stops at the limit; a request sent around it ends here
            return t(f"too_long_{exc.setting}", lang)
        except BattlemapError as exc:  # refused, or the store could not take it (disk full, database down)
            return without_paths(str(exc))
        data.start_rebuild("inspections")  # the indicators count open findings
        return f"{t('findings_saved', lang)}: {new_id}"
