"""The water rules as GB 5749-2022 and the monitoring plan mean them, each on a small hand-computed case.

Relaxed limits follow the supply type (供水方式), not the site type; gross α/β are guidance
values (需核素分析, never 不合格); the trihalomethanes fail on their summed ratios; Table 3 is
judged; "—" is not tested; ozone has no plant minimum; undisinfected own sources are not
failed on disinfectant minimums; a sample is complete when the plan's indicators were all
tested; own sources tested yearly are not "not sampled this month".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from analytics import compute_indicators
from analytics.data_quality import data_quality
from analytics.water import judge_results, judge_samples, supply_types
from geodata.settings import DISINFECTANT_RESIDUAL, ROUTINE_INDICATORS, Settings, WaterSettings
from geodata.store import Store
from geodata.water_limits import load_limits
from tests.importing import household_rows, run, write_csv, write_xlsx
from tests.test_indicators_mini import V1, V2, layers

AS_OF = dt.date(2026, 6, 30)
DAY = pd.Timestamp("2026-06-10")


def samples(rows: list[tuple], settings: Settings | None = None, *, as_of: dt.date = AS_OF) -> pd.DataFrame:
    """Judge long-format rows (sample, site type, supply type, indicator, value), indexed by sample."""
    frame = pd.DataFrame(rows, columns=["sample_id", "site_type", "supply_type", "indicator", "value"])
    frame = frame.assign(site_id=frame["sample_id"], village_code=V1, sampled_on=DAY)
    return judge_samples(frame, settings or Settings(), as_of=as_of).set_index("sample_id")


def results(rows: list[tuple], settings: Settings | None = None) -> pd.DataFrame:
    """Judge rows (indicator, value, site type[, supply type[, unit]]) one by one."""
    columns = ["indicator", "value", "site_type", "supply_type", "unit"][: len(rows[0])]
    return judge_results(pd.DataFrame(rows, columns=columns), settings or Settings())


def test_three_taps_only_the_centralised_fluoride_fails() -> None:
    """The review's example: fluoride 1.2 is allowed for small supplies; gross α is a guidance value."""
    s = samples(
        [
            ("small", "tap", "小型集中式供水", "浑浊度", "0.5"),
            ("small", "tap", "小型集中式供水", "氟化物", "1.1"),  # small supplies: 1.2
            ("central", "tap", "集中式供水", "浑浊度", "0.5"),
            ("central", "tap", "集中式供水", "氟化物", "1.1"),  # centralised: 1.0
            ("alpha", "tap", "集中式供水", "浑浊度", "0.5"),
            ("alpha", "tap", "集中式供水", "总α放射性", "0.6"),  # guidance 0.5: nuclide analysis, not a failure
        ]
    )
    assert s["failing"].to_dict() == {"alpha": False, "central": True, "small": False}
    assert s.loc["central", "failed_indicators"] == "fluoride"
    assert s["needs_nuclide_analysis"].to_dict() == {"alpha": True, "central": False, "small": False}
    assert s.loc["alpha", "nuclide_indicators"] == "gross_alpha"


@pytest.mark.parametrize(
    ("given", "site_type", "expected"),
    [
        ("集中式供水", "tap", "centralised"),
        ("集中供水", "tap", "centralised"),
        ("小型集中供水", "tap", "small"),
        ("small_centralised", "tap", "small"),
        ("分散供水", "tap", "dispersed"),
        ("dispersed", "own_source", "dispersed"),
        ("集中式供水", "own_source", "centralised"),  # an own source follows its own supply type
        (None, "own_source", "dispersed"),  # [water] default_supply_type_by_site_type
        (None, "tap", "centralised"),  # [water] default_supply_type
        ("不知道", "tap", "centralised"),  # an unreadable value takes the default
    ],
)
def test_supply_type_spellings_and_defaults(given: str | None, site_type: str, expected: str) -> None:
    frame = pd.DataFrame({"supply_type": [given], "site_type": [site_type]})
    assert supply_types(frame, Settings()).tolist() == [expected]


