"""The composite risk index (0–100) and its components, from a unit's rolled-up indicators.

Each component is a shortfall or a share scaled so that ``settings.risk.full_scale``
gives 100; the index is the weighted mean of the components a unit has (a village
without a work team or without water samples is judged on the rest). Townships and
the county get the same formula applied to their own ratios of sums.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.plans import overdue_share
from geodata.settings import Settings


def risk_inputs(frame: pd.DataFrame, settings: Settings) -> dict[str, pd.Series]:
    """The raw value of each component (before scaling), NaN where a unit has nothing to judge."""
    households = frame["households"].where(frame["households"] > 0)
    team_short = pd.concat(
        [settings.teams.checkin_target - frame["team_checkin_rate"], 1 - frame["team_days_ratio"]], axis=1
    ).max(axis=1, skipna=False)
    late = 1 - pd.concat([frame["sla_identify_ok_share"], frame["sla_entry_ok_share"]], axis=1).min(axis=1)
    return {
        "monitoring": frame["monitored_open_households"] / households,
        "poverty": frame["poverty_incidence"],
        "housing": frame["housing_insecure_households"].add(frame["cd_cases_overdue"], fill_value=0) / households,
        "water_quality": frame["water_fail_rate"],
        "water_supply": frame["water_unsafe_households"] / households,
        "access": frame["km_to_clinic"],
        "funds": (frame["spend_target"] - frame["spend_rate"]).clip(lower=0),
        "team": team_short.clip(lower=0),
        "timeliness": late,
        "plans": overdue_share(frame),
    }


def counted_inputs(frame: pd.DataFrame, settings: Settings) -> dict[str, pd.Series]:
    """:func:`risk_inputs` of the components that weigh in the index (weight above 0): what may explain a score."""
    weights = settings.risk.weights
    return {name: value for name, value in risk_inputs(frame, settings).items() if weights.get(name, 0.0) > 0}


def add_risk(frame: pd.DataFrame, settings: Settings) -> None:
    """Add ``risk_<component>`` columns (0–100) and ``risk_index`` to ``frame`` in place."""
    weights = settings.risk.weights
    scores = {}
    for name, value in risk_inputs(frame, settings).items():
        scale = settings.risk.full_scale.get(name, 1.0)
        scores[name] = (value.astype(float) / scale).clip(0, 1) * 100
        frame[f"risk_{name}"] = scores[name].round(1)
    table = pd.DataFrame(scores)
    w = pd.Series({k: float(weights.get(k, 0.0)) for k in table.columns})
    present = table.notna()
    total_weight = present.mul(w, axis=1).sum(axis=1)
    index = table.fillna(0).mul(w, axis=1).sum(axis=1) / total_weight.replace(0, np.nan)
    frame["risk_index"] = index.round(1)
    frame["risk_red"] = frame["risk_index"] >= settings.risk.red_threshold
    weighted = table.loc[:, (w > 0).to_numpy()]  # a component of weight 0 is shown, never the top one
    judged = weighted.notna().any(axis=1)  # a unit with no component has no top one (pandas 3 refuses idxmax there)
    frame["risk_top_component"] = weighted[judged].idxmax(axis=1).reindex(table.index)
