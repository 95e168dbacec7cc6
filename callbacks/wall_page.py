"""The /wall page (作战图): a dark, full-screen battle map that runs unattended all day.

It opens with a kiosk token in the URL (``/wall?kiosk=…``; see :mod:`geodata.private.kiosk` and
:mod:`callbacks.access`) or for any county-wide account, and shows aggregates only: KPI
tiles, a village choropleth with the red villages outlined, and the red list. One timer
rotates the indicator (a click or touch pauses it; ``?indicator=`` pins one), another
checks the store's change stamp and updates the page in place. Every tick first asks
``/wall/alive`` whether the screen may still show the wall (it re-checks the token's
digest, like the access guard on every request), so a revoked token blanks the screen at
its next tick, before any data are asked for, and the screen then asks nothing more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import dash
import flask
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from analytics.kpis import Kpi, kpi_trends, wall_kpis
from analytics.levels import inside
from analytics.risk import counted_inputs
from callbacks.access import WALL, allowed, identity, request_identity, scoped_part
from callbacks.map_state import MapState
from callbacks.store_data import StoreData, warm_cache
from callbacks.top import page_top
from callbacks.views import choropleth_view, legend_items
from geodata.divisions import child_level
from geodata.settings import get_settings
from layers.catalog import BY_KEY
from layers.figure_json import json_ready
from layers.i18n import lang_of, pick, t
from layers.sparkline import sparkline_svg
from layers.wall import (
    BACKGROUND,
    RedEntry,
    TileText,
    detail_parts,
    figure_em,
    poor_villages_text,
    red_list,
    text_em,
    tile_text,
    unit_ranking,
    wall_figure,
)

log = logging.getLogger(__name__)
PATH = "/wall"
SCREENS = "wall-screens"  # the shared cache's list of the (language, map size) pairs walls were built for


def register(app: dash.Dash, data: StoreData) -> None:
    """Register the page and its timers."""
    dash.register_page("wall", path=PATH, title="作战图 · Battlemap", layout=lambda **q: layout(data, **q))
    _register_callbacks(app, data)


def warm(data: StoreData) -> None:
    """Compute last month's county figures ahead of the first wall screen."""
    warm_cache("the wall", data.county_last_month)


def rotation(pinned: str | None) -> list[str]:
    """The indicators the wall shows in turn: the pinned one only, else the settings' list."""
    keys = [k for k in get_settings().wall.indicators if k in BY_KEY] or list(BY_KEY)[:1]
    return [pinned] if pinned else keys


