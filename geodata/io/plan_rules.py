"""Rules of the plan layers (一村一策 tasks, 一户一法 measures) that tie their columns together.

Run by :func:`geodata.io.validate.normalise_table` on the typed frame before keys are
checked: a task sheet without task ids gets ids made from its village and title, dates
and progress must agree with each other and with the status. Every fault is a row-level
problem in the report, never an exception.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd

from geodata.io.report import RowProblems

ROW = "_row"  # the source row column of the typed frame (geodata.io.validate.ROW)
TASK_ID_HASH_CHARS = 6  # hex digits of the title's hash in a generated task id (16.7 million per village)


def generated_task_id(village_code: str, title: str) -> str:
    """The id of a task given without one: its village code and a hash of its title (``621199100201-3fa1c2``).

    Made from content, not from the row's position, so the same sheet imported again
    (re-sorted, or with its progress updated) names the same tasks and an append
    updates them instead of adding copies.
    """
    digest = hashlib.sha256(f"{village_code}|{title.strip()}".encode()).hexdigest()
    return f"{village_code}-{digest[:TASK_ID_HASH_CHARS]}"


def task_rules(out: pd.DataFrame, sink: RowProblems) -> None:
    """Generate missing task ids; refuse deadlines before the start and 已完成 below 100 %."""
    _generate_task_ids(out, sink)
    start, deadline = pd.to_datetime(out["start"]), pd.to_datetime(out["deadline"])
    sink.flag(
        "deadline_before_start",
        "完成时限 (deadline) is before 开始日期 (start)",
        (deadline < start).fillna(False),
        column="deadline",
        values=deadline.dt.strftime("%Y-%m-%d"),
    )
    progress = pd.to_numeric(out["progress"], errors="coerce")
    sink.flag(
        "done_incomplete",
        "状态 is 已完成 (done) but 进度(%) is below 100: correct the progress or the status",
        (out["status"].eq("done") & (progress < 100)).fillna(False),
        column="progress",
        values=progress,
    )


def _generate_task_ids(out: pd.DataFrame, sink: RowProblems) -> None:
    """Fill empty task ids from village and title; two generated ids alike are one task entered twice."""
    empty = out["task_id"].isna() & out["village_code"].notna() & out["title"].notna()
    if not empty.any():
        return
    made = pd.Series(
        [generated_task_id(v, t) for v, t in zip(out.loc[empty, "village_code"], out.loc[empty, "title"], strict=True)],
        index=out.index[empty],
        dtype=object,
    )
    out["task_id"] = out["task_id"].astype(object)
    out.loc[empty, "task_id"] = made
    generated = out.loc[empty]
    first_row = generated.groupby("task_id")[ROW].transform("min")
    later = generated["task_id"].duplicated(keep="first")
    positions = out.index.get_indexer(generated.index[later.to_numpy()])
    for i, row in zip(positions, first_row[later].to_numpy(), strict=True):
        sink.at(
            int(i),
            "duplicate_key",
            f"same village and 措施名称 as row {row}: rename one task or give each a 任务编号",
            column="title",
            value=out["title"].iloc[i],
        )
    out.loc[out.index[positions], "task_id"] = None  # reported once here, not again as a duplicate key


def measure_rules(out: pd.DataFrame, sink: RowProblems) -> None:
    """A measure with a 完成日期 and no 是否完成 is done; one marked not done with a date is refused."""
    done_on = pd.to_datetime(out["done_on"])
    done = out["done"].astype("boolean")
    sink.flag(
        "done_conflict",
        "完成日期 is given but 是否完成 says no: clear the date or mark the measure done",
        (done.eq(False) & done_on.notna()).fillna(False).to_numpy(dtype=bool),
        column="done_on",
        values=done_on.dt.strftime("%Y-%m-%d"),
    )
    out["done"] = done.mask(done.isna() & done_on.notna(), True)


PLAN_RULES: dict[str, Callable[[pd.DataFrame, RowProblems], None]] = {
    "tasks": task_rules,
    "household_measures": measure_rules,
}
