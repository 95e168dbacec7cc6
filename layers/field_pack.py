"""The field pack of an inspection plan: one phone page that works with no network for the whole trip.

Served at ``/field/<plan_id>/`` (:mod:`callbacks.field_page`), it holds everything the
inspector needs in the villages: the stops in order with their times, teams and
households, the checklist per stop, the map of the county's own roads and village
outlines around the route (:mod:`layers.field_map`, no tiles), "you are here" from the
phone's position, and per stop navigation links that open AMap (高德, GCJ-02) and Baidu
(百度, BD-09) at the village — the store's CGCS2000 is converted for each
(:mod:`geodata.io.crs`), and per stop the controls that record the arrival, households
visited, findings and photos offline (:mod:`layers.field_record`). Its service worker
(``layers/field_static/sw.js``, scoped to the plan) keeps the page and its scripts on the
phone; the web manifest makes it installable. Styles are inline (the app's policy allows
them), the scripts are files (it does not allow inline scripts). Every text is escaped;
the plan's persons are already masked.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

import geopandas as gpd

from geodata.io.crs import wgs84_to_bd09, wgs84_to_gcj02
from geodata.settings import FieldSettings, get_settings
from layers import field_record
from layers.checklist import day_lines, day_places, reasons_text, stop_sections
from layers.field_map import field_svg, plan_frame, village_rings
from layers.i18n import t, template
from layers.route_export import DAY_COLOURS

STATIC_FILES = ("field.js", "record.js", "sw.js")  # layers/field_static, served under each plan's scope
THEME = "#1f4e79"
MESSAGES = {  # data-msg-* of <body>: the script's words (filled in by the script where they have {m})
    "saving": "field_saving",
    "ready": "field_ready",
    "no-offline": "field_no_offline",
    "offline": "field_offline_now",
    "here-waiting": "field_here_waiting",
    "here": "field_here_at",
    "here-none": "field_here_none",
}
STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;
color:#1d232b;background:#f6f7f9}main{max-width:900px;margin:0 auto;padding:0 .75rem 2rem}
.fp-head{display:flex;justify-content:space-between;align-items:center;gap:.5rem;padding:.5rem 0}
.fp-head h1{font-size:1.3rem;margin:0}.fp-sub,.fp-intro,.fp-built{color:#4a5260;font-size:.9rem;margin:.2rem 0}
.fp-status{margin:.4rem 0;padding:.4rem .6rem;background:#e8f0f8;border-radius:4px;font-size:.95rem}
.fp-status:empty{display:none}
.fp-btn{display:inline-flex;align-items:center;justify-content:center;min-height:44px;min-width:44px;
padding:.3rem .8rem;border:1px solid #b9c2cc;border-radius:6px;background:#fff;color:#1d232b;font:inherit;
text-decoration:none;cursor:pointer}.fp-btn:active{background:#e3e8ee}
.fp-map-box{height:62vh;min-height:300px;border:1px solid #cfd5dc;background:#f4f1ea;border-radius:4px;
overflow:hidden}
#field-map{width:100%;height:100%;display:block;touch-action:none;user-select:none}
.fp-tools{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0}.fp-tools .fp-btn{flex:1 1 0}
.fp-here,.fp-missing{font-size:.9rem;margin:.2rem 0;color:#4a5260}.fp-here:empty{display:none}
.outline{fill:none;stroke:#b9b2a3;stroke-width:1px;vector-effect:non-scaling-stroke}
.road{fill:none;stroke-linecap:round;stroke-linejoin:round;vector-effect:non-scaling-stroke}
.r-county{stroke:#d98b2b;stroke-width:3px}.r-township{stroke:#e0b25c;stroke-width:2px}
.r-village{stroke:#9a9a9a;stroke-width:1.2px}.r-track{stroke:#bbb;stroke-width:1px;stroke-dasharray:3 3}
.route{fill:none;stroke-width:4px;opacity:.85;stroke-linejoin:round;vector-effect:non-scaling-stroke}
.vname{display:none}.near .vname{display:inline}
.vname text{font-size:calc(var(--s) * 11px);fill:#6b665c;text-anchor:middle}
.mark circle{r:calc(var(--s) * 12px);fill:#fff;stroke:var(--c);stroke-width:3px;vector-effect:non-scaling-stroke}
.mark text{font-weight:bold;font-size:calc(var(--s) * 12px);text-anchor:middle;dominant-baseline:central}
.start circle{fill:#111}.start text{fill:#fff}.mark.picked circle{fill:#ffe9a8}
#here{display:none}#here.on{display:inline}
#here .dot{r:calc(var(--s) * 8px);fill:#1a73e8;stroke:#fff;stroke-width:3px;vector-effect:non-scaling-stroke}
#here .acc{fill:rgba(26,115,232,.15);stroke:#1a73e8;stroke-width:1px;vector-effect:non-scaling-stroke}
.fp-day h2{font-size:1.05rem;margin:1.2rem 0 .4rem}.fp-stops{list-style:none;margin:0;padding:0}
.fp-stop{background:#fff;border:1px solid #dde1e6;border-left:5px solid var(--c);border-radius:4px;
margin:0 0 .7rem;padding:.5rem .7rem}
.fp-stop h3{font-size:1.05rem;margin:0 0 .2rem;display:flex;flex-wrap:wrap;gap:.2rem .6rem;align-items:baseline}
.fp-time{font-weight:normal;color:#4a5260}.fp-stop p{margin:.15rem 0;font-size:.92rem;overflow-wrap:anywhere}
.fp-label{color:#4a5260}.fp-actions{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0}
.fp-actions .fp-btn{flex:1 1 8rem}
.fp-checks summary{min-height:44px;display:flex;align-items:center;cursor:pointer;font-weight:600}
.fp-checks summary::before{content:"▸";margin-right:.4rem}.fp-checks[open] summary::before{content:"▾"}
.fp-checks h4{font-size:.92rem;margin:.4rem 0 .1rem;color:#4a5260}.fp-checks ul{margin:0;padding-left:1rem;
list-style:none;font-size:.9rem}
.fp-night{background:#fff;border:1px dashed #9aa3ad;border-radius:4px;padding:.4rem .7rem}
.fp-findings{border-top:1px dashed #c5cbd3;margin-top:.5rem;padding-top:.3rem}
.fp-findings h4{font-size:.92rem;margin:.2rem 0}
"""


