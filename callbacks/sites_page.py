"""The /sites page (搬迁选址): weights, AHP and constraints on the left; suitability and candidates on the map.

Three caches make a change cheap: the site model (landscape and criteria rasters) once
per store version, the movers' plan once per choice of movers, and nothing for weights
or constraints — those only re-weight the cached value stack (tens of milliseconds on the
county's 100 m grid). The map is drawn once with its context layers; each recompute
patches the surface image and the fixed set of origin/candidate traces in place.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import dash
import numpy as np
import pandas as pd
from dash import ALL, Input, Output, Patch, State, dcc, html

from analytics.ahp import InconsistentJudgementsError, ahp_weights, consistency, pairwise_matrix
from analytics.levels import inside
from analytics.site_assignment import Assignment, assign_movers, parse_capacities, with_assignment
from analytics.site_robustness import METHODS, QUANTILES, TOP, Robustness, site_robustness, with_robustness
from analytics.sites import (
    CRITERIA,
    SITE_LAYERS,
    MoverPlan,
    Selection,
    SiteModel,
    SiteResult,
    build_site_model,
    plan_movers,
    rank_sites,
)
from battlemap_cli.documents import county_name
from battlemap_cli.sites_report import report_bytes
from callbacks import sites_audit
from callbacks.access import audit_export, in_scope, scoped_part
from callbacks.store_data import StoreData, warm_cache
from geodata._errors import InputError, TextTooLong, without_paths
from geodata.io.spreadsheet import safe_csv
from geodata.settings import get_settings
from geodata.text_limits import check_length, text_limit
from layers.basemap import basemap_layers
from layers.i18n import lang_of, t
from layers.site_charts import tornado_figure
from layers.site_map import (
    SiteView,
    Surface,
    image_layer,
    legend_items,
    origins_lonlat,
    result_traces,
    sites_figure,
    sites_html,
    surface,
)
from layers.site_report import SiteReport
from layers.site_text import (
    assignment_rows,
    criterion_label,
    export_table,
    geojson_dict,
    measure_text,
    reasons,
    robustness_rows,
)
from layers.unit_map import Context

PATH = "/sites"
log = logging.getLogger(__name__)
PLANS_KEPT = 8  # movers' plans (with their origin rasters) kept in memory per server process
GRAPH = "sites-graph"
EXPORT_NOTE = "sites-export-note"
REPORT_BUTTON, REPORT_DOWNLOAD = "sites-export_site_report", "sites-report-download"
STATUS_KEYS = {"optimal": "assign_optimal", "feasible": "assign_feasible"}
CAPACITY_EXAMPLE = "S1=80, S2=60"
SAATY = ("9", "7", "5", "3", "1", "1/3", "1/5", "1/7", "1/9")
PAIRS = list(combinations(CRITERIA, 2))
JUDGEMENTS = "sites-judgements"  # the AHP judgements last applied (Saaty texts in PAIRS order)


def register(app: dash.Dash, data: StoreData) -> None:
    """Register the page and wire its callbacks."""
    dash.register_page("sites", path=PATH, title="搬迁选址 · Battlemap", layout=lambda **q: layout(data, **q))
    _register_recompute(app, data)
    _register_ahp(app)
    _register_exports(app, data)
    sites_audit.register(app, data, site_model)


def site_model(data: StoreData) -> SiteModel:
    """The site model of the store, or of the planner's part of it (built once per store version and part).

    A planner scoped to a part of the store (a county of a city store, a township) gets
    a model of that part only: its villages frame the landscape and only its households
    may move, so the surface, the candidates, the ranking and every export stay inside it.
    The other layers (roads, facilities, hazards, terrain) stay whole: a school across the
    county line is still reachable.
    """
    part = scoped_part()

    def build() -> SiteModel:
        layers = {n: f for n in SITE_LAYERS if (f := data.layer_or_none(n)) is not None}
        records = data.records()
        if part is not None:
            layers.update(
                {n: inside(layers[n], part, "village_code") for n in ("villages", "households") if n in layers}
            )
            records = records.within(part)
        return build_site_model(layers, settings=get_settings(), records=records)

    return data.cached(f"sites:model:{part or ''}", build)


def warm(data: StoreData) -> None:
    """Build the site model (a few seconds on a county) ahead of a planner's first /sites."""
    warm_cache("the site model", lambda: site_model(data))


