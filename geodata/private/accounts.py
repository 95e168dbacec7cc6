"""User accounts: roles, township scope, argon2id password hashes and throttled, audited logins.

Accounts live in the private file beside the store (:mod:`geodata.private.db`), never in
the GeoPackage. Passwords are stored only as argon2id hashes (argon2-cffi, memory-hard).
Failed logins are counted per account and per IP address over a window
(``[auth]`` settings) in the same file, so the limit holds across server processes and
restarts; while either count is at its limit no password is even checked. Every change
to an account and every login, failed login and refusal goes into the audit log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import time
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from geodata._errors import BattlemapError, InputError
from geodata.private.db import PrivateDB, audit_row, now_text, private_path
from geodata.settings import Settings, get_settings
from geodata.store import Store

ROLES = ("leader", "planner", "inspector", "admin")
SCOPED_ROLES = ("leader",)  # planning, inspection and administration are county-wide work
NAME_PATTERN = re.compile(r"^[^\s/\\<>&\"']{1,64}$")
TOWN_PATTERN = re.compile(r"^\d{9}$")


class LoginRefused(BattlemapError):
    """A login that did not succeed; ``throttled`` when too many failures came first."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


@dataclasses.dataclass(frozen=True)
class Account:
    """One user as the app sees it (never the hash)."""

    name: str
    role: str
    township: str | None
    disabled: bool

    def sees_town(self, town_code: str | None) -> bool:
        """True when the account may see the township (a county-wide account sees every one)."""
        return self.township is None or town_code == self.township


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

    def add(self, name: str, *, role: str, password: str, township: str | None = None, who: str) -> Account:
        """Create an account (refused when the name exists, the role is unknown or the password is short)."""
        _check_name(name)
        _check_role(role, township)
        _check_password(password)
        digest = hasher().hash(password)
        now = now_text()
        with self._connect() as con:
            if con.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                msg = f"user {name!r} exists; use `battlemap users reset {name}` to set a new password"
                raise InputError(msg)
            con.execute(
                "INSERT INTO users (name, role, township, password_hash, created_at, disabled_at, password_set_at)"
                " VALUES (?, ?, ?, ?, ?, NULL, ?)",
                (name, role, township, digest, now, _password_stamp()),
            )
            audit_row(con, who=who, action="user:add", target=name, detail={"role": role, "township": township})
        return Account(name, role, township, disabled=False)

    def set_disabled(self, name: str, *, disabled: bool, who: str) -> None:
        """Disable an account (its sessions end at their next request) or enable it again."""
        with self._connect() as con:
            self._require(con, name)
            con.execute("UPDATE users SET disabled_at = ? WHERE name = ?", (now_text() if disabled else None, name))
            audit_row(con, who=who, action="user:disable" if disabled else "user:enable", target=name, detail={})

    def reset(self, name: str, *, password: str, who: str) -> None:
        """Set a new password; sessions opened with the old one end at their next request."""
        _check_password(password)
        digest = hasher().hash(password)
        with self._connect() as con:
            self._require(con, name)
            con.execute(
                "UPDATE users SET password_hash = ?, password_set_at = ? WHERE name = ?",
                (digest, _password_stamp(), name),
            )
            con.execute("DELETE FROM login_failures WHERE name = ?", (name,))
            audit_row(con, who=who, action="user:reset", target=name, detail={})

    def get(self, name: str) -> Account | None:
        """The account called ``name``, or None."""
        row = self._row(name)
        return None if row is None else _account(row)

    def session_key(self, name: str) -> str | None:
        """What a session remembers of its account: name and when the password was set (a reset ends sessions)."""
        row = self._row(name)
        return None if row is None else f"{row['name']}\x1f{row['password_set_at']}"

    def users(self) -> pd.DataFrame:
        """Every account, without hashes, by name."""
        with self._connect() as con:
            return pd.read_sql_query(
                "SELECT name, role, township, created_at, disabled_at, password_set_at FROM users ORDER BY name", con
            )

    def authenticate(self, name: str, password: str, *, address: str, settings: Settings | None = None) -> Account:
        """The account when the name and password match and no limit is reached; otherwise LoginRefused.

        The reply never says whether the name exists. While the account or the address has had
        ``max_failures_*`` failures within ``failure_window_minutes``, the password is not checked.
        Each attempt is counted as a failure *before* its password is checked (and the count
        taken back on success), in the same locked transaction as the check of the limit, so
        guesses sent in parallel to every server thread cannot all slip under it.
        """
        cfg = (settings or get_settings()).auth
        since = time.time() - cfg.failure_window_minutes * 60
        with self._connect() as con:  # the refusal is committed before it is raised
            con.execute("BEGIN IMMEDIATE")  # one attempt at a time counts and claims its place
            by_name = con.execute(
                "SELECT COUNT(*) FROM login_failures WHERE name = ? AND at > ?", (name, since)
            ).fetchone()[0]
            by_address = con.execute(
                "SELECT COUNT(*) FROM login_failures WHERE address = ? AND at > ?", (address, since)
            ).fetchone()[0]
            throttled = by_name >= cfg.max_failures_per_user or by_address >= cfg.max_failures_per_address
            if throttled:
                audit_row(
                    con,
                    who=name,
                    action="login:throttled",
                    target=address,
                    detail={"failures_name": by_name, "failures_address": by_address},
                )
            else:
                con.execute("INSERT INTO login_failures VALUES (?, ?, ?)", (time.time(), name, address))
        if throttled:
            msg = f"too many failed logins; try again in {cfg.failure_window_minutes} minutes"
            raise LoginRefused(msg, throttled=True)
        row = self._row(name)
        ok = _verify(row["password_hash"] if row else None, password) and row is not None and not row["disabled_at"]
        with self._connect() as con:
            if not ok:  # the attempt's row stays as its failure
                con.execute("DELETE FROM login_failures WHERE at < ?", (since - 86400,))  # keep the table small
                why = "unknown" if row is None else "disabled" if row["disabled_at"] else "password"
                audit_row(con, who=name, action="login:failed", target=address, detail={"why": why})
            else:
                con.execute("DELETE FROM login_failures WHERE name = ?", (name,))
                if hasher().check_needs_rehash(row["password_hash"]):  # costs raised in the settings since
                    con.execute("UPDATE users SET password_hash = ? WHERE name = ?", (hasher().hash(password), name))
                audit_row(con, who=name, action="login", target=address, detail={"role": row["role"]})
        if not ok or row is None:
            msg = "wrong name or password, or the account is disabled"
            raise LoginRefused(msg)
        return _account(row)

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


