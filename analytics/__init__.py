"""Indicators, roll-ups and traceability: pure functions from layers (GeoDataFrames) to tables.

>>> tables = compute_indicators(layers, as_of=date(2026, 6, 30))
>>> tables["village_indicators"]   # one row per village; also town_ and county_indicators
>>> explain(prepare_records(layers, as_of=..., settings=...), "621199100201", "cd_cases_overdue")

Nothing here reads files or the store; callers pass layers in and write results out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd

from analytics.explain import explain, known_indicators
from analytics.indicators import build_indicators, spend_target
from analytics.records import OPTIONAL_LAYERS, Records, prepare_records
from geodata.settings import Settings, get_settings

__all__ = [
    "INPUT_LAYERS",
    "Records",
    "compute_indicators",
    "explain",
    "known_indicators",
    "prepare_records",
    "spend_target",
]

INPUT_LAYERS = ("villages", "households", *OPTIONAL_LAYERS)


def compute_indicators(
    layers: dict[str, pd.DataFrame],
    *,
    as_of: dt.date,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """``village_indicators``, ``town_indicators`` and ``county_indicators`` for the layers given."""
    step = progress or (lambda _label: None)
    records = prepare_records(layers, as_of=as_of, settings=settings or get_settings())
    step("joined")
    tables = build_indicators(records)
    step("aggregated")
    return tables