def test_own_sources_follow_their_supply_type_and_the_default_is_a_setting() -> None:
    rows = [
        ("氟化物", "1.1", "own_source", None),  # default: dispersed, limit 1.2
        ("氟化物", "1.1", "own_source", "集中式供水"),  # a centralised own source: limit 1.0
        ("硝酸盐", "15", "own_source", None),  # dispersed: 20
        ("菌落总数", "300", "tap", "分散式供水"),  # a tap of a dispersed supply: 500
        ("浑浊度", "2.5", "tap", None),  # centralised: 1
    ]
    assert results(rows)["fail"].tolist() == [False, True, False, False, True]
    strict = Settings().replace(water=WaterSettings(default_supply_type_by_site_type={"own_source": "centralised"}))
    assert results(rows, strict)["fail"].tolist() == [True, True, True, False, True]


def test_gross_alpha_and_beta_are_guidance_values() -> None:
    judged = results([("总α放射性", "0.6", "tap"), ("总β放射性", "1.5", "tap"), ("总β放射性", "0.8", "tap")])
    assert not judged["fail"].any()
    assert judged["nuclide"].tolist() == [True, True, False]


def test_trihalomethanes_fail_on_the_sum_of_their_ratios() -> None:
    s = samples(
        [
            ("sum", "tap", None, "三氯甲烷", "0.03"),  # 0.03 / 0.06 = 0.5
            ("sum", "tap", None, "二氯一溴甲烷", "0.036"),  # 0.036 / 0.06 = 0.6 → 1.1 > 1
            ("sum", "tap", None, "三溴甲烷", "<0.01"),  # below detection counts 0
            ("half", "tap", None, "三氯甲烷", "0.03"),
            ("half", "tap", None, "一氯二溴甲烷", "0.04"),  # 0.5 + 0.4 = 0.9
            ("written", "tap", None, "三卤甲烷", "1.2"),  # the lab's own sum of ratios
        ]
    )
    assert s["failing"].to_dict() == {"half": False, "sum": True, "written": True}
    assert s.loc["sum", "failed_indicators"] == "trihalomethanes"


@pytest.mark.parametrize(
    ("indicator", "value", "unit", "fails"),
    [
        ("硒", "0.011", "mg/L", True),  # 0.01
        ("钠", "150", "mg/L", False),  # 200
        ("硼", "0.8", "mg/L", False),  # 1.0 since 2022 (0.5 in 2006)
        ("贾第鞭毛虫", "1", "个/10L", True),  # < 1 per 10 L
        ("隐孢子虫", "<1", "个/10L", False),
        ("2-甲基异莰醇", "15", "ng/L", True),  # 10 ng/L
        ("土臭素", "8", "ng/L", False),
        ("乙草胺", "0.0004", "mg/L", True),  # 0.0003, new in 2022
        ("四氯化碳", "0.001", "mg/L", False),  # 0.002
        ("一氯二溴甲烷", "0.12", "mg/L", True),  # 0.1, Table 1
    ],
)
def test_extended_indicators_are_judged(indicator: str, value: str, unit: str, fails: bool) -> None:
    judged = results([(indicator, value, "tap", None, unit)])
    assert bool(judged["fail"].iloc[0]) is fails and not judged["unknown"].iloc[0]


def test_the_table_holds_all_97_indicators() -> None:
    tables = load_limits()["table"].value_counts().to_dict()
    assert tables == {1: 39, 2: 4, 3: 54}
    assert load_limits()["source"].ne("").all()


def test_an_indicator_the_table_does_not_know_is_named_not_passed() -> None:
    s = samples([("s", "tap", None, "浑浊度", "0.5"), ("s", "tap", None, "水温", "12"), ("s", "tap", None, "X", "1")])
    assert not s.loc["s", "failing"]
    assert s.loc["s", "unknown_indicators"] == "X;水温" and s.loc["s", "unknown_results"] == 2


@pytest.mark.parametrize("mark", ["—", "-", "/", "－"])
def test_a_dash_is_not_tested_not_undetected(mark: str) -> None:
    judged = results([("游离氯", mark, "tap"), ("总大肠菌群", mark, "tap"), ("臭和味", mark, "tap")])
    assert not judged["fail"].any() and not judged["unknown"].any() and not judged["tested"].any()
    assert results([("游离氯", "未检出", "tap")])["fail"].iloc[0]  # 未检出 still fails the tap minimum


def test_ozone_has_no_plant_minimum() -> None:
    judged = results([("臭氧", "<0.01", "plant_outlet"), ("臭氧", "<0.01", "tap"), ("臭氧", "0.4", "plant_outlet")])
    assert judged["fail"].tolist() == [False, True, True]  # tap ≥ 0.02; ≤ 0.3 everywhere


