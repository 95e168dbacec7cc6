"""``battlemap sites``: rank relocation sites (易地搬迁安置点) for the households the rule (and you) choose."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
from tqdm import tqdm

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
from geodata._errors import InputError
from geodata.io.spreadsheet import safe_csv
from geodata.settings import get_settings
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
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of reasons and the HTML map")
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
    weights = _weights(args.weight, settings.sites.weights)
    if args.households is not None and args.households < 1:
        msg = f"--households must be at least 1, got {args.households}"
        raise InputError(msg)
    store = open_store(args.store)
    if not store.exists() or not store.has("villages"):
        msg = f"{store.label} has no villages layer: import villages (or run `battlemap demo`) first"
        raise InputError(msg)
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
        if plan.movers.empty and not args.households:
            msg = "nobody to move: the rule proposes no household; give --households N or --add-village CODE"
            raise InputError(msg)
        result = rank_sites(
            model,
            plan,
            weights=weights,
            slope_limit_deg=args.slope_limit,
            hazard_buffer_m=args.hazard_buffer,
            top_k=args.top,
        )
        step("ranked")
        for path in outs:
            _write(path, model, plan, result, lang=args.lang, hazards=layers.get("hazards"))
        step("written")
    _print(result, plan, args.lang)
    for path in outs:
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


def _write(
    path: Path, model: SiteModel, plan: MoverPlan, result: SiteResult, *, lang: str, hazards: gpd.GeoDataFrame | None
) -> None:
    """Write one output through a temporary file, so a failure leaves no half-written file."""
    from layers.site_text import export_table, geojson_dict  # noqa: PLC0415 - layers only when writing

    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        text = json.dumps(geojson_dict(result.candidates, result.travel, lang), ensure_ascii=False, indent=1)
    elif suffix == ".csv":
        text = safe_csv(export_table(result.candidates, result.travel, lang), index=False)
    else:
        text = _html(model, plan, result, lang=lang, hazards=hazards)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if suffix == ".csv" else "utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _html(model: SiteModel, plan: MoverPlan, result: SiteResult, *, lang: str, hazards: gpd.GeoDataFrame | None) -> str:
    from layers.i18n import t  # noqa: PLC0415 - Folium only when asked
    from layers.site_map import SiteView, origins_lonlat, sites_html  # noqa: PLC0415

    land = model.land
    view = SiteView(result, land.grid, land.inside, origins_lonlat(plan.origins.table, land.grid.epsg), lang)
    title = f"{t('sites_title', lang)} · {result.households}"
    return sites_html(view, title=title, hazards=hazards, basemap=get_settings().map)


def _print(result: SiteResult, plan: MoverPlan, lang: str) -> None:
    from layers.site_text import reasons  # noqa: PLC0415

    movers = plan.movers
    print(
        f"{len(movers)} households to move from {movers['village_code'].nunique() if len(movers) else 0} villages; "
        f"site for {result.households} households needs {result.needed_m2 / 1e4:.2f} ha "
        f"({result.cells_needed} cells)"
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
