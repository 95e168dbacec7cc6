"""The wall screen's pieces: a dark offline map, the red list, and the words and numbers on each tile.

Everything here is aggregates: unit codes and names, indicator values, risk components.
No household row is ever an input.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.kpis import Kpi
from layers.catalog import MapIndicator, format_value
from layers.classify import ranks
from layers.export_html import ChoroplethView
from layers.geometry import centre, fit_zoom
from layers.i18n import t
from layers.plan_views import overdue_text
from layers.unit_map import name_traces, outline_trace, unit_traces

BACKGROUND = "#0b1220"
# A MapLibre style with nothing but a background: no tiles, no fonts, so it draws offline.
# A MapLibre style with only a dark background. Its ``sources`` must not be empty: Plotly.react
# prunes an empty ``{}`` from the second figure on, the style then differs from the one on
# screen, Plotly reloads it (setStyle), MapLibre refuses a style without sources ("Map
# error.") and the map kept the previous indicator's colours under the new legend.
DARK_STYLE = {
    "version": 8,
    "sources": {"none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
    "layers": [{"id": "bg", "type": "background", "paint": {"background-color": BACKGROUND}}],
}
RED = "#ff4d4f"  # outlines pair a wide white halo with red, so they read on every fill colour
STATUS_MARK = {"ok": "✓", "warn": "▲", "bad": "✗", "none": "·", "nodata": ""}


def wall_figure(
    view: ChoroplethView, red_codes: list[str], towns: gpd.GeoDataFrame, *, width_px: int, height_px: int
) -> go.Figure:
    """The choropleth of ``view`` on a dark background, townships outlined, red units picked out."""
    traces = unit_traces(view.shapes, view.values, view.ind, view.classes, view.lang, opacity=0.92)
    traces.append(outline_trace(towns.geometry, "towns", colour="#cfd8e3", width=1.6, meta="towns"))
    red = view.shapes[view.shapes["code"].isin(red_codes)]
    if len(red):
        traces.append(outline_trace(red.geometry, "red-halo", colour="#ffffff", width=6, meta="red_halo"))
        traces.append(outline_trace(red.geometry, "red", colour=RED, width=3, meta="red"))
    name_traces(traces, "wall")
    bounds = view.shapes.total_bounds
    fig = go.Figure(traces)
    fig.update_layout(
        map={
            "style": DARK_STYLE,
            "center": centre(bounds),
            "zoom": fit_zoom(bounds, width_px=width_px, height_px=height_px, padding=0.95),
        },
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor=BACKGROUND,
        showlegend=False,
        uirevision="wall",  # rotation and refresh change colours only: the camera never jumps
        hoverlabel={"font": {"size": 22}},
    )
    return fig


@dataclass(frozen=True)
class RedEntry:
    """One line of the red list."""

    code: str
    name: str
    town: str
    score: float
    reason: str
    red: bool
    poor: bool = False  # a poor village by 一高一低一无 (marked on the list)
    moved: str = ""  # rank change since last month: "↑2", "↓1", "–", "新" (new on the list), "" (no earlier month)


def risk_ranks(villages: pd.DataFrame) -> pd.Series:
    """Each village's place by risk index (1 = most at risk, ties in table order); villages without one left out."""
    ranked = villages[villages["risk_index"].notna()].sort_values("risk_index", ascending=False, kind="stable")
    return pd.Series(range(1, len(ranked) + 1), index=ranked.index.astype(str))


def rank_moves(now: pd.Series, before: pd.Series | None, *, length: int, lang: str) -> dict[str, str]:
    """The change of place of each village on the list since ``before`` (↑ up, ↓ down, – same, new)."""
    if before is None or not len(before):
        return {}
    moves = {}
    for code, place in now[now <= length].items():
        earlier = before.get(code)
        if earlier is None or earlier > length:
            moves[code] = t("rank_new", lang)
        else:
            step = int(earlier) - int(place)
            moves[code] = f"↑{step}" if step > 0 else f"↓{-step}" if step < 0 else "–"
    return moves


