"""The plans in the /map panel: a unit's 一村一策 tasks, a household's 一户一法 measures, and the progress form.

The task list and the measures are built by :mod:`layers.plan_views` (persons masked);
township accounts (a leader scoped to a township, in their own villages) and admins get a
form under a village's tasks to report progress: the change is written by
:func:`geodata.private.task_updates.update_task` (history kept, audited), the task list is
redrawn at once and the indicators are rebuilt in the background.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from analytics import Records
from callbacks.access import current_account, restricted
from callbacks.store_data import StoreData
from geodata._errors import BattlemapError, TextTooLong, without_paths
from geodata.divisions import level_of
from geodata.private.task_updates import STATUSES, update_task
from geodata.settings import get_settings
from geodata.text_limits import text_limit
from layers import plan_views
from layers.i18n import t

UPDATE_ROLES = frozenset({"leader", "admin"})  # a leader only with a township scope, in it (may_update)


class Ids:
    """Component ids of the plan section."""

    SECTION = "plan-table"
    TABLE = "plan-task-table"
    PICK = "task-pick"
    PROGRESS = "task-progress"
    STATUS = "task-status"
    NOTE = "task-note"
    PHOTO = "task-photo"
    SAVE = "task-save"
    MESSAGE = "task-message"
    CODE = "task-village"


def may_update(code: str) -> bool:
    """True when the logged-in account may report progress on the tasks of village ``code``."""
    account = current_account()
    if account is None:
        return False
    if account.role == "admin":
        return True
    township = account.scope is not None and level_of(account.scope) == "town"  # the township reports its progress
    return account.role == "leader" and township and account.sees(code)


def plan_section(data: StoreData, code: str, lang: str) -> html.Div:
    """The heading, the task list and, for whoever may update a village's tasks, the progress form."""
    rec = data.records()
    village = len(code) == 12
    heading = html.H4(t("plan_tasks_heading" if village else "plan_overdue_heading", lang))
    if "tasks" in rec.absent:
        return html.Div([heading, html.P(t("no_data", lang), className="nodata")], id=Ids.SECTION)
    parts: list[Any] = [heading, html.Div(task_table(data, code, lang), id=Ids.TABLE)]
    if village and may_update(code):
        parts.append(_update_form(rec, code, lang))
    return html.Div(parts, id=Ids.SECTION)


def task_table(data: StoreData, code: str, lang: str) -> Any:
    """The unit's tasks (a village's, overdue first; a township's or the county's overdue ones), overdue in red."""
    rec = data.records()
    village = len(code) == 12
    tasks = rec.rows_in("tasks", code)
    rows = plan_views.task_rows(tasks, village=village, lang=lang, limit=get_settings().plans.panel_tasks)
    if not rows:
        return html.P(t("plan_no_tasks", lang))
    fields = plan_views.TASK_FIELDS if village else ("village", *plan_views.TASK_FIELDS)
    names = data.indicators("village")["name"]
    head = html.Tr([html.Th(t(f"task_{f}", lang)) for f in fields])
    body = [
        html.Tr(
            [html.Td(str(names.get(r["village_code"], r["village_code"])) if f == "village" else r[f]) for f in fields],
            className="overdue" if r["overdue"] else "",
            id=f"task-row-{r['task_id']}",
        )
        for r in rows
    ]
    return html.Table([html.Thead(head), html.Tbody(body)], className="kpi-table plan-table")


def _update_form(rec: Records, code: str, lang: str) -> html.Div:
    """Task, progress, status, note and an optional photo; 已完成 needs a note (checked where it is stored)."""
    tasks = rec["tasks"][(rec["tasks"]["village_code"] == code) & rec["tasks"]["active"].astype(bool)]
    options = [{"label": str(r.title), "value": str(r.task_id)} for r in tasks.itertuples(index=False)]
    statuses = [{"label": t(f"task_status_{s}", lang), "value": s} for s in STATUSES]
    return html.Div(
        [
            html.H5(t("task_update_heading", lang)),
            dcc.Dropdown(id=Ids.PICK, options=options, placeholder=t("task_title", lang)),
            dcc.Input(id=Ids.PROGRESS, type="number", min=0, max=100, step=1, placeholder=t("task_progress", lang)),
            dcc.Dropdown(id=Ids.STATUS, options=statuses, placeholder=t("task_status", lang)),
            dcc.Textarea(id=Ids.NOTE, placeholder=t("task_note", lang), maxLength=text_limit("task_note_chars")),
            dcc.Upload(id=Ids.PHOTO, children=html.Span(t("task_photo", lang)), accept="image/jpeg,image/png"),
            html.Button(t("task_save", lang), id=Ids.SAVE, className="btn", n_clicks=0),
            dcc.Store(id=Ids.CODE, data=code),
            html.P(id=Ids.MESSAGE, className="login-message"),
        ],
        className="task-update",
    )


