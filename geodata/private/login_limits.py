"""Limits on guessing passwords: growing waits per account and address, refusals counted not logged.

A stranger must not be able to lock anyone out, so there is no lock per account: each pair
(account name, client address) gets ``[auth] delay_free_failures`` failed logins, then
must wait ``delay_first_s`` before the next attempt, twice as long after each further
failure, at most ``delay_max_minutes`` (table ``login_delays``). Guesses from another
address do not delay the owner. An address with too many failures within the window is
paused as a whole (:meth:`geodata.private.accounts.AccountStore.authenticate`).

Refused logins are never written to the audit log one by one (a flood of them would fill
the disk): table ``login_refusals`` counts them per name prefix (``refusal_name_chars``),
address, reason and window (``refusal_window_minutes``). While an address is paused its
refusals are counted under the name ``*``, so it adds no row per guessed name.
:func:`under_attack` finds the accounts /audit warns about.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd

from geodata.settings import AuthSettings

NAME_CHARS = 64  # the longest account name (accounts.NAME_PATTERN): longer names are no account
ADDRESS_CHARS = 64  # an IPv6 address is at most 45 characters; anything longer is cut
ANY_NAME = "*"  # refusals of a paused address, whatever name they tried
PAUSED = "throttled"


def name_key(name: str) -> str:
    """The name as the failure counts keep it: cut to the longest possible account name."""
    return name[:NAME_CHARS]


def address_key(address: str) -> str:
    """The client address as stored (cut: behind a misconfigured proxy it is whatever the client sent)."""
    return address[:ADDRESS_CHARS]


def wait_s(con: sqlite3.Connection, name: str, address: str, *, now: float, cfg: AuthSettings) -> float:
    """Seconds the pair (``name``, ``address``) must still wait before its next attempt (0: may try now)."""
    row = con.execute(
        "SELECT failures, last_at FROM login_delays WHERE name = ? AND address = ?", (name, address)
    ).fetchone()
    if row is None or now - row[1] > cfg.delay_forget_hours * 3600:
        return 0.0
    delay = delay_s(row[0], cfg)
    return 0.0 if delay == 0 else max(0.0, row[1] + delay - now)  # free failures never wait


def delay_s(failures: int, cfg: AuthSettings) -> float:
    """The wait after ``failures`` failed logins of one pair: none for the free ones, then doubling up to the cap."""
    over = failures - cfg.delay_free_failures
    if over < 0:
        return 0.0
    return min(cfg.delay_first_s * 2.0 ** min(over, 60), cfg.delay_max_minutes * 60)


def count_failure(con: sqlite3.Connection, name: str, address: str, *, now: float, cfg: AuthSettings) -> None:
    """Count one more failure of the pair (a pair quiet for ``delay_forget_hours`` starts again from one)."""
    forget = now - cfg.delay_forget_hours * 3600
    con.execute(
        "INSERT INTO login_delays (name, address, failures, last_at) VALUES (?, ?, 1, ?)"
        " ON CONFLICT (name, address) DO UPDATE SET"
        " failures = CASE WHEN last_at < ? THEN 1 ELSE failures + 1 END, last_at = excluded.last_at",
        (name, address, now, forget),
    )
    con.execute("DELETE FROM login_delays WHERE last_at < ?", (forget,))  # keep the table small


def forget_failures(con: sqlite3.Connection, name: str, *, address: str | None = None) -> None:
    """Clear the waits of ``name`` (from ``address`` only, after its successful login; all after a reset)."""
    if address is None:
        con.execute("DELETE FROM login_delays WHERE name = ?", (name,))
    else:
        con.execute("DELETE FROM login_delays WHERE name = ? AND address = ?", (name, address))


def count_refusal(con: sqlite3.Connection, name: str, address: str, why: str, *, now: float, cfg: AuthSettings) -> None:
    """Add one refused login to its window's count (no audit row: a flood of refusals grows nothing but a number)."""
    width = cfg.refusal_window_minutes * 60
    start = now - now % width
    prefix = ANY_NAME if why == PAUSED else name[: cfg.refusal_name_chars]
    con.execute(
        "INSERT INTO login_refusals (window_start, name_prefix, address, why, count, first_at, last_at)"
        " VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (window_start, name_prefix, address, why)"
        " DO UPDATE SET count = count + 1, last_at = excluded.last_at",
        (start, prefix, address_key(address), why, now, now),
    )
    con.execute("DELETE FROM login_refusals WHERE last_at < ?", (now - cfg.refusal_keep_days * 86400,))


def refusals(con: sqlite3.Connection, *, limit: int) -> pd.DataFrame:
    """The newest counts of refused logins, newest window first (times as local ISO text)."""
    frame = pd.read_sql_query(
        "SELECT window_start, name_prefix, address, why, count, last_at FROM login_refusals"
        " ORDER BY window_start DESC, last_at DESC LIMIT ?",
        con,
        params=(int(limit),),
    )
    for column in ("window_start", "last_at"):
        frame[column] = frame[column].map(_local)
    return frame


def under_attack(con: sqlite3.Connection, *, now: float, cfg: AuthSettings) -> pd.DataFrame:
    """Accounts refused at least ``attack_failures`` times from ``attack_addresses`` addresses within the window.

    Counted from ``login_refusals`` rows whose last refusal falls within
    ``failure_window_minutes``; columns ``name``, ``refusals``, ``addresses``.
    """
    return pd.read_sql_query(
        "SELECT u.name AS name, SUM(r.count) AS refusals, COUNT(DISTINCT r.address) AS addresses"
        " FROM login_refusals r JOIN users u ON r.name_prefix = substr(u.name, 1, ?)"
        " WHERE r.last_at > ? AND r.why != ? GROUP BY u.name HAVING refusals >= ? AND addresses >= ?"
        " ORDER BY refusals DESC",
        con,
        params=(
            cfg.refusal_name_chars,
            now - cfg.failure_window_minutes * 60,
            PAUSED,
            cfg.attack_failures,
            cfg.attack_addresses,
        ),
    )


def _local(stamp: float) -> str:
    """A Unix time as local ISO text to the second, like the audit log's ``at``."""
    return dt.datetime.fromtimestamp(stamp).replace(microsecond=0).isoformat()