def red_list(
    villages: pd.DataFrame,
    raw: pd.DataFrame,
    town_names: dict[str, str],
    lang: str,
    *,
    length: int,
    last_month: pd.DataFrame | None = None,
    tasks: pd.DataFrame | None = None,
) -> list[RedEntry]:
    """The ``length`` villages with the highest risk index, each with its two heaviest problems.

    ``raw`` holds each risk component's value before scaling (shares, or km for access),
    indexed like ``villages``; the reason names the components with the highest scores.
    With ``last_month`` (the village table at the previous month-end) each entry says how
    its place changed; with ``tasks`` (the 一村一策 task records) it names the village's
    overdue tasks.
    """
    ranks = risk_ranks(villages)
    moves = rank_moves(ranks, None if last_month is None else risk_ranks(last_month), length=length, lang=lang)
    table = villages.loc[ranks.index[:length]] if len(ranks) else villages.iloc[:0]
    entries = []
    for code, row in table.iterrows():
        scores = pd.Series({name: row.get(f"risk_{name}") for name in raw.columns}, dtype=float).dropna()
        top = scores[scores > 0].sort_values(ascending=False).head(2).index
        reason = " · ".join(f"{t(f'risk_{name}', lang)} {_raw_text(name, raw.at[code, name], lang)}" for name in top)
        late = overdue_text(tasks, str(code), lang) if tasks is not None else ""
        reason = " · ".join(part for part in (reason, late) if part)
        entries.append(
            RedEntry(
                code=str(code),
                name=str(row["name"]),
                town=town_names.get(str(code)[:9], ""),
                score=float(row["risk_index"]),
                reason=reason,
                red=bool(row.get("risk_red", False)),
                poor=bool(row.get("poor_village_flag", False)),
                moved=moves.get(str(code), ""),
            )
        )
    return entries


def unit_ranking(
    table: pd.DataFrame, names: dict[str, str], ind: MapIndicator, lang: str
) -> list[tuple[str, str, str]]:
    """(rank, name, value) of every unit of ``table`` by ``ind``, worst first: a city's counties on its wall.

    Units without the figure come last with "—" (no data is not zero, and ranks no one).
    """
    values = table[ind.column].astype(float)
    rank = ranks(values, ind)
    order = rank.sort_values(na_position="last").index
    return [
        (f"{int(rank[c])}" if pd.notna(rank[c]) else "—", names.get(str(c), str(c)), format_value(values[c], ind, lang))
        for c in order
    ]


def poor_villages_text(county: pd.Series, lang: str) -> str:
    """The line under the red list: how many villages are poor by 一高一低一无 (empty without the figure)."""
    count = county.get("poor_villages")
    return "" if count is None or pd.isna(count) else t("poor_villages_count", lang, n=f"{count:,.0f}")


def _raw_text(component: str, value: float, lang: str) -> str:
    if pd.isna(value):
        return "—"
    if component == "access":
        return f"{value:.1f}{'公里' if lang == 'zh' else ' km'}"
    return f"{value * 100:.0f}%"


@dataclass(frozen=True)
class TileText:
    """What a tile says: its big number, target, change and one line of detail."""

    value: str
    suffix: str
    target: str
    delta: str
    detail: str
    mark: str
    alert: str = ""  # a count that must catch the eye (overdue findings), shown in red when above 0
    alert_red: bool = False


# The suffix ("/ 22") is drawn at this fraction of the big number's size (assets/wall.css, .tile-suffix).
SUFFIX_SCALE = 0.54
# Advance widths in em of the characters a tile's figure is made of (bold sans, tabular digits);
# anything else counts as a digit, CJK (暂无数据) as a full em.
_EM = {"%": 1.0, ",": 0.3, ".": 0.3, " ": 0.27, "/": 0.42, "—": 1.0, "+": 0.6, "-": 0.4}


