"""``battlemap users``: add, disable, enable, reset and list the accounts of the web app."""

from __future__ import annotations

import argparse
import getpass
import sys

from analytics.townships import township_codes
from geodata._errors import InputError
from geodata.private.accounts import ROLES, AccountStore, generated_password
from geodata.private.db import cli_user
from geodata.store import open_store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add ``users add|disable|enable|reset|list`` to the parser."""
    p = sub.add_parser("users", parents=[common], help="web-app accounts (add, disable, enable, reset, list)")
    actions = p.add_subparsers(dest="users_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="create an account")
    add.add_argument("name", help="login name")
    add.add_argument("--role", required=True, choices=ROLES, help="what the account may see and do")
    add.add_argument("--township", help="9-digit township code: a leader who sees only that township")
    _password_options(add)
    add.set_defaults(func=cmd_add)
    reset = actions.add_parser("reset", parents=[common], help="set a new password (ends the user's sessions)")
    reset.add_argument("name")
    _password_options(reset)
    reset.set_defaults(func=cmd_reset)
    for action, helptext in (("disable", "stop an account from logging in"), ("enable", "let it log in again")):
        q = actions.add_parser(action, parents=[common], help=helptext)
        q.add_argument("name")
        q.set_defaults(func=cmd_disable if action == "disable" else cmd_enable)
    actions.add_parser("list", parents=[common], help="accounts with role, township and state").set_defaults(
        func=cmd_list
    )


def _password_options(p: argparse.ArgumentParser) -> None:
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    how.add_argument("--generate", action="store_true", help="make a random password and print it once")


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The new password (asked twice on a terminal) and whether it was generated."""
    if args.generate:
        return generated_password(), True
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if not sys.stdin.isatty():
        msg = "no terminal to ask for the password: use --password-stdin or --generate"
        raise InputError(msg)
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        msg = "the two passwords differ; nothing changed"
        raise InputError(msg)
    return first, False


def _accounts(args: argparse.Namespace) -> AccountStore:
    return AccountStore.beside(open_store(args.store))


def _check_township(args: argparse.Namespace) -> None:
    """A township code must be one of the store's townships (those of its villages, when it has any)."""
    villages = open_store(args.store).read_or_none("villages")
    if not args.township or villages is None:
        return
    known = sorted(set(township_codes(villages["village_code"])))
    if args.township not in known:
        msg = f"--township {args.township}: no such township in the store; known: {', '.join(known)}"
        raise InputError(msg)


def cmd_add(args: argparse.Namespace) -> int:
    """Create an account; a generated password is printed once."""
    _check_township(args)
    password, generated = _password(args)
    account = _accounts(args).add(args.name, role=args.role, township=args.township, password=password, who=cli_user())
    scope = f"township {account.township}" if account.township else "county-wide"
    print(f"user {account.name} added: {account.role}, {scope}")
    if generated:
        print(f"password (shown once): {password}")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    """Set a new password."""
    password, generated = _password(args)
    _accounts(args).reset(args.name, password=password, who=cli_user())
    print(f"password of {args.name} reset; their open sessions end")
    if generated:
        print(f"password (shown once): {password}")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    """Disable an account."""
    _accounts(args).set_disabled(args.name, disabled=True, who=cli_user())
    print(f"user {args.name} disabled; their open sessions end at their next request")
    return 0


def cmd_enable(args: argparse.Namespace) -> int:
    """Enable a disabled account."""
    _accounts(args).set_disabled(args.name, disabled=False, who=cli_user())
    print(f"user {args.name} enabled")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print every account (never a hash)."""
    table = _accounts(args).users()
    if not len(table):
        print("no users; add one with `battlemap users add NAME --role admin`")
    for row in table.astype(object).where(table.notna(), None).itertuples():
        state = f"disabled {row.disabled_at}" if row.disabled_at else "active"
        print(f"{row.name}  {row.role}  {row.township or 'county-wide'}  created {row.created_at}  {state}")
    return 0