def mover_plan(data: StoreData, selection: Selection) -> MoverPlan:
    """The movers' plan for ``selection`` (cached per selection and store version)."""
    key = f"{scoped_part() or ''}:{selection!r}"  # a scoped planner's movers come from their part only
    return data.cached_recent("sites:plan", key, lambda: plan_movers(site_model(data), selection), keep=PLANS_KEPT)


@dataclass(frozen=True)
class Controls:
    """Everything the planner set on the left, parsed."""

    weights: dict[str, float]
    slope_limit: float
    hazard_buffer: float
    top_k: int
    selection: Selection
    draws: int = 0  # robustness draws (0: none)
    method: str = "dirichlet"
    sites: int | None = None  # sites chosen together (None: no assignment)
    capacity: tuple[str, ...] = ()  # typed capacities, "S1=80" each
    judged: tuple[str, ...] = ()  # the applied AHP judgements, while the sliders still hold the weights they gave

    @classmethod
    def parse(cls, values: list[Any]) -> Controls:
        """Controls from the callback's values in ``CONTROL_INPUTS`` order (None falls back to the settings)."""
        weights, slope, buffer, top, households, add, drop, add_hh, drop_hh, draws, method, k, capacity, *judged = (
            values
        )
        s = get_settings().sites
        n = int(households) if households else s.page_households
        top_k = int(min(max(top or s.top_k, 1), s.max_top_k))
        check_length(capacity, what="site capacities", setting="site_capacities_chars")
        chosen = dict(zip(CRITERIA, (float(w or 0) for w in weights), strict=True))
        return cls(
            weights=chosen,
            slope_limit=float(slope if slope is not None else s.slope_limit_deg),
            hazard_buffer=float(buffer if buffer is not None else s.hazard_buffer_m),
            top_k=top_k,
            selection=Selection(
                households=max(n, 1),
                add_villages=tuple(add or ()),
                drop_villages=tuple(drop or ()),
                add_households=_ids(add_hh),
                drop_households=_ids(drop_hh),
            ),
            draws=int(min(max(draws if draws is not None else s.sensitivity_draws, 0), s.max_sensitivity_draws)),
            method=method if method in METHODS else s.sensitivity_method,
            sites=int(k) if k else None,
            capacity=_items(capacity),
            judged=_still_applied(judged[0] if judged else None, chosen),
        )

    @property
    def judgements(self) -> np.ndarray | None:
        """The pairwise matrix behind the weights (None when the weights were set on the sliders)."""
        return judgement_matrix(list(self.judged)) if self.judged else None


def _still_applied(stored: Any, weights: dict[str, float]) -> tuple[str, ...]:
    """The applied judgements if the sliders still hold the weights they gave; () once a slider moved.

    The store comes from the browser, so only Saaty texts are taken and the weights are
    derived again here rather than trusted.
    """
    if not isinstance(stored, list) or len(stored) != len(PAIRS) or not all(v in SAATY for v in stored):
        return ()
    derived = consistency(CRITERIA, judgement_matrix(stored))
    if derived.cr > get_settings().sites.ahp_cr_limit:
        return ()
    on_sliders = all(abs(_slider_weight(derived.weights[c]) - weights[c]) < 1e-6 for c in CRITERIA)
    return tuple(stored) if on_sliders else ()


def _slider_weight(weight: float) -> float:
    """A derived weight as the apply button puts it on its slider."""
    return round(weight, 2)


def _ids(text: str | None) -> tuple[str, ...]:
    """Household IDs typed into a box, separated by commas (either width), semicolons or spaces; TextTooLong if long."""
    check_length(text, what="household IDs", setting="household_ids_chars")
    return _items(text)


def _items(text: str | None) -> tuple[str, ...]:
    """Items typed into a box, separated by commas (either width), semicolons or spaces, each once."""
    return tuple(dict.fromkeys(p for p in re.split(r"[,，;；、\s]+", text or "") if p))


def _household_ids(data: StoreData) -> frozenset[str]:
    """Every household ID of the store or the planner's part (to name the ones typed in that are not there)."""
    return frozenset(site_model(data).households["household_id"].astype(str))


def compute(data: StoreData, controls: Controls) -> tuple[SiteModel, MoverPlan, SiteResult]:
    """Rank the sites for ``controls`` (the model and plan from the cache)."""
    model = site_model(data)
    plan = mover_plan(data, controls.selection)
    result = rank_sites(
        model,
        plan,
        weights=controls.weights,
        slope_limit_deg=controls.slope_limit,
        hazard_buffer_m=controls.hazard_buffer,
        top_k=controls.top_k,
        sites=controls.sites or 1,
    )
    return model, plan, result


