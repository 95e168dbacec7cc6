"""The site-selection report (安置点选址报告) as a document model, for the bulletin's Word and PDF writers.

Pure: a ranking (and optionally its robustness and assignment) in, a
:class:`layers.bulletin_text.BulletinDoc` out, so :func:`layers.bulletin_docx.bulletin_docx`
and :func:`layers.bulletin_pdf.bulletin_pdf` render it as they render the bulletin. The
suitability map is a :class:`layers.print_views.PrintedMap`: the score cut into classes
(cell squares merged per class), the candidates filled in their rank colours and outlined
and labelled with their ids. Movers appear only as counts per village: no names, no IDs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analytics.ahp import consistency
from analytics.site_assignment import Assignment
from analytics.site_robustness import QUANTILES, Robustness
from analytics.sites import MoverPlan, SiteModel, SiteResult
from analytics.suitability import CRITERIA, UNITS
from layers.bulletin_text import BulletinDoc, Section, Table
from layers.i18n import t
from layers.print_views import PrintedMap
from layers.site_map import EXCLUDED_RGBA, RANK_COLOURS, SURFACE_STOPS
from layers.site_text import assignment_rows, criterion_label, reasons, robustness_rows, travel_text


@dataclass(frozen=True)
class SiteReport:
    """Everything the report says: the run, its options' extras (None when not asked) and where it is."""

    model: SiteModel
    plan: MoverPlan
    result: SiteResult
    judgements: np.ndarray | None  # the planner's AHP matrix; None when the weights were given directly
    robustness: Robustness | None
    assignment: Assignment | None
    county: str
    made: dt.date


def report_doc(r: SiteReport, *, lang: str = "zh") -> BulletinDoc:
    """The report's text: title block, nine sections, the signature."""
    s = r.model.settings
    issuer = t("bulletin_issuer", lang, county=r.county, issuer=s.print.issuer)
    sections = [
        _purpose(r, lang),
        _criteria(r, lang),
        _ahp(r, lang),
        _weights(r, lang),
        _exclusions(r, lang),
        Section(t("site_report_h_map", lang), [t("site_report_map_note", lang)], maps=True),
        _top_sites(r, lang),
        _explanations(r, lang),
        _assignment(r, lang),
    ]
    return BulletinDoc(
        issuer=issuer,
        title=t("site_report_title", lang),
        issue=t("site_report_issue", lang, date=f"{r.made:%Y-%m-%d}"),
        number=t("site_report_for", lang),
        sections=sections,
        signature=[issuer, f"{r.made:%Y-%m-%d}"],
    )


def _purpose(r: SiteReport, lang: str) -> Section:
    origins = r.plan.origins.table
    text = t(
        "site_report_purpose",
        lang,
        households=r.result.households,
        movers=len(r.plan.movers),
        villages=len(origins),
        per_site=r.result.per_site or r.result.households,
        ha=f"{r.result.needed_m2 / 1e4:.2f}",
    )
    rows = [[str(row["name"] or row["village_code"]), f"{int(row['households'])}"] for _, row in origins.iterrows()]
    header = [t("site_report_col_village", lang), t("site_report_col_households", lang)]
    return Section(t("site_report_h_purpose", lang), [text], Table(header, rows, [3, 1.5]))


def _criteria(r: SiteReport, lang: str) -> Section:
    ramps = r.model.settings.sites.value_ramps
    rows = [
        [criterion_label(c, lang), UNITS[c], f"{ramps[c][0]:g}", f"{ramps[c][1]:g}", f"{r.result.weights[c]:.3f}"]
        for c in CRITERIA
    ]
    header = [t(f"site_report_col_{k}", lang) for k in ("criterion", "unit", "full", "zero", "weight")]
    return Section(
        t("site_report_h_criteria", lang), [t("site_report_ramp", lang)], Table(header, rows, [2, 1, 1.4, 1.4, 1.2])
    )


