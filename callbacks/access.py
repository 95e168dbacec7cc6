"""Who may reach what: one Flask guard in front of every request of the app.

Every request is answered only after :func:`guard` found who is asking — a logged-in
account (flask-login), a wall-screen kiosk session, or nobody — and which rule covers
what is asked for:

- a page (``/map``, ``/route`` …, the HTML shell is the same for all of them) by its path;
- a Dash callback (``POST /_dash-update-component``) by the page that registered it
  (recorded by :meth:`AccessRules.owning` while the page wires its callbacks; callbacks
  registered inside :meth:`AccessRules.restricted` need a narrower rule), and the page
  router's callback by the path it is asked to render;
- the app shell (``/_dash-layout``, ``/_dash-dependencies``): any account or kiosk.

Assets, component scripts and the login form need nothing. Anything else that is not a
known callback is refused: no rule, no data. Without an identity the answer is 401 (the
login form for a page, JSON for a request from a script), with the wrong one 403.

A kiosk token (``/wall?kiosk=…``) is checked against its stored digest and exchanged for a
server-side kiosk session (the cookie holds only its id) with a 303 to ``/wall`` without
the token; that session reaches ``/wall`` and the wall's callbacks only, and every request
re-checks the token's digest, so a revoked token stops at once. Logins are server-side
sessions too (:mod:`geodata.private.sessions`), resolved on every request.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import dash
import flask
import flask_login

from callbacks.store_data import StoreData
from geodata.divisions import LEVELS
from geodata.private.accounts import ROLES, Account
from geodata.private.db import PrivateDB
from geodata.private.kiosk import TABLE as KIOSK_TABLE
from geodata.private.kiosk import digest, live_digest
from geodata.private.sessions import KIOSK, SessionStore

log = logging.getLogger(__name__)
ALL_ROLES = frozenset(ROLES)
ADMIN = frozenset({"admin"})
CALLBACK_PATH = "/_dash-update-component"
SHELL_PATHS = ("/_dash-layout", "/_dash-dependencies", "/_reload-hash")
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
PUBLIC_PATHS = ("/login", "/logout", "/_favicon.ico", "/wall/alive")  # /wall/alive answers only yes or no
ROUTER_OUTPUT = "_pages_content.children"
ROUTER_PATH_ID = "_pages_location"  # the router's first input: the path it renders
EXTENSION = "battlemap_access"
DATA_EXTENSION = "battlemap_access_data"  # the StoreData the guard checks scopes against
KIOSK_KEY = "kiosk"  # the cookie's kiosk session id


@dataclasses.dataclass(frozen=True)
class Rule:
    """Who may reach something: account roles, kiosk sessions, scoped accounts.

    ``narrowest`` is the narrowest scope level (``"town"``, ``"county"``, ``"city"`` …) whose
    account still gets its part of what the rule covers (the page cuts itself to that
    part); an account scoped narrower is refused. None: the whole store only (the data
    and audit pages, admins', who are never scoped). An account whose scope holds every
    village of the store (a city account on a store of that city's counties) is never
    refused for its scope.
    """

    roles: frozenset[str]
    kiosk: bool = False
    narrowest: str | None = "town"  # the narrowest scope level let in (cut to its part); None: whole store only


ANY_ACCOUNT = Rule(ALL_ROLES)
SHELL = Rule(ALL_ROLES, kiosk=True)
WALL = Rule(ALL_ROLES, kiosk=True, narrowest="county")  # a county's or city's wall; a township has none
PAGE_RULES: dict[str, Rule] = {
    "/": ANY_ACCOUNT,
    "/map": ANY_ACCOUNT,
    "/wall": WALL,
    "/sites": Rule(frozenset({"planner", "admin"})),  # cut to a planner's scope (callbacks.sites_page)
    "/route": Rule(frozenset({"inspector", "admin"})),  # drawn within an inspector's scope (callbacks.route_page)
    "/data": Rule(ADMIN, narrowest=None),
    "/audit": Rule(ADMIN, narrowest=None),
}

SUBPAGES = {"/route/map/": "/route", "/field/": "/route"}  # served beside a page, with the page's rule
POSTS = re.compile(r"/field/[^/]+/sync")  # the field pack's records (callbacks.field_sync): the /route rule


@dataclasses.dataclass(frozen=True)
class Kiosk:
    """A wall screen opened with a live kiosk token (the session keeps only the token's digest)."""

    token_digest: str


Identity = Account | Kiosk | None


class WebUser(flask_login.UserMixin):
    """The flask-login user: an account and its server-side session id (:mod:`geodata.private.sessions`)."""

    def __init__(self, account: Account, key: str) -> None:
        self.account = account
        self.key = key

    def get_id(self) -> str:
        """The session id, all the cookie holds of the login; logout, reset or disable delete it on the server."""
        return self.key


class AccessRules:
    """The rule of every callback of one app, recorded while the pages register them."""

    def __init__(self, app: dash.Dash) -> None:
        self.app = app
        self.callbacks: dict[str, Rule] = {}
        app.server.extensions[EXTENSION] = self

    @contextlib.contextmanager
    def owning(self, rule: Rule) -> Iterator[None]:
        """Callbacks registered inside the block get ``rule`` (unless an inner block gave them one)."""
        before = set(self.app.callback_map)
        yield
        for key in set(self.app.callback_map) - before:
            self.callbacks.setdefault(key, rule)

    def rule_for_callback(self, body: dict[str, Any]) -> Rule | None:
        """The rule of a callback request; the router's by the path it renders; None for an unknown callback.

        Dash hands the router its inputs by position (the first is the path it renders),
        whatever ids the request labels them with: the rule is taken from that first input,
        and a request whose first input is not the router's path is refused.
        """
        output = str(body.get("output") or "")
        if ROUTER_OUTPUT in output:
            inputs = body.get("inputs")
            first = inputs[0] if isinstance(inputs, list) and inputs and isinstance(inputs[0], dict) else {}
            if first.get("id") != ROUTER_PATH_ID or first.get("property") != "pathname":
                return None
            return page_rule(str(first.get("value") or "/"))
        return self.callbacks.get(output)


def restricted(app: dash.Dash, roles: frozenset[str]) -> contextlib.AbstractContextManager[None]:
    """Inside a page's ``register``: the callbacks registered in the block need one of ``roles``."""
    rules: AccessRules | None = app.server.extensions.get(EXTENSION)
    if rules is None:  # an app without accounts (a unit test wiring one page): nothing to record
        return contextlib.nullcontext()
    return rules.owning(Rule(roles))


def page_rule(path: str) -> Rule:
    """The rule of a page path (a page's own sub-paths, ``SUBPAGES``, have its rule); else any account (404 page)."""
    path = "/" + path.strip("/")
    path = next((page for prefix, page in SUBPAGES.items() if path.startswith(prefix)), path)
    return PAGE_RULES.get(path, ANY_ACCOUNT)


def identity() -> Identity:
    """Who is asking in this request (set by the guard)."""
    return flask.g.get("battlemap_identity") if flask.has_request_context() else None


def current_user() -> str:
    """The logged-in account's name (the guard lets nobody else reach the callbacks that ask)."""
    account = current_account()
    if account is None:  # unreachable behind the guard; refuse rather than guess
        msg = "no logged-in user"
        raise PermissionError(msg)
    return account.name


def current_account() -> Account | None:
    """The logged-in account of this request, or None (kiosk or nobody)."""
    who = identity()
    return who if isinstance(who, Account) else None


def audit_export(data: StoreData, action: str, target: str, **detail: Any) -> None:
    """Record an export or download by the logged-in account (who, what) in the audit log."""
    account = current_account()
    PrivateDB.beside(data.store).audit(
        who=account.name if account else "?", action=action, target=target, detail=detail
    )


def is_admin() -> bool:
    """True when an admin is logged in."""
    account = current_account()
    return account is not None and account.role == "admin"


def account_scope() -> str | None:
    """The division code prefix the logged-in account is limited to (2, 4, 6 or 9 digits), or None: no limit.

    None too for a kiosk session or nobody (the guard lets those reach only what needs no scope).
    """
    account = current_account()
    return account.scope if account else None


def in_scope(code: str | None) -> bool:
    """True when the unit ``code`` (any level; a household by its village's code) lies within the account's scope.

    Inside means the scope is a prefix of the code: a village or township is inside its
    county's and city's scopes; a county or city is not inside a township's scope, so
    their totals are not shown to it.
    """
    account = current_account()
    return account is None or account.sees(code)


def covers_store(data: StoreData, scope: str | None) -> bool:
    """True when ``scope`` holds every village of the store (None does); a scope of a part of the store does not."""
    if scope is None:
        return True
    digits = len(scope)
    units = data.cached(f"scope-units:{digits}", lambda: sorted({str(c)[:digits] for c in data.village_names()}))
    return units == [scope]


def scoped_part() -> str | None:
    """The account's scope when it is a part of the store only (what a page must then cut to), else None."""
    data = _data()
    scope = account_scope()
    return None if data is None or covers_store(data, scope) else scope


def allowed(rule: Rule, who: Identity, data: StoreData | None = None) -> bool:
    """True when ``who`` satisfies ``rule``; ``data`` (default: the app's store) tells whether a scope covers it."""
    if isinstance(who, Kiosk):
        return rule.kiosk
    if isinstance(who, Account):
        if who.role not in rule.roles:
            return False
        if who.scope is None or (rule.narrowest is not None and len(who.scope) <= LEVELS[rule.narrowest]):
            return True
        data = data or _data()
        return data is not None and covers_store(data, who.scope)
    return False


def _data() -> StoreData | None:
    """The store of the app serving this request (set by :func:`install`)."""
    if not flask.has_app_context():
        return None
    return flask.current_app.extensions.get(DATA_EXTENSION)


def install(app: dash.Dash, data: StoreData, *, refuse: Callable[[int, Identity], flask.Response]) -> AccessRules:
    """Set up flask-login and the guard on ``app``; ``refuse(status, who)`` builds the 401/403 answers."""
    rules = AccessRules(app)
    app.server.extensions[DATA_EXTENSION] = data
    manager = flask_login.LoginManager()
    manager.init_app(app.server)
    sessions = SessionStore.beside(data.store)

    @manager.user_loader
    def load(sid: str) -> WebUser | None:
        session = sessions.resolve(sid)
        if session is None or session.account is None:
            return None  # logged out, idle, too old, disabled or password reset since: the session has ended
        return WebUser(session.account, sid)

    def guard() -> flask.Response | None:
        path = flask.request.path
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return None
        if path.rstrip("/") == "/wall" and "kiosk" in flask.request.args and flask.request.method == "GET":
            return _exchange_kiosk(data, refuse)
        who = request_identity(data)
        rule = _rule(rules, path)
        if rule is not None and allowed(rule, who, data):
            return None
        status = 401 if who is None else 403
        if isinstance(who, Account):
            PrivateDB.beside(data.store).audit(who=who.name, action="access:refused", target=path, detail=_what(path))
        return refuse(status, who)

    app.server.before_request(guard)
    return rules


def _rule(rules: AccessRules, path: str) -> Rule | None:
    if path == CALLBACK_PATH:
        body = flask.request.get_json(silent=True)
        return rules.rule_for_callback(body) if isinstance(body, dict) else None
    if path in SHELL_PATHS:
        return SHELL
    if path.startswith("/_"):
        return None  # Dash internals not listed above are not served to anyone
    if flask.request.method != "GET":
        return page_rule(path) if POSTS.fullmatch(path) else None
    return page_rule(path)


def _what(path: str) -> dict[str, Any]:
    if path != CALLBACK_PATH:
        return {}
    body = flask.request.get_json(silent=True)
    return {"callback": str(body.get("output", ""))[:200]} if isinstance(body, dict) else {}


def request_identity(data: StoreData) -> Identity:
    """Who is asking, resolved once per request (the body limits, the guard and ``/wall/alive`` all ask)."""
    if "battlemap_identity" not in flask.g:
        flask.g.battlemap_identity = _identity(data)
    return flask.g.battlemap_identity


def _identity(data: StoreData) -> Identity:
    """The logged-in account (its server-side session live), else a kiosk session whose token is live."""
    user = flask_login.current_user
    if user.is_authenticated:
        return user.account
    sid = flask.session.get(KIOSK_KEY)
    if not sid:
        return None
    sessions = SessionStore.beside(data.store)
    session = sessions.resolve(str(sid))
    table = data.layer_or_none(KIOSK_TABLE)
    if session is not None and session.kind == KIOSK and table is not None and live_digest(table, session.subject):
        return Kiosk(session.subject)
    if session is not None:
        sessions.end(str(sid))  # its token was revoked since
    flask.session.pop(KIOSK_KEY, None)
    return None


def _exchange_kiosk(data: StoreData, refuse: Callable[[int, Identity], flask.Response]) -> flask.Response:
    """``GET /wall?kiosk=<token>``: a live token becomes a kiosk session cookie and a 303 to the wall without it.

    The token is then in no later URL (history, bookmarks of the screen, logs of proxies);
    a logged-in account is just sent to the clean address. A token that is not live
    gets the 401 refusal.
    """
    clean = [(k, v) for k, v in flask.request.args.items(multi=True) if k != "kiosk"]
    target = "/wall" + (f"?{urlencode(clean)}" if clean else "")
    if flask_login.current_user.is_authenticated:
        return flask.redirect(target, code=303)
    wanted = digest(flask.request.args.get("kiosk", ""))
    table = data.layer_or_none(KIOSK_TABLE)
    flask.session.pop(KIOSK_KEY, None)
    if table is None or not live_digest(table, wanted):
        flask.g.battlemap_identity = None
        return refuse(401, None)
    sid = SessionStore.beside(data.store).start(KIOSK, wanted, address=flask.request.remote_addr or "unknown")
    flask.session[KIOSK_KEY] = sid
    flask.session.permanent = True
    return flask.redirect(target, code=303)