@dataclass(frozen=True)
class Extras:
    """Robustness and assignment of a ranking as the controls ask for them, and why either could not be made."""

    robustness: Robustness | None = None
    assignment: Assignment | None = None
    refused: str | None = None  # the assignment's refusal (capacities, whole villages, …)
    judgements: np.ndarray | None = None  # the planner's AHP matrix behind the weights (for the report)


def compute_extras(model: SiteModel, plan: MoverPlan, result: SiteResult, controls: Controls) -> Extras:
    """Rank robustness (when draws are asked for) and the assignment (when several sites are)."""
    robustness, judgements = None, controls.judgements
    if controls.draws and len(result.candidates):
        robustness = site_robustness(
            model, plan, result, draws=controls.draws, method=controls.method, judgements=judgements
        )
    if not controls.sites:
        return Extras(robustness, judgements=judgements)
    try:
        capacity = parse_capacities(controls.capacity)
        assignment = assign_movers(model, plan, result, k=controls.sites, capacity=capacity)
    except InputError as exc:
        return Extras(robustness, refused=without_paths(str(exc)), judgements=judgements)
    return Extras(robustness, assignment, judgements=judgements)


def _view(model: SiteModel, plan: MoverPlan, result: SiteResult, lang: str, extras: Extras | None = None) -> SiteView:
    origins = origins_lonlat(plan.origins.table, model.land.grid.epsg)
    flows = extras.assignment.flows if extras is not None and extras.assignment is not None else None
    return SiteView(result, model.land.grid, model.land.inside, origins, lang, flows=flows)


# ---- layout -------------------------------------------------------------------------------------------------------


def layout(data: StoreData, /, lang: str | None = None, tab: str | None = None, **_query: Any) -> html.Div:
    """Two tabs: the ranking (controls left, map and comparison right) and the audit of the built sites."""
    lang = lang_of(lang)
    s = get_settings().sites
    other = "en" if lang == "zh" else "zh"
    villages = data.shapes("village")
    villages = villages[villages["code"].map(in_scope)]  # a scoped planner moves households of their part only
    options = [{"label": f"{n} ({c})", "value": c} for c, n in zip(villages["code"], villages["name"], strict=True)]
    return html.Div(
        [
            html.Div(
                [
                    html.H1(t("sites_title", lang), className="page-title"),
                    html.Div(
                        [
                            html.A(
                                t("language", lang),
                                href=f"{PATH}?lang={other}",
                                id="lang-switch",
                                className="lang-switch",
                            ),
                            html.Span(  # the ranking's exports: hidden while the audit tab is shown
                                [
                                    html.Button(t(k, lang), id=f"sites-{k}", className="btn")
                                    for k in ("export_geojson", "export_sites_csv", "export_html", "export_site_report")
                                ],
                                id=sites_audit.RANKING_EXPORTS,
                                hidden=tab == sites_audit.AUDIT,
                            ),
                            dcc.Download(id="sites-download"),
                            dcc.Download(id=REPORT_DOWNLOAD),
                            html.Div(id=EXPORT_NOTE, role="alert"),
                        ],
                        className="toolbar",
                    ),
                ],
                className="map-header",
            ),
            dcc.Tabs(
                [
                    dcc.Tab(
                        html.Div([_controls(s, options, lang), _results(data, lang)], className="map-body"),
                        label=t("tab_ranking", lang),
                        value=sites_audit.RANKING,
                        id="sites-tab-ranking",
                    ),
                    dcc.Tab(
                        sites_audit.audit_tab(lang),
                        label=t("audit_built", lang),
                        value=sites_audit.AUDIT,
                        id="sites-tab-audit",
                    ),
                ],
                id=sites_audit.TABS,
                value=sites_audit.AUDIT if tab == sites_audit.AUDIT else sites_audit.RANKING,
                className="sites-tabs",
            ),
            dcc.Store(id="sites-lang", data=lang),
            dcc.Store(id=JUDGEMENTS),
        ],
        className="map-page sites-page",
        lang="en" if lang == "en" else "zh-CN",
    )


