"""``battlemap route`` (plan an unannounced inspection) and ``battlemap inspections`` (findings and 销号)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from analytics import prepare_records
from analytics.inspection_plan import parse_lonlat, plan_inspection, route_context
from battlemap_cli.analysis_commands import _date, read_inputs
from battlemap_cli.finding_commands import register_steps
from geodata._errors import InputError
from geodata.private.findings import add_finding
from geodata.private.plan_store import PlanStore
from geodata.settings import get_settings
from geodata.store import open_store, os_user
from layers.checklist import warning_text
from layers.geometry import browser_polygons
from layers.route_export import plan_gpx, plan_html, plan_json
from layers.route_kml import plan_kml, plan_kmz
from layers.route_sheet import route_sheet_pdf

WRITERS = {".gpx": "gpx", ".html": "html", ".htm": "html", ".json": "json", ".kml": "kml", ".kmz": "kmz", ".pdf": "pdf"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add ``route`` and ``inspections`` to the parser."""
    p = sub.add_parser("route", parents=[common], help="draw and route an unannounced inspection (四不两直暗访)")
    p.add_argument("--date", type=_date, required=True, help="first day of the inspection, YYYY-MM-DD")
    p.add_argument("--stops", type=int, default=None, help="villages to draw (default: settings route.stops)")
    p.add_argument("--days", type=int, default=1, help="days to spread the stops over (default 1)")
    p.add_argument("--hours", type=float, default=None, help="time budget per day (default: settings route.day_hours)")
    p.add_argument("--start", default=None, help="start as LON,LAT (default: the county seat)")
    p.add_argument("--seed", type=int, default=None, help="reproducible draw (default: unpredictable OS randomness)")
    p.add_argument("--no-return", action="store_true", help="the day ends at the last stop")
    p.add_argument(
        "--overnight",
        action="store_true",
        help="with --days N: every day but the last ends at a township government (乡镇政府), the next starts there",
    )
    p.add_argument(
        "--out",
        action="append",
        default=[],
        help="write FILE.gpx, .html, .json, .kml, .kmz or .pdf (a route sheet per day); repeatable",
    )
    p.add_argument("--gpx", help="also write GPX here")
    p.add_argument("--html", help="also write the standalone HTML map and checklist here")
    p.add_argument("--json", help="also write the plan as JSON here")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the HTML checklist and GPX names")
    p.add_argument("--user", default=None, help="owner of the plan (default: the OS user)")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("inspections", parents=[common], help="record inspection findings and tick them off (销号)")
    isub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = isub.add_parser("add", parents=[common], help="record a visit and its finding in the inspections layer")
    a.add_argument("--date", type=_date, required=True, help="date of the visit, YYYY-MM-DD")
    a.add_argument("--team", default=None, help="work team id (its village is taken from the teams layer)")
    a.add_argument("--village", default=None, help="12-digit village code")
    a.add_argument("--household", default=None, help="household id, for a home visit")
    a.add_argument("--finding", default=None, help="the problem found (发现问题); omit when nothing was found")
    a.add_argument("--inspector", default=None, help="who inspected (default: --user)")
    a.add_argument("--category", default=None, help="check category of the finding ([findings] categories)")
    a.add_argument("--deadline", type=_date, default=None, help="rectify by (default: [findings] deadline_days)")
    a.add_argument("--township", default=None, help="responsible township code (default: the village's)")
    a.add_argument("--user", default=None, help="who records it (default: the OS user)")
    a.set_defaults(func=cmd_inspections_add)
    register_steps(isub, common)