def _ahp(r: SiteReport, lang: str) -> Section:
    """The planner's pairwise matrix, or — for weights given directly — the consistent matrix of their ratios."""
    w = np.array([r.result.weights[c] for c in CRITERIA])
    given = r.judgements is not None
    matrix = r.judgements if given else w[:, None] / np.where(w[None, :] > 0, w[None, :], np.nan)
    matrix = np.nan_to_num(np.asarray(matrix, float), nan=0.0)
    cr = consistency(CRITERIA, matrix).cr if given else 0.0
    limit = r.model.settings.sites.ahp_cr_limit
    texts = [
        t("site_report_ahp_given" if given else "site_report_ahp_derived", lang),
        t("site_report_cr", lang, cr=f"{cr:.3f}", limit=f"{limit:g}"),
    ]
    names = [criterion_label(c, lang) for c in CRITERIA]
    rows = [[names[i], *(_ratio(v) for v in matrix[i])] for i in range(len(CRITERIA))]
    table = Table(["", *names], rows, [1.6] + [1.0] * len(CRITERIA))
    return Section(t("site_report_h_ahp", lang), texts, table)


def _ratio(v: float) -> str:
    """A judgement as planners write it: 3, 1/3, 1 (non-integer ratios with two decimals)."""
    if v <= 0:
        return "—"
    if abs(v - round(v)) < 1e-6:
        return f"{round(v)}"
    inv = 1 / v
    return f"1/{round(inv)}" if v < 1 and abs(inv - round(inv)) < 1e-6 else f"{v:.2f}"


def _weights(r: SiteReport, lang: str) -> Section:
    order = sorted(CRITERIA, key=lambda c: -r.result.weights[c])
    rows = [[criterion_label(c, lang), f"{r.result.weights[c] * 100:.1f}%"] for c in order]
    header = [t("site_report_col_criterion", lang), t("site_report_col_weight_share", lang)]
    return Section(t("site_report_h_weights", lang), [t("site_report_weights", lang)], Table(header, rows, [2, 1]))


def _exclusions(r: SiteReport, lang: str) -> Section:
    land = r.model.land
    inside = land.inside
    out = inside & np.isnan(r.result.score)
    share = float(out.sum() / max(inside.sum(), 1))
    c = r.result.constraints
    text = t(
        "site_report_exclusions",
        lang,
        slope=f"{c.get('slope_limit_deg', r.model.settings.sites.slope_limit_deg):g}",
        buffer=f"{c.get('hazard_buffer_m', r.model.settings.sites.hazard_buffer_m):g}",
        share=f"{share * 100:.1f}",
        cell=f"{land.grid.cell:g}",
    )
    return Section(t("site_report_h_exclusions", lang), [text])


def _top_sites(r: SiteReport, lang: str) -> Section:
    cands = r.result.candidates
    heading = t("site_report_h_sites", lang)
    if cands.empty:
        return Section(heading, [t("site_report_no_site", lang)])
    rows = [
        [
            f"{int(row['rank'])}",
            str(row["site_id"]),
            f"{row['score']:.1f}",
            str(row["village_name"]),
            f"{row['area_ha']:.1f}",
            f"{int(row['capacity'])}",
            "—" if pd.isna(row["minutes_mean"]) else f"{row['minutes_mean']:.0f}",
        ]
        for _, row in cands.iterrows()
    ]
    keys = ("rank", "site", "score", "village_name", "area", "capacity", "minutes")
    header = [t(f"site_report_col_{k}", lang) for k in keys]
    return Section(heading, [], Table(header, rows, [0.8, 0.9, 1, 2, 1.1, 1.1, 1.3]))


def _explanations(r: SiteReport, lang: str) -> Section:
    cands = r.result.candidates
    heading = t("site_report_h_explain", lang)
    if cands.empty:
        return Section(heading, [t("site_report_no_site", lang)])
    texts = [
        f"{sid}：{why}" if lang == "zh" else f"{sid}: {why}"
        for sid, why in zip(cands["site_id"], reasons(cands, lang), strict=True)
    ]
    if r.robustness is None:
        return Section(heading, [*texts, t("site_report_no_sensitivity", lang)])
    rob = r.robustness
    low, high = (f"{q * 100:g}" for q in QUANTILES)
    texts.append(t("site_report_sensitivity", lang, draws=rob.draws, method=rob.method, low=low, high=high))
    table = robustness_rows(rob, lang)
    rows = [[str(v) for v in row] for row in table.itertuples(index=False)]
    header = [t(f"site_report_col_{k}", lang) for k in ("site", "p_top1", "p_top3", "rank_range")]
    return Section(heading, texts, Table(header, rows, [1, 1, 1, 1.2]))


