"""The field pack's records reach the server: ``POST /field/<plan_id>/sync``, and who may read them back.

- ``POST /field/<plan_id>/sync`` one record of the phone's queue as JSON (arrival,
  households, finding, or photo in base64; :mod:`geodata.private.field_records`). 200 with
  what is stored (``duplicate`` when the UUID was stored before: a retry stores nothing
  new); a refusal is JSON ``{"error": "<中文> <English>", "detail": …}`` and stores nothing.
  Its body limit is ``[limits] photo_bytes`` in base64 plus ``other_body_bytes``
  (:mod:`callbacks.request_limits`).
- ``GET /field/<plan_id>/records`` the records and photos received for the plan: JSON, or
  to a browser (``Accept: text/html``) the desk page of :mod:`layers.field_desk`, per stop,
  with the findings' status today and the photos drawn from the audited address below.
- ``GET /field/<plan_id>/photo/<uuid>`` one photo, audited as ``field:photo``.

Only the plan's inspector and admins get past the plan store's owner check (anyone else:
404, as for the pack itself). The guard (:mod:`callbacks.access`) lets the POST through
for inspectors and admins only; the session cookie is ``SameSite=Lax`` and the route takes
JSON only, so another site cannot post to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import flask
import pandas as pd

from analytics.findings import finding_flags
from callbacks.access import current_user
from callbacks.plan_access import viewer_plan
from callbacks.store_data import StoreData
from geodata._errors import InputError
from geodata.private.field_records import FieldRecords, FieldRefused, check_record
from geodata.private.plan_store import PLAN_ID, PlanAccessError
from geodata.settings import get_settings
from geodata.store import Store
from layers.field_desk import desk_page
from layers.i18n import lang_of, t

NO_STORE = "private, no-store"


def refusal(key: str, detail: str, status: int) -> flask.Response:
    """A JSON refusal: the bilingual message of ``field_refused_<key>`` and the exact detail."""
    message = f"field_refused_{key}"
    response = flask.jsonify({"error": f"{t(message, 'zh')} {t(message, 'en')}", "detail": detail})
    response.status_code = status
    response.headers["Cache-Control"] = NO_STORE
    return response


def register(server: flask.Flask, data: StoreData) -> None:
    """Add the sync and read-back addresses to the Flask server."""

    def plan_of(plan_id: str, action: str) -> dict[str, Any]:
        if not PLAN_ID.fullmatch(plan_id):
            raise FieldRefused("plan", f"{plan_id!r} is not a plan id", 404)
        try:
            return viewer_plan(data, plan_id, action)
        except PlanAccessError:
            raise FieldRefused("plan", f"no plan {plan_id} of yours", 404) from None

    def answer(value: Any) -> flask.Response:
        response = flask.jsonify(value)
        response.headers["Cache-Control"] = NO_STORE
        return response

    @server.errorhandler(FieldRefused)
    def refused(exc: FieldRefused) -> flask.Response:
        return refusal(exc.key, str(exc), exc.status)

    @server.route("/field/<plan_id>/sync", methods=["POST"])
    def field_sync(plan_id: str) -> flask.Response:
        plan = plan_of(plan_id, "field:sync")
        if not flask.request.is_json:
            raise FieldRefused("malformed", "send the record as JSON (Content-Type: application/json)", 415)
        record = check_record(plan, flask.request.get_json(silent=True))
        try:
            stored = FieldRecords.beside(data.store).store_record(data.store, plan, record, who=current_user())
        except FieldRefused:
            raise
        except InputError as exc:  # the inspections layer's own checks (add_finding): nothing was written
            raise FieldRefused("finding", str(exc)) from None
        return answer(stored)

    @server.route("/field/<plan_id>/records")
    def field_records(plan_id: str) -> flask.Response:
        plan = plan_of(plan_id, "field:records")
        return records_answer(data.store, plan)

    @server.route("/field/<plan_id>/photo/<uuid>")
    def field_photo(plan_id: str, uuid: str) -> flask.Response:
        plan_of(plan_id, "field:photo:open")
        photo, name = FieldRecords.beside(data.store).photo(data.store, plan_id, uuid.lower(), who=current_user())
        response = flask.Response(photo, mimetype="image/png" if name.endswith(".png") else "image/jpeg")
        response.headers["Cache-Control"] = NO_STORE
        return response


def records_answer(store: Store, plan: dict[str, Any]) -> flask.Response:
    """A plan's records as JSON, or as the desk page to a browser that asks for HTML."""
    records, photos = FieldRecords.beside(store).records(plan["plan_id"])
    if flask.request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        findings = received_findings(store, records["inspection_id"].dropna())
        page = desk_page(plan, records, photos, findings, lang=lang_of(flask.request.args.get("lang")))
        response = flask.Response(page, mimetype="text/html")
    else:
        response = flask.jsonify({"records": _rows(records), "photos": _rows(photos)})
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Vary"] = "Accept"
    return response


def received_findings(store: Store, ids: pd.Series) -> pd.DataFrame:
    """The findings ``ids`` as the inspections layer holds them now: text, category, status, deadline, overdue."""
    columns = ["inspection_id", "finding", "category", "status", "deadline", "overdue"]
    rows = store.read_or_none("inspections")
    if rows is None or not len(ids):
        return pd.DataFrame(columns=columns)
    rows = rows[rows["inspection_id"].astype(str).isin(set(ids.astype(str)))]
    flags = finding_flags(rows, as_of=dt.date.today(), settings=get_settings())
    out = rows.assign(status=flags["status"], deadline=flags["deadline"], overdue=flags["overdue_finding"])
    return out.reindex(columns=columns)


def _rows(frame: Any) -> list[dict[str, Any]]:
    """A table as JSON rows (missing values as null)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