def _controls(s: Any, village_options: list[dict], lang: str) -> html.Aside:
    sliders = [
        html.Div(
            [
                html.Label(criterion_label(c, lang), className="weight-label"),
                _slider({"type": "site-weight", "criterion": c}, (0, 1, 0.05), float(s.weights.get(c, 0.0))),
            ],
            className="weight-row",
            id=f"weight-{c}",
        )
        for c in CRITERIA
    ]
    return html.Aside(
        [
            html.H3(t("movers", lang)),
            html.Label(t("site_households", lang), htmlFor="sites-households"),
            dcc.Input(id="sites-households", type="number", min=1, step=1, value=s.page_households, debounce=True),
            html.Label(t("add_villages", lang)),
            dcc.Dropdown(id="sites-add", options=village_options, multi=True),
            html.Label(t("drop_villages", lang)),
            dcc.Dropdown(id="sites-drop", options=village_options, multi=True),
            html.Label(t("add_households", lang), htmlFor="sites-add-hh"),
            _text_box("sites-add-hh", t("household_ids_hint", lang), "household_ids_chars"),
            html.Label(t("drop_households", lang), htmlFor="sites-drop-hh"),
            _text_box("sites-drop-hh", t("household_ids_hint", lang), "household_ids_chars"),
            html.H3(t("weights", lang)),
            *sliders,
            html.Div(id="sites-weight-share", className="weight-share"),
            _ahp_panel(lang),
            html.H3(t("constraints", lang)),
            html.Label(t("slope_limit", lang)),
            _slider("sites-slope", (5, 35, 1), s.slope_limit_deg),
            html.Label(t("hazard_buffer", lang)),
            _slider("sites-buffer", (0, 1000, 50), s.hazard_buffer_m),
            html.Label(t("top_k", lang), htmlFor="sites-top"),
            dcc.Input(id="sites-top", type="number", min=1, max=s.max_top_k, step=1, value=s.top_k, debounce=True),
            *_extra_controls(s, lang),
        ],
        className="sites-controls",
    )


def _extra_controls(s: Any, lang: str) -> list[Any]:
    """Rank robustness (draws, method) and several sites chosen together (how many, typed capacities)."""
    return [
        html.H3(t("robustness", lang)),
        html.Label(t("sensitivity_draws", lang), htmlFor="sites-draws"),
        dcc.Input(
            id="sites-draws",
            type="number",
            min=0,
            max=s.max_sensitivity_draws,
            step=100,
            value=s.sensitivity_draws,
            debounce=True,
        ),
        html.Label(t("sensitivity_method", lang), htmlFor="sites-method"),
        dcc.Dropdown(
            id="sites-method",
            options=[{"label": t(f"method_{m}", lang), "value": m} for m in METHODS],
            value=s.sensitivity_method,
            clearable=False,
        ),
        html.H3(t("assignment", lang)),
        html.Label(t("sites_together", lang), htmlFor="sites-k"),
        dcc.Input(id="sites-k", type="number", min=1, max=s.max_top_k, step=1, value=None, debounce=True),
        html.Label(t("capacity_override", lang, example=CAPACITY_EXAMPLE), htmlFor="sites-capacity"),
        _text_box("sites-capacity", t("capacity_hint", lang), "site_capacities_chars"),
    ]


def _slider(ident: Any, scale: tuple[float, float, float], value: float) -> dcc.Slider:
    """A compact slider (no marks, no input box) that reports on release, not while dragging."""
    lo, hi, step = scale
    lo, hi = min(lo, value), max(hi, value)  # a configured value outside the usual range stays selectable
    return dcc.Slider(
        lo,
        hi,
        step,
        value=value,
        marks=None,
        allow_direct_input=False,
        updatemode="mouseup",
        tooltip={"placement": "top"},
        id=ident,
    )


def _ahp_panel(lang: str) -> html.Details:
    rows = [
        html.Div(
            [
                html.Span(criterion_label(a, lang), className="ahp-a"),
                dcc.Dropdown(
                    options=[{"label": v, "value": v} for v in SAATY],
                    value="1",
                    clearable=False,
                    id={"type": "ahp-pair", "pair": f"{a}|{b}"},
                    className="ahp-value",
                ),
                html.Span(criterion_label(b, lang), className="ahp-b"),
            ],
            className="ahp-row",
        )
        for a, b in PAIRS
    ]
    return html.Details(
        [
            html.Summary(t("ahp", lang)),
            html.P(t("ahp_help", lang), className="ahp-help"),
            *rows,
            html.Div(id="ahp-cr", className="ahp-cr"),
            html.Button(t("ahp_apply", lang), id="ahp-apply", className="btn"),
            html.Div(id="ahp-message", className="ahp-message"),
        ],
        className="ahp-panel",
        id="ahp-panel",
    )