def screen_size(size: list[Any]) -> tuple[int, int]:
    """The map's size as the browser reported it, in steps of 40 px within a wall's range (it keys the cache)."""
    width, height = (int(float(v)) for v in size[:2])
    return (min(max(width, 320), 7680) // 40 * 40, min(max(height, 240), 4320) // 40 * 40)


def pinned_indicator(value: str | None) -> str | None:
    """The catalog key asked for by ``?indicator=`` (a key or one of the settings' short names)."""
    if not value:
        return None
    key = get_settings().wall.aliases.get(value, value)
    return key if key in BY_KEY else None


def may_view() -> bool:
    """True when this request comes from a live kiosk session or an account that may see the wall."""
    return allowed(WALL, identity())


def layout(
    data: StoreData, /, kiosk: str | None = None, indicator: str | None = None, lang: str | None = None, **_: Any
) -> Any:
    """The wall for a live kiosk session or an account that may see it; a short refusal otherwise."""
    language = lang_of(lang)
    if not may_view():
        return _refusal(language)
    settings = get_settings().wall
    pinned = pinned_indicator(indicator)
    return html.Div(
        [
            dcc.Location(id="wall-url", refresh=False),
            html.Header(
                [
                    html.H1(wall_title(data, language), className="wall-title"),
                    html.Div(id="wall-indicator", className="wall-indicator"),
                    html.Div(t("paused", language), id="wall-paused", className="wall-paused", hidden=True),
                    html.Div(id="wall-asof", className="wall-asof"),
                ],
                className="wall-header",
            ),
            html.Main(
                [
                    html.Section(
                        html.Div(t("loading", language), className="wall-loading"),
                        id="wall-tiles",
                        className="wall-tiles",
                    ),
                    html.Section(
                        [
                            dcc.Graph(
                                id="wall-map",
                                config={"displayModeBar": False, "scrollZoom": False, "responsive": True},
                                className="wall-graph",
                                figure=go.Figure(layout={"paper_bgcolor": BACKGROUND}),
                            ),
                            html.Div(id="wall-legend", className="wall-legend"),
                        ],
                        className="wall-map",
                    ),
                    html.Section(
                        [
                            html.Ol(id="wall-ranking", className="wall-ranking"),
                            html.H2(t("red_list", language)),
                            html.P(id="wall-poor", className="wall-poor"),
                            html.Ol(id="wall-red-list"),
                        ],
                        className="wall-red-list",
                    ),
                ],
                className="wall-body",
            ),
            dcc.Interval(
                id="wall-rotate",
                interval=max(settings.rotation_seconds, 1) * 1000,
                disabled=bool(pinned) or settings.rotation_seconds <= 0,
            ),
            dcc.Interval(id="wall-refresh", interval=max(settings.refresh_seconds, 1) * 1000),
            dcc.Store(id="wall-size"),
            dcc.Store(id="wall-tick"),
            html.Div(t("kiosk_refused", language), id="wall-refused", className="wall-refused-live"),
            dcc.Store(id="wall-state", data={"i": 0, "stamp": None, "pinned": pinned, "lang": language}),
        ],
        className="wall",
        id="wall-root",
        lang="en" if language == "en" else "zh-CN",
    )


def wall_title(data: StoreData, lang: str) -> str:
    """The wall's title; above the county, or for a county of a larger store, it names the unit on the wall."""
    top = page_top(data)
    if (top.level == "county" and scoped_part() is None) or top.code is None:
        return t("wall_title", lang)
    return f"{t('wall_title', lang)} · {data.unit_names().get(top.code, top.code)}"


def _refusal(lang: str) -> html.Div:
    return html.Div(html.P(t("kiosk_refused", lang)), className="wall wall-refused", id="wall-refused")


@dataclasses.dataclass(frozen=True)
class WallData:
    """What the wall shows for one store version, indicator, language and screen size."""

    figure: dict[str, Any]  # the figure's JSON form: cheap to share between workers and to send
    legend: list[Any]
    title: str
    tiles: list[Any]
    red_list: list[Any]
    ranking: list[Any]  # the top's units (counties of a city) ranked by the indicator; empty for one county
    poor: str  # how many villages are poor by 一高一低一无


def wall_data(data: StoreData, key: str, lang: str, size: tuple[int, int]) -> WallData:
    """Build (once per store version and part) the map, legend, tiles and red list.

    A kiosk and an account holding the whole store see the store's top; an account scoped
    to a county or city of a larger store sees the wall of that unit (its map, figures,
    red list and ranking), never its neighbours'.
    """
    keep = get_settings().limits.wall_cache_entries  # a screen size is what the browser says: keep the recent ones
    part = scoped_part()
    compared = data.last_month_ready()  # built again once last month's figures are in (a request never waits for them)

    def build() -> WallData:
        if part is None and data.shared is not None:  # `battlemap warm` builds the walls of the screens seen
            data.shared.remember(SCREENS, (lang, size), keep=get_settings().server.warm_wall_screens)
        return _build(data, key, lang, size, part)

    return data.cached_recent("wall", f"{part}:{key}:{lang}:{size}:{compared}", build, keep=keep, shared=True)


def screens_seen(data: StoreData) -> list[tuple[str, tuple[int, int]]]:
    """The languages and map sizes of the whole-store walls built lately (``[server] warm_wall_screens`` of them)."""
    if data.shared is None:
        return []
    keep = get_settings().server.warm_wall_screens
    return [(lang, (int(w), int(h))) for lang, (w, h) in data.shared.remembered(SCREENS)][-keep:] if keep else []


def _cut(frame: pd.DataFrame | None, part: str | None) -> pd.DataFrame | None:
    """The rows of a table indexed by unit code that lie in ``part`` (None: every row)."""
    return frame if frame is None else inside(frame, part)


def _build(data: StoreData, key: str, lang: str, size: tuple[int, int], part: str | None = None) -> WallData:
    settings = get_settings()
    level = "town" if settings.wall.level == "town" else "village"
    view = choropleth_view(data, MapState(layer=key, lang=lang, scope=part), all_villages=level == "village")
    units = _cut(data.indicators(level), part)
    red_codes = [str(c) for c in units.index[units["risk_red"].fillna(False).astype(bool)]]
    width, height = size
    top = data.top(part)
    parts = data.shapes(child_level(top.level) or "town")  # a county's townships, a city's counties
    if part is not None:
        parts = parts[parts["code"].str.startswith(part)]
    figure = wall_figure(view, red_codes, parts, width_px=width, height_px=height)
    town_names = dict(zip(data.shapes("town")["code"], data.shapes("town")["name"], strict=True))
    villages = _cut(data.indicators("village"), part)
    raw = pd.DataFrame(counted_inputs(villages, settings))  # a component of weight 0 names no reason
    last_month = _cut(data.villages_last_month(wait=False), part)
    rec = data.records() if part is None else data.records().within(part)
    tasks = None if "tasks" in rec.absent else rec["tasks"]
    entries = red_list(
        villages, raw, town_names, lang, length=settings.wall.red_list_length, last_month=last_month, tasks=tasks
    )
    as_of = data.as_of()
    county = data.top_row(top)
    kpis = wall_kpis(county, data.county_last_month(top, wait=False), rec, as_of=as_of, settings=settings)
    trends = kpi_trends(data.unit_snapshots(top.level, top.code), rec, months=settings.wall.sparkline_months)
    ind = BY_KEY[key]
    ranking = []
    if top.level != "county":
        below = str(child_level(top.level))
        lines = unit_ranking(_cut(data.indicators(below), part), data.unit_names(), ind, lang)
        head = t("unit_ranking", lang, level=t(f"units_{below}", lang), indicator=pick((ind.zh, ind.en), lang))
        ranking = [html.Li(head, className="ranking-title")]
        ranking += [
            html.Li([html.Span(r, className="rank"), html.B(n), html.Span(v, className="value")]) for r, n, v in lines
        ]
    return WallData(
        figure=json_ready(figure),
        legend=legend_items(view.ind, view.classes, lang),
        title=pick((ind.zh, ind.en), lang),
        tiles=[_tile(k, lang, trends.get(k.key)) for k in kpis],
        red_list=[_red_item(e, lang) for e in entries],
        ranking=ranking,
        poor=poor_villages_text(county, lang),
    )


def _tile(kpi: Kpi, lang: str, trend: pd.Series | None) -> html.Div:
    """One KPI tile; assets/wall.css fits its figure, sparkline, 较上月 and detail to the tile's width."""
    text = tile_text(kpi, lang)
    progress = 0 if kpi.progress is None else round(kpi.progress * 100)
    line = sparkline_svg(trend) if trend is not None and kpi.status != "nodata" else None
    spark = [html.Img(src=line, className="tile-spark", alt=t("trend_months", lang, n=len(trend)))] if line else []
    name = t(kpi.key, lang)
    figure = html.Span([text.value, html.Span(text.suffix, className="tile-suffix")], className="tile-figure")
    return html.Div(
        [
            html.Div(
                [
                    html.Span(name, className="tile-name", style={"--label-em": f"{max(text_em(name), 1.0)}"}),
                    html.Span(text.mark, className="mark"),
                ],
                className="tile-label",
            ),
            html.Div([figure, *spark], className="tile-value", style={"--figure-em": f"{figure_em(text)}"}),
            html.Div(html.Div(className="bar-fill", style={"width": f"{progress}%"}), className="tile-bar"),
            html.Div(
                [html.Span(text.target, className="tile-target"), html.Span(text.delta, className="tile-delta")],
                className="tile-meta",
            ),
            html.Div(_detail_spans(text), className="tile-detail"),
        ],
        className=f"tile {kpi.status}",
        id=f"tile-{kpi.key}",
    )


def _detail_spans(text: TileText) -> list[Any]:
    """The detail line's parts, each unbreakable, " · " between: the line wraps between parts, never inside one.

    The alert count (overdue findings) comes first, red when above 0.
    """
    parts = [html.Span(part, className="tile-part") for part in detail_parts(text)]
    if text.alert:
        parts.insert(
            0, html.Span(text.alert, className="tile-part tile-alert red" if text.alert_red else "tile-part tile-alert")
        )
    out: list[Any] = []
    for part in parts:
        out += [" · ", part] if out else [part]
    return out


def _red_item(entry: RedEntry, lang: str) -> html.Li:
    who = [html.B(entry.name), html.Span(entry.town, className="town")]
    if entry.poor:
        who.append(html.Span(t("poor_village_tag", lang), className="poor-tag"))
    moved = [html.Span(entry.moved, className=f"moved {_move_class(entry.moved)}")] if entry.moved else []
    return html.Li(
        [
            html.Span(f"{entry.score:.0f}", className="score"),
            *moved,
            html.Span(who, className="who"),
            html.Span(entry.reason, className="why"),
        ],
        className="red" if entry.red else "",
    )


def _move_class(moved: str) -> str:
    """Up (worse: higher on the risk list), down, or same/new, for the arrow's colour."""
    return {"↑": "up", "↓": "down"}.get(moved[:1], "same")


def as_of_text(data: StoreData, lang: str, now: dt.datetime) -> tuple[str, str]:
    """The "data as of" line and its class: ``wall-asof stale`` when the data are older than allowed."""
    changed = data.changed_at()
    stale = now - changed > dt.timedelta(days=get_settings().wall.stale_days)
    text = f"{t('as_of', lang)} {data.as_of():%Y-%m-%d} · {t('updated', lang)} {changed:%m-%d %H:%M}"
    if stale:
        text = f"⚠ {t('stale', lang)} · {text}"
    return text, "wall-asof stale" if stale else "wall-asof"


def _register_callbacks(app: dash.Dash, data: StoreData) -> None:
    app.clientside_callback(  # the map is framed for the screen it is on
        """function(_) {
            const r = document.getElementById('wall-map').getBoundingClientRect();
            return [Math.round(r.width) || 900, Math.round(r.height) || 900];
        }""",
        Output("wall-size", "data"),
        Input("wall-url", "pathname"),
    )
    app.clientside_callback(  # a click or touch anywhere pauses the rotation, another resumes it
        """function(n, pinned) {
            if (!n || pinned) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
            const paused = n % 2 === 1;
            return [paused, !paused];
        }""",
        Output("wall-rotate", "disabled"),
        Output("wall-paused", "hidden"),
        Input("wall-root", "n_clicks"),
        State("wall-state", "data"),
    )

    app.server.add_url_rule("/wall/alive", "wall_alive", lambda: _alive(data))
    app.clientside_callback(  # every tick asks first whether the screen may still show the wall
        """async function(size, rotate, refresh, shown) {
            const none = window.dash_clientside.no_update;
            if ((shown || '').includes('wall-revoked')) { return [none, none]; }  // refused once: ask no more
            const triggered = window.dash_clientside.callback_context.triggered || [];
            const trigger = triggered.length ? triggered[0].prop_id.split('.')[0] : 'wall-size';
            let refused = false;
            try {
                const r = await fetch('/wall/alive', {cache: 'no-store', credentials: 'same-origin'});
                refused = r.ok && (await r.json()).wall === false;
            } catch (e) { refused = false; }  // the server is unreachable: keep the last picture
            if (refused) { return [window.dash_clientside.no_update, 'wall wall-revoked']; }
            return [{trigger: trigger, at: Date.now()}, window.dash_clientside.no_update];
        }""",
        Output("wall-tick", "data"),
        Output("wall-root", "className"),
        Input("wall-size", "data"),
        Input("wall-rotate", "n_intervals"),
        Input("wall-refresh", "n_intervals"),
        State("wall-root", "className"),
    )

    @app.callback(
        Output("wall-map", "figure"),
        Output("wall-legend", "children"),
        Output("wall-indicator", "children"),
        Output("wall-tiles", "children"),
        Output("wall-red-list", "children"),
        Output("wall-ranking", "children"),
        Output("wall-poor", "children"),
        Output("wall-asof", "children"),
        Output("wall-asof", "className"),
        Output("wall-state", "data"),
        Input("wall-tick", "data"),
        State("wall-size", "data"),
        State("wall-state", "data"),
        prevent_initial_call=True,
    )
    def on_tick(tick: dict | None, size: list[int] | None, state: dict) -> tuple[Any, ...]:
        if not tick or not may_view():  # the guard refuses such requests before they get here
            raise PreventUpdate
        if not size:
            raise PreventUpdate  # the browser reports the map's size first; build once, for that size
        trigger = tick.get("trigger")
        keys = rotation(pinned_indicator(state.get("pinned")))
        index = (int(state.get("i") or 0) + (trigger == "wall-rotate")) % len(keys)
        stamp = data.stamp
        screen = screen_size(size)
        lang = lang_of(state.get("lang"))
        content = wall_data(data, keys[index], lang, screen)
        asof, asof_class = as_of_text(data, lang, dt.datetime.now())
        changed = stamp != state.get("stamp") or trigger in ("wall-size", "wall-rotate")
        if not changed:  # nothing new: only the "as of" line (it turns stale with time)
            return (*([dash.no_update] * 7), asof, asof_class, dash.no_update)
        new_state = {**state, "i": index, "stamp": stamp, "size": screen}
        return (
            content.figure,
            content.legend,
            content.title,
            content.tiles,
            content.red_list,
            content.ranking,
            content.poor,
            asof,
            asof_class,
            new_state,
        )


def _alive(data: StoreData) -> flask.Response:
    """``{"wall": true}`` while this browser may show the wall (live kiosk token or account), else false; no data."""
    response = flask.jsonify(wall=allowed(WALL, request_identity(data)))
    response.headers["Cache-Control"] = "no-store"
    return response
