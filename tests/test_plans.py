"""一村一策 tasks and 一户一法 measures: counts on the hand-built mini county, import rules, masking.

The mini county of :mod:`tests.test_indicators_mini` (reference date 2026-06-30) gets six
tasks and four measures whose every figure is worked out by hand below: weighted plan
progress is a ratio of sums at each level, never a mean of the villages' means.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analytics import compute_indicators, explain, prepare_records
from analytics.explain import missing_layer
from analytics.risk import counted_inputs
from geodata.io.importer import prepare_layer
from geodata.io.plan_rules import generated_task_id
from geodata.io.preview import preview_table
from geodata.io.privacy import MASKERS
from geodata.io.readers import read_table
from geodata.settings import RiskSettings, Settings
from geodata.store import Store
from layers.catalog import BY_KEY
from layers.data_views import report_rows
from layers.plan_views import overdue_text, task_rows
from layers.wall import red_list
from tests.conftest import snapshot
from tests.importing import run, write_csv
from tests.test_indicators_mini import AS_OF, COUNTY, T100, T201, V1, V2, V3, V4, layers

TASKS = pd.DataFrame(
    [  # id, village, status, progress, budget (yuan), deadline
        ("T1", V1, "done", 100.0, 1_000_000.0, "2026-05-01"),  # done
        ("T2", V1, "in_progress", 50.0, 300_000.0, "2026-06-01"),  # overdue
        ("T3", V1, "cancelled", 10.0, None, "2026-03-01"),  # cancelled: in no count
        ("T4", V2, "in_progress", 20.0, None, "2026-12-31"),  # no budget: weighs the median 400,000
        ("T5", V2, "not_started", None, 200_000.0, "2026-06-29"),  # overdue; counted at 0 %
        ("T6", V3, "in_progress", 100.0, 500_000.0, "2026-06-01"),  # at 100 %: not overdue, not done
    ],
    columns=["task_id", "village_code", "status", "progress", "budget", "deadline"],
).assign(
    deadline=lambda f: pd.to_datetime(f["deadline"]),
    title=lambda f: "任务" + f["task_id"],
    person="张三明",
    unit="县交通运输局",
)
MEASURES = pd.DataFrame(
    [  # household, measure, deadline, done, done on
        ("H1", "公益岗", "2026-05-01", False, None),  # overdue
        ("H1", "医疗救助", "2026-05-01", True, "2026-04-01"),  # done
        ("H4", "教育资助", "2026-06-01", True, "2026-07-15"),  # done after the reference date: overdue then
        ("H6", "临时救助", "2026-09-01", False, None),  # not due yet
    ],
    columns=["household_id", "measure", "deadline", "done", "done_on"],
).assign(
    deadline=lambda f: pd.to_datetime(f["deadline"]),
    done_on=lambda f: pd.to_datetime(f["done_on"]),
    done=lambda f: f["done"].astype("boolean"),
    helper="李四",
)


def plan_layers() -> dict[str, pd.DataFrame]:
    return {**layers(), "tasks": TASKS, "household_measures": MEASURES}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return compute_indicators(plan_layers(), as_of=AS_OF)


def _row(tables: dict[str, pd.DataFrame], level: str, code: str) -> pd.Series:
    return tables[f"{level}_indicators"].set_index(f"{level}_code").loc[code]


@pytest.mark.parametrize(
    ("level", "code", "counts", "progress"),
    [  # counts: tasks, done, overdue, measures, measures overdue
        ("village", V1, (2, 1, 1, 2, 1), (1.0 * 1e6 + 0.5 * 3e5) / 1.3e6),
        ("village", V2, (2, 0, 1, 1, 1), (0.2 * 4e5) / 6e5),
        ("village", V3, (1, 0, 0, 1, 0), 1.0),
        ("town", T100, (4, 1, 2, 3, 2), (1.15e6 + 8e4) / 1.9e6),  # not (0.885 + 0.133) / 2
        ("town", T201, (1, 0, 0, 1, 0), 1.0),
        ("county", COUNTY, (5, 1, 2, 4, 2), 1.73e6 / 2.4e6),
    ],
)
def test_plan_counts_and_weighted_progress_at_every_level(
    tables: dict[str, pd.DataFrame], level: str, code: str, counts: tuple[int, ...], progress: float
) -> None:
    row = _row(tables, level, code)
    names = ("plan_tasks", "plan_tasks_done", "plan_tasks_overdue", "measures", "measures_overdue")
    assert tuple(row[list(names)]) == counts
    assert row["plan_progress"] == pytest.approx(progress)
    assert row["plan_done_rate"] == pytest.approx(counts[1] / counts[0])


def test_a_village_without_tasks_has_zero_tasks_and_no_progress(tables: dict[str, pd.DataFrame]) -> None:
    row = _row(tables, "village", V4)
    assert row["plan_tasks"] == 0 and row["measures"] == 0
    assert pd.isna(row["plan_progress"]) and pd.isna(row["plan_done_rate"])


def test_without_the_plan_layers_the_figures_are_unknown_not_zero() -> None:
    records = prepare_records(layers(), as_of=AS_OF, settings=Settings())
    county = compute_indicators(layers(), as_of=AS_OF)["county_indicators"].iloc[0]
    for name in (
        "plan_tasks",
        "plan_tasks_done",
        "plan_tasks_overdue",
        "plan_progress",
        "measures",
        "measures_overdue",
    ):
        assert pd.isna(county[name]), name
    assert missing_layer(records, "plan_progress") == "tasks"
    assert missing_layer(records, "measures_overdue") == "household_measures"


def test_explain_lists_the_tasks_and_measures_behind_each_number() -> None:
    records = prepare_records(plan_layers(), as_of=AS_OF, settings=Settings())
    assert sorted(explain(records, T100, "plan_tasks_overdue")["id"]) == ["T2", "T5"]
    assert sorted(explain(records, COUNTY, "plan_tasks")["id"]) == ["T1", "T2", "T4", "T5", "T6"]
    assert list(explain(records, V1, "plan_tasks_done")["id"]) == ["T1"]
    assert sorted(explain(records, COUNTY, "measures_overdue")["id"]) == ["H1/公益岗", "H4/教育资助"]
    assert list(explain(records, COUNTY, "risk_plans")["id"].sort_values()) == ["T2", "T5"]


def test_the_risk_index_weighs_overdue_tasks_only_when_a_setting_says_so(tables: dict[str, pd.DataFrame]) -> None:
    without = compute_indicators(layers(), as_of=AS_OF)["village_indicators"]
    with_plans = tables["village_indicators"]
    pd.testing.assert_series_equal(with_plans["risk_index"], without["risk_index"])
    pd.testing.assert_series_equal(with_plans["risk_top_component"], without["risk_top_component"])
    shown = with_plans.set_index("village_code")["risk_plans"]
    assert (shown[V1], shown[V3]) == (100.0, 0.0)  # half its tasks overdue is past the 30 % full scale; none is 0
    weights = {**RiskSettings().weights, "plans": 0.2}
    weighed = compute_indicators(plan_layers(), as_of=AS_OF, settings=Settings(risk=RiskSettings(weights=weights)))
    village = weighed["village_indicators"].set_index("village_code")
    before = with_plans.set_index("village_code")
    assert village.loc[V1, "risk_index"] > before.loc[V1, "risk_index"]  # half its tasks overdue: full scale
    assert village.loc[V3, "risk_index"] < before.loc[V3, "risk_index"]  # none overdue: the new 0 pulls it down


# --- import ---------------------------------------------------------------------------------------------------

TASK_HEADER = [
    "村代码",
    "措施名称",
    "类别",
    "责任单位",
    "责任人",
    "开始日期",
    "完成时限",
    "进度(%)",
    "状态",
    "资金(万元)",
]


def task_row(village: str, title: str, **change: object) -> list[object]:
    row = dict(
        zip(
            TASK_HEADER,
            [village, title, "基础设施", "县交通运输局", "张三明", "2026-03-01", "2026-09-30", "60%", "推进中", "50"],
            strict=True,
        )
    )
    row.update(change)
    return list(row.values())


def test_a_task_sheet_without_ids_imports_with_ids_from_village_and_title(mini_store: Store, tmp_path: Path) -> None:
    rows = [task_row(V1, "通组道路硬化"), task_row(V2, "饮水巩固", 类别="饮水", **{"资金(万元)": ""})]
    path = write_csv(tmp_path / "tasks.csv", rows, header=TASK_HEADER, encoding="utf-8")
    assert run(mini_store.target, "import", "tasks", str(path)) == 0
    stored = pd.DataFrame(mini_store.read("tasks")).set_index("task_id")
    first = generated_task_id(V1, "通组道路硬化")
    assert first.startswith(V1 + "-") and set(stored.index) == {first, generated_task_id(V2, "饮水巩固")}
    assert stored.loc[first, "progress"] == 60  # "60%" is 60 points, not 0.6
    assert stored.loc[first, "budget"] == 500_000  # 50 万元 stored in yuan
    assert stored.loc[first, "category"] == "infrastructure" and stored.loc[first, "status"] == "in_progress"
    # the same sheet re-sorted with a new progress updates the same tasks
    again = [
        task_row(V2, "饮水巩固", 类别="饮水"),
        task_row(V1, "通组道路硬化", **{"进度(%)": "100", "状态": "已完成"}),
    ]
    path = write_csv(tmp_path / "again.csv", again, header=TASK_HEADER, encoding="utf-8")
    assert run(mini_store.target, "import", "tasks", str(path), "--mode", "append") == 0
    stored = pd.DataFrame(mini_store.read("tasks")).set_index("task_id")
    assert len(stored) == 2 and stored.loc[first, "status"] == "done"


def test_bad_task_rows_are_refused_row_by_row_and_nothing_is_written(
    mini_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        task_row(V1, "通组道路硬化"),  # row 2: fine
        task_row("621121100299", "饮水巩固"),  # row 3: unknown village
        task_row(V1, "产业培育", 开始日期="2026-08-01", 完成时限="2026-07-01"),  # row 4: deadline before start
        task_row(V2, "户厕改造", **{"进度(%)": "120"}),  # row 5: progress above 100
        task_row(V2, "集体经济", 状态="已完成", **{"进度(%)": "80"}),  # row 6: done below 100 %
        task_row(V1, "通组道路硬化"),  # row 7: the same task as row 2
    ]
    path = write_csv(tmp_path / "bad.csv", rows, header=TASK_HEADER, encoding="utf-8")
    before = snapshot(mini_store)
    assert run(mini_store.target, "import", "tasks", str(path)) == 2
    assert snapshot(mini_store) == before
    printed = capsys.readouterr()
    prepared = prepare_layer("tasks", path, store=mini_store)
    found = {(p.row, p.kind) for p in prepared.report.errors}
    assert found == {
        (3, "unknown_village"),
        (4, "deadline_before_start"),
        (5, "out_of_range"),
        (6, "done_incomplete"),
        (7, "duplicate_key"),
    }, prepared.report.format_text()
    text = printed.out + printed.err
    assert "row 3" in text and "row 4" in text and "row 2," not in text


def test_duplicate_task_ids_are_refused(mini_store: Store, tmp_path: Path) -> None:
    header = ["任务编号", *TASK_HEADER]
    rows = [["RW1", *task_row(V1, "甲")], ["RW1", *task_row(V2, "乙")]]
    path = write_csv(tmp_path / "dup.csv", rows, header=header, encoding="utf-8")
    report = prepare_layer("tasks", path, store=mini_store).report
    assert [(p.row, p.kind, p.value) for p in report.errors] == [(3, "duplicate_key", "RW1")]


MEASURE_HEADER = ["户编号", "帮扶措施", "类别", "帮扶责任人", "完成时限", "是否完成", "完成日期"]


def test_measures_of_unknown_households_are_refused(mini_store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [["X1", "公益岗", "就业", "李四", "2026-09-30", "否", ""]],
        header=MEASURE_HEADER,
        encoding="utf-8",
    )
    report = prepare_layer("household_measures", path, store=mini_store).report
    assert [p.kind for p in report.errors] == ["no_households"]
    with mini_store.transaction() as tx:
        tx.write("households", layers()["households"])
    rows = [
        ["H1", "公益岗", "就业", "李四", "2026-09-30", "否", ""],
        ["X1", "医疗救助", "医疗", "李四", "2026-09-30", "是", "2026-05-01"],  # row 3: unknown household
        ["H1", "公益岗", "就业", "李四", "2026-10-30", "否", ""],  # row 4: the same measure twice
        ["H4", "教育资助", "教育", "李四", "2026-09-30", "否", "2026-05-01"],  # row 5: a date, yet not done
        ["H6", "临时救助", "其他", "李四", "2026-09-30", "", "2026-05-01"],  # a date and no answer: done
    ]
    path = write_csv(tmp_path / "m.csv", rows, header=MEASURE_HEADER, encoding="utf-8")
    prepared = prepare_layer("household_measures", path, store=mini_store)
    assert {(p.row, p.kind) for p in prepared.report.errors} == {
        (3, "unknown_household"),
        (4, "duplicate_key"),
        (5, "done_conflict"),
    }
    assert bool(prepared.frame["done"].iloc[4]) is True


# --- personal data -------------------------------------------------------------------------------------------


def test_the_responsible_person_and_the_helper_are_masked(mini_store: Store, tmp_path: Path) -> None:
    assert MASKERS["person"]("张三明") == "张*明"
    path = write_csv(
        tmp_path / "t.csv", [task_row(V1, "甲", 责任人="王建国", 完成时限="bad")], header=TASK_HEADER, encoding="utf-8"
    )
    preview = preview_table(read_table(path), "tasks", villages=None)
    assert preview.rows[0]["责任人"] == "王*国"
    prepared = prepare_layer("tasks", path, store=mini_store)
    mapping = {h: c for c, h in prepared.mapping.found.items()} if prepared.mapping else {}
    report = prepared.report
    report.add("bad_value", "error", "test", row=2, column="责任人", value="王建国")
    shown = report_rows(report, layer="tasks", mapping=mapping, lang="zh", limit=10)
    assert [r["value"] for r in shown if r["column"] == "责任人"] == ["王*国"]
    path = write_csv(
        tmp_path / "m.csv",
        [["H1", "公益岗", "就业", "李四明", "2026-09-30", "否", ""]],
        header=MEASURE_HEADER,
        encoding="utf-8",
    )
    assert preview_table(read_table(path), "household_measures", villages=None).rows[0]["帮扶责任人"] == "李*明"


def test_the_demo_county_has_plans_tied_to_its_weaknesses(demo_store_path: Path) -> None:
    from geodata.store import GeoPackageStore

    store = GeoPackageStore(demo_store_path)
    tasks = pd.DataFrame(store.read("tasks"))
    per_village = tasks.groupby("village_code").size()
    assert per_village.min() >= 3 and per_village.max() <= 8
    assert len(per_village) == len(store.read("villages"))
    villages = pd.DataFrame(store.read("villages")).set_index("village_code")
    poor = villages.index[villages["former_poverty_village"] | (villages["collective_income"] <= 0)]
    collective = set(tasks.loc[tasks["category"] == "collective", "village_code"])
    assert set(poor) <= collective
    as_of = pd.Timestamp(dt.date(2026, 11, 1))
    overdue = (tasks["deadline"] < as_of) & ~tasks["status"].isin(["done", "cancelled"]) & (tasks["progress"] < 100)
    assert 0.03 < overdue.mean() < 0.3  # some behind schedule, most not
    households = pd.DataFrame(store.read("households"))
    monitored = set(households.loc[households["status"] == "monitored", "household_id"])
    assert set(store.read("household_measures")["household_id"]) == monitored


# --- map panel and wall ----------------------------------------------------------------------------------------


def test_the_panel_lists_a_villages_tasks_overdue_first_with_persons_masked() -> None:
    records = prepare_records(plan_layers(), as_of=AS_OF, settings=Settings())
    tasks = records["tasks"]
    rows = task_rows(tasks[tasks["village_code"] == V1], village=True, lang="zh", limit=10)
    assert [r["task_id"] for r in rows] == ["T2", "T1"]  # overdue first; cancelled T3 left out
    assert rows[0] | {"task_id": None, "village_code": None} == {
        "task_id": None,
        "village_code": None,
        "title": "任务T2",
        "unit": "县交通运输局",
        "person": "张*明",
        "deadline": "2026-06-01",
        "progress": "50%",
        "status": "推进中",
        "overdue": True,
    }
    assert [r["task_id"] for r in task_rows(tasks, village=False, lang="en", limit=10)] == ["T2", "T5"]
    assert task_rows(tasks, village=False, lang="en", limit=1)[0]["status"] == "in progress"


def test_the_wall_red_list_names_overdue_tasks(tables: dict[str, pd.DataFrame]) -> None:
    records = prepare_records(plan_layers(), as_of=AS_OF, settings=Settings())
    villages = tables["village_indicators"].set_index("village_code")
    raw = pd.DataFrame(counted_inputs(villages, Settings()))
    assert "plans" not in raw  # weight 0: never a reason
    entries = {e.code: e for e in red_list(villages, raw, {}, "zh", length=4, tasks=records["tasks"])}
    assert entries[V2].reason.endswith("逾期任务1项：任务T5")
    assert "逾期任务" not in entries[V3].reason
    assert overdue_text(records["tasks"], V1, "en") == "1 tasks overdue: 任务T2"


def test_the_map_offers_the_plan_layers() -> None:
    assert BY_KEY["plan_done_rate"].zh == "一村一策进度" and not BY_KEY["plan_done_rate"].higher_is_worse
    assert BY_KEY["plan_tasks_overdue"].higher_is_worse
