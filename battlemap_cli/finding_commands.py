"""``battlemap inspections`` steps of a finding's rectification (整改销号): rectifying … close, list, history, photo.

Each step calls :func:`geodata.private.findings.advance_finding`: a step out of order,
an unknown finding or a bad photo is refused (exit 2) and nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pandas as pd

from analytics.findings import finding_ledger
from battlemap_cli.analysis_commands import _date
from geodata._errors import InputError
from geodata.finding_steps import STATUSES
from geodata.private.db import cli_user
from geodata.private.findings import advance_finding, finding_steps, step_photo
from geodata.private.photos import photo_suffix
from geodata.settings import get_settings
from geodata.store import open_store

# sub-command: (status it moves to, help, the date option's name)
STEPS = {
    "rectifying": ("rectifying", "the township reports what it did (整改中), with --note and optional --photo", "--on"),
    "rectified": ("rectified", "the township reports the finding rectified (已整改)", "--on"),
    "verify": ("verified", "a follow-up visit (回访) saw it rectified", "--visit-date"),
    "close": ("closed", "close the finding (销号) after its follow-up visit", "--on"),
}


def register_steps(isub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the step, ``list``, ``history`` and ``photo`` actions under ``battlemap inspections``."""
    for action, (status, text, date_option) in STEPS.items():
        aliases = ["rectify"] if action == "rectified" else []  # the command's name before the steps
        p = isub.add_parser(action, parents=[common], help=text, aliases=aliases)
        p.add_argument("inspection_id", help="e.g. DC00042")
        p.add_argument(date_option, dest="on", type=_date, default=None, help="date of the step (default: today)")
        p.add_argument("--note", default=None, help="what was done (整改情况); required for rectifying")
        if status in ("rectifying", "verified"):
            p.add_argument("--photo", type=Path, default=None, help="a JPEG or PNG photo as evidence")
        p.add_argument("--user", default=None, help="who records it (default: cli:OS user)")
        p.set_defaults(func=cmd_step, status=status)
    p = isub.add_parser("list", parents=[common], help="the findings and where each stands (整改台账)")
    p.add_argument("--as-of", type=_date, default=None, help="status on this date (default: today)")
    p.add_argument("--status", choices=STATUSES, default=None, help="only findings at this step")
    p.add_argument("--overdue", action="store_true", help="only findings past their deadline, not rectified")
    p.add_argument("--unverified", action="store_true", help="only rectified findings without a follow-up visit")
    p.add_argument("--township", default=None, help="only this responsible township (9-digit code)")
    p.set_defaults(func=cmd_list)
    p = isub.add_parser("history", parents=[common], help="the recorded steps of a finding: who, when, what")
    p.add_argument("inspection_id")
    p.set_defaults(func=cmd_history)
    p = isub.add_parser("photo", parents=[common], help="write a step's photo to a file (audited)")
    p.add_argument("inspection_id")
    p.add_argument("name", help="the photo's name, as `history` lists it")
    p.add_argument("--out", type=Path, required=True, help="file to write")
    p.add_argument("--user", default=None, help="who opens it (default: cli:OS user)")
    p.set_defaults(func=cmd_photo)


def cmd_step(args: argparse.Namespace) -> int:
    """Move one finding a step on."""
    store = open_store(args.store)
    photo = _read_photo(getattr(args, "photo", None))
    on = args.on or dt.date.today()
    advance_finding(
        store, args.inspection_id, args.status, on=on, who=args.user or cli_user(), note=args.note, photo=photo
    )
    print(f"{args.inspection_id} {args.status} on {on}")
    return 0


def _read_photo(path: Path | None) -> bytes | None:
    """The photo file's bytes, checked (type and size) before any work; None without one."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"--photo {path}: cannot be read ({exc.strerror or exc})"
        raise InputError(msg) from exc
    try:
        photo_suffix(data)
    except InputError as exc:
        msg = f"--photo {path}: {exc}"
        raise InputError(msg) from exc
    return data


def cmd_list(args: argparse.Namespace) -> int:
    """Print the ledger, filtered."""
    store = open_store(args.store)
    as_of = args.as_of or dt.date.today()
    ledger = finding_ledger(store.read_or_none("inspections"), as_of=as_of, settings=get_settings())
    if ledger is None:
        print(f"no data: {store.label} has no inspections layer")
        return 0
    if args.status:
        ledger = ledger[ledger["status"] == args.status]
    if args.overdue:
        ledger = ledger[ledger["overdue"]]
    if args.unverified:
        ledger = ledger[ledger["unverified"]]
    if args.township:
        ledger = ledger[ledger["town_code"] == args.township]
    for _, row in ledger.iterrows():
        late = "  OVERDUE" if row["overdue"] else ""
        category = "—" if row["category"] is None or pd.isna(row["category"]) else row["category"]
        print(
            f"{row['inspection_id']}  {row['date']}  {row['village_code']}  {row['town_code']}  {category}  "
            f"{row['status']}  due {row['deadline']}{late}  {row['finding']}"
        )
    print(f"{len(ledger)} finding(s) on {as_of}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """Print the steps recorded for one finding."""
    steps = finding_steps(open_store(args.store), args.inspection_id)
    for _, row in steps.iterrows():
        photo = f"  photo {row['photo']}" if row["photo"] else ""
        note = f"  {row['note']}" if row["note"] else ""
        step = f"{row['status_before']} → {row['status']}"
        print(f"{row['on_date']}  {step}  by {row['who']} at {row['at']}{photo}{note}")
    print(f"{len(steps)} step(s) recorded for {args.inspection_id}")
    return 0


def cmd_photo(args: argparse.Namespace) -> int:
    """Write one step photo to ``--out`` (the command line acts as an admin; the opening is audited)."""
    store = open_store(args.store)
    data = step_photo(store, args.inspection_id, args.name, who=args.user or cli_user(), admin=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
    return 0
