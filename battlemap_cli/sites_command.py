"""``battlemap sites``: rank relocation sites (易地搬迁安置点) for the households the rule (and you) choose."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from tqdm import tqdm

from analytics.ahp import ahp_weights, pairwise_matrix
from analytics.site_assignment import Assignment, assign_movers, parse_capacities, with_assignment
from analytics.site_robustness import METHODS, Robustness, site_robustness, with_robustness
from analytics.sites import (
    CRITERIA,
    SITE_LAYERS,
    MoverPlan,
    Selection,
    SiteModel,
    SiteResult,
    build_site_model,
    plan_movers,
    rank_sites,
)
from battlemap_cli._files import write_text
from battlemap_cli.sites_audit import run_audit
from battlemap_cli.sites_report import check_reports, county_of, write_reports
from geodata._errors import InputError
from geodata.io.spreadsheet import safe_csv
from geodata.settings import Settings, get_settings
from geodata.store import open_store

FORMATS = (".geojson", ".json", ".csv", ".html")
STAGES = ("read", "terrain", "constraints", "road graph", "criteria", "movers", "ranked", "written")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the command to the parser."""
    p = sub.add_parser("sites", parents=[common], help="rank relocation sites for the households to move")
    p.add_argument(
        "--households",
        type=int,
        default=None,
        help="house this many households (the rule's first N by priority); default: all the rule proposes",
    )
    p.add_argument("--top", type=int, default=None, help="number of candidate sites (default: settings sites.top_k)")
    p.add_argument(
        "--out",
        action="append",
        default=[],
        metavar="FILE",
        help="write the candidates: .geojson, .csv or .html (standalone map); may be repeated",
    )
    p.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="CRITERION=W",
        help=f"override a weight, e.g. clinic=0.3; criteria: {', '.join(CRITERIA)}",
    )
    p.add_argument("--slope-limit", type=float, default=None, help="degrees (default: settings sites.slope_limit_deg)")
    p.add_argument("--hazard-buffer", type=float, default=None, help="metres (default: settings sites.hazard_buffer_m)")
    p.add_argument("--add-village", action="append", default=[], metavar="CODE", help="move this whole village too")
    p.add_argument("--drop-village", action="append", default=[], metavar="CODE", help="leave this village out")
    p.add_argument("--add-household", action="append", default=[], metavar="ID", help="move this household too")
    p.add_argument("--drop-household", action="append", default=[], metavar="ID", help="leave this household out")
    p.add_argument(
        "--judgement",
        action="append",
        default=[],
        metavar="A:B=V",
        help="AHP pairwise judgement: A is V times as important as B on Saaty's scale (e.g. road:clinic=3, "
        "clinic:road=1/3); given any, the weights are the AHP weights, refused above [sites] ahp_cr_limit",
    )
    p.add_argument(
        "--sensitivity",
        type=int,
        default=None,
        metavar="N",
        help="rank robustness over N weight draws: p_top1, p_top3, rank_p05, rank_p95 per site and a tornado",
    )
    p.add_argument(
        "--sensitivity-method",
        choices=list(METHODS),
        default=None,
        help="how weights are drawn (default: settings sites.sensitivity_method)",
    )
    p.add_argument(
        "--sites",
        type=int,
        default=None,
        metavar="K",
        help="choose up to K of the candidates together and assign the movers to them (whole villages kept together)",
    )
    p.add_argument(
        "--capacity",
        action="append",
        default=[],
        metavar="SITE=N",
        help="capacity of a candidate in households (default: from its area), e.g. S2=60; with --sites",
    )
    p.add_argument(
        "--audit",
        action="store_true",
        help="audit the relocation sites already built instead (hazards, slope, services, occupancy, follow-up); "
        "--out FILE.csv|.geojson",
    )
    p.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FILE",
        help="write the site-selection report for the planning meeting: .docx or .pdf (A4, fonts embedded); "
        "may be repeated",
    )
    p.add_argument(
        "--lang", choices=["zh", "en"], default="zh", help="language of reasons, the HTML map and the report"
    )
    p.set_defaults(func=cmd_sites)


def _weights(pairs: list[str], defaults: dict[str, float]) -> dict[str, float]:
    weights = dict(defaults)
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in CRITERIA:
            msg = f"--weight {pair!r}: unknown criterion {name!r}; criteria are {', '.join(CRITERIA)}"
            raise InputError(msg)
        try:
            weights[name] = float(value)
        except ValueError as exc:
            msg = f"--weight {pair!r}: the weight must be a number, e.g. {name}=0.2"
            raise InputError(msg) from exc
    return weights