def text_em(chars: str) -> float:
    """About how many em ``chars`` are wide in the wall's bold sans (CJK a full em, Latin letters about half)."""
    return round(sum(1.0 if ord(c) >= 0x2E80 else _EM.get(c, 0.52 if c.isalpha() else 0.58) for c in chars), 2)


def figure_em(text: TileText) -> float:
    """About how many em the tile's big figure (value and suffix) is wide.

    The wall's CSS sizes the figure so this many em take at most a set share of the
    tile's width: a long city count ("12,345 / 23,456") gets a smaller font instead of
    running under the sparkline.
    """
    return round(max(text_em(text.value) + SUFFIX_SCALE * text_em(text.suffix), 1.0), 2)


def detail_parts(text: TileText) -> list[str]:
    """The tile's detail line in its " · " separated parts, each kept whole when the line wraps."""
    return [part for part in text.detail.split(" · ") if part]


def tile_text(kpi: Kpi, lang: str) -> TileText:
    """The numbers of one tile written for the wall (shares as %, counts with thousands separators)."""
    if kpi.status == "nodata":
        return TileText(value=t("no_data", lang), suffix="", target="", delta="", detail="", mark="")
    value, suffix = _fmt(kpi.value, kpi.kind), ""
    target = f"{t('target', lang)} {_fmt(kpi.target, kpi.kind)}" if kpi.target is not None else ""
    if kpi.key in ("kpi_monitoring", "kpi_cd_closed"):  # "done / of how many", the target is all of them
        suffix = f" / {_fmt(kpi.target, 'count')}"
        target = f"{t('target', lang)} 100%"
    return TileText(
        value=value,
        suffix=suffix,
        target=target,
        delta=_delta(kpi, lang),
        detail=_detail(kpi, lang),
        mark=STATUS_MARK[kpi.status],
        **_alert(kpi, lang),
    )


def _extra(kpi: Kpi, key: str) -> float | None:
    value = kpi.extra.get(key)
    return None if value is None or isinstance(value, str) else float(value)


def _fmt(value: float | None, kind: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    return f"{value * 100:.1f}%" if kind == "share" else f"{value:,.0f}"


def _delta(kpi: Kpi, lang: str) -> str:
    if kpi.delta is None:
        return ""
    if kpi.kind == "share":
        return f"{t('vs_last_month', lang)} {kpi.delta * 100:+.1f}{'个百分点' if lang == 'zh' else ' pts'}"
    return f"{t('vs_last_month', lang)} {kpi.delta:+,.0f}"


def _alert(kpi: Kpi, lang: str) -> dict[str, str | bool]:
    """The inspections tile's overdue findings (逾期未整改), red when there are any; nothing for other tiles."""
    if kpi.key != "kpi_inspections":
        return {}
    overdue = _extra(kpi, "overdue_findings")
    return {"alert": f"{t('overdue_findings', lang)} {_fmt(overdue, 'count')}", "alert_red": bool(overdue)}


def _detail(kpi: Kpi, lang: str) -> str:
    if kpi.key == "kpi_inspections":
        visits = t("inspection_visits", lang, n=_fmt(_extra(kpi, "visits"), "count"))
        return f"{t('open_findings', lang)} {_fmt(_extra(kpi, 'open_findings'), 'count')} · {visits}"
    if kpi.key == "kpi_cd_closed":
        return f"{t('close_by', lang)} {kpi.extra.get('close_by', '')}"
    if kpi.key == "kpi_timeliness":
        return (
            f"{t('identify_short', lang)} {_fmt(_extra(kpi, 'identify'), 'share')} · "
            f"{t('entry_short', lang)} {_fmt(_extra(kpi, 'entry'), 'share')}"
        )
    if kpi.key == "kpi_monitoring":
        doubtful = _extra(kpi, "doubtful")
        tail = f" · {t('doubtful_short', lang)} {_fmt(doubtful, 'count')}" if doubtful else ""
        return f"{t('risk_open', lang)} {_fmt(_extra(kpi, 'open'), 'count')}{tail}"
    return ""