def _outputs(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """(format, path) of every requested output; an unknown suffix is refused before any work."""
    outs = [(kind, Path(p)) for kind, p in (("gpx", args.gpx), ("html", args.html), ("json", args.json)) if p]
    for name in args.out:
        kind = WRITERS.get(Path(name).suffix.lower())
        if kind is None:
            msg = f"--out {name}: the suffix must be one of {', '.join(WRITERS)}"
            raise InputError(msg)
        outs.append((kind, Path(name)))
    return outs


def cmd_route(args: argparse.Namespace) -> int:
    """Draw, route, store the plan for its owner (audited) and write the requested files."""
    outputs = _outputs(args)
    start = parse_lonlat(args.start) if args.start else None
    settings = get_settings()
    owner = args.user or os_user()
    store = open_store(args.store)
    with tqdm(total=4, desc="route", unit="step", file=sys.stderr, leave=False) as bar:
        layers = read_inputs(args.store)
        _step(bar, "read")
        records = prepare_records(layers, as_of=args.date, settings=settings)
        context = route_context(layers["villages"], layers.get("roads"), layers.get("facilities"), records, settings)
        _step(bar, "prepared")
        plan = plan_inspection(
            records,
            context,
            date=args.date,
            stops=args.stops,
            days=args.days,
            start=start,
            seed=args.seed,
            hours=args.hours,
            return_to_start=False if args.no_return else None,
            overnight=args.overnight,
            settings=settings,
        )
        _step(bar, "routed")
        plans = PlanStore.beside(store)
        plan = plans.save(plan, owner=owner)
        plan_id = plan["plan_id"]
        _step(bar, "stored")
    outlines = browser_polygons(layers["villages"][["geometry"]])
    texts = {
        "gpx": lambda p: plan_gpx(p, args.lang),
        "json": plan_json,
        "html": lambda p: plan_html(p, args.lang, basemap=settings.map, outlines=outlines),
        "kml": lambda p: plan_kml(p, args.lang),
        "kmz": lambda p: plan_kmz(p, args.lang),
        "pdf": lambda p: route_sheet_pdf(p, args.lang),
    }
    for kind, path in outputs:
        content = texts[kind](plan)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        plans.audit(who=owner, action=f"route:export:{kind}", target=plan_id, detail={"file": str(path)})
    _print_plan(plan)
    for kind, path in outputs:
        print(f"wrote {path} ({kind})")
    return 0


def _step(bar: tqdm, label: str) -> None:  # type: ignore[type-arg]
    bar.set_postfix_str(label)
    bar.update(1)


def _print_plan(plan: dict) -> None:
    """A short text summary: each day, each stop with its times, what did not fit, warnings."""
    seed = plan["seed"] if plan["seed"] is not None else "none (OS randomness)"
    print(f"plan {plan['plan_id']} for {plan['owner']}, from {plan['date']}, seed {seed}")
    for day in plan["day_summary"]:
        print(
            f"day {day['day']} ({day['date']}): {day['stops']} stops, {day['distance_km']} km, "
            f"{day['travel_h']} h driving, back/ends {day['end'][-5:]}"
            + (f", night at {day['end_place']['name']}" if plan.get("overnight") and day["day"] < plan["days"] else "")
        )
        for s in (s for s in plan["stops"] if s["day"] == day["day"]):
            teams = ",".join(t["team_id"] for t in s["teams"]) or "-"
            print(
                f"  {s['number']:>2}. {s['arrive'][-5:]}–{s['depart'][-5:]} {s['village_code']} {s['village']} "
                f"team {teams}{' (due this cycle)' if s['forced'] else ''}"
            )
    if plan["unfitted"]:
        print("do not fit: " + ", ".join(f"{s['village_code']} {s['village']}" for s in plan["unfitted"]))
    for w in plan["warnings"]:
        print(f"note: {warning_text(w, 'en')}")


def cmd_inspections_add(args: argparse.Namespace) -> int:
    """Append one inspection (validated like an import) to the store."""
    store = open_store(args.store)
    who = args.user or os_user()
    new_id = add_finding(
        store,
        date=args.date,
        team_id=args.team,
        village_code=args.village,
        household_id=args.household,
        finding=args.finding,
        inspector=args.inspector,
        who=who,
        category=args.category,
        deadline=args.deadline,
        township_code=args.township,
    )
    print(f"recorded {new_id} in {store.label}" + ("" if args.finding else " (no finding)"))
    return 0