def _judgements(pairs: list[str]) -> np.ndarray | None:
    """The pairwise matrix of ``--judgement A:B=V`` options (None when there are none)."""
    if not pairs:
        return None
    out: dict[tuple[str, str], float] = {}
    for pair in pairs:
        names, _, value = pair.partition("=")
        a, _, b = names.partition(":")
        unknown = [c for c in (a, b) if c not in CRITERIA]
        if unknown or a == b:
            msg = f"--judgement {pair!r}: give two different criteria as A:B=V; criteria are {', '.join(CRITERIA)}"
            raise InputError(msg)
        num, _, den = value.partition("/")
        try:
            out[(a, b)] = float(num) / float(den or 1)
        except (ValueError, ZeroDivisionError) as exc:
            msg = f"--judgement {pair!r}: V must be a number on Saaty's scale 1/9 … 9, e.g. {a}:{b}=3 or {a}:{b}=1/3"
            raise InputError(msg) from exc
    return pairwise_matrix(CRITERIA, out)


def _check_counts(args: argparse.Namespace, settings: Settings) -> None:
    """Refuse impossible numbers before any work."""
    s = settings.sites
    if args.audit and (args.sites or args.sensitivity):
        msg = "--audit reviews the sites already built: leave out --sites and --sensitivity"
        raise InputError(msg)
    if args.audit and args.report:
        msg = "--report writes the site-selection report of a new ranking: leave out --audit"
        raise InputError(msg)
    if args.audit and any(Path(o).suffix.lower() == ".html" for o in args.out):
        msg = "--audit writes .csv or .geojson files"
        raise InputError(msg)
    if args.households is not None and args.households < 1:
        msg = f"--households must be at least 1, got {args.households}"
        raise InputError(msg)
    if args.sensitivity is not None and not 1 <= args.sensitivity <= s.max_sensitivity_draws:
        msg = f"--sensitivity must be between 1 and {s.max_sensitivity_draws} draws, got {args.sensitivity}"
        raise InputError(msg)
    top = args.top or s.top_k
    if args.sites is not None and not 1 <= args.sites <= top:
        msg = f"--sites {args.sites}: choose between 1 and the {top} candidates (--top); raise --top for more"
        raise InputError(msg)
    if args.capacity and args.sites is None:
        msg = "--capacity applies to several sites chosen together: give --sites K as well"
        raise InputError(msg)


def _check_outputs(outs: list[str]) -> list[Path]:
    paths = [Path(o) for o in outs]
    bad = [str(p) for p in paths if p.suffix.lower() not in FORMATS]
    if bad:
        msg = f"--out {bad[0]}: unknown format; use a file ending in {', '.join(FORMATS)}"
        raise InputError(msg)
    missing = [str(p.parent) for p in paths if not p.parent.exists()]
    if missing:
        msg = f"--out: folder {missing[0]} does not exist"
        raise InputError(msg)
    return paths


def cmd_sites(args: argparse.Namespace) -> int:
    """Build the model, choose movers, rank sites, print them and write the requested files."""
    settings = get_settings()
    outs = _check_outputs(args.out)
    reports = check_reports(args.report, args.lang)
    _check_counts(args, settings)
    weights = _weights(args.weight, settings.sites.weights)
    judgements = _judgements(args.judgement)
    if judgements is not None:
        weights = ahp_weights(CRITERIA, judgements, limit=settings.sites.ahp_cr_limit).weights
    typed = parse_capacities(args.capacity)
    store = open_store(args.store)
    if not store.exists() or not store.has("villages"):
        msg = f"{store.label} has no villages layer: import villages (or run `battlemap demo`) first"
        raise InputError(msg)
    if args.audit:
        return run_audit(store, settings, outs, args.lang)
    with tqdm(total=len(STAGES), desc="sites", unit="step", file=sys.stderr, leave=False) as bar:

        def step(label: str) -> None:
            bar.set_postfix_str(label)
            bar.update(1)

        layers = {name: frame for name in SITE_LAYERS if (frame := store.read_or_none(name)) is not None}
        step("read")
        model = build_site_model(layers, settings=settings, progress=step)
        selection = Selection(
            households=args.households,
            add_households=tuple(args.add_household),
            drop_households=tuple(args.drop_household),
            add_villages=tuple(args.add_village),
            drop_villages=tuple(args.drop_village),
        )
        plan = plan_movers(model, selection)
        step("movers")
        if plan.movers.empty and (not args.households or args.sites):
            msg = "nobody to move: the movers list is empty; give --households N or --add-village CODE"
            raise InputError(msg)
        result = rank_sites(
            model,
            plan,
            weights=weights,
            slope_limit_deg=args.slope_limit,
            hazard_buffer_m=args.hazard_buffer,
            top_k=args.top,
            sites=args.sites or 1,
        )
        extra = _extras(model, plan, result, args, judgements, typed)
        step("ranked")
        for path in outs:
            _write(path, model, plan, result, extra, lang=args.lang, hazards=layers.get("hazards"))
        if reports:
            from layers.site_report import SiteReport  # noqa: PLC0415 - layers only when writing

            report = SiteReport(
                model, plan, result, judgements, extra.robustness, extra.assignment, county_of(store), dt.date.today()
            )
            write_reports(reports, report, lang=args.lang)
        step("written")
    _print(result, plan, args.lang)
    _print_extras(extra, args.lang)
    for path in [*outs, *reports]:
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


