"""How lab results compare with GB 5749-2022 limits: numbers, "<DL", 未检出, 无/有, small supplies.

The rules a county official disputed (supply types, guidance values, Table 3, "—") are in
``test_water_supply_rules.py``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.water import judge_results, judge_samples
from geodata.settings import Settings, WaterSettings

CASES = [  # indicator, value, site type, fails
    ("氟化物", "0.8", "tap", False),
    ("氟化物", "1.01", "tap", True),
    ("氟化物", "1.1", "own_source", False),  # small-supply limit 1.2
    ("Fluoride", "1.3", "own_source", True),  # English name
    ("氟化物", "<0.1", "tap", False),  # below detection never exceeds a maximum
    ("游离氯", "<0.05", "tap", True),  # below detection fails a minimum at the limit
    ("游离氯", "0.3", "tap", False),
    ("游离氯", "未检出", "tap", True),  # nothing detected fails a minimum
    ("pH", "6.4", "tap", True),
    ("pH值", "7.2", "tap", False),  # alias
    ("总大肠菌群", "未检出", "tap", False),
    ("总大肠菌群", "ND", "tap", False),
    ("总大肠菌群", "2", "tap", True),
    ("总大肠菌群", "检出", "tap", True),
    ("臭和味", "无", "tap", False),
    ("臭和味", "有异味", "tap", True),
    ("浑浊度", "3.0", "own_source", False),  # small-supply limit 3
    ("浑浊度", "3.0", "tap", True),
    ("游离氯", "0.1", "plant_outlet", True),  # leaving the plant at least 0.3
    ("游离氯", "0.35", "plant_outlet", False),
    ("二氧化氯", "0.05", "plant_outlet", True),  # leaving the plant at least 0.1 (tap 0.02)
    ("二氧化氯", "0.05", "tap", False),
]


@pytest.mark.parametrize(("indicator", "value", "site", "fails"), CASES)
def test_result_against_its_limit(indicator: str, value: str, site: str, fails: bool) -> None:
    tests = pd.DataFrame({"indicator": [indicator], "value": [value], "site_type": [site]})
    judged = judge_results(tests, Settings())
    assert bool(judged["fail"].iloc[0]) is fails
    assert not judged["unknown"].iloc[0]


def test_unknown_indicator_or_unreadable_value_is_flagged_not_failed() -> None:
    tests = pd.DataFrame({"indicator": ["不存在的指标", "氟化物"], "value": ["9", "约0.5"], "site_type": "tap"})
    judged = judge_results(tests, Settings())
    assert judged["unknown"].tolist() == [True, True]
    assert not judged["fail"].any()


def test_relaxed_supply_types_are_a_setting() -> None:
    tests = pd.DataFrame({"indicator": ["浑浊度"], "value": ["2.5"], "site_type": ["tap"], "supply_type": ["small"]})
    relaxed = Settings()
    strict = relaxed.replace(water=WaterSettings(relaxed_supply_types=()))
    assert not judge_results(tests, relaxed)["fail"].iloc[0]
    assert judge_results(tests, strict)["fail"].iloc[0]


def test_window_is_90_days_up_to_the_reference_date() -> None:
    dates = ["2026-04-01", "2026-04-02", "2026-06-30", "2026-07-01"]
    tests = pd.DataFrame(
        {
            "sample_id": list("abcd"),
            "site_id": "S",
            "village_code": "621121100201",
            "sampled_on": pd.to_datetime(dates),
            "indicator": "浑浊度",
            "value": "0.2",
        }
    )
    samples = judge_samples(tests, Settings(), as_of=dt.date(2026, 6, 30)).set_index("sample_id")
    assert samples["in_window"].tolist() == [False, True, True, False]


def test_own_sources_tested_yearly_count_for_a_year() -> None:
    tests = pd.DataFrame(
        {
            "sample_id": ["well", "tap"],
            "site_id": ["W", "T"],
            "village_code": "621121100201",
            "sampled_on": pd.to_datetime(["2026-01-10", "2026-01-10"]),
            "indicator": "浑浊度",
            "value": "0.2",
            "site_type": ["own_source", "tap"],
        }
    )
    samples = judge_samples(tests, Settings(), as_of=dt.date(2026, 6, 30)).set_index("sample_id")
    assert samples["in_window"].to_dict() == {"tap": False, "well": True}


@pytest.mark.parametrize(
    ("value", "unit", "fails"),
    [("5", "μg/L", False), ("12", "ug/L", True), ("5", "mg/L", True), ("0.005", "", False), ("<1", "µg/L", False)],
)
def test_micrograms_are_converted_before_comparing(value: str, unit: str, fails: bool) -> None:
    tests = pd.DataFrame({"indicator": ["砷"], "value": [value], "unit": [unit], "site_type": ["tap"]})  # 0.01 mg/L
    judged = judge_results(tests, Settings())
    assert bool(judged["fail"].iloc[0]) is fails and not judged["unknown"].iloc[0]