def navigation_links(place: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, address) of the links that open AMap and Baidu Maps at a place (``name``, ``lon``, ``lat``).

    AMap's marker URI takes GCJ-02 (``coordinate=gaode``) and opens the app when it is
    installed (``callnative=1``), the web page otherwise; Baidu's app URI takes BD-09
    (``coord_type=bd09ll``). The store's CGCS2000 is taken as WGS84 (within a metre).
    """
    (g_lon,), (g_lat,) = wgs84_to_gcj02(place["lon"], place["lat"])
    (b_lon,), (b_lat,) = wgs84_to_bd09(place["lon"], place["lat"])
    name = str(place["name"])
    amap = {"position": f"{g_lon:.6f},{g_lat:.6f}", "name": name, "src": "battlemap", "coordinate": "gaode"}
    baidu = {"location": f"{b_lat:.6f},{b_lon:.6f}", "title": name, "coord_type": "bd09ll", "src": "battlemap"}
    return [
        (t("field_nav_amap", lang), "https://uri.amap.com/marker?" + _query({**amap, "callnative": "1"})),
        (t("field_nav_baidu", lang), "baidumap://map/marker?" + _query({**baidu, "content": name})),
    ]


def _query(values: dict[str, str]) -> str:
    return urlencode(values, quote_via=quote, safe=",")


def _links(place: dict[str, Any], lang: str) -> str:
    """The navigation links of a place as buttons (addresses and labels escaped)."""
    return "".join(
        f'<a class="fp-btn" href="{html.escape(href)}">{html.escape(label)}</a>'
        for label, href in navigation_links(place, lang)
    )


def field_page(
    plan: dict[str, Any],
    *,
    roads: gpd.GeoDataFrame | None,
    outlines: gpd.GeoDataFrame | None,
    lang: str,
    settings: FieldSettings | None = None,
    built: dt.datetime | None = None,
) -> str:
    """The field pack page of ``plan`` in ``lang``: header, map with its tools, the days and their stops."""
    settings = settings or get_settings().field_pack
    built = built or dt.datetime.now().astimezone()
    esc = html.escape
    svg = field_svg(plan, roads=roads, outlines=outlines, lang=lang, settings=settings)
    missing = "" if roads is not None and len(roads) else f'<p class="fp-missing">{esc(t("field_no_roads", lang))}</p>'
    tools = "".join(
        f'<button type="button" class="fp-btn" id="{bid}">{esc(label)}</button>'
        for bid, label in (
            ("fp-zoom-in", "+ " + t("field_zoom_in", lang)),
            ("fp-zoom-out", "− " + t("field_zoom_out", lang)),
            ("fp-fit", t("field_fit", lang)),
            ("fp-locate", "◎ " + t("field_locate", lang)),
        )
    )
    messages = " ".join(f'data-msg-{k}="{esc(template(key, lang))}"' for k, key in MESSAGES.items())
    other = "en" if lang == "zh" else "zh"
    query = "" if lang == "zh" else "?lang=en"
    title = f"{t('field_title', lang)} · {plan['date']}"
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="theme-color" content="{THEME}"><title>{esc(title)}</title>'
        f'<link rel="manifest" href="manifest.webmanifest{query}" crossorigin="use-credentials">'
        '<link rel="icon" href="icon.svg" type="image/svg+xml">'
        f'<style>{STYLE}{field_record.STYLE}</style><script src="field.js" defer></script>'
        '<script src="record.js" defer></script></head>'
        f'<body data-plan="{esc(plan["plan_id"])}" data-network-wait="{settings.network_wait_s:g}" {messages} '
        f"{field_record.body_attributes(lang, settings)}><main>"
        f'<header class="fp-head"><div><h1>{esc(title)}</h1><p class="fp-sub">{esc(t("plan_id", lang))}: '
        f'{esc(plan["plan_id"])}</p></div><a class="fp-btn lang-switch" id="fp-lang" '
        f'href="{"?lang=en" if other == "en" else "./"}">{esc(t("language", lang))}</a></header>'
        f'<p class="fp-intro">{esc(t("field_intro", lang))}</p><p id="fp-status" class="fp-status" role="status"></p>'
        f"{field_record.queue_bar(lang)}"
        f'<section class="fp-map"><div class="fp-map-box">{svg}</div><div class="fp-tools">{tools}</div>'
        f'<p id="fp-here" class="fp-here" role="status"></p>{missing}</section>'
        f"{_days(plan, lang, _rings(plan, outlines, settings))}"
        f'<p class="fp-built">{esc(t("field_built", lang, at=built.strftime("%Y-%m-%d %H:%M")))}</p>'
        "</main></body></html>"
    )


def _rings(plan: dict[str, Any], outlines: gpd.GeoDataFrame | None, settings: FieldSettings) -> dict[int, str]:
    """Each stop's village outline in the map's units, for the phone's arrival check (:func:`village_rings`)."""
    frame = plan_frame(plan, settings)
    return {int(s["number"]): village_rings(frame, outlines, str(s["village_code"])) for s in plan["stops"]}


