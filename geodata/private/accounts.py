"""User accounts: roles, scopes (a city, county or township), argon2id password hashes and throttled, audited logins.

Accounts live in the private file beside the store (:mod:`geodata.private.db`), never in
the GeoPackage. Passwords are stored only as argon2id hashes (argon2-cffi, memory-hard).
Failed logins make the next attempt for the same account from the same address wait
longer and longer, and pause an address with too many failures
(:mod:`geodata.private.login_limits`, ``[auth]`` settings), in the same file, so the limits
hold across server processes and restarts; while a limit holds no password is even
checked. Every change to an account and every login goes into the audit log; refused
logins are counted per name prefix, address and window, not logged one by one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
import secrets
import time
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geodata._errors import BattlemapError, InputError
from geodata.divisions import LEVEL_BY_DIGITS, LEVELS
from geodata.private import login_limits as limits
from geodata.private.db import PrivateDB, audit_row, end_sessions, now_text, private_path
from geodata.settings import Settings, get_settings
from geodata.store import Store

ROLES = ("leader", "planner", "inspector", "admin")
SCOPED_ROLES = ("leader", "planner", "inspector")  # an admin manages the whole store (accounts, data, audit)
NAME_PATTERN = re.compile(r"^[^\s/\\<>&\"']{1,64}$")
SCOPE_LEVELS = ("province", "city", "county", "town")  # a scope names a unit above the village


class LoginRefused(BattlemapError):
    """A login that did not succeed; ``throttled`` when too many failures came first (then retry after seconds)."""

    def __init__(self, message: str, *, throttled: bool = False, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.throttled = throttled
        self.retry_after = retry_after


@dataclasses.dataclass(frozen=True)
class Account:
    """One user as the app sees it (never the hash)."""

    name: str
    role: str
    scope: str | None  # a division code prefix (2, 4, 6 or 9 digits); None: the whole store
    disabled: bool

    def sees(self, code: str | None) -> bool:
        """True when the unit ``code`` (any level) lies inside the account's scope (an unscoped account sees all).

        A unit is inside when the scope is a prefix of its code: a village (12 digits) is
        inside its city's scope (4 digits), a city is not inside one of its townships.
        """
        return self.scope is None or (code is not None and str(code).startswith(self.scope))


def hasher(settings: Settings | None = None) -> PasswordHasher:
    """The argon2id hasher with the configured cost."""
    cfg = (settings or get_settings()).auth
    return PasswordHasher(time_cost=cfg.argon2_time_cost, memory_cost=cfg.argon2_memory_kib)


class AccountStore(PrivateDB):
    """Accounts and failed-login counts in the private file, every change audited."""

    @classmethod
    def beside(cls, store: Store) -> AccountStore:
        """The account store that belongs to a layer store."""
        return cls(private_path(store))

    def add(self, name: str, *, role: str, password: str, scope: str | None = None, who: str) -> Account:
        """Create an account (refused when the name exists, the role or scope is wrong or the password is short)."""
        _check_name(name)
        _check_role(role, scope)
        _check_password(password)
        digest = hasher().hash(password)
        now = now_text()
        with self._connect() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                msg = f"user {name!r} exists; use `battlemap users reset {name}` to set a new password"
                raise InputError(msg)
            con.execute(
                "INSERT INTO users (name, role, scope, password_hash, created_at, disabled_at, password_set_at)"
                " VALUES (?, ?, ?, ?, ?, NULL, ?)",
                (name, role, scope, digest, now, _password_stamp()),
            )
            audit_row(con, who=who, action="user:add", target=name, detail={"role": role, "scope": scope})
        return Account(name, role, scope, disabled=False)

    def set_scope(self, name: str, *, scope: str | None, who: str) -> Account:
        """Give an account another scope (None: the whole store); its sessions end so the new scope holds at once."""
        with self._connect() as con:
            self._require(con, name)
            role, before = con.execute("SELECT role, scope FROM users WHERE name = ?", (name,)).fetchone()
            _check_role(role, scope)
            con.execute("UPDATE users SET scope = ? WHERE name = ?", (scope, name))
            ended = end_sessions(con, name)
            detail = {"before": before, "scope": scope, "sessions_ended": ended}
            audit_row(con, who=who, action="user:scope", target=name, detail=detail)
        account = self.get(name)
        assert account is not None  # checked above, in the same file
        return account

    def set_disabled(self, name: str, *, disabled: bool, who: str) -> None:
        """Disable an account (its sessions end at once) or enable it again."""
        with self._connect() as con:
            self._require(con, name)
            con.execute("UPDATE users SET disabled_at = ? WHERE name = ?", (now_text() if disabled else None, name))
            if disabled:
                end_sessions(con, name)
            audit_row(con, who=who, action="user:disable" if disabled else "user:enable", target=name, detail={})

    def reset(self, name: str, *, password: str, who: str) -> None:
        """Set a new password; the account's sessions end at once and its login waits are cleared."""
        _check_password(password)
        digest = hasher().hash(password)
        with self._connect() as con:
            self._require(con, name)
            con.execute(
                "UPDATE users SET password_hash = ?, password_set_at = ? WHERE name = ?",
                (digest, _password_stamp(), name),
            )
            limits.forget_failures(con, name)
            ended = end_sessions(con, name)
            audit_row(con, who=who, action="user:reset", target=name, detail={"sessions_ended": ended})

    def get(self, name: str) -> Account | None:
        """The account called ``name``, or None."""
        row = self._row(name)
        return None if row is None else _account(row)

    def users(self) -> pd.DataFrame:
        """Every account, without hashes, by name."""
        with self._connect() as con:
            return pd.read_sql_query(
                "SELECT name, role, scope, created_at, disabled_at, password_set_at FROM users ORDER BY name", con
            )

    def authenticate(self, name: str, password: str, *, address: str, settings: Settings | None = None) -> Account:
        """The account when the name and password match and no limit is reached; otherwise LoginRefused.

        The reply never says whether the name exists: an unknown name costs one argon2
        check like a known one (:func:`_verify`) and meets the same waits. While the pair
        (name, address) must wait (:mod:`geodata.private.login_limits`) or the address has had
        ``max_failures_per_address`` failures within ``failure_window_minutes``, the password
        is not checked. Each attempt is counted as a failure *before* its password is checked
        (and taken back on success), in the same locked transaction as the check of the
        limits, so guesses sent in parallel to every server thread cannot all slip under
        them. Refusals are counted in ``login_refusals``; only logins are audited.
        """
        cfg = (settings or get_settings()).auth
        key, where = limits.name_key(name), limits.address_key(address)
        attempt: int | None = None  # this attempt's row in login_failures, taken back on success
        with self._connect() as con:  # the refusal is committed before it is raised
            con.execute("BEGIN IMMEDIATE")  # one attempt at a time counts and claims its place
            now = time.time()  # read under the lock: an attempt that waited for it is not older than the rows it sees
            by_address = con.execute(
                "SELECT COUNT(*) FROM login_failures WHERE address = ? AND at > ?",
                (where, now - cfg.failure_window_minutes * 60),
            ).fetchone()[0]
            wait = limits.wait_s(con, key, where, now=now, cfg=cfg)
            if by_address >= cfg.max_failures_per_address:
                wait = max(wait, cfg.failure_window_minutes * 60.0)
                limits.count_refusal(con, name, where, limits.PAUSED, now=now, cfg=cfg)
            elif wait > 0:
                limits.count_refusal(con, name, where, "delayed", now=now, cfg=cfg)
            else:
                attempt = con.execute("INSERT INTO login_failures VALUES (?, ?, ?)", (now, key, where)).lastrowid
                limits.count_failure(con, key, where, now=now, cfg=cfg)
        if wait > 0:
            msg = f"too many failed logins; try again in {math.ceil(wait)} seconds"
            raise LoginRefused(msg, throttled=True, retry_after=wait)
        row = self._row(key) if key == name else None
        ok = _verify(row["password_hash"] if row else None, password) and row is not None and not row["disabled_at"]
        with self._connect() as con:
            if not ok:  # the attempt's rows stay as its failure
                con.execute("DELETE FROM login_failures WHERE at < ?", (now - 86400,))  # keep the table small
                why = "unknown" if row is None else "disabled" if row["disabled_at"] else "password"
                limits.count_refusal(con, name, where, why, now=now, cfg=cfg)
            else:
                con.execute("DELETE FROM login_failures WHERE rowid = ?", (attempt,))
                limits.forget_failures(con, key, address=where)
                if hasher().check_needs_rehash(row["password_hash"]):  # costs raised in the settings since
                    con.execute("UPDATE users SET password_hash = ? WHERE name = ?", (hasher().hash(password), name))
                audit_row(con, who=name, action="login", target=where, detail={"role": row["role"]})
        if not ok or row is None:
            msg = "wrong name or password, or the account is disabled"
            raise LoginRefused(msg)
        return _account(row)

    def refusals(self, *, limit: int | None = None) -> pd.DataFrame:
        """Counts of refused logins per window, name prefix, address and reason, newest first (``limit`` rows)."""
        with self._connect() as con:
            return limits.refusals(con, limit=limit or get_settings().auth.audit_page_rows)

    def under_attack(self, *, settings: Settings | None = None) -> pd.DataFrame:
        """Accounts refused from many addresses within the failure window (name, refusals, addresses)."""
        with self._connect() as con:
            return limits.under_attack(con, now=time.time(), cfg=(settings or get_settings()).auth)

    def _row(self, name: str) -> dict[str, Any] | None:
        with self._connect() as con:
            cur = con.execute("SELECT * FROM users WHERE name = ?", (name,))
            row = cur.fetchone()
            return None if row is None else dict(zip([d[0] for d in cur.description], row, strict=True))

    def _require(self, con: Any, name: str) -> None:
        if not con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            known = ", ".join(r[0] for r in con.execute("SELECT name FROM users ORDER BY name")) or "none"
            msg = f"no user {name!r}; known: {known}"
            raise InputError(msg)


