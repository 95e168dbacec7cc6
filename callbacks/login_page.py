"""The login form, logout, and the 401/403 answers, served by Flask (they work without JavaScript).

``GET /login`` shows the form, ``POST /login`` checks name and password through
:meth:`geodata.private.accounts.AccountStore.authenticate` (throttled and audited) and starts a
fresh server-side session (:mod:`geodata.private.sessions`); ``POST /logout`` ends it on the
server and tells the browser to drop what it kept of the site (``Clear-Site-Data``: the field
packs' offline copies, :mod:`callbacks.field_page`). Both forms carry a per-session CSRF
token. A page asked for without a login is answered with status 401 and this same form,
which returns to the page afterwards; a page the role may not see gets 403. Requests from
scripts (callbacks, the shell) get the status with a short JSON body. All text is escaped.
"""

from __future__ import annotations

import hmac
import html
import math
import secrets
from urllib.parse import urlsplit

import flask
import flask_login

from callbacks.access import CALLBACK_PATH, SHELL_PATHS, Identity, WebUser
from callbacks.store_data import StoreData
from geodata.private.accounts import Account, AccountStore, LoginRefused, prepare_unknown_check
from geodata.private.db import PrivateDB
from geodata.private.sessions import ACCOUNT, SessionStore
from geodata.settings import get_settings
from layers.i18n import lang_of, t

CSRF_KEY = "csrf"
SCRIPT_PATHS = (CALLBACK_PATH, *SHELL_PATHS)


def csrf_token() -> str:
    """The session's CSRF token for forms (made on first use)."""
    if CSRF_KEY not in flask.session:
        flask.session[CSRF_KEY] = secrets.token_urlsafe(32)
    return str(flask.session[CSRF_KEY])


def _csrf_ok() -> bool:
    sent = flask.request.form.get(CSRF_KEY, "")
    return bool(sent) and hmac.compare_digest(sent, str(flask.session.get(CSRF_KEY, "")))


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything pointing elsewhere becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def register(server: flask.Flask, data: StoreData) -> None:
    """Add ``/login`` and ``/logout`` to the Flask server."""
    accounts = AccountStore.beside(data.store)
    sessions = SessionStore.beside(data.store)
    prepare_unknown_check()  # the first unknown name costs no extra hash either

    @server.route("/login", methods=["GET", "POST"])
    def login() -> flask.Response:
        lang = lang_of(flask.request.values.get("lang"))
        target = safe_next(flask.request.values.get("next"))
        if flask.request.method == "GET":
            return _login_page(lang, target, status=200)
        if not _csrf_ok():
            return _login_page(lang, target, status=400, message=t("login_expired", lang))
        name = flask.request.form.get("name", "").strip()
        address = flask.request.remote_addr or "unknown"
        try:
            account = accounts.authenticate(name, flask.request.form.get("password", ""), address=address)
        except LoginRefused as exc:
            status, key = (429, "login_throttled") if exc.throttled else (401, "login_failed")
            shown = name[: get_settings().auth.refusal_name_chars]  # a 1 MB name is not sent back either
            response = _login_page(lang, target, status=status, message=t(key, lang), name=shown)
            if exc.throttled:
                response.headers["Retry-After"] = str(math.ceil(exc.retry_after))
            return response
        flask.session.clear()  # a fresh session: nothing from before the login carries over
        sid = sessions.start(ACCOUNT, account.name, address=address)
        flask_login.login_user(WebUser(account, sid))
        flask.session.permanent = True
        return flask.redirect(target if target != "/" or account.scope is None else "/map", code=303)

    @server.route("/logout", methods=["POST"])
    def logout() -> flask.Response:
        lang = lang_of(flask.request.values.get("lang"))
        if _csrf_ok() and flask_login.current_user.is_authenticated:
            user = flask_login.current_user
            sessions.end(user.key)  # on the server: a copy of the cookie opens nothing any more
            PrivateDB.beside(data.store).audit(who=user.account.name, action="logout", target="")
            flask_login.logout_user()
        flask.session.clear()
        response = flask.redirect(f"/login?lang={lang}" if lang != "zh" else "/login", code=303)
        # the browser drops what it kept of this site: the field packs' offline copies and their service workers
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response