def test_undisinfected_own_sources_are_not_failed_on_disinfectant_minimums() -> None:
    rows = [("游离氯", "未检出", "own_source"), ("游离氯", "2.5", "own_source"), ("游离氯", "未检出", "tap")]
    assert results(rows)["fail"].tolist() == [False, True, True]  # the maximum of 2 still applies
    judged_all = Settings().replace(water=WaterSettings(undisinfected_site_types=()))
    assert results(rows, judged_all)["fail"].tolist() == [True, True, True]


def _plan_rows(sample: str, site_type: str, codes: list[str]) -> list[tuple]:
    """A sample carrying ``codes`` with values that pass (disinfectants at their tap residual)."""
    good = {"free_chlorine": "0.3", "chlorine_dioxide": "0.1", "ph": "7.2", "odour": "无", "visible_matter": "无"}
    limits = load_limits()
    name = limits["name_zh"]
    return [(sample, site_type, None, name[c], good.get(c, "未检出")) for c in codes]


def test_a_sample_is_complete_when_the_plan_indicators_were_tested() -> None:
    routine = list(ROUTINE_INDICATORS)
    rows = [
        *_plan_rows("full", "tap", [*routine, "free_chlorine"]),
        *_plan_rows("clo2", "tap", [*routine, "chlorine_dioxide"]),  # any one disinfectant residual
        *_plan_rows("no_cl", "tap", routine),
        *_plan_rows("short", "tap", [*routine[1:], "free_chlorine"]),
        *_plan_rows("well", "own_source", routine),  # an own source is not disinfected
    ]
    rows.append(("dash", "own_source", None, "菌落总数", "—"))  # not tested: incomplete
    rows += [r for r in _plan_rows("dash", "own_source", routine) if r[3] != "菌落总数"]
    s = samples(rows)
    assert s["complete"].to_dict() == {
        "clo2": True,
        "dash": False,
        "full": True,
        "no_cl": False,
        "short": False,
        "well": True,
    }
    assert s.loc["no_cl", "missing_indicators"] == "free_chlorine"
    assert s.loc["short", "missing_indicators"] == "total_coliforms"
    assert s.loc["dash", "missing_indicators"] == "total_bacteria"
    assert not s["failing"].any()
    assert DISINFECTANT_RESIDUAL.split("|")[0] == "free_chlorine"


def test_the_plan_defaults_follow_the_demo_routine_list() -> None:
    from geodata.demo._water import DISINFECTANT, ROUTINE

    plans = WaterSettings().plan_indicators_by_site_type
    assert list(ROUTINE_INDICATORS) == ROUTINE and len(ROUTINE) == 21
    assert plans["tap"] == [*ROUTINE, DISINFECTANT_RESIDUAL] and DISINFECTANT in DISINFECTANT_RESIDUAL
    assert plans["own_source"] == ROUTINE


def test_new_measures_count_per_village() -> None:
    """V1: the three review samples and one complete tap; V2: one own source over gross β."""
    routine = list(ROUTINE_INDICATORS)
    rows = [
        ("small", "tap", "小型集中式供水", "氟化物", "1.1", V1),
        ("central", "tap", "集中式供水", "氟化物", "1.1", V1),
        ("alpha", "tap", "集中式供水", "总α放射性", "0.6", V1),
        *[(*r, V1) for r in _plan_rows("complete", "tap", [*routine, "free_chlorine"])],
        ("well", "own_source", None, "总β放射性", "1.5", V2),
    ]
    frame = pd.DataFrame(rows, columns=["sample_id", "site_type", "supply_type", "indicator", "value", "village_code"])
    frame = frame.assign(site_id=frame["sample_id"], site_name=frame["sample_id"], sampled_on=DAY, unit=None)
    base = layers()
    base["water_tests"] = gpd.GeoDataFrame(frame, geometry=[shapely.Point(104.61, 35.61)] * len(frame), crs=4490)
    v = compute_indicators(base, as_of=AS_OF, settings=Settings())["village_indicators"].set_index("village_code")
    got = v.loc[[V1, V2], ["water_samples", "water_failing_samples", "water_nuclide_checks", "water_samples_complete"]]
    assert got.astype(int).to_numpy().tolist() == [[4, 1, 1, 1], [1, 0, 1, 0]]
    assert v.loc[V1, "water_complete_rate"] == pytest.approx(1 / 4)
    # Before these rules: 3 / 4 (fluoride 1.1 over 1.0 in the small supply, gross α over 0.5).
    assert v.loc[V1, "water_fail_rate"] == pytest.approx(1 / 4)