def _results(data: StoreData, lang: str) -> html.Div:
    """The map (drawn once with context layers; results patched in) and the comparison table."""
    settings = get_settings()
    figure = _empty_figure(data, lang)
    return html.Div(
        [
            dcc.Loading(
                [
                    html.P(id="sites-summary", className="summary"),
                    dcc.Graph(
                        id=GRAPH,
                        figure=figure,
                        config={"displaylogo": False, "scrollZoom": True},
                        style={"height": "620px"},
                    ),
                    html.Div(id="sites-legend", className="map-legend"),
                    html.Div(id="sites-table", className="sites-table"),
                    html.Div(id="sites-robust", className="sites-robust"),
                    html.Div(id="sites-assign", className="sites-assign"),
                ],
                type="circle",
                delay_show=200,
                overlay_style={"visibility": "visible", "opacity": 0.55},
                id="sites-loading",
            ),
            dcc.Store(id="sites-image-index", data=len(basemap_layers(settings.map))),
        ],
        className="map-column sites-results",
    )


def _empty_figure(data: StoreData, lang: str) -> Any:
    """The map before the first result: context layers and empty result slots, framed on the county."""
    settings = get_settings()
    villages = data.shapes("village")
    bounds = villages[villages["code"].map(in_scope)].total_bounds  # the store, or the planner's part
    # facilities are left off: the criteria already measure them, and their dots would hide the candidates
    context = Context(roads=data.layer_or_none("roads"), hazards=data.layer_or_none("hazards"))
    model = site_model(data)
    empty = SiteResult.empty(model.land.grid.shape)
    view = SiteView(empty, model.land.grid, model.land.inside, origins_lonlat(_no_origins(), 4490), lang)
    fig, _ = sites_figure(view, context=context, basemap=settings.map, slots=settings.sites.max_top_k)
    fig.update_layout(map={"center": {"lon": float(bounds[[0, 2]].mean()), "lat": float(bounds[[1, 3]].mean())}})
    return fig


def _no_origins() -> Any:
    return pd.DataFrame({"village_code": [], "name": [], "households": [], "x": [], "y": []})


# ---- callbacks ----------------------------------------------------------------------------------------------------

CONTROL_INPUTS = [
    Input({"type": "site-weight", "criterion": ALL}, "value"),
    Input("sites-slope", "value"),
    Input("sites-buffer", "value"),
    Input("sites-top", "value"),
    Input("sites-households", "value"),
    Input("sites-add", "value"),
    Input("sites-drop", "value"),
    Input("sites-add-hh", "value"),
    Input("sites-drop-hh", "value"),
    Input("sites-draws", "value"),
    Input("sites-method", "value"),
    Input("sites-k", "value"),
    Input("sites-capacity", "value"),
    Input(JUDGEMENTS, "data"),
]
CONTROL_STATES = [State(i.component_id, i.component_property) for i in CONTROL_INPUTS]


def _register_recompute(app: dash.Dash, data: StoreData) -> None:
    @app.callback(
        Output(GRAPH, "figure"),
        Output("sites-table", "children"),
        Output("sites-legend", "children"),
        Output("sites-summary", "children"),
        Output("sites-weight-share", "children"),
        Output("sites-robust", "children"),
        Output("sites-assign", "children"),
        *CONTROL_INPUTS,
        State("sites-lang", "data"),
        State("sites-image-index", "data"),
    )
    def recompute(*args: Any) -> tuple[Any, ...]:
        *values, lang, image_index = args
        controls, refused = _parsed_controls(data, values, lang)
        if controls is None or refused is not None:
            return dash.no_update, html.Div(refused, className="bad", id="sites-input-error"), *([dash.no_update] * 5)
        try:
            model, plan, result = compute(data, controls)
            extras = compute_extras(model, plan, result, controls)
        except InputError as exc:
            return dash.no_update, html.Div(without_paths(str(exc)), className="bad"), *([dash.no_update] * 5)
        view = _view(model, plan, result, lang, extras)
        image = surface(view)
        share = t("weight_share", lang) + ("、" if lang == "zh" else ", ").join(
            f"{criterion_label(c, lang)} {w:.0%}" for c, w in result.weights.items() if w > 0
        )
        return (
            _patch(view, image, image_index),
            comparison_table(result, lang),
            _legend(view, image),
            _summary(plan, result, lang),
            share,
            robustness_panel(extras.robustness, lang),
            assignment_panel(extras, lang),
        )


