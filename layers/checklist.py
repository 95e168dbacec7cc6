"""The printable checklist of an inspection stop: what to check, as data, and as escaped HTML.

A stop with a work team gets the ten indicators of the problem-clearing ledger (问题清零台账10项指标,
seed 000: nominal help, not living in the village, check-in, work log, public notice,
allowance, leave, a plan per household, party meetings, competence); each household to
visit gets the three guarantees and drinking water (三保障和饮水安全); every stop ends with
the finding form. The page and the standalone HTML both render :func:`stop_sections`, so
the two never differ.
"""

from __future__ import annotations

import html
from typing import Any, NamedTuple

from layers.i18n import t

ZERO_OUT_CHECKS = (  # 问题清零台账10项指标, in the order seed 000 lists them
    "zero_nominal",
    "zero_not_living",
    "zero_checkin",
    "zero_log",
    "zero_notice",
    "zero_allowance",
    "zero_leave",
    "zero_plan",
    "zero_meetings",
    "zero_competence",
)
HOUSEHOLD_CHECKS = ("hh_education", "hh_medical", "hh_housing", "hh_water", "hh_income")
FORM_FIELDS = ("form_problem", "form_requirement", "form_deadline", "form_responsible", "form_inspector")


def stop_title(stop: dict[str, Any], lang: str) -> str:
    """'3. 青台岘村 (621199100219) · 第1天 09:12'."""
    when = f"{t('day_n', lang, n=stop['day'])} {stop['arrive'][-5:]}"
    return f"{stop['number']}. {stop['village']} ({stop['village_code']}) · {when}"


def reasons_text(stop: dict[str, Any], lang: str) -> str:
    """Why the stop was drawn, in words (and whether its team is due this cycle)."""
    parts = [t(f"reason_{r}", lang) for r in stop.get("reasons", [])]
    if stop.get("forced"):
        parts.insert(0, t("forced_stop", lang))
    return "、".join(parts) if lang == "zh" else ", ".join(parts)


def warning_text(warning: dict[str, Any], lang: str) -> str:
    """A plan warning (``{"code": ..., **numbers}``) in words."""
    numbers = {k: v for k, v in warning.items() if k != "code"}
    return t(f"warn_{warning['code']}", lang, **numbers)


class Section(NamedTuple):
    """One block of a stop's checklist; the finding form's items are written in, not ticked."""

    heading: str
    items: list[str]
    form: bool = False


def stop_sections(stop: dict[str, Any], lang: str) -> list[Section]:
    """(heading, check items) of one stop: per team the ledger's ten checks, per household the guarantees, the form."""
    sections = []
    for team in stop.get("teams", []):
        head = f"{t('team_checks', lang, n=len(ZERO_OUT_CHECKS))} · {team['team_id']} {team.get('unit') or ''}"
        facts = f"{t('leader', lang)} {team.get('leader') or '—'} · {t('checkin_rate', lang)} " + (
            f"{team['checkin_rate']:.0%}" if team.get("checkin_rate") is not None else "—"
        )
        sections.append(Section(head, [facts, *[t(k, lang) for k in ZERO_OUT_CHECKS]]))
    for hh in stop.get("households", []):
        flags = "、".join(t(f"flag_{f}", lang) for f in hh.get("flags", []))
        head = f"{t('household_checks', lang)} · {hh['household_id']} {hh.get('head') or ''}"
        sections.append(Section(head + (f" ({flags})" if flags else ""), [t(k, lang) for k in HOUSEHOLD_CHECKS]))
    sections.append(Section(t("finding_form", lang), [t(k, lang) for k in FORM_FIELDS], form=True))
    return sections


def day_lines(plan: dict[str, Any], lang: str) -> list[str]:
    """One line per day of a plan: date, stops, distance, driving time and when the day ends (page and export)."""
    return [
        f"{t('day_n', lang, n=d['day'])} {d['date']} · {t('plan_stops', lang)} {d['stops']} · "
        + t("day_total", lang, km=d["distance_km"], travel=d["travel_h"], end=d["end"][-5:])
        for d in plan["day_summary"]
    ]


def start_name(plan: dict[str, Any], lang: str) -> str:
    """The start's name, or 'start' in words when it is a bare point."""
    return plan["start"]["name"] or t("start_point", lang)


def day_places(plan: dict[str, Any], day: dict[str, Any], lang: str) -> str:
    """'出发: 城关镇人民政府 → 马营镇人民政府 · 08:30–16:18': where a day starts and ends, and when."""
    start = start_name(plan, lang)
    first = (day.get("start_place") or {}).get("name") or start  # plans stored before day places existed
    last = (day.get("end_place") or {}).get("name") or start
    return f"{t('start_point', lang)}: {first} → {last} · {day['leave'][-5:]}–{day['end'][-5:]}"


def checklist_html(plan: dict[str, Any], lang: str) -> str:
    """Every stop's checklist as printable HTML (one stop per printed page); all text escaped."""
    blocks = []
    for stop in plan["stops"]:
        rows = []
        for section in stop_sections(stop, lang):
            box = "" if section.form else "☐"
            cells = "".join(f"<tr><td>{html.escape(i)}</td><td class='box'>{box}</td></tr>" for i in section.items)
            rows.append(f"<h3>{html.escape(section.heading)}</h3><table class='checks'>{cells}</table>")
        blocks.append(
            f"<section class='stop'><h2>{html.escape(stop_title(stop, lang))}</h2>"
            f"<p>{html.escape(t('why_drawn', lang))}: {html.escape(reasons_text(stop, lang))}</p>"
            f"{''.join(rows)}</section>"
        )
    style = (
        "<style>.stop{page-break-before:always;font:14px sans-serif;margin:1em}.stop h2{font-size:18px}"
        ".checks{border-collapse:collapse;width:100%}.checks td{border:1px solid #999;padding:4px 6px}"
        ".checks td.box{width:30%}@media screen{.stop{border-top:2px solid #333}}</style>"
    )
    return style + "".join(blocks)
