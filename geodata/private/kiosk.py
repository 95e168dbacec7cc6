"""Kiosk tokens: long random secrets that open the wall screen read-only without a login.

Only a SHA-256 digest of each token is stored (table ``kiosk_tokens`` in the store), so a
copy of the store does not hand out working links. A token is shown once, when it is
created; revoking it stamps ``revoked_at`` and the wall stops answering it on its next
refresh. Creating and revoking go into the import log like any other change, and into
the audit log (:mod:`geodata.private.db`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable

import pandas as pd

from geodata._errors import InputError
from geodata.private.db import PrivateDB, cli_user
from geodata.store import Store
from geodata.text_limits import check_length

TABLE = "kiosk_tokens"
TOKEN_BYTES = 32  # 256 bits of randomness, 43 URL-safe characters
COLUMNS = ["token_id", "label", "token_sha256", "created_at", "revoked_at"]


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens(store: Store) -> pd.DataFrame:
    """Every token ever created (digests only), oldest first."""
    frame = store.read_or_none(TABLE)
    return pd.DataFrame(columns=COLUMNS) if frame is None else pd.DataFrame(frame)[COLUMNS]


def create_token(store: Store, label: str, *, who: str | None = None) -> tuple[str, str]:
    """A new token for the screen ``label``: returns (token_id, token); the token is not stored."""
    check_length(label, what="kiosk label", setting="label_chars")
    token = secrets.token_urlsafe(TOKEN_BYTES)

    def add(current: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        row = {
            "token_id": f"k{len(current) + 1:03d}",
            "label": label,
            "token_sha256": digest(token),
            "created_at": dt.datetime.now().replace(microsecond=0).isoformat(),
            "revoked_at": None,
        }
        return pd.concat([current, pd.DataFrame([row])], ignore_index=True), row

    token_id = _change(store, "kiosk_create", add)["token_id"]
    PrivateDB.beside(store).audit(
        who=who or cli_user(), action="kiosk:create", target=token_id, detail={"label": label}
    )
    return token_id, token


def revoke_token(store: Store, token_id: str, *, who: str | None = None) -> None:
    """Stop ``token_id`` from opening the wall (refused when unknown or already revoked)."""

    def revoke(current: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        match = current["token_id"] == token_id
        if not match.any():
            msg = f"no kiosk token {token_id!r}; known: {', '.join(current['token_id']) or 'none'}"
            raise InputError(msg)
        if current.loc[match, "revoked_at"].notna().any():
            msg = f"kiosk token {token_id!r} is already revoked"
            raise InputError(msg)
        current.loc[match, "revoked_at"] = dt.datetime.now().replace(microsecond=0).isoformat()
        return current, {"token_id": token_id}

    _change(store, "kiosk_revoke", revoke)
    PrivateDB.beside(store).audit(who=who or cli_user(), action="kiosk:revoke", target=token_id)


def is_valid(table: pd.DataFrame, token: str | None) -> bool:
    """True when ``token`` matches a token of ``table`` that is not revoked (constant-time compare)."""
    return bool(token) and live_digest(table, digest(token or ""))


def live_digest(table: pd.DataFrame, wanted: str) -> bool:
    """True when the digest ``wanted`` is the stored digest of a token that is not revoked."""
    if not wanted or not len(table):
        return False
    live = table[table["revoked_at"].isna()]["token_sha256"]
    return any(hmac.compare_digest(wanted, str(stored)) for stored in live)


def _change(store: Store, action: str, edit: Callable[[pd.DataFrame], tuple[pd.DataFrame, dict]]) -> dict:
    """Read the table, ``edit`` it and write it back under the writers' lock, so no concurrent change is lost."""
    with store.transaction() as tx:
        frame, row = edit(tokens(store))
        tx.write(TABLE, frame.astype({"revoked_at": "object"}))
        tx.log(action=action, layer=TABLE, rows=1, detail={k: v for k, v in row.items() if k != "token_sha256"})
    return row
