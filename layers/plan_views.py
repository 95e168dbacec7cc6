"""The plans as people read them: a unit's 一村一策 task list for the map panel, overdue tasks for the wall.

Pure builders from the ``tasks`` record table (:mod:`analytics.plans`) to rows of text.
The responsible person (责任人) is personal data and always leaves masked; titles and
units are the county's own text and are escaped by Dash where they reach HTML.
"""

from __future__ import annotations

import pandas as pd

from geodata.io.privacy import mask_name
from layers.i18n import t

TASK_FIELDS = ("title", "unit", "person", "deadline", "progress", "status")


def task_rows(tasks: pd.DataFrame, *, village: bool, lang: str, limit: int) -> list[dict[str, object]]:
    """The rows of a unit's task list: overdue first, then by deadline; a township or county lists only overdue ones.

    Each row holds the texts of :data:`TASK_FIELDS`, ``overdue`` and, above a village,
    ``village_code``; cancelled tasks are left out. At most ``limit`` rows.
    """
    shown = tasks[tasks["active"].astype(bool)] if len(tasks) else tasks
    if not village:
        shown = shown[shown["overdue"].astype(bool)]
    if not len(shown):
        return []
    order = shown.assign(_late=~shown["overdue"].astype(bool), _due=pd.to_datetime(shown["deadline"]))
    order = order.sort_values(["_late", "_due", "task_id"], na_position="last").head(limit)
    rows = []
    for task in order.itertuples(index=False):
        progress = pd.to_numeric(task.progress, errors="coerce")
        rows.append(
            {
                "task_id": task.task_id,
                "village_code": task.village_code,
                "title": "" if pd.isna(task.title) else str(task.title),
                "unit": "" if pd.isna(task.unit) else str(task.unit),
                "person": "" if pd.isna(task.person) else str(mask_name(str(task.person))),
                "deadline": "—" if pd.isna(task.deadline) else f"{pd.Timestamp(task.deadline):%Y-%m-%d}",
                "progress": "—" if pd.isna(progress) else f"{progress:.0f}%",
                "status": t(f"task_status_{task.status}", lang) if isinstance(task.status, str) else "—",
                "overdue": bool(task.overdue),
            }
        )
    return rows


def overdue_text(tasks: pd.DataFrame, code: str, lang: str) -> str:
    """The wall's line on a village's overdue tasks: how many, and the one due longest ago ("" when none)."""
    if not len(tasks):
        return ""
    late = tasks[(tasks["village_code"].astype(str) == code) & tasks["overdue"].astype(bool)]
    if not len(late):
        return ""
    first = late.assign(_due=pd.to_datetime(late["deadline"])).sort_values(["_due", "task_id"]).iloc[0]
    return t("tasks_overdue_line", lang, n=len(late), title=str(first["title"]))


def measure_rows(measures: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    """A household's 一户一法 measures for its card: overdue first, then by deadline, each with its state."""
    if not len(measures):
        return []
    order = measures.assign(_late=~measures["overdue"].astype(bool), _due=pd.to_datetime(measures["deadline"]))
    rows = []
    for m in order.sort_values(["_late", "_due", "measure"], na_position="last").itertuples(index=False):
        state = "measure_overdue" if m.overdue else "measure_done" if m.done_then else "measure_open"
        rows.append(
            {
                "measure": str(m.measure),
                "deadline": "—" if pd.isna(m.deadline) else f"{pd.Timestamp(m.deadline):%Y-%m-%d}",
                "state": t(state, lang),
                "overdue": bool(m.overdue),
            }
        )
    return rows
