"""Rectification of inspection findings in the /map panel (整改销号): counts, the list, and the step form.

Beside a village's (or a township's) indicators: how many of its findings are open,
overdue and closed (no inspections layer: no data), the findings not closed yet (overdue
first, in red) with their recorded steps, and a form to record the next step of one of
them. A township account (a leader scoped to a township) reports 整改中 / 已整改 with a
note for its own findings; inspectors record the follow-up visit (回访核实) and close a
finding (销号); admins may record any step. Every step is written by
:func:`geodata.private.findings.advance_finding`, the function behind the CLI (order,
dates, scope, photo rules, writers' lock, audit). Photos of a step are opened only by
admins and the finding's inspector, audited (:func:`geodata.private.findings.step_photo`).

The section depends on who is asking, so it is built per request, outside the panel's
shared cache, from the live inspections layer as of today: a step shows at once, while the
map's colours and the wall read the built indicator tables until their next update, so
the section says when it read the ledger (``findings_as_of``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from analytics.findings import finding_ledger
from callbacks.access import account_scope, current_account, in_scope, restricted
from callbacks.map_state import MapState
from callbacks.plan_panel import decode_photo
from callbacks.store_data import StoreData
from geodata._errors import BattlemapError, TextTooLong, without_paths
from geodata.finding_steps import STATUSES, township_of
from geodata.private.accounts import Account
from geodata.private.findings import PHOTO_STEPS, WrongStep, advance_finding, finding_steps, step_photo
from geodata.settings import get_settings
from geodata.text_limits import text_limit
from layers.finding_views import COUNTS, finding_cards, finding_counts, unit_ledger
from layers.i18n import t

LAYER = "inspections"
TOWNSHIP_STEPS = ("rectifying", "rectified")  # what the responsible township reports
VISIT_STEPS = ("verified", "closed")  # the follow-up visit and 销号, by inspectors
NOTE_STEPS = TOWNSHIP_STEPS  # the page asks a township's report to say what was done (advance_finding: 整改中)
STEP_ROLES = frozenset({"leader", "inspector", "admin"})
PHOTO_ROLES = frozenset({"inspector", "admin"})


class Ids:
    """Component ids of the findings section (``rect-``: apart from the ids of /route's finding form)."""

    SECTION = "rect-section"
    COUNTS = "rect-counts"
    LIST = "rect-list"
    PICK = "rect-pick"
    NOTE = "rect-note"
    PHOTO = "rect-photo"
    SAVE = "rect-save"
    MESSAGE = "rect-message"
    CODE = "rect-unit"
    DOWNLOAD = "rect-photo-download"
    AS_OF = "rect-as-of"
    OPEN_PHOTO = "rect-photo-open"  # pattern: {"type": OPEN_PHOTO, "index": "<inspection_id>/<photo>"}


def today() -> dt.date:
    """The date a step is recorded on and the ledger is read at (the CLI's default too)."""
    return dt.date.today()


def now() -> dt.datetime:
    """When the panel read the ledger: it reads the live layer, the map's colours the last built tables."""
    return dt.datetime.now()


def steps_for(account: Account | None, town_code: str) -> tuple[str, ...]:
    """The steps ``account`` may record on a finding that township ``town_code`` is responsible for."""
    if account is None:
        return ()
    if account.role == "admin":
        return STATUSES[1:]
    if account.role == "inspector":  # a scoped inspector visits findings inside the scope only
        return VISIT_STEPS if account.sees(town_code) else ()
    scope = account_scope()  # a leader scoped to the township, or to its county or city
    return TOWNSHIP_STEPS if account.role == "leader" and scope is not None and town_code.startswith(scope) else ()


def section(data: StoreData, state: MapState) -> html.Div:
    """The findings section of the unit shown (nothing for a unit outside the account's scope)."""
    code = state.village or state.town
    if not in_scope(code):
        return html.Div(id=Ids.SECTION)
    lang = state.lang
    counts, cards, options = _parts(data, code, lang)
    parts: list[Any] = [
        html.H4(t("findings_heading", lang)),
        html.P(counts, id=Ids.COUNTS, className="finding-counts"),
        html.P(t("findings_as_of", lang, at=f"{now():%Y-%m-%d %H:%M}"), id=Ids.AS_OF, className="finding-as-of"),
        html.Div(cards, id=Ids.LIST),
    ]
    if current_account() is not None and current_account().role in STEP_ROLES:  # type: ignore[union-attr]
        parts.append(_form(code, options, lang))
    parts.append(dcc.Download(id=Ids.DOWNLOAD))
    return html.Div(parts, id=Ids.SECTION, className="finding-section")


def _parts(data: StoreData, code: str | None, lang: str) -> tuple[Any, Any, list[dict[str, str]]]:
    """The counts line, the list of findings not closed and the form's choices (the steps this account may take)."""
    ledger = finding_ledger(data.layer_or_none(LAYER), as_of=today(), settings=get_settings())
    if ledger is None:
        return t("no_data", lang), [], []
    unit = unit_ledger(ledger, code)
    counts = finding_counts(unit) or {}
    line = " · ".join(f"{t(f'findings_count_{k}', lang)} {counts[k]}" for k in COUNTS)
    villages = data.layer_or_none("villages")
    names = pd.Series(dtype=str) if villages is None else villages.set_index("village_code")["name"]
    cards = finding_cards(unit, finding_steps(data.store), names=names, lang=lang)
    account = current_account()
    options = [
        {"label": _option_label(c, lang), "value": f"{c['inspection_id']}|{c['next']}"}
        for c in cards
        if c["next"] in steps_for(account, c["town_code"])
    ]
    return line, _card_list(data, cards, lang), options


def _option_label(card: dict[str, Any], lang: str) -> str:
    step = t(f"finding_step_{card['next']}", lang)
    return f"{card['inspection_id']} {card['finding'][:24]} → {step}"


def _card_list(data: StoreData, cards: list[dict[str, Any]], lang: str) -> Any:
    """One card per finding: what, where, when due (overdue in red), its steps; photo buttons for who may open them."""
    if not cards:
        return html.P(t("findings_none_open", lang))
    openers = _photo_openers(data)
    items = []
    for c in cards:
        due = t("findings_overdue", lang) if c["overdue"] else t("findings_due", lang)
        steps = [
            html.Li(
                [
                    f"{s['on']} {s['label']} · {s['who']}" + (f" · {s['note']}" if s["note"] else ""),
                    _photo_button(c["inspection_id"], s["photo"], lang)
                    if s["photo"] and c["inspection_id"] in openers
                    else None,
                ]
            )
            for s in c["steps"]
        ]
        items.append(
            html.Li(
                [
                    html.Div(f"{c['inspection_id']} · {c['village']} · {c['category']}", className="finding-meta"),
                    html.Div(c["finding"], className="finding-what"),
                    html.Div(f"{c['status_label']} · {due} {c['deadline']}", className="finding-state"),
                    html.Ul(steps, className="finding-steps") if steps else None,
                ],
                className="finding-card overdue" if c["overdue"] else "finding-card",
                id=f"rect-row-{c['inspection_id']}",
            )
        )
    return html.Ul(items, className="finding-cards")


def _photo_button(inspection_id: str, photo: str, lang: str) -> html.Button:
    """The button that downloads one step photo (the opening is checked and audited on the server)."""
    index = f"{inspection_id}/{photo}"
    return html.Button(
        t("findings_open_photo", lang), className="btn finding-photo-btn", id={"type": Ids.OPEN_PHOTO, "index": index}
    )


def _photo_openers(data: StoreData) -> set[str]:
    """The findings whose photos the account may open: all for an admin, an inspector's own."""
    account = current_account()
    if account is None or account.role not in PHOTO_ROLES:
        return set()
    rows = data.layer_or_none(LAYER)
    if rows is None:
        return set()
    ids = rows["inspection_id"].astype(str)
    return set(ids if account.role == "admin" else ids[rows["inspector"].astype(str) == account.name])


def _form(code: str | None, options: list[dict[str, str]], lang: str) -> html.Div:
    """Pick a finding (its next step is in its label), a note, an optional photo, and save."""
    return html.Div(
        [
            html.H5(t("findings_step_heading", lang)),
            dcc.Dropdown(id=Ids.PICK, options=options, placeholder=t("findings_pick", lang), searchable=False),
            dcc.Textarea(id=Ids.NOTE, placeholder=t("findings_note", lang), maxLength=text_limit("step_note_chars")),
            dcc.Upload(
                id=Ids.PHOTO,
                children=html.Span(t("findings_photo", lang)),
                accept="image/jpeg,image/png",
                className="finding-upload",
            ),
            html.Button(t("findings_save", lang), id=Ids.SAVE, className="btn", n_clicks=0),
            dcc.Store(id=Ids.CODE, data=code),
            html.P(id=Ids.MESSAGE, className="login-message", role="status"),
        ],
        className="finding-step-form",
    )


def register(app: dash.Dash, data: StoreData, from_store: Any) -> None:
    """The section follows the map; the save needs a role that records steps; the photo an admin or inspector."""

    @app.callback(Output(Ids.SECTION, "children"), Input("map-drawn", "data"))
    def fill(state: dict) -> Any:
        return section(data, from_store(state)).children

    with restricted(app, STEP_ROLES):

        @app.callback(
            Output(Ids.MESSAGE, "children"),
            Output(Ids.COUNTS, "children"),
            Output(Ids.LIST, "children"),
            Output(Ids.PICK, "options"),
            Output(Ids.PICK, "value"),
            Output(Ids.NOTE, "value"),
            Output(Ids.PHOTO, "contents"),
            Input(Ids.SAVE, "n_clicks"),
            State(Ids.PICK, "value"),
            State(Ids.NOTE, "value"),
            State(Ids.PHOTO, "contents"),
            State(Ids.CODE, "data"),
            State("map-state", "data"),
            running=[(Output(Ids.SAVE, "disabled"), True, False)],  # a double tap records one step
            prevent_initial_call=True,
        )
        def save(  # noqa: PLR0917 - Dash passes a callback's inputs and states by position
            n: int | None, pick: str | None, note: str | None, photo: str | None, code: str | None, state: dict
        ) -> tuple[Any, ...]:
            if not n:
                raise PreventUpdate
            lang = state.get("lang", "zh")
            if not pick:
                return (t("findings_pick_first", lang), *[dash.no_update] * 6)
            message = record_step(data, pick, note=note, photo=photo, lang=lang)
            if message is not None:
                return (message, *[dash.no_update] * 6)
            counts, cards, options = _parts(data, code, lang)
            data.start_rebuild(LAYER)  # the map's finding layers and the wall follow once rebuilt
            return t("findings_step_saved", lang), counts, cards, options, None, "", None

    with restricted(app, PHOTO_ROLES):

        @app.callback(
            Output(Ids.DOWNLOAD, "data"),
            Input({"type": Ids.OPEN_PHOTO, "index": ALL}, "n_clicks"),
            prevent_initial_call=True,
        )
        def open_photo(clicks: list[int | None]) -> Any:
            if not any(clicks) or not isinstance(ctx.triggered_id, dict):
                raise PreventUpdate
            inspection_id, name = str(ctx.triggered_id["index"]).split("/", 1)
            account = current_account()
            if account is None:
                raise PreventUpdate
            try:  # refused to anyone but an admin and the finding's inspector; the opening is audited
                photo = step_photo(data.store, inspection_id, name, who=account.name, admin=account.role == "admin")
            except BattlemapError:
                raise PreventUpdate from None
            return dcc.send_bytes(photo, name)


def record_step(data: StoreData, pick: str, *, note: str | None, photo: str | None, lang: str) -> str | None:
    """Record the picked step as the logged-in account; None when written, else the refusal in the page's words."""
    account = current_account()
    inspection_id, _, step = pick.partition("|")
    try:
        picture = decode_photo(photo)
        refusal = _refusal(data, account, inspection_id, step, note=note, photo=picture)
        if refusal is not None or account is None:
            return t(refusal or "findings_not_allowed", lang)
        advance_finding(
            data.store,
            inspection_id,
            step,
            on=today(),
            who=account.name,
            note=note,
            photo=picture,
            township=_own_township(account),
        )
    except WrongStep:
        return t("findings_wrong_step", lang, id=inspection_id)
    except TextTooLong as exc:
        return t(f"too_long_{exc.setting}", lang)
    except (BattlemapError, ValueError) as exc:
        return without_paths(str(exc))
    return None


def _refusal(
    data: StoreData, account: Account | None, inspection_id: str, step: str, *, note: str | None, photo: bytes | None
) -> str | None:
    """The message key of what the page refuses before writing (who may take the step, a note, a photo), or None."""
    frame = data.store.read_or_none(LAYER)
    row = None if frame is None else frame[frame["inspection_id"].astype(str) == inspection_id]
    if account is None or row is None or not len(row):
        return "findings_not_allowed"
    if step not in steps_for(account, str(township_of(row).iloc[0])):  # advance_finding checks the township again
        return "findings_not_allowed"
    if step in NOTE_STEPS and not (note or "").strip():
        return "findings_needs_note"
    if photo is not None and step not in PHOTO_STEPS:  # advance_finding's rule, said in the page's words
        return "findings_photo_step"
    return None


def _own_township(account: Account) -> str | None:
    """The township a leader's step must belong to (checked again by advance_finding), None above a township."""
    scope = account_scope()
    return scope if account.role == "leader" and scope is not None and len(scope) == 9 else None
