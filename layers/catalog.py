"""The indicators a map can show: label, unit, how to classify them and which way is worse.

Fixed breaks are settings: the ``[map] breaks_<indicator>`` lists plus, where policy gives a
line, that line (the 一高 poverty incidence, the check-in target, the red risk threshold);
other indicators use quantiles or natural breaks (Jenks) over the units on screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geodata.settings import Settings


@dataclass(frozen=True)
class MapIndicator:
    """One choropleth layer: ``column`` of the indicator tables, shown as ``zh``/``en`` in ``unit``."""

    key: str
    column: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str
    kind: str  # "share" (0–1 shown as %), "count", "km", "score", "points" (share difference)
    scheme: str  # "quantiles", "natural", "fixed"
    higher_is_worse: bool = True

    def breaks(self, settings: Settings) -> list[float]:
        """Upper bounds of the fixed classes, ascending (the last class is open): the setting and the policy line."""
        fixed = {  # key: ([map] breaks_<key>, the policy line that is always a break too)
            "poverty_incidence": (settings.map.breaks_poverty_incidence, settings.poverty.poor_village_incidence),
            "team_checkin_rate": (settings.map.breaks_team_checkin_rate, settings.teams.checkin_target),
            "risk_index": (settings.map.breaks_risk_index, settings.risk.red_threshold),
            "spend_gap": (settings.map.breaks_spend_gap, None),
        }
        typed, line = fixed.get(self.key, ((), None))
        return sorted({float(b) for b in (*typed, line) if b is not None})


CATALOG = [
    MapIndicator("risk_index", "risk_index", "综合风险指数", "Composite risk", "分", "points", "score", "fixed"),
    MapIndicator("poverty_incidence", "poverty_incidence", "贫困发生率", "Poverty incidence", "%", "%", "share",
                 "fixed"),
    MapIndicator("poor_villages", "poor_villages", "贫困村（一高一低一无）", "Poor villages (一高一低一无)", "个村",
                 "villages", "count", "natural"),
    MapIndicator("monitored_rate", "monitored_rate", "监测户占比", "Monitored households", "%", "%", "share",
                 "quantiles"),
    MapIndicator("monitored_open_households", "monitored_open_households", "风险未消除监测户", "Monitored, risk open",
                 "户", "households", "count", "natural"),
    MapIndicator("cd_households", "cd_households", "C/D级危房", "C/D-grade houses", "户", "households", "count",
                 "natural"),
    MapIndicator("cd_cases_overdue", "cd_cases_overdue", "逾期危房改造", "Overdue C/D cases", "户", "cases", "count",
                 "natural"),
    MapIndicator("water_fail_rate", "water_fail_rate", "水质不合格率", "Water samples failing", "%", "%", "share",
                 "quantiles"),
    MapIndicator("water_unsafe_households", "water_unsafe_households", "饮水不安全户", "Unsafe drinking water", "户",
                 "households", "count", "natural"),
    MapIndicator("km_to_clinic", "km_to_clinic", "到卫生室距离", "Road distance to a clinic", "公里", "km", "km",
                 "natural"),
    MapIndicator("road_hardened_share", "road_hardened_share", "道路硬化率", "Hardened roads", "%", "%", "share",
                 "quantiles", higher_is_worse=False),
    MapIndicator("spend_gap", "spend_gap", "资金支出滞后", "Spending behind schedule", "百分点", "points", "points",
                 "fixed"),
    MapIndicator("team_checkin_rate", "team_checkin_rate", "驻村打卡率", "Team check-in rate", "%", "%", "share",
                 "fixed", higher_is_worse=False),
    MapIndicator("project_completion_rate", "project_completion_rate", "项目完工率", "Projects completed", "%", "%",
                 "share", "quantiles", higher_is_worse=False),
    MapIndicator("plan_done_rate", "plan_done_rate", "一村一策进度", "Village plans done", "%", "%", "share",
                 "quantiles", higher_is_worse=False),
    MapIndicator("plan_tasks_overdue", "plan_tasks_overdue", "一村一策逾期任务", "Village plan tasks overdue", "项",
                 "tasks", "count", "natural"),
    MapIndicator("inspection_findings_open", "inspection_findings_open", "暗访问题未整改", "Open inspection findings",
                 "个", "findings", "count", "natural"),
    MapIndicator("inspection_findings_overdue", "inspection_findings_overdue", "暗访问题逾期未整改",
                 "Inspection findings overdue", "个", "findings", "count", "natural"),
]  # fmt: skip
BY_KEY = {m.key: m for m in CATALOG}
DEFAULT_INDICATOR = "risk_index"


def indicator(key: str | None) -> MapIndicator:
    """The catalog entry for ``key`` (the default layer when unknown)."""
    return BY_KEY.get(key or "", BY_KEY[DEFAULT_INDICATOR])


def unit_label(ind: MapIndicator, lang: str) -> str:
    """The indicator's unit in ``lang``."""
    return ind.unit_en if lang == "en" else ind.unit_zh


def format_value(value: float | None, ind: MapIndicator, lang: str, *, unit: bool = True) -> str:
    """A value as people read it: 12.3 %, 45 户, 3.2 公里, 61 分 (``unit=False`` for legends)."""
    if value is None or math.isnan(value):
        return "—"
    if ind.kind == "share":
        text = f"{value * 100:.1f}"
        return f"{text} %" if unit else text
    if ind.kind == "points":
        text = f"{value * 100:+.1f}"
    elif ind.kind == "count":
        text = f"{value:,.0f}"
    elif ind.kind == "km":
        text = f"{value:.1f}"
    else:
        text = f"{value:.0f}"
    return f"{text} {unit_label(ind, lang)}" if unit else text
