"""Limits checked before a request's body is read: who is asking, how big the body is, how deep its JSON nests.

The access guard (:mod:`callbacks.access`) reads a callback's JSON body to find which page
registered the callback. Without the checks here an anonymous client could make the
server parse a body of any size and depth before its 401. So, ahead of the guard:

1. a Dash callback (``POST /_dash-update-component``) from nobody is answered 401 from
   the session cookie alone, its body never read;
2. every request gets a body limit by route (``[limits]``: callbacks, login form, the rest;
   the /data upload's size, ``[imports] max_upload_bytes``, only to accounts that may open
   /data; a field pack record, a photo in base64, :mod:`callbacks.field_sync`); a declared
   length over it is answered 413 unread, an undeclared one stops at it;
3. a callback body nesting deeper than ``[limits] json_depth`` is answered 400 before it
   is parsed (Python's JSON parser recurses: 100 000 ``[`` end in RecursionError), and a
   body that is not a JSON object with a callback's fields is answered 400 too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import dash
import flask
import numpy as np
from werkzeug.exceptions import RequestEntityTooLarge

from callbacks import access
from callbacks.store_data import StoreData
from geodata.settings import get_settings
from layers.i18n import t

FORM_PATHS = ("/login", "/logout")
UPLOAD_PAGE = "/data"  # its upload arrives in a callback body (base64): the only large one
STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string, escapes included (unrolled: no backtracking)
OPENING, CLOSING = frozenset(b"[{"), frozenset(b"]}")
BRACKETS = bytes(sorted(OPENING | CLOSING))
LIST_FIELDS = ("inputs", "state", "changedPropIds")


def install(app: dash.Dash, data: StoreData, *, refuse: Callable[[int, access.Identity], flask.Response]) -> None:
    """Check every request before the access guard (call this before :func:`callbacks.access.install`)."""

    def limit() -> flask.Response | None:
        request = flask.request
        if request.path == access.CALLBACK_PATH and request.method == "POST":
            who = access.request_identity(data)  # the session cookie only: nothing of the body yet
            if who is None:
                return refuse(401, None)
            return _limit_body(body_limit(request.path, who)) or _check_callback_body()
        return _limit_body(body_limit(request.path, None))

    app.server.before_request(limit)
    app.server.register_error_handler(RequestEntityTooLarge, lambda _exc: _answer(413, "request_too_large"))


def body_limit(path: str, who: access.Identity) -> int:
    """The largest body accepted on ``path`` from ``who`` (bytes)."""
    limits = get_settings().limits
    if path in FORM_PATHS:
        return limits.login_body_bytes
    if access.POSTS.fullmatch(path):  # one field record: a photo in base64 (3 bytes become 4) and its fields
        return limits.photo_bytes * 4 // 3 + limits.other_body_bytes
    if path != access.CALLBACK_PATH:
        return limits.other_body_bytes
    if access.allowed(access.page_rule(UPLOAD_PAGE), who):  # base64 makes 3 bytes 4, plus the callback's own fields
        return get_settings().imports.max_upload_bytes * 4 // 3 + limits.callback_body_bytes
    return limits.callback_body_bytes


def json_depth(body: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON text, brackets inside strings not counted.

    Vectorised (a few ms per MiB), so the limit is checked before the parser sees the body.
    """
    brackets = STRING.sub(b"", body).translate(None, delete=bytes(set(range(256)) - set(BRACKETS)))
    if not brackets:
        return 0
    steps = np.frombuffer(brackets, dtype=np.uint8)
    level = np.cumsum(np.where(np.isin(steps, list(OPENING)), 1, -1))
    return int(level.max())


def _limit_body(most: int) -> flask.Response | None:
    """413 for a declared length over ``most``; otherwise reading stops at ``most`` (413 from werkzeug)."""
    request = flask.request
    if request.content_length is not None and request.content_length > most:
        return _answer(413, "request_too_large")
    request.max_content_length = most
    return None


def _check_callback_body() -> flask.Response | None:
    """400 unless the body is a JSON object with a callback's fields, no deeper than ``[limits] json_depth``."""
    request = flask.request
    if json_depth(request.get_data(cache=True)) > get_settings().limits.json_depth:
        return _answer(400, "request_malformed")
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return _answer(400, "request_malformed")
    if any(not isinstance(body.get(name, []), list) for name in LIST_FIELDS):
        return _answer(400, "request_malformed")
    return None


def _answer(status: int, key: str) -> flask.Response:
    """A short JSON refusal in both languages (a script or the Dash renderer reads it, not a person)."""
    response = flask.jsonify({"error": f"{t(key, 'zh')} {t(key, 'en')}"})
    response.status_code = status
    return response