def _days(plan: dict[str, Any], lang: str, rings: dict[int, str]) -> str:
    """Per day its summary, where it starts and ends, its stops in visiting order, and the night's seat."""
    out = []
    last = len(plan["day_summary"])
    for summary, line in zip(plan["day_summary"], day_lines(plan, lang), strict=True):
        stops = [s for s in plan["stops"] if s["day"] == summary["day"]]
        items = "".join(_stop(stop, lang, rings.get(int(stop["number"]), "")) for stop in stops)
        night = summary.get("end_place") if plan.get("overnight") and summary["day"] < last else None
        stay = (
            f'<div class="fp-night"><p><span class="fp-label">{html.escape(t("overnight_at", lang))}:</span> '
            f'{html.escape(night["name"])}</p><div class="fp-actions">{_links(night, lang)}</div></div>'
            if night
            else ""
        )
        out.append(
            f'<section class="fp-day" id="day-{int(summary["day"])}"><h2>{html.escape(line)}</h2>'
            f'<p class="fp-label">{html.escape(day_places(plan, summary, lang))}</p>'
            f'<ol class="fp-stops">{items}</ol>{stay}</section>'
        )
    return "".join(out)


def _stop(stop: dict[str, Any], lang: str, rings: str) -> str:
    """One stop: number, village, times, why drawn, teams, households, navigation, checklist, recording."""
    esc = html.escape
    number = int(stop["number"])
    colour = DAY_COLOURS[(stop["day"] - 1) % len(DAY_COLOURS)]
    teams = "、".join(f"{x['team_id']} {x.get('unit') or ''} {x.get('leader') or ''}".strip() for x in stop["teams"])
    homes = "、".join(f"{h['household_id']} {h.get('head') or ''}".strip() for h in stop["households"])
    facts = [
        (t("why_drawn", lang), reasons_text(stop, lang) or "—"),
        (t("teams", lang), teams or "—"),
        (t("households_to_visit", lang), homes or "—"),
    ]
    links = _links({**stop, "name": stop["village"]}, lang)
    checks = stop_sections(stop, lang)
    items = sum(len(s.items) for s in checks)
    sections = "".join(_section(s.heading, s.items, tick=not s.form) for s in checks)
    return (
        f'<li class="fp-stop" id="stop-{number}" style="--c:{colour}">'
        f"<h3><span>{number}. {esc(str(stop['village']))}</span>"
        f'<span class="fp-time">{esc(stop["arrive"][-5:])}–{esc(stop["depart"][-5:])}</span></h3>'
        f'<p class="fp-label">{esc(str(stop["village_code"]))}</p>'
        + "".join(f'<p><span class="fp-label">{esc(k)}:</span> {esc(v)}</p>' for k, v in facts)
        + f'<div class="fp-actions">{links}<button type="button" class="fp-btn" data-stop="{number}">'
        f"{esc(t('field_on_map', lang))}</button></div>"
        f'<details class="fp-checks"><summary>{esc(t("checklist", lang))} ({items})</summary>{sections}</details>'
        f'<section class="fp-findings" data-stop="{number}"><h4>{esc(t("field_findings", lang))}</h4>'
        f'<p class="fp-label">{esc(t("field_findings_note", lang))}</p>'
        f"{field_record.record_controls(stop, lang, rings)}"
        "</section></li>"
    )


