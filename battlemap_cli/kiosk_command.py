"""``battlemap kiosk``: create, list and revoke the tokens that open the wall screen without a login."""

from __future__ import annotations

import argparse

from geodata.private.kiosk import create_token, revoke_token, tokens
from geodata.store import open_store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add ``kiosk new|list|revoke`` to the parser."""
    p = sub.add_parser("kiosk", parents=[common], help="wall-screen kiosk tokens (create, list, revoke)")
    actions = p.add_subparsers(dest="kiosk_action", required=True, metavar="ACTION")
    new = actions.add_parser("new", parents=[common], help="create a token and print the wall URL once")
    new.add_argument("--label", required=True, help="which screen it is for, e.g. 指挥中心大屏")
    new.add_argument("--base-url", default="http://127.0.0.1:8050", help="where the app is served")
    new.set_defaults(func=cmd_new)
    actions.add_parser("list", parents=[common], help="tokens with their state (never the secrets)").set_defaults(
        func=cmd_list
    )
    revoke = actions.add_parser("revoke", parents=[common], help="stop a token from opening the wall")
    revoke.add_argument("token_id", help="the id shown by `kiosk list`, e.g. k001")
    revoke.set_defaults(func=cmd_revoke)


def cmd_new(args: argparse.Namespace) -> int:
    """Create a token; its URL is printed once and never stored."""
    token_id, token = create_token(open_store(args.store), args.label)
    print(f"kiosk token {token_id} for {args.label}; open (keep this link secret, it is shown only once):")
    print(f"{args.base_url.rstrip('/')}/wall?kiosk={token}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print every token's id, label, creation and revocation time."""
    table = tokens(open_store(args.store))
    if not len(table):
        print("no kiosk tokens; create one with `battlemap kiosk new --label NAME`")
    for row in table.itertuples():
        state = f"revoked {row.revoked_at}" if isinstance(row.revoked_at, str) and row.revoked_at else "active"
        print(f"{row.token_id}  {row.label}  created {row.created_at}  {state}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    """Revoke a token (exit 2 when it is unknown or already revoked)."""
    revoke_token(open_store(args.store), args.token_id)
    print(f"kiosk token {args.token_id} revoked; screens using it stop at their next refresh")
    return 0
