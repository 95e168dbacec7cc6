"""The demo county's plans: 一村一策 tasks tied to village weaknesses, 一户一法 measures for monitored households.

A village whose roads are largely unhardened gets a road task, one with unsafe water a
water task, a poor one (former poverty village or no collective income) a collective-
economy task, one with C/D houses a housing task; the rest of its 3–8 tasks come from
the usual plan items. Most tasks keep pace with the calendar; a share of them, larger in
lagging townships, falls behind, so some are overdue at the demo date. Every monitored household gets one
measure per risk (or an industry measure), set by its helper. Shares and counts here
shape a synthetic county; they are not policy settings.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geodata.demo._names import person_names, surname_pool

ROAD_UNHARDENED_SHARE = 0.25  # a village whose road length is more unhardened than this gets a road task
WATER_UNSAFE_SHARE = 0.03  # a village where more households than this lack safe water gets a water task
TASKS_PER_VILLAGE = (3, 8)
UNBUDGETED_SHARE = 0.25  # tasks with no budget of their own (training, campaigns)

# category, title, responsible unit, budget range (万元)
WEAKNESS_TASKS = {
    "road": ("infrastructure", "通组道路硬化", "县交通运输局", (40, 300)),
    "water": ("water", "农村饮水安全巩固提升", "县水务局", (30, 200)),
    "collective": ("collective", "发展壮大村集体经济", "乡镇人民政府", (20, 100)),
    "housing": ("housing", "C/D级危房改造", "县住房和城乡建设局", (10, 60)),
}
OTHER_TASKS = [
    ("industry", "肉牛养殖产业培育", "县农业农村局", (30, 150)),
    ("industry", "中药材种植基地建设", "县农业农村局", (20, 120)),
    ("industry", "马铃薯良种推广", "县农业农村局", (10, 60)),
    ("employment", "劳务输出技能培训", "县人力资源和社会保障局", (5, 20)),
    ("employment", "帮扶车间稳岗就业", "县人力资源和社会保障局", (20, 80)),
    ("environment", "农村户厕改造", "县农业农村局", (10, 80)),
    ("environment", "村庄环境卫生整治", "乡镇人民政府", (5, 30)),
    ("education", "控辍保学与教育资助", "县教育局", (5, 20)),
    ("medical", "村卫生室标准化建设", "县卫生健康局", (10, 50)),
    ("medical", "家庭医生签约服务", "县卫生健康局", (2, 10)),
]
RISK_MEASURES = {  # risk type → (category, measure)
    "illness": ("medical", "落实大病救助和家庭医生签约"),
    "schooling": ("education", "落实教育资助"),
    "disability": ("other", "落实残疾人两项补贴"),
    "labour": ("employment", "安排公益性岗位"),
    "employment": ("employment", "推荐稳定务工就业"),
    "business": ("industry", "落实产业奖补"),
    "accident": ("other", "落实临时救助"),
    "disaster": ("housing", "灾后住房修缮"),
}
DEFAULT_MEASURE = ("industry", "发展庭院经济")


def make_tasks(
    rng: np.random.Generator,
    villages: list[dict],
    people: pd.DataFrame,
    unhardened_share: np.ndarray,
    as_of: dt.date,
) -> pd.DataFrame:
    """Every village's 一村一策 tasks (canonical columns, budget in yuan), numbered RW<year><0001>."""
    year_start = dt.date(as_of.year, 1, 1)
    unsafe = (~people["water_safe"].astype(bool)).groupby(people["village_index"]).mean()
    cd = people["housing_grade"].isin(["C", "D"]).groupby(people["village_index"]).sum()
    behind = {t: rng.uniform(0.03, 0.35) for t in sorted({v["town"] for v in villages})}  # lagging townships
    rows = []
    for i, v in enumerate(villages):
        weak = [
            k
            for k, hit in (
                ("road", unhardened_share[i] > ROAD_UNHARDENED_SHARE),
                ("water", unsafe.get(i, 0.0) > WATER_UNSAFE_SHARE),
                ("collective", v["former_poverty_village"] or v["collective_income"] <= 0),
                ("housing", cd.get(i, 0) > 0),
            )
            if hit
        ]
        count = int(rng.integers(TASKS_PER_VILLAGE[0], TASKS_PER_VILLAGE[1] + 1))
        others = rng.choice(len(OTHER_TASKS), size=max(count - len(weak), 0), replace=False)
        kinds = [WEAKNESS_TASKS[k] for k in weak][:count] + [OTHER_TASKS[j] for j in others]
        persons = person_names(rng, surname_pool(rng, len(kinds)), rng.random(len(kinds)) < 0.8)
        for (category, title, unit, (lo, hi)), person in zip(kinds, persons, strict=True):
            start = year_start + dt.timedelta(days=int(rng.integers(0, 150)))
            deadline = start + dt.timedelta(days=int(rng.integers(120, 330)))
            due = min(max((as_of - start).days / max((deadline - start).days, 1), 0.0), 1.0)
            pace = rng.uniform(0.3, 0.85) if rng.random() < behind[v["town"]] else rng.uniform(1.0, 1.25)
            progress = float(np.clip(round(due * pace * 20) * 5, 0, 100))  # in steps of 5 %
            status = "not_started" if progress == 0 else "done" if progress >= 100 else "in_progress"
            if rng.random() < 0.02:
                status = "cancelled"
            budget = None if rng.random() < UNBUDGETED_SHARE else float(rng.integers(lo, hi + 1) * 10_000)
            name = f"{v['name']}{title}"
            rows.append((v["village_code"], name, category, unit, person, start, deadline, progress, status, budget))
    columns = ["village_code", "title", "category", "unit", "person", "start", "deadline", "progress", "status"]
    frame = pd.DataFrame(rows, columns=[*columns, "budget"])
    frame.insert(0, "task_id", [f"RW{as_of.year}{k + 1:04d}" for k in range(len(frame))])
    for column in ("start", "deadline"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ms]")
    frame["project_id"] = None
    return frame


def make_measures(rng: np.random.Generator, households: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """一户一法: one measure per risk of every monitored household (an industry measure when none is named)."""
    monitored = households[households["status"] == "monitored"]
    end = pd.Timestamp(as_of)
    rows = []
    for h in monitored.itertuples(index=False):
        risks = [r for r in str(h.risk_types or "").split(";") if r in RISK_MEASURES]
        chosen = [RISK_MEASURES[r] for r in risks] or [DEFAULT_MEASURE]
        identified = pd.Timestamp(h.identified_on) if pd.notna(h.identified_on) else end - pd.Timedelta(days=200)
        for category, measure in dict.fromkeys(chosen):
            deadline = identified + pd.Timedelta(days=int(rng.integers(60, 300)))
            eliminated = bool(h.risk_eliminated) if pd.notna(h.risk_eliminated) else False
            done = eliminated or rng.random() < (0.6 if deadline < end else 0.25)
            done_on = min(identified + pd.Timedelta(days=int(rng.integers(20, 280))), end) if done else pd.NaT
            rows.append((h.household_id, measure, category, h.helper, deadline, done, done_on))
    frame = pd.DataFrame(rows, columns=["household_id", "measure", "category", "helper", "deadline", "done", "done_on"])
    for column in ("deadline", "done_on"):
        frame[column] = pd.to_datetime(frame[column]).dt.normalize().astype("datetime64[ms]")
    frame["done"] = frame["done"].astype("boolean")
    return frame
