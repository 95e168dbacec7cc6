"""Server-side web sessions: a login or a wall screen's kiosk session ends when the server says so.

The browser's cookie holds only a random session id; table ``web_sessions`` in the
private file keeps its SHA-256 digest (a copy of the file opens no session), what it
belongs to (``kind`` ``account`` and the account's name, or ``kiosk`` and the kiosk
token's digest), when it began and when it was last used. Every request resolves its id
here, so logging out, a password reset or a disabled account
(:func:`geodata.private.db.end_sessions`) ends a session at once, from every copy of its
cookie. A login ends after ``[auth] session_idle_minutes`` without a request and
``session_hours`` after it began; a kiosk session after ``kiosk_idle_hours`` without a
request (a wall screen runs for weeks, its token's revocation ends it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time

from geodata.private.accounts import Account
from geodata.private.db import PrivateDB, private_path
from geodata.settings import AuthSettings, Settings, get_settings
from geodata.store import Store

ACCOUNT = "account"
KIOSK = "kiosk"
SID_BYTES = 32  # 256 bits of randomness


@dataclasses.dataclass(frozen=True)
class Session:
    """A live session: an account's login (``account`` set) or a kiosk session (``subject``: the token's digest)."""

    kind: str
    subject: str
    account: Account | None = None


def sid_digest(sid: str) -> str:
    """The stored form of a session id."""
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


class SessionStore(PrivateDB):
    """Web sessions in the private file beside the store."""

    @classmethod
    def beside(cls, store: Store) -> SessionStore:
        """The session store that belongs to a layer store."""
        return cls(private_path(store))

    def start(self, kind: str, subject: str, *, address: str, settings: Settings | None = None) -> str:
        """Begin a session of ``kind`` for ``subject``; returns its new random id (for the cookie only)."""
        if kind not in (ACCOUNT, KIOSK):
            msg = f"session kind {kind!r}: expected {ACCOUNT!r} or {KIOSK!r}"
            raise ValueError(msg)
        cfg = (settings or get_settings()).auth
        sid = secrets.token_urlsafe(SID_BYTES)
        now = time.time()
        with self._connect() as con:
            con.execute(
                "INSERT INTO web_sessions (sid_sha256, kind, subject, address, created_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (sid_digest(sid), kind, subject, address[:64], now, now),
            )
            old = now - cfg.session_hours * 3600
            con.execute(  # sessions past their limits: nothing can use them any more
                "DELETE FROM web_sessions WHERE (kind = ? AND (seen_at < ? OR created_at < ?))"
                " OR (kind = ? AND seen_at < ?)",
                (ACCOUNT, now - _idle_s(ACCOUNT, cfg), old, KIOSK, now - _idle_s(KIOSK, cfg)),
            )
        return sid

    def resolve(self, sid: str, *, settings: Settings | None = None) -> Session | None:
        """The live session of ``sid``, its last use noted; None (and the session ended) past a limit.

        A login's account must still exist and be enabled; a kiosk session's token is
        checked by the caller (the tokens live in the layer store).
        """
        if not sid:
            return None
        cfg = (settings or get_settings()).auth
        now = time.time()
        key = sid_digest(sid)
        with self._connect() as con:
            row = con.execute(
                "SELECT s.kind, s.subject, s.created_at, s.seen_at, u.role, u.scope, u.disabled_at"
                " FROM web_sessions s LEFT JOIN users u ON s.kind = ? AND u.name = s.subject WHERE s.sid_sha256 = ?",
                (ACCOUNT, key),
            ).fetchone()
            if row is None:
                return None
            kind, subject, created, seen, role, scope, disabled = row
            expired = now - seen > _idle_s(kind, cfg) or (kind == ACCOUNT and now - created > cfg.session_hours * 3600)
            if expired or (kind == ACCOUNT and (role is None or disabled)):
                con.execute("DELETE FROM web_sessions WHERE sid_sha256 = ?", (key,))
                return None
            if now - seen >= cfg.session_touch_s:
                con.execute("UPDATE web_sessions SET seen_at = ? WHERE sid_sha256 = ?", (now, key))
        account = Account(subject, role, scope or None, disabled=False) if kind == ACCOUNT else None
        return Session(kind, subject, account)

    def end(self, sid: str) -> None:
        """End one session (logout; a kiosk session whose token was revoked)."""
        with self._connect() as con:
            con.execute("DELETE FROM web_sessions WHERE sid_sha256 = ?", (sid_digest(sid),))

    def count(self, *, kind: str | None = None, subject: str | None = None) -> int:
        """How many sessions are stored (of ``kind``, of ``subject``): for tests and the operators."""
        query, args = "SELECT COUNT(*) FROM web_sessions WHERE 1 = 1", []
        for column, value in (("kind", kind), ("subject", subject)):
            if value is not None:
                query += f" AND {column} = ?"
                args.append(value)
        with self._connect() as con:
            return int(con.execute(query, args).fetchone()[0])


def _idle_s(kind: str, cfg: AuthSettings) -> float:
    """How long a session of ``kind`` may go without a request (seconds)."""
    return cfg.kiosk_idle_hours * 3600 if kind == KIOSK else cfg.session_idle_minutes * 60
