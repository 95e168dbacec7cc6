"""The desk view of a plan's field records: per stop the arrivals, households visited, findings and photos.

Pure: the plan, the rows of ``field_records`` and ``field_photos``
(:meth:`geodata.private.field_records.FieldRecords.records`) and the findings' rows of the
``inspections`` layer with their status today in, one HTML page out (served as
``GET /field/<plan_id>/records`` to a browser, :mod:`callbacks.field_sync`). Households
are shown as the plan holds them (the head's name masked: revealing it is the audited
step on /map). Photos are drawn from ``photo/<uuid>``, so every one shown is an audited
opening. Every text is escaped; one column on a 390 px phone.
"""

from __future__ import annotations

import html
import json
from typing import Any

import pandas as pd

from layers.i18n import t

STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;
color:#1d232b;background:#f6f7f9}main{max-width:900px;margin:0 auto;padding:0 .75rem 2rem}
.fd-head{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem;padding:.5rem 0}
.fd-head h1{font-size:1.3rem;margin:0}.fd-note,.fd-none,.fd-label{color:#4a5260;font-size:.9rem;margin:.2rem 0}
.fd-btn{display:inline-flex;align-items:center;justify-content:center;min-height:44px;min-width:44px;
padding:.3rem .8rem;border:1px solid #b9c2cc;border-radius:6px;background:#fff;color:#1d232b;text-decoration:none}
.fd-stop{background:#fff;border:1px solid #dde1e6;border-left:4px solid #1f4e79;border-radius:4px;margin:.8rem 0;
padding:.5rem .75rem}.fd-stop h2{font-size:1.08rem;margin:.2rem 0;display:flex;flex-wrap:wrap;gap:.2rem .6rem}
.fd-stop h3{font-size:.95rem;margin:.6rem 0 .2rem;color:#1f4e79}.fd-stop ul{list-style:none;margin:0;padding:0}
.fd-stop li{padding:.3rem 0;border-top:1px dotted #dde1e6;overflow-wrap:anywhere}.fd-flag,.fd-late{color:#a4261d;
font-weight:600}.fd-tag{display:inline-block;padding:0 .4rem;border-radius:3px;background:#e8f0f8;font-size:.88rem}
.fd-text{white-space:pre-wrap;margin:.2rem 0}.fd-photos{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:.3rem}
.fd-photos a{display:block;width:112px;height:112px;border:1px solid #cfd5dc;border-radius:4px;overflow:hidden}
.fd-photos img{width:100%;height:100%;object-fit:cover;display:block}
"""


def desk_page(
    plan: dict[str, Any], records: pd.DataFrame, photos: pd.DataFrame, findings: pd.DataFrame, *, lang: str
) -> str:
    """The page of what the phone sent for ``plan`` in ``lang``, stop by stop.

    ``findings`` has ``inspection_id``, ``finding``, ``category``, ``status``, ``deadline``
    and ``overdue`` (today), one row per finding received.
    """
    esc = html.escape
    by_id = {str(row["inspection_id"]): row for row in findings.to_dict("records")}
    stops = "".join(_stop(stop, records, photos, by_id, lang) for stop in plan["stops"])
    title = f"{t('field_desk_title', lang)} · {plan['date']}"
    other = "?lang=en" if lang == "zh" else "?lang=zh"
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body><main>"
        f'<header class="fd-head"><div><h1>{esc(title)}</h1><p class="fd-label">{esc(t("plan_id", lang))}: '
        f"{esc(plan['plan_id'])} · {esc(t('field_desk_counts', lang, n=len(records), p=len(photos)))}</p></div>"
        f'<a class="fd-btn" id="fd-lang" href="{other}">{esc(t("language", lang))}</a></header>'
        f'<p class="fd-note">{esc(t("field_desk_note", lang))}</p>{stops}</main></body></html>'
    )


def _stop(
    stop: dict[str, Any], records: pd.DataFrame, photos: pd.DataFrame, findings: dict[str, dict], lang: str
) -> str:
    """One stop: its arrivals, households visited and findings with their photos (or that nothing came)."""
    esc = html.escape
    number = int(stop["number"])
    mine = records[records["stop"] == number]
    parts = [
        _list(t("field_kind_arrival", lang), [_arrival(r, lang) for r in _rows(mine, "arrival")]),
        _list(t("field_households_visited", lang), _households(stop, _rows(mine, "households"))),
        _list(t("field_kind_finding", lang), [_finding(r, photos, findings, lang) for r in _rows(mine, "finding")]),
    ]
    body = "".join(parts) or f'<p class="fd-none">{esc(t("field_desk_nothing", lang))}</p>'
    return (
        f'<section class="fd-stop" id="stop-{number}"><h2><span>{number}. {esc(str(stop["village"]))}</span>'
        f'<span class="fd-label">{esc(str(stop["village_code"]))} · {esc(stop["arrive"][-5:])}</span></h2>'
        f"{body}</section>"
    )


def _rows(records: pd.DataFrame, kind: str) -> list[dict[str, Any]]:
    return records[records["kind"] == kind].to_dict("records")


def _list(heading: str, items: list[str]) -> str:
    """A heading and its items; nothing at all without items."""
    if not items:
        return ""
    return f"<h3>{html.escape(heading)}</h3><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _when(value: object) -> str:
    """A record's time as the phone gave it, to the minute (``2026-12-01 10:15``)."""
    return str(value)[:16].replace("T", " ")


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _arrival(row: dict[str, Any], lang: str) -> str:
    """Time, position (± accuracy) and, when flagged, why: outside the village by N m, or no position."""
    esc = html.escape
    lon, lat, accuracy, distance = (_number(row.get(k)) for k in ("lon", "lat", "accuracy_m", "distance_m"))
    where = (
        f"{lat:.5f}, {lon:.5f}" + ("" if accuracy is None else f" ±{accuracy:.0f} m")
        if lon is not None and lat is not None
        else t("field_no_position", lang)
    )
    text = f"{esc(_when(row['at']))} · {esc(t('field_desk_position', lang))}: {esc(where)}"
    if row.get("flagged"):
        outside = distance is not None and distance > 0
        why = t("field_outside_village", lang, m=f"{distance:.0f}") if outside else t("field_flagged", lang)
        text += f' <span class="fd-flag">{esc(why)}</span>'
    return text


def _households(stop: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """The households ticked at the stop (once each), as the plan names them: id and masked head."""
    names = {str(h["household_id"]): str(h.get("head") or "") for h in stop["households"]}
    seen: list[str] = []
    for row in rows:
        seen += [h for h in json.loads(row.get("households") or "[]") if h not in seen]
    return [html.escape(f"{h} {names.get(h, '')}".strip()) for h in seen]


def _finding(row: dict[str, Any], photos: pd.DataFrame, findings: dict[str, dict], lang: str) -> str:
    """Category, status, deadline (red when overdue), the text, and the photo thumbnails of one finding."""
    esc = html.escape
    inspection_id = str(row.get("inspection_id") or "")
    stored = findings.get(inspection_id, {})
    status = stored.get("status")
    label = t(f"finding_status_{status}", lang) if isinstance(status, str) else t("no_data", lang)
    deadline = stored.get("deadline")
    due = "—" if deadline is None or pd.isna(deadline) else str(deadline)[:10]
    late = ' class="fd-late"' if stored.get("overdue") else ""
    head = (
        f'<span class="fd-tag">{esc(str(row.get("category") or "—"))}</span> {esc(label)} · '
        f"<span{late}>{esc(t('deadline', lang))} {esc(due)}</span> · {esc(inspection_id)} · {esc(_when(row['at']))}"
    )
    text = stored.get("finding")
    shown = f'<p class="fd-text">{esc(str(text))}</p>' if isinstance(text, str) else ""
    mine = photos[photos["finding_uuid"] == row["uuid"]] if len(photos) else photos
    thumbs = "".join(
        f'<a href="photo/{esc(str(p))}" target="_blank" rel="noopener">'
        f'<img src="photo/{esc(str(p))}" alt="{esc(t("field_kind_photo", lang))} {esc(_when(at))}" loading="lazy"></a>'
        for p, at in zip(mine["uuid"], mine["at"], strict=True)
    )
    return head + shown + (f'<div class="fd-photos">{thumbs}</div>' if thumbs else "")