def _password_stamp() -> str:
    """When a password was set, to the microsecond (kept in ``users.password_set_at``)."""
    return dt.datetime.now().isoformat(timespec="microseconds")


@functools.cache
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    """One hash per process (and cost) that unknown names are checked against: made once, not per login."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost).hash(secrets.token_urlsafe(GENERATED_BYTES))


def prepare_unknown_check() -> None:
    """Make the process's dummy hash now (at server start, before gunicorn forks), not in the first login."""
    ph = hasher()
    _dummy_hash(ph.time_cost, ph.memory_cost)


def _verify(stored: str | None, password: str) -> bool:
    """Check a password against a hash; an unknown user costs the same one argon2 check as a wrong password."""
    ph = hasher()
    if stored is None:
        stored = _dummy_hash(ph.time_cost, ph.memory_cost)
        password = "\x00" + password  # never matches (the dummy's password is random and unknown too)
    try:
        return ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _account(row: dict[str, Any]) -> Account:
    return Account(row["name"], row["role"], row["scope"] or None, disabled=bool(row["disabled_at"]))


def _check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        msg = f"user name {name!r}: 1–64 characters without spaces, slashes, quotes, < > or &"
        raise InputError(msg)


def _check_role(role: str, scope: str | None) -> None:
    if role not in ROLES:
        msg = f"role {role!r} unknown; choose one of {', '.join(ROLES)}"
        raise InputError(msg)
    if scope is not None:
        check_scope(scope)
        if role not in SCOPED_ROLES:
            only = ", ".join(SCOPED_ROLES)
            msg = f"an {role} manages the whole store (accounts, data, audit log); only {only} accounts take --scope"
            raise InputError(msg)