def _sites(rows: list[tuple]) -> gpd.GeoDataFrame:
    """Water results (sample, site, site type, date, indicator, value) at a point in V1."""
    frame = pd.DataFrame(rows, columns=["sample_id", "site_id", "site_type", "sampled_on", "indicator", "value"])
    frame = frame.assign(site_name=frame["site_id"], village_code=V1, sampled_on=pd.to_datetime(frame["sampled_on"]))
    return gpd.GeoDataFrame(frame, geometry=[shapely.Point(104.61, 35.61)] * len(frame), crs=4490)


def test_own_sources_tested_yearly_are_not_flagged_this_month() -> None:
    tests = _sites(
        [
            ("T1", "tap", "tap", "2026-05-20", "浑浊度", "0.5"),  # monthly, last sampled in May: due in June
            ("T2", "tap2", "tap", "2026-06-03", "浑浊度", "0.5"),
            ("W1", "well", "own_source", "2026-01-15", "浑浊度", "0.5"),  # yearly, sampled this year
            ("W2", "old_well", "own_source", "2025-06-20", "浑浊度", "0.5"),  # June 2025: more than 12 months ago
        ]
    )
    base = layers()
    q = data_quality({"villages": base["villages"], "water_tests": tests}, import_log=None, as_of=AS_OF)
    no_sample = q.problems[q.problems["kind"] == "water_no_sample"]
    assert sorted(no_sample["record"]) == ["old_well", "tap"]


def test_unknown_indicators_are_a_quality_item() -> None:
    tests = _sites(
        [
            ("A", "S1", "tap", "2026-06-03", "浑浊度", "0.5"),
            ("A", "S1", "tap", "2026-06-03", "水温", "12"),
            ("B", "S1", "tap", "2026-05-03", "电导率", "300"),
            ("C", "S2", "tap", "2026-06-03", "浑浊度", "0.4"),
        ]
    )
    q = data_quality({"villages": layers()["villages"], "water_tests": tests}, import_log=None, as_of=AS_OF)
    unknown = q.problems[q.problems["kind"] == "water_unknown_indicator"]
    assert unknown["record"].tolist() == ["S1"] and unknown["village_code"].tolist() == [V1]
    assert unknown["detail"].iloc[0].startswith("水温、电导率")
    assert q.counts.loc[V1, "water_unknown_indicator"] == 1


def test_supply_type_through_the_importer(mini_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A lab sheet with a 供水方式 column, imported with the CLI, built and read back as indicators."""
    store = mini_store.target
    assert run(store, "import", "households", str(write_csv(tmp_path / "农户.csv", household_rows(4)))) == 0
    header = ["样品编号", "检测点编号", "水样类型", "供水方式", "采样日期", "检测指标", "检测值", "单位", "村代码"]
    sheet = [
        ["S1", "W1", "末梢水", "小型集中供水", "2026年6月10日", "氟化物", "1.1", "mg/L", V1],
        ["S2", "W2", "末梢水", "集中式供水", "2026年6月10日", "氟化物", "1.1", "mg/L", V1],
        ["S3", "W3", "末梢水", "集中供水", "2026年6月10日", "总α放射性", "0.6", "Bq/L", V1],
        ["S4", "W4", "自备水源", "", "2026年6月10日", "游离氯", "—", "mg/L", V2],
    ]
    path = write_xlsx(tmp_path / "水质.xlsx", sheet, header=header, sheet="水质检测")
    assert run(store, "import", "water_tests", str(path)) == 0, capsys.readouterr().err
    stored = mini_store.read("water_tests").set_index("sample_id")["supply_type"]
    assert stored.to_dict() == {"S1": "small", "S2": "centralised", "S3": "centralised", "S4": None}
    assert run(store, "build", "--as-of", AS_OF.isoformat()) == 0
    capsys.readouterr()
    assert run(store, "indicators", "--level", "village", "--format", "json") == 0
    rows = {r["village_code"]: r for r in json.loads(capsys.readouterr().out)}
    wanted = ["water_samples", "water_failing_samples", "water_nuclide_checks", "water_samples_complete"]
    assert [rows[V1][c] for c in wanted] == [3, 1, 1, 0]
    assert [rows[V2][c] for c in wanted] == [1, 0, 0, 0]  # "—" is not tested: no failure, not complete