def measure_list(rec: Records, household_id: str, lang: str) -> list[Any]:
    """The household's 一户一法 measures with deadline and state (overdue in red); nothing without the layer."""
    if "household_measures" in rec.absent:
        return []
    measures = rec["measures"][rec["measures"]["household_id"] == household_id]
    rows = plan_views.measure_rows(measures, lang)
    items = [
        html.Li(f"{r['measure']} · {r['deadline']} · {r['state']}", className="overdue" if r["overdue"] else "")
        for r in rows
    ]
    return [html.H4(t("household_measures", lang)), html.Ul(items or [html.Li(t("none", lang))], className="measures")]


def register(app: dash.Dash, data: StoreData) -> None:
    """Register the progress form's save (township leaders and admins; the scope is checked again on save)."""
    with restricted(app, UPDATE_ROLES):

        @app.callback(
            Output(Ids.MESSAGE, "children"),
            Output(Ids.TABLE, "children"),
            Input(Ids.SAVE, "n_clicks"),
            State(Ids.PICK, "value"),
            State(Ids.PROGRESS, "value"),
            State(Ids.STATUS, "value"),
            State(Ids.NOTE, "value"),
            State(Ids.PHOTO, "contents"),
            State(Ids.CODE, "data"),
            State("map-state", "data"),
            running=[(Output(Ids.SAVE, "disabled"), True, False)],  # a double click files one report
            prevent_initial_call=True,
        )
        def save(  # noqa: PLR0917 - Dash passes a callback's inputs and states by position
            n: int | None,
            task_id: str | None,
            progress: float | None,
            status: str | None,
            note: str | None,
            photo: str | None,
            code: str | None,
            state: dict,
        ) -> tuple[str, Any]:
            lang = state.get("lang", "zh")
            if not n or not task_id or not status or not code:
                raise PreventUpdate
            return _save(data, task_id, code, progress=progress, status=status, note=note, photo=photo, lang=lang)


def _save(
    data: StoreData,
    task_id: str,
    code: str,
    *,
    progress: float | None,
    status: str,
    note: str | None,
    photo: str | None,
    lang: str,
) -> tuple[str, Any]:
    """Write the report under the account's own scope; the message and the redrawn task list."""
    account = current_account()
    if account is None or not may_update(code):
        return t("task_not_allowed", lang), dash.no_update
    township = None if account.role == "admin" else account.scope
    if status == "done" and not (note or "").strip():  # refused where it is stored too; said here in the page's words
        return t("task_done_needs_note", lang), dash.no_update
    try:  # the village comes from the stored task: update_task refuses a task outside the township
        picture = decode_photo(photo)
        update_task(
            data.store,
            task_id,
            progress=progress,
            status=status,
            note=note,
            who=account.name,
            township=township,
            photo=picture,
        )
    except TextTooLong as exc:
        return t(f"too_long_{exc.setting}", lang), dash.no_update
    except (BattlemapError, ValueError) as exc:
        return without_paths(str(exc)), dash.no_update
    data.start_rebuild("tasks")  # the map's plan layers and the wall follow once the indicators are rebuilt
    return t("task_saved", lang), task_table(data, code, lang)


def decode_photo(contents: str | None) -> bytes | None:
    """The bytes of an uploaded photo (a data URL), or None."""
    if not contents:
        return None
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error) as exc:
        msg = "the photo could not be read; upload a JPEG or PNG file"
        raise ValueError(msg) from exc