def refusal(status: int, who: Identity) -> flask.Response:
    """The 401/403 answer: JSON for scripts, the login form (401) or a short page (403) for a browser."""
    path = flask.request.path
    if path in SCRIPT_PATHS or flask.request.method != "GET":
        error = "login required" if status == 401 else "forbidden"
        return flask.make_response(flask.jsonify(error=error), status)
    lang = lang_of(flask.request.args.get("lang"))
    if status == 401:
        kiosk = path.rstrip("/") == "/wall" and "kiosk" in flask.request.args
        target = flask.request.full_path.rstrip("?")
        if kiosk:
            target = "/wall"  # never carry a refused token into the login form
        return _login_page(lang, safe_next(target), status=401, message=t("login_needed", lang), kiosk_refused=kiosk)
    return _forbidden_page(lang, who)


def _login_page(
    lang: str, target: str, *, status: int, message: str = "", name: str = "", kiosk_refused: bool = False
) -> flask.Response:
    esc = html.escape
    other = "en" if lang == "zh" else "zh"
    notice = f'<p class="login-message" id="login-message">{esc(message)}</p>' if message else ""
    if kiosk_refused:
        notice = f'<p class="wall-refused" id="wall-refused">{esc(t("kiosk_refused", lang))}</p>' + notice
    body = f"""
<main class="login-box">
  <h1>{esc(t("app_title", lang))} · {esc(t("login_title", lang))}</h1>
  {notice}
  <form method="post" action="/login" class="login-form" id="login-form">
    <input type="hidden" name="{CSRF_KEY}" value="{esc(csrf_token())}">
    <input type="hidden" name="next" value="{esc(target)}">
    <input type="hidden" name="lang" value="{esc(lang)}">
    <label>{esc(t("login_name", lang))}
      <input name="name" id="login-name" autocomplete="username" required value="{esc(name)}"></label>
    <label>{esc(t("login_password", lang))}
      <input name="password" id="login-password" type="password" autocomplete="current-password" required></label>
    <button type="submit" class="btn btn-primary" id="login-submit">{esc(t("login_button", lang))}</button>
  </form>
  <a class="lang-switch" href="/login?lang={other}&amp;next={esc(target)}">{esc(t("language", lang))}</a>
</main>"""
    return _page(t("login_title", lang), body, lang, status)


def _forbidden_page(lang: str, who: Identity) -> flask.Response:
    esc = html.escape
    logout = ""
    if isinstance(who, Account):
        logout = logout_form(lang)
    body = f"""
<main class="login-box" id="forbidden">
  <h1>403 · {esc(t("forbidden_title", lang))}</h1>
  <p>{esc(t("forbidden_text", lang))}</p>
  <p><a href="/">{esc(t("home", lang))}</a></p>
  {logout}
</main>"""
    return _page(t("forbidden_title", lang), body, lang, 403)


def logout_form(lang: str) -> str:
    """A small POST form with the CSRF token that logs out (for the plain HTML pages)."""
    return (
        f'<form method="post" action="/logout" class="logout-form"><input type="hidden" name="{CSRF_KEY}" '
        f'value="{html.escape(csrf_token())}"><input type="hidden" name="lang" value="{html.escape(lang)}">'
        f'<button type="submit" class="btn">{html.escape(t("logout", lang))}</button></form>'
    )


def _page(title: str, body: str, lang: str, status: int) -> flask.Response:
    html_lang = "en" if lang == "en" else "zh-CN"
    text = f"""<!DOCTYPE html>
<html lang="{html_lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · Battlemap</title>
<link rel="icon" href="/_favicon.ico"><link rel="stylesheet" href="/assets/base.css"></head>
<body class="login-page">{body}</body></html>"""
    response = flask.make_response(text, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Cache-Control"] = "no-store"
    return response
