"""``battlemap users``: add, scope, disable, enable, reset and list the accounts of the web app.

A leader's, planner's or inspector's account may be limited to one part of the store
(``--scope``): a province (2 digits), city (4), county (6) or township (9) division code
that some village of the store starts with; an admin always holds the whole store.
``--township`` is the older spelling of a township scope.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from geodata._errors import InputError
from geodata.divisions import LEVEL_ZH, level_of, unit_codes
from geodata.private.accounts import ROLES, AccountStore, check_scope, generated_password
from geodata.private.db import cli_user
from geodata.store import open_store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add ``users add|scope|disable|enable|reset|list`` to the parser."""
    p = sub.add_parser("users", parents=[common], help="web-app accounts (add, scope, disable, enable, reset, list)")
    actions = p.add_subparsers(dest="users_action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="create an account")
    add.add_argument("name", help="login name")
    add.add_argument("--role", required=True, choices=ROLES, help="what the account may see and do")
    where = add.add_mutually_exclusive_group()
    where.add_argument("--scope", help=SCOPE_HELP)
    where.add_argument("--township", help="9-digit township code (乡镇代码): the same as --scope with a township")
    _password_options(add)
    add.set_defaults(func=cmd_add)
    scope = actions.add_parser("scope", parents=[common], help="change an account's scope (ends its sessions)")
    scope.add_argument("name")
    to = scope.add_mutually_exclusive_group(required=True)
    to.add_argument("code", nargs="?", help=SCOPE_HELP)
    to.add_argument("--whole-store", action="store_true", help="no scope: the account sees the whole store")
    scope.set_defaults(func=cmd_scope)
    reset = actions.add_parser("reset", parents=[common], help="set a new password (ends the user's sessions)")
    reset.add_argument("name")
    _password_options(reset)
    reset.set_defaults(func=cmd_reset)
    for action, helptext in (("disable", "stop an account from logging in"), ("enable", "let it log in again")):
        q = actions.add_parser(action, parents=[common], help=helptext)
        q.add_argument("name")
        q.set_defaults(func=cmd_disable if action == "disable" else cmd_enable)
    actions.add_parser("list", parents=[common], help="accounts with role, scope and state").set_defaults(func=cmd_list)


SCOPE_HELP = (
    "division code (区划代码) of the part a leader, planner or inspector works on:"
    " city 4, county 6 or township 9 digits (province 2); admins always hold the whole store"
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


def _scope(args: argparse.Namespace, code: str | None, option: str = "--scope") -> str | None:
    """The checked scope: a division code that some village of the store starts with (None: no scope).

    A store without villages yet takes any well-formed code (there is nothing to check it against).
    """
    if code is None:
        return None
    if option == "--township" and len(code) != 9:
        msg = f"--township {code!r}: expected a 9-digit township code (乡镇代码); use --scope for a county or city"
        raise InputError(msg)
    check_scope(code)
    villages = open_store(args.store).read_or_none("villages")
    if villages is None or not len(villages):
        return code
    level = level_of(code)
    known = sorted(unit_codes(villages["village_code"], level).unique())
    if code not in known:
        shown = ", ".join(known[:20]) + (" …" if len(known) > 20 else "")
        msg = f"{option} {code}: no such {_word(level)} ({LEVEL_ZH[level]}) in the store; known: {shown}"
        raise InputError(msg)
    return code


def scope_text(scope: str | None) -> str:
    """How an account's scope is shown: ``county 629901`` or ``whole store``."""
    return f"{_word(level_of(scope))} {scope}" if scope else "whole store"


def _word(level: str) -> str:
    """A level as users say it (``town`` is a township)."""
    return "township" if level == "town" else level


def cmd_add(args: argparse.Namespace) -> int:
    """Create an account; a generated password is printed once."""
    scope = _scope(args, args.township, "--township") if args.township else _scope(args, args.scope)
    password, generated = _password(args)
    account = _accounts(args).add(args.name, role=args.role, scope=scope, password=password, who=cli_user())
    print(f"user {account.name} added: {account.role}, {scope_text(account.scope)}")
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


def cmd_scope(args: argparse.Namespace) -> int:
    """Change the scope of an account; its open sessions end so the new scope holds from the next login."""
    scope = None if args.whole_store else _scope(args, args.code)
    account = _accounts(args).set_scope(args.name, scope=scope, who=cli_user())
    print(f"user {account.name}: {account.role}, {scope_text(account.scope)}; their open sessions end")
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
        print(f"{row.name}  {row.role}  {scope_text(row.scope)}  created {row.created_at}  {state}")
    return 0
