"""Work teams, inspections and projects as the policy texts mean them, each rule on a hand-computed case.

- Inspections: the monthly target is about 30 *distinct teams* (seed 000, 庄浪县: 县级总队长每月暗访督查约30支驻村
  帮扶工作队), so the wall counts teams, not visits, and the draw's cycle is as many months as the
  county's teams need at that pace instead of every team every month.
- Team grades: 优秀 ≥ 90, 良好 71–89, 一般 60–70, 差 < 60 on the year-end score (seed 004); the
  monthly score names the county's best and worst 5 % (seed 000).
- Projects: 报账率 by money where the reimbursed amount is given, else by count, saying which; only
  the as-of year's funds (资金年度) count against the 30/50/75/100 % schedule (seed 002).
- Words: the ten team checks are the 问题清零台账10项指标 (seed 000); the 一高一低一无 poor-village
  flag is a map layer, a line of the village panel and a mark on the wall.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.inspection_draw import cycle_bounds, cycle_months, inspection_days_left
from analytics.kpis import month_ranking, wall_kpis
from analytics.records import Records, _projects, _teams
from geodata.settings import FundsSettings, InspectionSettings, Settings, TeamSettings
from geodata.store import Store
from layers.catalog import BY_KEY
from layers.checklist import ZERO_OUT_CHECKS, stop_sections
from layers.classify import classify
from layers.i18n import t
from layers.panel import reimbursed_rate, team_project_rows
from layers.wall import poor_villages_text, red_list, tile_text
from tests.importing import run
from tests.test_indicators_mini import layers

V1, V2, V3, V4 = "621121100201", "621121100202", "621121201201", "621121201202"
T100, T201, COUNTY = "621121100", "621121201", "621121"
WEEKDAYS = InspectionSettings(inspection_weekdays=(0, 1, 2, 3, 4))


# --- inspections: distinct teams a month, the cycle as long as the teams need ---------------------------------


def test_the_cycle_is_as_many_months_as_the_teams_need_at_the_monthly_target() -> None:
    default = InspectionSettings()  # 30 teams a month
    assert [cycle_months(n, default) for n in (20, 30, 81, 100, 196, 1000)] == [1, 1, 3, 4, 7, 12]
    # 81 teams (the demo at its default seed): quarters
    assert cycle_bounds(dt.date(2026, 5, 10), default, 81) == (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    # 196 teams (the seed county): January–July, then a shorter August–December
    assert cycle_bounds(dt.date(2026, 3, 15), default, 196) == (dt.date(2026, 1, 1), dt.date(2026, 7, 31))
    assert cycle_bounds(dt.date(2026, 9, 1), default, 196) == (dt.date(2026, 8, 1), dt.date(2026, 12, 31))
    # a county that wants every team every month says so
    monthly = InspectionSettings(cycle_months=1)
    assert cycle_bounds(dt.date(2026, 2, 10), monthly, 196) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert cycle_bounds(dt.date(2026, 1, 20), InspectionSettings(cycle_days=14), 196)[0] == dt.date(2026, 1, 15)


def test_the_teams_due_are_spread_over_the_whole_cycle() -> None:
    # 1 April 2026 is a Wednesday; April–June hold 22 + 21 + 22 = 65 weekdays.
    assert inspection_days_left(dt.date(2026, 4, 1), WEEKDAYS, 81) == 65
    # so on the first day 81 due teams take ceil(81 / 65) = 2 stops, not ceil(81 / 22) = 4 as in a one-month cycle
    monthly = InspectionSettings(inspection_weekdays=(0, 1, 2, 3, 4), cycle_months=1)
    assert inspection_days_left(dt.date(2026, 4, 1), monthly, 81) == 22


def visit_records(as_of: dt.date, settings: Settings) -> Records:
    teams = pd.DataFrame({"team_id": ["T1", "T2", "T3", "T4"], "village_code": [V1, V3, V2, V4]})
    rows = [  # date, team, village
        ("2026-07-01", "T1", V1),
        ("2026-07-10", "T1", V1),  # the same team again: one team
        ("2026-07-12", None, V3),  # no team id: the team of its village (T2)
        ("2026-07-14", "", "621121100299"),  # a village without a team: no team
        ("2026-07-16", "T3", V2),  # after the reference date
        ("2026-06-05", "T4", V4),  # 1–15 June: T4 only
        ("2026-06-10", "T4", V4),
        ("2026-05-30", "T3", V2),
    ]
    inspections = pd.DataFrame(rows, columns=["date", "team_id", "village_code"])
    inspections["date"] = pd.to_datetime(inspections["date"])
    tables = {"teams": teams, "inspections": inspections, "cases": pd.DataFrame(columns=["deadline", "accepted"])}
    return Records(as_of=as_of, settings=settings, tables=tables)


def test_the_wall_counts_distinct_teams_inspected_this_month() -> None:
    as_of = dt.date(2026, 7, 15)
    row = pd.Series({"inspection_findings_open": 1.0})
    tile = {k.key: k for k in wall_kpis(row, None, visit_records(as_of, Settings()), as_of=as_of, settings=Settings())}
    inspections = tile["kpi_inspections"]
    # T1 and T2 in July (4 visits), T4 alone in 1–15 June; the 30-team target is capped at the county's 4 teams
    assert (inspections.value, inspections.delta, inspections.extra["visits"]) == (2, 1, 4)
    assert inspections.target == round(4 * 15 / 31) == 2 and inspections.status == "ok"
    assert tile_text(inspections, "zh").detail == "未整改问题 1 · 暗访 4 次"
    assert tile_text(inspections, "zh").alert == "逾期 —"  # a table from before the count: unknown, not 0
    fewer = Settings().replace(inspection=InspectionSettings(teams_per_month=3))
    tile = {k.key: k for k in wall_kpis(row, None, visit_records(as_of, fewer), as_of=as_of, settings=fewer)}
    assert tile["kpi_inspections"].target == round(3 * 15 / 31) == 1
    assert t("kpi_inspections", "zh") == "本月暗访工作队"


# --- team grades (year-end) and the monthly best and worst -----------------------------------------------------

TEAMS = pd.DataFrame(
    {  # id, village, monthly score, year-end score
        "team_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
        "village_code": [V1, V3, V2, V4, V2, V1],
        "members": 3,
        "checkin_rate": 0.98,
        "days_in_village": 100,
        "monthly_score": [80.0, 95.0, 60.0, 95.0, None, 70.0],
        "year_score": [90.0, 89.9, 60.0, 59.9, 71.0, 70.9],
    }
)


def test_year_end_grades_use_the_four_bands_and_the_month_names_its_ends() -> None:
    out = _teams(TEAMS, Settings(), dt.date(2026, 6, 30)).set_index("team_id")
    band = out[["grade_excellent", "grade_good", "grade_fair", "grade_poor"]].idxmax(axis=1).str[6:]
    # 90 is 优秀; 89.9 and 71 良好; 70.9 and 60 一般; 59.9 差
    assert band.to_dict() == {"T1": "excellent", "T2": "good", "T3": "fair", "T4": "poor", "T5": "good", "T6": "fair"}
    # five monthly scores: round(5 × 5 %) = 0, at least 1 each end; T2 and T4 tie at 95, so both are named
    assert sorted(out.index[out["month_best"]]) == ["T2", "T4"] and list(out.index[out["month_worst"]]) == ["T3"]
    assert not out.loc["T5", ["month_best", "month_worst"]].any()  # no monthly score: not ranked
    ten = Settings().replace(teams=TeamSettings(rank_share=0.4))  # round(5 × 40 %) = 2 each end
    out = _teams(TEAMS, ten, dt.date(2026, 6, 30)).set_index("team_id")
    assert sorted(out.index[out["month_best"]]) == ["T2", "T4"] and sorted(out.index[out["month_worst"]]) == [
        "T3",
        "T6",
    ]
    same = TEAMS.assign(monthly_score=88.0)  # nobody is better or worse than the others
    assert not _teams(same, Settings(), dt.date(2026, 6, 30))[["month_best", "month_worst"]].any().any()


# --- projects: this year's funds, 报账率 by money else by count ---------------------------------------------------

PROJECTS = pd.DataFrame(
    {
        "project_id": ["P1", "P2", "P3", "P4"],
        "village_code": [V1, V1, V3, V3],
        "budget": [100000.0, 50000.0, 200000.0, 300000.0],
        "disbursed": [60000.0, 0.0, 150000.0, 300000.0],
        "reimbursed_amount": [20000.0, 0.0, None, 300000.0],  # P3's amount not given
        "status": ["started", "planned", "reimbursed", "reimbursed"],
        "year": [2026, 2026, None, 2025],  # P3 without a fund year, P4 last year's
    }
)


def test_only_this_years_funds_count_and_projects_without_a_year_as_the_setting_says() -> None:
    out = _projects(PROJECTS, Settings(), dt.date(2026, 6, 30))
    assert out["project_id"].tolist() == ["P1", "P2", "P3"]  # P4 is 2025's
    assert out["reimbursed_known_budget"].tolist() == [100000.0, 50000.0, 0.0]  # P3's amount is unknown
    strict = Settings().replace(funds=FundsSettings(count_projects_without_year=False))
    assert _projects(PROJECTS, strict, dt.date(2026, 6, 30))["project_id"].tolist() == ["P1", "P2"]
    assert _projects(PROJECTS, Settings(), dt.date(2025, 12, 31))["project_id"].tolist() == ["P3", "P4"]


HEADERS = {
    "projects": {
        "project_id": "项目编号", "village_code": "村代码", "budget": "计划投资", "disbursed": "已支出资金",
        "reimbursed_amount": "已报账金额", "status": "项目状态", "year": "资金年度",
    },
    "teams": {
        "team_id": "工作队编号", "village_code": "村代码", "members": "队员人数", "checkin_rate": "打卡率",
        "days_in_village": "驻村天数", "monthly_score": "月度考核得分", "year_score": "年度考核得分",
    },
}  # fmt: skip
STATUS = {"planned": "未开工", "started": "已开工", "completed": "已完工", "reimbursed": "已报账"}


@pytest.fixture
def built(store: Store, tmp_path: Path) -> dict[str, pd.DataFrame]:
    """The mini county with the ledgers above, imported from sheets with Chinese headers, built as of 2026-06-30."""
    mini = layers()
    with store.transaction() as tx:
        for name in ("towns", "villages", "households", "inspections"):
            tx.write(name, mini[name])
    sheets = {"projects": PROJECTS.assign(status=PROJECTS["status"].map(STATUS)), "teams": TEAMS}
    for name, frame in sheets.items():
        path = tmp_path / f"{name}.csv"
        frame[list(HEADERS[name])].rename(columns=HEADERS[name]).to_csv(path, index=False, encoding="utf-8-sig")
        assert run(store.target, "import", name, str(path)) == 0, name
    assert run(store.target, "build", "--as-of", "2026-06-30") == 0
    return {
        level: pd.DataFrame(store.read(f"{level}_indicators")).set_index(f"{level}_code")
        for level in ("village", "town", "county")
    }


def test_the_rules_on_both_stores(built: dict[str, pd.DataFrame]) -> None:
    v, town, c = built["village"], built["town"], built["county"].loc[COUNTY]
    # Projects: P4 (2025) is out; P3 (no year) counts. Spend 210,000 of 350,000 (the whole ledger would give 0.78).
    assert (c["projects"], c["budget"], c["disbursed"]) == (3, 350000, 210000)
    assert c["spend_rate"] == pytest.approx(0.6)
    # 报账率 by money over the projects with an amount (P1, P2): 20,000 / 150,000; by count: P3 of 3
    assert c["reimbursed_money_rate"] == pytest.approx(20000 / 150000)
    assert c["project_reimbursed_rate"] == pytest.approx(1 / 3)
    assert v.loc[V1, "reimbursed_money_rate"] == pytest.approx(20000 / 150000) and v.loc[V1, "spend_rate"] == 0.4
    assert np.isnan(v.loc[V3, "reimbursed_money_rate"]) and v.loc[V3, "project_reimbursed_rate"] == 1.0
    assert reimbursed_rate(v.loc[V3]) == (1.0, "count")  # V3's only project has no amount: by count, and says so
    # Year-end grades as counts at every level; the monthly ends named county-wide
    grades = ["teams_year_scored", "teams_grade_excellent", "teams_grade_good", "teams_grade_fair", "teams_grade_poor"]
    assert c[grades].tolist() == [6, 1, 2, 2, 1]
    assert town.loc[T100, grades].tolist() == [4, 1, 1, 2, 0] and town.loc[T201, grades].tolist() == [2, 0, 1, 0, 1]
    assert (c["teams_month_best"], c["teams_month_worst"]) == (2, 1)
    assert (town.loc[T201, "teams_month_best"], town.loc[T100, "teams_month_worst"]) == (2, 1)


# --- words, the poor-village flag on the map, the panel and the wall ---------------------------------------------


def test_the_team_checks_are_the_ten_indicators_of_the_problem_clearing_ledger() -> None:
    assert t("team_checks", "zh", n=len(ZERO_OUT_CHECKS)) == "驻村工作队“问题清零台账10项指标”检查"
    heading = stop_sections({"teams": [{"team_id": "T1", "unit": "县财政局"}]}, "zh")[0].heading
    assert "问题清零台账10项指标" in heading and "零容忍" not in heading
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    assert "零容忍" not in readme and "问题清零台账10项指标" in readme


def test_reimbursed_rate_says_its_basis() -> None:
    money = pd.Series({"reimbursed_money_rate": 0.25, "project_reimbursed_rate": 0.5})
    count = pd.Series({"reimbursed_money_rate": np.nan, "project_reimbursed_rate": 0.5})
    assert reimbursed_rate(money) == (0.25, "amount") and reimbursed_rate(count) == (0.5, "count")
    assert reimbursed_rate(pd.Series({"project_reimbursed_rate": np.nan})) == (None, None)


def test_poor_villages_are_a_map_layer_a_panel_line_and_marked_on_the_wall() -> None:
    ind = BY_KEY["poor_villages"]
    classes = classify(pd.Series([0.0, 1.0, 0.0]), ind, Settings(), "zh")
    assert classes.index.tolist() == [0, 1, 0]  # the poor village in the darker class
    village = pd.Series({"poor_villages": 1, "projects": np.nan, "teams_year_scored": np.nan})
    none = pd.DataFrame(columns=["team_id", "village", "monthly_score", "end"])
    lines = dict(team_project_rows(village, none, village=True, year=2026, lang="zh"))
    assert lines["一高一低一无贫困村"] == "是" and lines["2026年度衔接资金项目"] == "无数据"
    town = pd.Series({"poor_villages": 3, "projects": np.nan, "teams_year_scored": np.nan})
    assert dict(team_project_rows(town, none, village=False, year=2026, lang="zh"))["一高一低一无贫困村数"] == "3"
    villages = pd.DataFrame(
        {
            "name": ["甲村", "乙村"],
            "risk_index": [70.0, 40.0],
            "risk_red": [True, False],
            "poor_village_flag": [True, False],
        },
        index=[V1, V2],
    )
    entries = red_list(villages, pd.DataFrame(index=villages.index), {}, "zh", length=10)
    assert [e.poor for e in entries] == [True, False]
    assert poor_villages_text(pd.Series({"poor_villages": 1}), "zh") == "一高一低一无贫困村 1 个"


def test_the_panel_names_the_months_best_and_worst_by_team_id_and_village(built: dict[str, pd.DataFrame]) -> None:
    from analytics import prepare_records

    mini = layers()
    mini["teams"] = TEAMS.assign(leader="王五")
    records = prepare_records(mini, as_of=dt.date(2026, 6, 30), settings=Settings())
    named = month_ranking(records, COUNTY)
    assert named[["team_id", "end"]].values.tolist() == [["T2", "best"], ["T4", "best"], ["T3", "worst"]]
    assert "leader" not in named
    named = named.assign(village=named["village_code"].map({V2: "前进村", V3: "柳树村", V4: "杏园村"}))
    row = built["county"].loc[COUNTY]
    lines = dict(team_project_rows(row, named, village=False, year=2026, lang="zh"))
    assert lines["月度考核前5%"] == "T2 柳树村 (95) · T4 杏园村 (95)" and lines["月度考核后5%"] == "T3 前进村 (60)"
    assert lines["驻村工作队年度考核等次"] == "优秀 1 · 良好 2 · 一般 2 · 差 1"
    assert lines["报账率"] == "13.3 % (按金额)" and lines["开工率"] == "66.7 % (2 / 3)"
    assert "王五" not in str(lines)