def _assignment(r: SiteReport, lang: str) -> Section:
    heading = t("site_report_h_assignment", lang)
    if r.assignment is None:
        texts = [t("site_report_no_assignment", lang)]
        if not r.result.candidates.empty:
            first = str(r.result.candidates["site_id"].iloc[0])
            texts.append(
                t("site_report_travel_first", lang, site=first, travel=travel_text(r.result.travel, first, lang))
            )
        return Section(heading, texts)
    a = r.assignment
    whole = "、".join(a.whole_villages) if lang == "zh" else ", ".join(a.whole_villages)
    text = t("site_report_assignment", lang, count=len(a.sites), status=a.status, whole=whole or t("none", lang))
    table = assignment_rows(a, lang)
    rows = [[str(v) for v in row] for row in table.itertuples(index=False)]
    keys = ("site", "households", "capacity", "village_count", "village_names", "min_mean", "min_max")
    header = [t(f"site_report_col_{k}", lang) for k in keys]
    return Section(heading, [text], Table(header, rows, [0.9, 1, 1, 0.9, 2.6, 1.1, 1.1]))


def _hex(rgb: tuple[int, ...]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def suitability_map(r: SiteReport, *, lang: str, classes: int = len(SURFACE_STOPS)) -> PrintedMap:
    """The score in ``classes`` equal bands (p5 to best, as on /sites), the excluded land grey, the candidates on top.

    Cell squares are merged per band, so the PDF draws a few polygons rather than every cell;
    the candidates are the map's outlined, labelled units (S1 …), in their rank colours.
    """
    land = r.model.land
    grid = land.grid
    score = r.result.score.ravel()
    inside = land.inside.ravel()
    finite = score[np.isfinite(score)]
    low, high = (float(np.percentile(finite, 5)), float(finite.max())) if finite.size else (0.0, 1.0)
    band = np.full(score.shape, -1)
    ok = np.isfinite(score) & inside
    band[ok] = np.clip(((score[ok] - low) / max(high - low, 1e-9) * classes).astype(int), 0, classes - 1)
    geoms, colours, legend = [], [], []
    edges = np.linspace(low, high, classes + 1) * 100
    for k in range(classes):
        cells = np.flatnonzero(band == k)
        if cells.size:
            geoms.append(shapely.coverage_union_all(grid.cell_boxes(cells)))
            colours.append(_hex(SURFACE_STOPS[k]))
        legend.append((_hex(SURFACE_STOPS[k]), f"{t('suitability', lang)} {edges[k]:.0f}–{edges[k + 1]:.0f}"))
    cells = np.flatnonzero(inside & ~np.isfinite(score))
    grey = _hex(tuple(int(255 - (255 - v) * EXCLUDED_RGBA[3] / 255) for v in EXCLUDED_RGBA[:3]))
    if cells.size:
        geoms.append(shapely.coverage_union_all(grid.cell_boxes(cells)))
        colours.append(grey)
    legend.append((grey, t("excluded", lang)))
    sites = r.result.candidates.to_crs(grid.epsg) if len(r.result.candidates) else None
    site_colours = [RANK_COLOURS[i % len(RANK_COLOURS)] for i in range(0 if sites is None else len(sites))]
    if sites is not None:
        geoms.extend(sites.geometry)
        colours.extend(site_colours)
        legend.append((site_colours[0], t("site_report_legend_sites", lang)))
    units = gpd.GeoDataFrame({"code": [""] * len(geoms), "name": [""] * len(geoms)}, geometry=geoms, crs=grid.epsg)
    towns = (
        gpd.GeoDataFrame({"name": list(sites["site_id"])}, geometry=list(sites.geometry), crs=grid.epsg)
        if sites is not None
        else gpd.GeoDataFrame({"name": []}, geometry=[], crs=grid.epsg)
    )
    return PrintedMap(units, colours, towns, t("site_report_legend", lang), legend, label_units=False)