@dataclass(frozen=True)
class Extras:
    """What ``--sensitivity`` and ``--sites`` add to a ranking (None when not asked)."""

    robustness: Robustness | None
    assignment: Assignment | None


def _extras(  # noqa: PLR0917 - the ranking and the options that extend it
    model: SiteModel,
    plan: MoverPlan,
    result: SiteResult,
    args: argparse.Namespace,
    judgements: np.ndarray | None,
    typed: dict[str, float],
) -> Extras:
    robustness = (
        site_robustness(
            model, plan, result, draws=args.sensitivity, method=args.sensitivity_method, judgements=judgements
        )
        if args.sensitivity
        else None
    )
    assignment = assign_movers(model, plan, result, k=args.sites, capacity=typed) if args.sites else None
    return Extras(robustness, assignment)


def _write(
    path: Path,
    model: SiteModel,
    plan: MoverPlan,
    result: SiteResult,
    extra: Extras,
    *,
    lang: str,
    hazards: gpd.GeoDataFrame | None,
) -> None:
    """Write one output through a temporary file, so a failure leaves no half-written file."""
    from layers.site_text import export_table, geojson_dict  # noqa: PLC0415 - layers only when writing

    suffix = path.suffix.lower()
    cands = with_assignment(with_robustness(result.candidates, extra.robustness), extra.assignment)
    if suffix in (".geojson", ".json"):
        data = geojson_dict(cands, result.travel, lang, robustness=extra.robustness, assignment=extra.assignment)
        text = json.dumps(data, ensure_ascii=False, indent=1)
    elif suffix == ".csv":
        text = safe_csv(export_table(cands, result.travel, lang), index=False)
    else:
        text = _html(model, plan, result, extra, lang=lang, hazards=hazards)
    write_text(path, text)


def _html(
    model: SiteModel,
    plan: MoverPlan,
    result: SiteResult,
    extra: Extras,
    *,
    lang: str,
    hazards: gpd.GeoDataFrame | None,
) -> str:
    from layers.i18n import t  # noqa: PLC0415 - Folium only when asked
    from layers.site_map import SiteView, origins_lonlat, sites_html  # noqa: PLC0415

    land = model.land
    flows = extra.assignment.flows if extra.assignment is not None else None
    origins = origins_lonlat(plan.origins.table, land.grid.epsg)
    view = SiteView(result, land.grid, land.inside, origins, lang, flows=flows)
    title = f"{t('sites_title', lang)} · {result.households}"
    return sites_html(view, title=title, hazards=hazards, basemap=get_settings().map)


def _sized(result: SiteResult) -> str:
    """Whom each candidate is sized for: all the households, or a share of them when sites are several."""
    if result.per_site and result.per_site != result.households:
        return f"each site, sized for {result.per_site} of the {result.households} households,"
    return f"site for {result.households} households"


def _print(result: SiteResult, plan: MoverPlan, lang: str) -> None:
    from layers.site_text import reasons  # noqa: PLC0415

    movers = plan.movers
    print(
        f"{len(movers)} households to move from {movers['village_code'].nunique() if len(movers) else 0} villages; "
        f"{_sized(result)} needs {result.needed_m2 / 1e4:.2f} ha ({result.cells_needed} cells)"
    )
    cands = result.candidates
    if cands.empty:
        print("no site fits: relax --slope-limit / --hazard-buffer or house fewer households", file=sys.stderr)
        return
    table = pd.DataFrame(
        {
            "rank": cands["rank"],
            "site": cands["site_id"],
            "score": cands["score"].round(1),
            "village": cands["village_name"],
            "ha": cands["area_ha"].round(1),
            "capacity": cands["capacity"],
            "min_mean": cands["minutes_mean"].round(0),
            "why": reasons(cands, lang),
        }
    )
    print(table.to_string(index=False))


def _print_extras(extra: Extras, lang: str) -> None:
    from layers.site_text import assignment_rows, robustness_rows, tornado_rows  # noqa: PLC0415

    if extra.robustness is not None:
        r = extra.robustness
        print(f"\nrank robustness over {r.draws} weight draws ({r.method}):")
        print(robustness_rows(r, lang).to_string(index=False))
        print("\nfirst site holds while each weight stays within (one at a time):")
        print(tornado_rows(r, lang).to_string(index=False))
    if extra.assignment is not None:
        a = extra.assignment
        whole = ", ".join(a.whole_villages) or "none"
        print(f"\nassignment ({a.status}; whole-village moves kept together: {whole}):")
        print(assignment_rows(a, lang).to_string(index=False))