def _patch(view: SiteView, s: Surface, image_index: int) -> Patch:
    """Replace the surface image and the result traces (the last ones) of the figure on screen."""
    patch = Patch()
    patch["layout"]["map"]["layers"][image_index] = image_layer(s, get_settings().map)
    traces = result_traces(view, slots=get_settings().sites.max_top_k)
    for k, trace in enumerate(traces):
        patch["data"][k - len(traces)] = trace.to_plotly_json()
    return patch


def _summary(plan: MoverPlan, result: SiteResult, lang: str) -> str:
    movers = plan.movers
    villages = movers["village_code"].nunique() if len(movers) else 0
    text = t("movers_summary", lang, n=len(movers), v=villages, a=result.needed_m2 / 1e4)
    if result.per_site and result.per_site != result.households:  # several sites share the movers
        text += " · " + t("per_site_summary", lang, p=result.per_site)
    if result.candidates.empty:
        text += " · " + t("no_sites", lang)
    return text


def _legend(view: SiteView, s: Surface) -> list[Any]:
    return [
        html.Div([html.Span(className="swatch", style={"background": c}), html.Span(label)], className="item")
        for c, label in legend_items(view, s)
    ]


def comparison_table(result: SiteResult, lang: str) -> Any:
    """One row per candidate: rank, score, place, area, capacity, travel, criterion values; its reason beneath."""
    cands = result.candidates
    if cands.empty:
        return html.P(t("no_sites", lang), className="bad")
    head = [
        t("rank_col", lang),
        t("candidate", lang),
        t("score", lang),
        t("located_in", lang),
        t("area_ha", lang),
        t("capacity", lang),
        t("travel_min", lang),
        *(criterion_label(c, lang) for c in CRITERIA),
    ]
    why = reasons(cands, lang)
    rows: list[Any] = []
    for i, r in enumerate(cands.itertuples()):
        cells = [
            r.rank,
            r.site_id,
            f"{r.score:.1f}",
            r.village_name or "—",
            f"{r.area_ha:.1f}",
            r.capacity,
            f"{r.minutes_mean:.0f} / {r.minutes_max:.0f}" if np.isfinite(r.minutes_mean) else "—",
        ]
        crit = [
            html.Td(f"{getattr(r, f'value_{c}'):.0f}", title=measure_text(c, getattr(r, f"measure_{c}")))
            for c in CRITERIA
        ]
        rows.append(
            html.Tr(
                [*(html.Td(str(c)) for c in cells), *crit],
                className="site-row",
                **{"data-site": f"{r.lon:.4f},{r.lat:.4f}"},
            )
        )
        rows.append(html.Tr(html.Td(why[i], colSpan=len(head)), className="reason-row"))
    return html.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        className="kpi-table",
        id="sites-comparison",
    )


