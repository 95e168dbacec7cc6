"""Words for candidate sites: why each ranks where it does, and the comparison table's rows, in Chinese or English.

A site's score is the sum of its criterion points (weight × value × 100), so the reason
for a rank is the difference in points against its neighbours in the ranking: what puts
it ahead of the next site and what keeps it behind the previous one.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analytics.site_assignment import Assignment
from analytics.site_robustness import Robustness
from analytics.suitability import CRITERIA, UNITS
from geodata.io.spreadsheet import safe_csv
from layers.i18n import SITE_CRITERIA, pick

MIN_POINTS = 0.05  # differences below this are noise, not a reason


def criterion_label(key: str, lang: str) -> str:
    """The criterion's name in ``lang``."""
    return pick(SITE_CRITERIA[key], lang)


def _gaps(a: pd.Series, b: pd.Series, sign: int) -> list[tuple[str, float]]:
    """Criteria where ``a`` beats (sign 1) or trails (sign −1) ``b`` in points, largest first, at most two."""
    diff = {c: float(a[f"points_{c}"] - b[f"points_{c}"]) * sign for c in CRITERIA}
    return sorted(((c, d) for c, d in diff.items() if d > MIN_POINTS), key=lambda kv: -kv[1])[:2]


def _list(gaps: list[tuple[str, float]], lang: str, sign: str) -> str:
    sep = "和" if lang == "zh" else " and "
    unit = "分" if lang == "zh" else " pts"
    return sep.join(
        f"{criterion_label(c, lang)}（{sign}{d:.1f}{unit}）"
        if lang == "zh"
        else f"{criterion_label(c, lang)} ({sign}{d:.1f}{unit})"
        for c, d in gaps
    )


def reasons(candidates: pd.DataFrame, lang: str) -> list[str]:
    """One sentence per candidate (in rank order) on why it ranks there."""
    rows = [r for _, r in candidates.iterrows()]
    out = []
    for i, row in enumerate(rows):
        weakest = min(CRITERIA, key=lambda c: row[f"value_{c}"] if row[f"points_{c}"] > 0 else np.inf)
        parts = []
        if i + 1 < len(rows) and (ahead := _gaps(row, rows[i + 1], 1)):
            parts.append(_phrase("ahead", rows[i + 1]["site_id"], _list(ahead, lang, "+"), lang))
        if i > 0 and (behind := _gaps(row, rows[i - 1], -1)):
            parts.append(_phrase("behind", rows[i - 1]["site_id"], _list(behind, lang, "−"), lang))
        if not parts:
            parts.append("与相邻候选点得分接近" if lang == "zh" else "scores close to its neighbours")
        weak = f"{criterion_label(weakest, lang)} {row[f'value_{weakest}']:.0f}/100"
        head = f"第{i + 1}名：" if lang == "zh" else f"#{i + 1}: "
        tail = f"；最弱项为{weak}。" if lang == "zh" else f"; weakest: {weak}."
        out.append(head + ("；" if lang == "zh" else "; ").join(parts) + tail)
    return out


def _phrase(kind: str, other: str, items: str, lang: str) -> str:
    if lang == "zh":
        return f"领先{other}主要在于{items}" if kind == "ahead" else f"落后{other}主要在于{items}"
    return f"ahead of {other} on {items}" if kind == "ahead" else f"behind {other} on {items}"


def measure_text(key: str, value: float) -> str:
    """A criterion's raw measure with its unit (``—`` when unknown)."""
    if not np.isfinite(value):
        return "—"
    return f"{value:.0f} {UNITS[key]}" if UNITS[key] == "m" else f"{value:.1f} {UNITS[key]}"


def travel_text(travel: pd.DataFrame, site_id: str, lang: str) -> str:
    """Minutes from each origin village to the site, e.g. ``下堡岔村 20 分钟 (26 户)``."""
    rows = travel[travel["site_id"] == site_id]
    unit, hh = ("分钟", "户") if lang == "zh" else ("min", "hh")
    none = "无道路连通" if lang == "zh" else "no road"
    return "; ".join(
        f"{r['name'] or r['village_code']} {f'{r.minutes:.0f} {unit}' if pd.notna(r['minutes']) else none} "
        f"({int(r['households'])} {hh})"
        for _, r in rows.iterrows()
    )


