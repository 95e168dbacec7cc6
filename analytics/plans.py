"""Record tables of the plans: 一村一策 tasks and 一户一法 measures, each row with the flags the indicators count.

A task is *active* unless cancelled (已取消), *done* when its status says 已完成 (or, with
no status, its progress reached 100), and *overdue* when it is active, not done, below
100 % and its deadline (完成时限) is before the reference date. Plan progress is a ratio
of sums: each active task contributes its progress times its weight (its budget where
given, see ``plans.weight_by_budget``) over the sum of the weights, so a township's
figure is never a mean of its villages' means.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geodata.settings import Settings

TASK_FLAGS = ("active", "done", "overdue", "progress_x_weight", "progress_weight")
MEASURE_FLAGS = ("done_then", "overdue")


def task_records(tasks: pd.DataFrame | None, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """The village tasks with ``active``, ``done``, ``overdue`` and the weighted progress they add up to."""
    columns = [
        "task_id",
        "village_code",
        "title",
        "category",
        "unit",
        "person",
        "status",
        "deadline",
        "progress",
        "budget",
    ]
    if tasks is None or not len(tasks):
        return pd.DataFrame(columns=[*columns, *TASK_FLAGS])
    out = pd.DataFrame(tasks).reindex(columns=columns).reset_index(drop=True)
    status = out["status"].astype(object)
    progress = pd.to_numeric(out["progress"], errors="coerce").astype(float)
    out["active"] = status.ne("cancelled").to_numpy()
    out["done"] = (out["active"] & (status.eq("done") | (status.isna() & (progress >= 100)))).to_numpy()
    deadline = pd.to_datetime(out["deadline"])
    late = (deadline < pd.Timestamp(as_of)).fillna(False).astype(bool)
    out["overdue"] = out["active"] & ~out["done"] & late & ~(progress >= 100)
    # progress as counted: a done task is at 100, one not started at 0, one in progress without a figure unknown
    counted = progress.where(~out["done"], progress.fillna(100.0))
    counted = counted.where(~status.eq("not_started").to_numpy(), counted.fillna(0.0))
    weight = _weights(out, settings).where(out["active"] & counted.notna(), 0.0)
    out["progress_weight"] = weight
    out["progress_x_weight"] = (counted.clip(0, 100) / 100 * weight).fillna(0.0)
    return out


def _weights(tasks: pd.DataFrame, settings: Settings) -> pd.Series:
    """Each task's weight in plan progress: its budget; without one, the median budget of its county's active tasks.

    A county none of whose tasks has a budget (or ``plans.weight_by_budget`` false)
    weighs every task 1: a plain mean. The weight depends only on the task and its
    county, so sums over any village, township or county agree.
    """
    if not settings.plans.weight_by_budget:
        return pd.Series(1.0, index=tasks.index)
    budget = pd.to_numeric(tasks["budget"], errors="coerce").astype(float).where(lambda b: b > 0)
    budget = budget.where(tasks["active"])  # a cancelled task's budget says nothing of the others' weight
    county = tasks["village_code"].astype("str").str[:6]
    median = budget.groupby(county).transform("median")
    return budget.fillna(median).fillna(1.0).where(median.notna(), 1.0)


def measure_records(
    measures: pd.DataFrame | None, households: pd.DataFrame, as_of: dt.date, *, orphan_village: str | None
) -> pd.DataFrame:
    """一户一法 measures with their household's village, ``done_then`` (done by ``as_of``) and ``overdue``.

    A measure whose household is no longer in the register counts for the store's only
    county under ``orphan_village`` (as C/D cases do), or for no unit when there are several.
    """
    columns = ["measure_id", "household_id", "village_code", "measure", "category", "deadline", "done", "done_on"]
    if measures is None or not len(measures):
        return pd.DataFrame(columns=[*columns, *MEASURE_FLAGS])
    out = pd.DataFrame(measures).copy().reset_index(drop=True)
    village = households.set_index("household_id")["village_code"] if len(households) else pd.Series(dtype=object)
    out["village_code"] = out["household_id"].map(village)
    if orphan_village is not None:
        out["village_code"] = out["village_code"].fillna(orphan_village)
    out["measure_id"] = out["household_id"].astype(str) + "/" + out["measure"].astype(str)
    end = pd.Timestamp(as_of)
    done_on = pd.to_datetime(out["done_on"]) if "done_on" in out else pd.Series(pd.NaT, index=out.index)
    done = out["done"].astype("boolean").fillna(False).astype(bool) if "done" in out else done_on.notna()
    out["done_then"] = (done & ~(done_on > end)).to_numpy()  # done after the reference date was not done yet
    deadline = pd.to_datetime(out["deadline"]) if "deadline" in out else pd.Series(pd.NaT, index=out.index)
    out["overdue"] = ~out["done_then"] & (deadline < end).fillna(False).to_numpy(dtype=bool)
    out = out.reindex(columns=[*columns, *MEASURE_FLAGS])
    return out[out["village_code"].notna().to_numpy()].reset_index(drop=True)


def overdue_share(frame: pd.DataFrame) -> pd.Series:
    """The risk input of the plans: the share of a unit's active tasks that are overdue (NaN without tasks)."""
    tasks = frame["plan_tasks"].astype(float)
    return (frame["plan_tasks_overdue"].astype(float) / tasks).where(tasks > 0, np.nan)