def _section(heading: str, items: list[str], *, tick: bool) -> str:
    """A checklist section: its heading and items, ticked boxes but for the finding form's fields."""
    box = "☐ " if tick else ""
    rows = "".join(f"<li>{box}{html.escape(item)}</li>" for item in items)
    return f"<h4>{html.escape(heading)}</h4><ul>{rows}</ul>"


def field_manifest(plan: dict[str, Any], lang: str) -> str:
    """The web manifest of a plan's field pack: installable, opening on the plan, scoped to it."""
    scope = f"/field/{plan['plan_id']}/"
    name = f"{t('field_title', lang)} {plan['date']}"
    return json.dumps(
        {
            "name": name,
            "short_name": t("field_title", lang),
            "start_url": scope + ("" if lang == "zh" else "?lang=en"),
            "scope": scope,
            "display": "standalone",
            "background_color": "#f6f7f9",
            "theme_color": THEME,
            "lang": "zh-CN" if lang == "zh" else "en",
            "icons": [{"src": "icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
        },
        ensure_ascii=False,
    )


def field_icon() -> str:
    """The pack's icon (SVG): a route with two stops on the app's colour."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 192 192"><rect width="192" height="192" rx="32" '
        f'fill="{THEME}"/><path d="M40 150 L80 70 L130 120 L156 44" fill="none" stroke="#fff" stroke-width="12" '
        'stroke-linejoin="round"/><circle cx="80" cy="70" r="16" fill="#ffcc4d"/><circle cx="130" cy="120" r="16" '
        'fill="#ffcc4d"/></svg>'
    )


def static_file(name: str) -> str:
    """One of the pack's scripts (``STATIC_FILES``) as text."""
    if name not in STATIC_FILES:
        msg = f"no field pack file {name!r}; expected one of {', '.join(STATIC_FILES)}"
        raise ValueError(msg)
    return (resources.files("layers") / "field_static" / name).read_text("utf-8")