_DUMMY_HASH: dict[str, str] = {}


def _password_stamp() -> str:
    """When a password was set, to the microsecond: two resets within a second still end old sessions."""
    return dt.datetime.now().isoformat(timespec="microseconds")


def _verify(stored: str | None, password: str) -> bool:
    """Check a password against a hash; an unknown user costs the same time as a wrong password."""
    ph = hasher()
    if stored is None:
        key = f"{ph.time_cost}:{ph.memory_cost}"
        stored = _DUMMY_HASH.setdefault(key, ph.hash("not a password"))
        password = "\x00" + password  # never matches
    try:
        return ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _account(row: dict[str, Any]) -> Account:
    return Account(row["name"], row["role"], row["township"] or None, disabled=bool(row["disabled_at"]))


def _check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        msg = f"user name {name!r}: 1–64 characters without spaces, slashes, quotes, < > or &"
        raise InputError(msg)


def _check_role(role: str, township: str | None) -> None:
    if role not in ROLES:
        msg = f"role {role!r} unknown; choose one of {', '.join(ROLES)}"
        raise InputError(msg)
    if township is not None:
        if not TOWN_PATTERN.match(township):
            msg = f"--township {township!r}: expected a 9-digit township code (乡镇代码)"
            raise InputError(msg)
        if role not in SCOPED_ROLES:
            msg = f"a {role} works county-wide; only {', '.join(SCOPED_ROLES)} accounts take --township"
            raise InputError(msg)


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
