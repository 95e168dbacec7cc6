"""Traceability: the household, sample, case, project, team, inspection, task or measure ids behind a number.

``explain(records, unit_code, indicator)`` filters the same record table with the same
flag that produced the number, so what it returns is exactly what was counted.
"""

from __future__ import annotations

import pandas as pd

from analytics.indicators import LEVELS
from analytics.measures import MEASURE_BY_NAME, RATIO_BY_NAME, SOURCE_LAYER, source_layer
from analytics.records import ID_COLUMNS, Records

# Indicators computed from all of a unit's rows of one table rather than a flag.
WHOLE_TABLE = {
    "income_median": ("households", "per_capita_income"),
    "days_since_inspection": ("inspections", "date"),
    "water_worst_indicator": ("samples", "failing_in_window"),
}
RISK_SOURCES = {
    "risk_monitoring": "monitored_open_households",
    "risk_poverty": "poverty_line_households",
    "risk_housing": "housing_insecure_households",
    "risk_water_quality": "water_failing_samples",
    "risk_water_supply": "water_unsafe_households",
    "risk_access": "km_to_clinic",
    "risk_funds": "budget",
    "risk_team": "teams",
    "risk_timeliness": "sla_identify_checked",
    "risk_plans": "plan_tasks_overdue",
}


def known_indicators() -> list[str]:
    """Every indicator :func:`explain` can trace."""
    return sorted({*MEASURE_BY_NAME, *RATIO_BY_NAME, *WHOLE_TABLE, *RISK_SOURCES})


def missing_layer(records: Records, indicator: str, unit_code: str = "") -> str | None:
    """The optional layer that leaves ``indicator`` with no data (None when it has its sources).

    Absent from the store, or — on a store of several counties — without rows for the county
    of ``unit_code`` (for a city or province: for one of its counties), as the tables say.
    """
    name = RISK_SOURCES.get(indicator, indicator)
    names = [RATIO_BY_NAME[name].numerator, RATIO_BY_NAME[name].denominator] if name in RATIO_BY_NAME else [name]
    for part in names:
        if part in MEASURE_BY_NAME:
            layer = source_layer(MEASURE_BY_NAME[part])
        else:
            layer = SOURCE_LAYER.get(WHOLE_TABLE[part][0]) if part in WHOLE_TABLE else None
        if layer in records.absent or _unknown_in(records, layer, unit_code):
            return layer
    return None


def _unknown_in(records: Records, layer: str | None, unit_code: str) -> bool:
    """Whether a county of ``unit_code`` imported none of ``layer``'s rows on a store of several counties."""
    if not unit_code or layer not in records.layer_counties:
        return False
    counties = records.unit_key("villages", 6)
    within = counties[counties.str.startswith(unit_code[:6])].unique()
    return not set(within) <= records.layer_counties[layer]


def explain(records: Records, unit_code: str, indicator: str) -> pd.DataFrame:
    """The rows behind ``indicator`` for the village, township, county, city or province ``unit_code``.

    Returns a frame with ``table`` (households, samples, …), ``id`` and ``value`` (the
    number that row contributes). Raises ``KeyError`` for an unknown indicator or unit.
    """
    digits = len(unit_code)
    if digits not in LEVELS.values():
        msg = (
            f"unit code {unit_code!r} must have 2 (province), 4 (city), 6 (county), 9 (township) or 12 (village) digits"
        )
        raise KeyError(msg)
    name = RISK_SOURCES.get(indicator, indicator)
    name = RATIO_BY_NAME[name].numerator if name in RATIO_BY_NAME else name
    if name in MEASURE_BY_NAME:
        table, column = MEASURE_BY_NAME[name].table, MEASURE_BY_NAME[name].column
    elif name in WHOLE_TABLE:
        table, column = WHOLE_TABLE[name]
    else:
        msg = f"unknown indicator {indicator!r}; known: {', '.join(known_indicators())}"
        raise KeyError(msg)
    frame = records[table]
    rows = frame[records.unit_key(table, digits) == unit_code]
    if column != "one" and name not in ("income_median", "days_since_inspection"):
        value = rows[column]
        counted = value.astype(bool) if value.dtype == bool else pd.to_numeric(value, errors="coerce").fillna(0) != 0
        rows = rows[counted]
    return pd.DataFrame(
        {
            "table": table,
            "id": rows[ID_COLUMNS[table]].to_numpy(),
            "village_code": rows["village_code"].to_numpy(),
            "value": rows[column].to_numpy() if column != "one" else 1,
        }
    )