def robustness_panel(robustness: Robustness | None, lang: str) -> Any:
    """Per site: the share of draws ranked first and in the top 3, the 5th–95th percentile rank; the tornado."""
    if robustness is None:
        return []
    rows = robustness_rows(robustness, lang)
    low, high = (round(q * 100) for q in QUANTILES)
    head = [
        t("candidate", lang),
        t("p_top1", lang),
        t("p_top3", lang, k=TOP),
        t("rank_range", lang, low=low, high=high),
    ]
    body = [
        html.Tr([html.Td(r.site), html.Td(f"{r.p_top1:.1f}%"), html.Td(f"{r.p_top3:.1f}%"), html.Td(r.rank_5_95)])
        for r in rows.itertuples()
    ]
    method = t(f"method_{robustness.method}", lang)
    return [
        html.H3(t("robustness", lang)),
        html.P(t("robust_summary", lang, n=robustness.draws, method=method), className="summary"),
        html.Table(
            [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
            className="kpi-table",
            id="sites-robustness",
        ),
        dcc.Graph(figure=tornado_figure(robustness, lang), config={"displayModeBar": False}, id="sites-tornado"),
    ]


def assignment_panel(extras: Extras, lang: str) -> Any:
    """Per opened site: households against capacity, its villages, mean and worst drive; or why none fits."""
    if extras.refused is not None:
        return [html.H3(t("assignment", lang)), html.P(extras.refused, className="bad", id="sites-assign-error")]
    a = extras.assignment
    if a is None:
        return []
    rows = assignment_rows(a, lang)
    head = [
        t("candidate", lang),
        t("assign_households", lang),
        t("capacity", lang),
        t("assign_villages", lang),
        t("travel_mean_max", lang),
    ]
    body = [
        html.Tr(
            [
                html.Td(r.site),
                html.Td(str(r.households)),
                html.Td(str(r.capacity)),
                html.Td(f"{r.villages}: {r.names}"),
                html.Td(f"{r.min_mean:.0f} / {r.min_max:.0f}"),
            ]
        )
        for r in rows.itertuples()
    ]
    names = ("、" if lang == "zh" else ", ").join(_village_names(a)) or t("none", lang)
    return [
        html.H3(t("assignment", lang)),
        html.P(f"{t(STATUS_KEYS[a.status], lang)} · {t('whole_villages', lang)}: {names}", className="summary"),
        html.Table(
            [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
            className="kpi-table",
            id="sites-assignment",
        ),
    ]


def _village_names(a: Assignment) -> list[str]:
    """The names of the whole-village moves (their codes where a name is missing)."""
    names = a.flows.drop_duplicates("village_code").set_index("village_code")["name"]
    return [str(names.get(v) or v) for v in a.whole_villages]


def _register_ahp(app: dash.Dash) -> None:
    @app.callback(
        Output("ahp-cr", "children"),
        Output("ahp-cr", "className"),
        Input({"type": "ahp-pair", "pair": ALL}, "value"),
        State("sites-lang", "data"),
    )
    def show_cr(values: list[str], lang: str) -> tuple[list[Any], str]:
        return ahp_feedback(values, lang)

    @app.callback(
        Output({"type": "site-weight", "criterion": ALL}, "value"),
        Output(JUDGEMENTS, "data"),
        Output("ahp-message", "children"),
        Output("ahp-message", "className"),
        Input("ahp-apply", "n_clicks"),
        State({"type": "ahp-pair", "pair": ALL}, "value"),
        State("sites-lang", "data"),
        prevent_initial_call=True,
    )
    def apply(_n: int, values: list[str], lang: str) -> tuple[Any, Any, str, str]:
        limit = get_settings().sites.ahp_cr_limit
        try:
            result = ahp_weights(CRITERIA, judgement_matrix(values), limit=limit)
        except InconsistentJudgementsError as exc:
            a, b = (criterion_label(c, lang) for c in exc.worst)
            text = f"{t('cr_refused', lang)} CR = {exc.cr:.3f}; {t('ahp_worst', lang)}: {a} — {b}"
            return [dash.no_update] * len(CRITERIA), dash.no_update, text, "ahp-message bad"
        weights = [_slider_weight(result.weights[c]) for c in CRITERIA]
        kept = [v if v in SAATY else "1" for v in values]
        return weights, kept, f"{t('cr_ok', lang)} CR = {result.cr:.3f} · {t('ahp_kept', lang)}", "ahp-message ok"


def ahp_feedback(values: list[str], lang: str) -> tuple[list[Any], str]:
    """The live consistency ratio against the limit and the weights the judgements give; a warning above it."""
    result = consistency(CRITERIA, judgement_matrix(values))
    limit = get_settings().sites.ahp_cr_limit
    ok = result.cr <= limit
    sep = "、" if lang == "zh" else ", "
    weights = sep.join(f"{criterion_label(c, lang)} {w:.0%}" for c, w in result.weights.items())
    lines: list[Any] = [
        html.Div(f"{t('consistency_ratio', lang)} = {result.cr:.3f} {'≤' if ok else '>'} {limit}"),
        html.Div(t("ahp_live_weights", lang) + weights, className="ahp-weights"),
    ]
    if not ok:
        lines.append(html.Div(t("cr_warning", lang), role="alert"))
    return lines, "ahp-cr" if ok else "ahp-cr bad"


def judgement_matrix(values: list[str]) -> np.ndarray:
    """The pairwise matrix from the dropdowns (in the order of ``PAIRS``)."""
    judgements = {pair: _saaty(v) for pair, v in zip(PAIRS, values, strict=True)}
    return pairwise_matrix(CRITERIA, judgements)


def _saaty(text: str | None) -> float:
    if not text or text not in SAATY:
        return 1.0
    num, _, den = text.partition("/")
    return float(num) / float(den or 1)


def _register_exports(app: dash.Dash, data: StoreData) -> None:
    @app.callback(
        Output("sites-download", "data"),
        Output(EXPORT_NOTE, "children"),
        Input("sites-export_geojson", "n_clicks"),
        Input("sites-export_sites_csv", "n_clicks"),
        Input("sites-export_html", "n_clicks"),
        *CONTROL_STATES,
        State("sites-lang", "data"),
        prevent_initial_call=True,
    )
    def export(_g: int, _c: int, _h: int, *args: Any) -> tuple[Any, Any]:
        return _download(data, dash.ctx.triggered_id, list(args))

    @app.callback(
        Output(REPORT_DOWNLOAD, "data"),
        Output(EXPORT_NOTE, "children", allow_duplicate=True),
        Input(REPORT_BUTTON, "n_clicks"),
        *CONTROL_STATES,
        State("sites-lang", "data"),
        prevent_initial_call=True,
    )
    def export_report(_n: int, *args: Any) -> tuple[Any, Any]:
        return _download(data, REPORT_BUTTON, list(args))


def _download(data: StoreData, kind: Any, args: list[Any]) -> tuple[Any, Any]:
    """The file of export button ``kind`` for the controls (then the language) in ``args``, or why there is none."""
    *values, lang = args
    controls, refused = _parsed_controls(data, values, lang)
    if controls is not None and refused is None:
        try:
            model, plan, result = compute(data, controls)
            extras = compute_extras(model, plan, result, controls)
        except InputError as exc:  # the controls cannot be planned: say why beside the buttons
            refused = without_paths(str(exc))
    if controls is None or refused is not None:
        return dash.no_update, html.Div(refused, className="bad", id="sites-export-error")
    return _export_file(data, kind, model, plan, (result, extras), lang), ""


def _parsed_controls(data: StoreData, values: list[Any], lang: str) -> tuple[Controls | None, str | None]:
    """The parsed controls and why they cannot be planned (None when they can); no controls for text too long."""
    try:
        controls = Controls.parse(values)
    except TextTooLong as exc:  # the boxes stop at the limit; a request sent around them ends here
        return None, t(f"too_long_{exc.setting}", lang)
    return controls, _refusal(data, controls, lang)


def _refusal(data: StoreData, controls: Controls, lang: str) -> str | None:
    """Why the controls cannot be planned (household IDs typed in that do not exist), or None."""
    chosen = controls.selection
    unknown = sorted(set(chosen.add_households + chosen.drop_households) - _household_ids(data))
    if not unknown:
        return None
    return t("unknown_households", lang, ids="、".join(unknown[:5]) + (" …" if len(unknown) > 5 else ""))


def _export_file(  # noqa: PLR0917 - the ranked result and how to write it
    data: StoreData, kind: Any, model: SiteModel, plan: MoverPlan, ranked: tuple[SiteResult, Extras], lang: str
) -> dict:
    """The download of one export button (audited)."""
    result, extras = ranked
    audit_export(data, "export:sites", str(kind), households=result.households)
    cands = with_assignment(with_robustness(result.candidates, extras.robustness), extras.assignment)
    if kind == "sites-export_geojson":
        geo = geojson_dict(cands, result.travel, lang, robustness=extras.robustness, assignment=extras.assignment)
        return dcc.send_string(json.dumps(geo, ensure_ascii=False, indent=1), "sites.geojson")
    if kind == "sites-export_sites_csv":
        return dcc.send_string(safe_csv(export_table(cands, result.travel, lang), index=False), "sites.csv")
    if kind == REPORT_BUTTON:
        return dcc.send_bytes(_report_docx(data, model, plan, (result, extras), lang), "sites-report.docx")
    page = sites_html(
        _view(model, plan, result, lang, extras),
        title=f"{t('sites_title', lang)} · {result.households}",
        hazards=data.layer_or_none("hazards"),
        basemap=get_settings().map,
    )
    return dcc.send_string(page, "sites.html")


def _report_docx(
    data: StoreData, model: SiteModel, plan: MoverPlan, ranked: tuple[SiteResult, Extras], lang: str
) -> bytes:
    """The site-selection report of what the page shows, as Word (with the AHP matrix the planner applied)."""
    result, extras = ranked
    part = scoped_part()  # a scoped planner's report names their part (county or township), not the store
    if part is None:
        county = county_name(data.layer("villages"), data.layer_or_none("regions"))
    else:
        county = data.unit_names().get(part, part)
    report = SiteReport(
        model, plan, result, extras.judgements, extras.robustness, extras.assignment, county, dt.date.today()
    )
    return report_bytes(report, docx=True, lang=lang)


def _text_box(ident: str, placeholder: str, limit: str) -> dcc.Input:
    """A text box that sends on Enter or blur and holds at most the ``[limits]`` setting ``limit`` characters."""
    return dcc.Input(id=ident, type="text", placeholder=placeholder, debounce=True, maxLength=text_limit(limit))