def check_scope(scope: str) -> str:
    """``scope`` when it is a province, city, county or township code (2, 4, 6 or 9 digits); else InputError."""
    wanted = ", ".join(f"{LEVELS[level]} digits ({level})" for level in SCOPE_LEVELS)
    text = str(scope)
    if not text.isdigit() or LEVEL_BY_DIGITS.get(len(text)) not in SCOPE_LEVELS:
        msg = f"--scope {scope!r}: expected a division code (区划代码) of {wanted}"
        raise InputError(msg)
    return text


def _check_password(password: str) -> None:
    shortest = get_settings().auth.min_password_length
    if len(password) < shortest:
        msg = f"password too short: at least {shortest} characters ([auth] min_password_length)"
        raise InputError(msg)


GENERATED_BYTES = 18  # 24 URL-safe characters


def generated_password() -> str:
    """A random password for a new or reset account (printed once, never stored in clear)."""
    return secrets.token_urlsafe(GENERATED_BYTES)


def ensure_first_admin(store: Store, *, name: str = "admin") -> str | None:
    """On a store with no accounts at all, create ``name`` as admin; its generated password, else None.

    This is what lets a newcomer's ``python app.py`` open a usable app; production
    deployments create their accounts with ``battlemap users add`` instead.
    """
    accounts = AccountStore.beside(store)
    if len(accounts.users()):
        return None
    password = generated_password()
    accounts.add(name, role="admin", password=password, who="first run")
    return password