def export_table(candidates: pd.DataFrame, travel: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The candidates as a flat table for CSV: scores, criteria values and measures, travel, the reason."""
    table = pd.DataFrame(candidates.drop(columns="geometry")).copy()
    table["reason"] = reasons(candidates, lang)
    table["travel"] = [travel_text(travel, s, lang) for s in table["site_id"]]
    return table.round(3)


def geojson_dict(
    candidates: Any,
    travel: pd.DataFrame,
    lang: str,
    *,
    robustness: Robustness | None = None,
    assignment: Assignment | None = None,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the candidates with the reason and per-village travel as properties.

    With a robustness run the collection carries ``sensitivity`` (method, draws, the tornado),
    with an assignment ``assignment`` (status, whole-village moves, village → site flows);
    the per-site figures of both are properties of each feature.
    """
    frame = candidates.copy()
    frame["reason"] = reasons(candidates, lang)
    data = json.loads(frame.round(4).to_json(drop_id=True))
    for feature in data["features"]:
        rows = travel[travel["site_id"] == feature["properties"]["site_id"]]
        feature["properties"]["travel"] = _records(rows.drop(columns="site_id"))
    if robustness is not None:
        data["sensitivity"] = {
            "method": robustness.method,
            "draws": robustness.draws,
            "tornado": _records(robustness.tornado.round(4)),
        }
    if assignment is not None:
        data["assignment"] = {
            "status": assignment.status,
            "whole_villages": list(assignment.whole_villages),
            "flows": _records(assignment.flows),
        }
    return data


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects (NaN as null), numbers to 2 decimals and coordinates to 6."""
    out = frame.copy()
    for column in out.select_dtypes("number").columns:
        out[column] = out[column].round(6 if column.endswith(("lon", "lat")) else 2)
    return json.loads(out.to_json(orient="records", force_ascii=False))


def robustness_rows(robustness: Robustness, lang: str) -> pd.DataFrame:
    """The shown sites' robustness, plus any alternative that ranks first or in the top 3 in some draws."""
    table = robustness.table
    keep = table["shown"] | (table["p_top3"] > 0)
    rows = table[keep]
    return pd.DataFrame(
        {
            "site": rows["site_id"] + np.where(rows["shown"], "", " *"),
            "p_top1": (rows["p_top1"] * 100).round(1),
            "p_top3": (rows["p_top3"] * 100).round(1),
            "rank_5_95": rows["rank_p05"].astype(str) + "–" + rows["rank_p95"].astype(str),
        }
    )


def tornado_rows(robustness: Robustness, lang: str) -> pd.DataFrame:
    """Per criterion, most sensitive first: its weight, the range keeping the first site, and who takes over."""
    tor = robustness.tornado.copy()
    if tor.empty:
        return pd.DataFrame(columns=["criterion", "weight", "from", "to", "below", "above"])
    low, high = tor["low"].fillna(0.0), tor["high"].fillna(1.0)
    tor = tor.assign(span=high - low).sort_values("span", kind="stable")
    return pd.DataFrame(
        {
            "criterion": [criterion_label(c, lang) for c in tor["criterion"]],
            "weight": tor["weight"].round(3),
            "from": low[tor.index].round(3),
            "to": high[tor.index].round(3),
            "below": tor["site_low"].fillna("—"),
            "above": tor["site_high"].fillna("—"),
        }
    )


def assignment_rows(assignment: Assignment, lang: str) -> pd.DataFrame:
    """Per opened site: households against capacity, the villages it takes, mean and worst travel minutes."""
    a = assignment.sites
    return pd.DataFrame(
        {
            "site": a["site_id"],
            "households": a["households"],
            "capacity": a["capacity"],
            "villages": a["villages"],
            "names": a["village_names"] if lang == "zh" else a["village_names"].str.replace("、", ", "),
            "min_mean": a["minutes_mean"].round(1),
            "min_max": a["minutes_max"].round(1),
        }
    )


def audit_csv(audit: gpd.GeoDataFrame) -> str:
    """The audit as CSV text (no geometry, 3 decimals), as `battlemap sites --audit --out` and /sites write it."""
    return safe_csv(pd.DataFrame(audit.drop(columns="geometry")).round(3), index=False)
