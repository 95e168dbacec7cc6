"""The field pack's addresses: ``/field/<plan_id>/`` and the files its service worker keeps.

- ``/field/<plan_id>/`` the page (:func:`layers.field_pack.field_page`), ``?lang=en`` in English;
- ``/field/<plan_id>/manifest.webmanifest`` its web manifest, ``icon.svg`` its icon;
- ``/field/<plan_id>/field.js``, ``record.js`` and ``sw.js`` its scripts and service worker,
  served under the plan's own path so that the worker's scope is that plan alone;
- ``/field/<plan_id>/sync`` (POST), ``records`` and ``photo/<uuid>``: what the inspector
  records on the phone (:mod:`callbacks.field_sync`).

The guard (:mod:`callbacks.access`, ``SUBPAGES``) lets only inspectors and admins reach
``/field/``; the page and the manifest are then fetched through the plan store's owner
check like every other export (audited as ``route:field``): another inspector's plan, a
missing plan and an id that is not a plan id are all 404. The page is sent ``no-store``
(no shared or HTTP cache keeps it); the service worker keeps it in the phone's cache for
the trip, and logging out clears that (:mod:`callbacks.login_page`).
"""

from __future__ import annotations

from typing import Any

import flask

from callbacks import field_sync
from callbacks.plan_access import viewer_plan
from callbacks.store_data import StoreData
from geodata.private.plan_store import PLAN_ID, PlanAccessError
from layers.field_pack import field_icon, field_manifest, field_page, static_file
from layers.i18n import lang_of

PATH = "/field/"
NO_STORE = "private, no-store"  # an unannounced visit's plan stays off shared caches


def field_href(plan_id: str, lang: str = "zh") -> str:
    """The address of a plan's field pack."""
    return f"{PATH}{plan_id}/" + ("" if lang_of(lang) == "zh" else "?lang=en")


def desk_href(plan_id: str, lang: str = "zh") -> str:
    """The address of a plan's field records as a page (:mod:`layers.field_desk`)."""
    return f"{PATH}{plan_id}/records" + ("" if lang_of(lang) == "zh" else "?lang=en")


def register(server: flask.Flask, data: StoreData) -> None:
    """Add the field pack's addresses to the Flask server (and its records' sync, :mod:`callbacks.field_sync`)."""
    field_sync.register(server, data)

    def plan_of(plan_id: str, action: str) -> dict[str, Any]:
        if not PLAN_ID.fullmatch(plan_id):
            flask.abort(404)
        try:
            return viewer_plan(data, plan_id, action)
        except PlanAccessError:
            flask.abort(404)

    def answer(text: str, mimetype: str) -> flask.Response:
        response = flask.Response(text, mimetype=mimetype)
        response.headers["Cache-Control"] = NO_STORE
        return response

    @server.route(f"{PATH}<plan_id>/")
    def field_pack(plan_id: str) -> flask.Response:
        lang = lang_of(flask.request.args.get("lang"))
        plan = plan_of(plan_id, "route:field")
        page = field_page(plan, roads=data.layer_or_none("roads"), outlines=data.shapes("village"), lang=lang)
        return answer(page, "text/html")

    @server.route(f"{PATH}<plan_id>/manifest.webmanifest")
    def field_pack_manifest(plan_id: str) -> flask.Response:
        plan = plan_of(plan_id, "route:field:manifest")
        return answer(field_manifest(plan, lang_of(flask.request.args.get("lang"))), "application/manifest+json")

    @server.route(f"{PATH}<plan_id>/<any(field.js, record.js, sw.js):name>")
    def field_pack_script(plan_id: str, name: str) -> flask.Response:
        if not PLAN_ID.fullmatch(plan_id):  # no plan data in these: the guard's role check is enough
            flask.abort(404)
        return answer(static_file(name), "text/javascript")

    @server.route(f"{PATH}<plan_id>/icon.svg")
    def field_pack_icon(plan_id: str) -> flask.Response:
        if not PLAN_ID.fullmatch(plan_id):
            flask.abort(404)
        return answer(field_icon(), "image/svg+xml")
