"""View pieces of the /data page: column mapping, validation report, change summary, data-quality map and list.

Builders take results (a preview, a report, a diff, quality counts) and return Dash
components, AG Grid rows or Plotly figures; nothing here reads the store. Text that came
from a file (headers, values, names) is passed to Dash as text, which escapes it, and
hover cards escape it explicitly. Personal data are masked before they get here, except
report values in personal-data columns, which :func:`report_rows` masks.
"""

from __future__ import annotations

import io
import json
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from openpyxl.styles import Font

from geodata.io.diff import LayerDiff
from geodata.io.preview import CrsHint, Preview
from geodata.io.privacy import MASKERS, mask_name
from geodata.io.report import Report
from geodata.io.spreadsheet import append_as_text
from geodata.schemas import schema
from layers.i18n import LAYER_NAMES, PROBLEM_FIXES, PROBLEM_KINDS, QUALITY_KINDS, pick, t
from layers.unit_map import esc, map_figure

REPORT_FIELDS = ("row", "column", "value", "kind", "fix", "reason", "severity")
QUALITY_COLOURS = ["#f2f2f2", "#fde0c5", "#f9b27a", "#ef7b45", "#c23b22"]


GRID_LOCALE_ZH = {
    "noRowsToShow": "暂无数据",
    "pageSizeSelectorLabel": "每页行数：",
    "page": "第",
    "of": "共",
    "to": "至",
    "more": "更多",
    "loadingOoo": "加载中…",
    "filterOoo": "筛选…",
    "contains": "包含",
    "equals": "等于",
    "notContains": "不包含",
    "notEqual": "不等于",
    "startsWith": "开头是",
    "endsWith": "结尾是",
    "blank": "为空",
    "notBlank": "不为空",
    "andCondition": "且",
    "orCondition": "或",
}


def grid_options(lang: str, **options: Any) -> dict[str, Any]:
    """AG Grid options with its own texts (pager, filters, empty grid) in the page's language."""
    return {**options, "localeText": GRID_LOCALE_ZH} if lang == "zh" else options


def mapping_rows(preview: Preview, lang: str, *, examples: int = 3) -> list[html.Tr]:
    """One row per source header: the header, a dropdown of canonical columns, a few example values."""
    spec = schema(preview.layer)
    options = [{"label": f"— {t('ignore', lang)} —", "value": ""}] + [
        {"label": f"{c.zh} · {c.name}{' *' if c.required else ''}", "value": c.name} for c in spec.columns
    ]
    rows = []
    for i, header in enumerate(preview.headers):
        values = [str(r.get(header, "")) for r in preview.rows[:examples] if r.get(header, "") != ""]
        rows.append(
            html.Tr(
                [
                    html.Td(header, className="source-header"),
                    html.Td(
                        dcc.Dropdown(
                            id={"type": "map-col", "index": i},
                            options=options,
                            value=preview.mapping.get(header, ""),
                            clearable=False,
                            className="map-col",
                        )
                    ),
                    html.Td(" | ".join(values), className="examples"),
                ]
            )
        )
    return rows


def mapping_table(preview: Preview, lang: str) -> html.Table:
    """The column-mapping table with its header row."""
    head = html.Tr([html.Th(t(k, lang)) for k in ("source_column", "maps_to", "examples")])
    return html.Table([html.Thead(head), html.Tbody(mapping_rows(preview, lang))], className="kpi-table mapping")


def preview_grid(preview: Preview, lang: str) -> dict[str, Any]:
    """AG Grid columns and rows for the first rows of the file (headers show the field each maps to)."""
    columns = [
        {"field": f"c{i}", "headerName": f"{h} → {preview.mapping.get(h) or '×'}", "minWidth": 110}
        for i, h in enumerate(preview.headers)
    ]
    rows = [{f"c{i}": r.get(h, "") for i, h in enumerate(preview.headers)} for r in preview.rows]
    return {"columnDefs": columns, "rowData": rows}


def hint_text(hint: CrsHint, chosen: str, lang: str) -> tuple[str, bool]:
    """The coordinate hint in words, and whether the "use the suggestion" button applies."""
    if hint.suggest in ("gcj02", "bd09") and hint.offset_m is not None:
        text = t(
            f"hint_{hint.suggest}", lang, asis=hint.inside["cgcs2000"], best=hint.inside[hint.suggest], m=hint.offset_m
        )
        return text, chosen != hint.suggest
    if hint.suggest == "swap":
        return t("hint_swap", lang), True
    if hint.suggest == "projected" or (hint.suggest and hint.suggest.isdigit()):
        return t("hint_projected", lang), hint.suggest.isdigit() and chosen != hint.suggest
    if hint.inside:
        return t("hint_ok", lang, share=hint.inside["cgcs2000"]), False
    return "", False


def progress_bar(status: dict[str, Any], lang: str) -> list[Any]:
    """The rebuild's progress: a bar with the step, or the outcome."""
    if status["state"] == "done":
        return [html.Div(t("rebuild_done", lang), className="ok-line", id="rebuild-done")]
    if status["state"] == "failed":
        return [html.Div(t("rebuild_failed", lang) + status["error"], className="bad-line", id="rebuild-failed")]
    share = status["step"] / max(status["steps"], 1)
    label = t(f"step_{status['label']}", lang) if status["label"] else ""
    return [
        html.Div(f"{t('rebuild', lang)} {status['step']}/{status['steps']} {label}", className="summary"),
        html.Div(html.Div(className="bar-fill", style={"width": f"{share:.0%}"}), className="bar", id="rebuild-bar"),
    ]


def log_table(log: pd.DataFrame, lang: str, *, last: int = 30) -> html.Table:
    """The newest import-log entries: when, who, action, layer, rows, source, and the change counts."""
    heads = ("log_at", "log_who", "log_action", "log_layer", "log_rows", "log_source", "changes")
    rows = []
    for r in log.iloc[::-1].head(last).itertuples():
        diff = json.loads(r.detail).get("diff") if isinstance(r.detail, str) and r.detail.startswith("{") else None
        change = f"+{diff['added']} −{diff['removed']} ~{diff['changed']}" if diff else ""
        layer = pick(LAYER_NAMES[r.layer], lang) if r.layer in LAYER_NAMES else r.layer
        rows.append(
            html.Tr(
                [
                    html.Td(f"{pd.Timestamp(r.at):%Y-%m-%d %H:%M}"),
                    html.Td(r.who),
                    html.Td(r.action),
                    html.Td(layer),
                    html.Td(r.rows),
                    html.Td(r.source),
                    html.Td(change),
                ]
            )
        )
    head = html.Tr([html.Th(t(h, lang)) for h in heads])
    return html.Table([html.Thead(head), html.Tbody(rows)], className="kpi-table", id="import-log-table")


def report_columns(lang: str) -> list[dict[str, Any]]:
    """Report grid columns: row, column, value, problem, what to do, detail, severity (sortable, filterable)."""
    names = {
        "row": "row",
        "column": "column",
        "value": "cell_value",
        "kind": "problem_kind",
        "fix": "problem_fix",
        "reason": "detail",
        "severity": "severity",
    }
    widths = {"row": 80, "column": 130, "value": 150, "kind": 170, "fix": 280, "reason": 380, "severity": 90}
    return [
        {
            "field": f,
            "headerName": t(names[f], lang),
            "width": widths[f],
            "sortable": True,
            "filter": True,
            **({"type": "numericColumn", "filter": "agNumberColumnFilter"} if f == "row" else {}),
            **({"wrapText": True, "autoHeight": True} if f in ("fix", "reason") else {}),
        }
        for f in REPORT_FIELDS
    ]


def report_rows(report: Report, *, layer: str, mapping: dict[str, str], lang: str, limit: int) -> list[dict]:
    """The report's problems as grid rows (errors first), personal-data values masked."""
    pii = set(schema(layer).pii) | {"helper"}
    header_of = {c: h for h, c in mapping.items() if c}
    rows = []
    for p in (report.errors + report.warnings)[:limit]:
        canonical = mapping.get(p.column or "", p.column)
        column = header_of.get(p.column or "", p.column) if p.column not in mapping else p.column
        value = "" if p.value is None else str(p.value)
        if value and canonical in pii:
            value = str(MASKERS.get(canonical, mask_name)(value))
        rows.append(
            {
                "row": p.row,
                "column": column or "",
                "value": value,
                "kind": pick(PROBLEM_KINDS.get(p.kind, (p.kind, p.kind)), lang),
                "fix": pick(PROBLEM_FIXES[p.kind], lang) if p.kind in PROBLEM_FIXES else "",
                "reason": p.reason,
                "severity": t(f"severity_{p.severity}", lang),
            }
        )
    return rows


def report_summary(report: Report, lang: str, *, shown: int) -> list[Any]:
    """One line saying whether the file can be imported, and how many problems are listed."""
    key = "report_ok" if report.ok else "report_refused"
    text = t(key, lang, rows=report.rows, errors=len(report.errors), warnings=len(report.warnings))
    out: list[Any] = [html.Div(text, className="ok-line" if report.ok else "bad-line", id="report-verdict")]
    if len(report.problems) > shown:
        out.append(html.Div(t("report_shown", lang, n=shown), className="summary"))
    return out


def table_xlsx(rows: list[dict[str, Any]], headers: dict[str, str], *, sheet: str) -> bytes:
    """An xlsx of ``rows`` with the given column headers (bold, frozen, widened)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(list(headers.values()))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        append_as_text(ws, [r.get(k) for k in headers])  # values from uploaded files: never formulas
    for col, key in zip(ws.columns, headers, strict=False):
        width = max([len(str(headers[key]))] + [len(str(r.get(key) or "")) for r in rows[:500]])
        ws.column_dimensions[col[0].column_letter].width = min(60, max(8, width * 1.3))
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def report_xlsx(report: Report, *, layer: str, mapping: dict[str, str], lang: str) -> bytes:
    """The whole validation report as an Excel workbook (same columns as the grid)."""
    rows = report_rows(report, layer=layer, mapping=mapping, lang=lang, limit=len(report.problems))
    headers = {c["field"]: c["headerName"] for c in report_columns(lang)}
    return table_xlsx(rows, headers, sheet=t("report", lang)[:31])


def diff_view(diff: LayerDiff, names: dict[str, str], lang: str) -> list[Any]:
    """The change summary: totals, fields changed, and a table of villages with added/removed/changed rows."""
    line = t(
        "changes_summary", lang, added=diff.added, removed=diff.removed, changed=diff.changed, unchanged=diff.unchanged
    )
    if diff.first_version:
        line += t("changes_first", lang)
    out: list[Any] = [html.H3(t("changes", lang)), html.Div(line, id="diff-summary")]
    if diff.columns:
        cols = "、".join(f"{t(c, lang)} {n}" for c, n in sorted(diff.columns.items(), key=lambda kv: -kv[1]))
        out.append(html.Div(f"{t('changed_columns', lang)}: {cols}", className="summary"))
    rows = [
        html.Tr(
            [
                html.Td(names.get(code, t("no_village", lang)) if code else t("no_village", lang)),
                html.Td(code),
                html.Td(v.added),
                html.Td(v.removed),
                html.Td(v.changed),
            ]
        )
        for code, v in diff.villages.items()
        if v.added or v.removed or v.changed
    ]
    if rows:
        head = html.Tr([html.Th(t(k, lang)) for k in ("village", "village_code", "added", "removed", "changed")])
        out.append(html.Table([html.Thead(head), html.Tbody(rows)], className="kpi-table diff-table", id="diff-table"))
    return out


def quality_figure(shapes: gpd.GeoDataFrame, counts: pd.DataFrame, column: str, lang: str) -> go.Figure:
    """Villages coloured by their number of problems (of one kind, or ``total``); hover shows the count."""
    codes = shapes["code"].to_numpy()
    values = counts[column].reindex(codes).fillna(0).astype(int).to_numpy()
    top = max(int(values.max()) if len(values) else 0, 1)
    label = t("quality_total", lang) if column == "total" else pick(QUALITY_KINDS[column], lang)
    trace = go.Choroplethmap(
        geojson=json.loads(shapes[["code", "geometry"]].to_json(drop_id=True)),
        featureidkey="properties.code",
        locations=codes,
        z=values,
        zmin=0,
        zmax=top,
        colorscale=[[i / (len(QUALITY_COLOURS) - 1), c] for i, c in enumerate(QUALITY_COLOURS)],
        marker={"line": {"width": 0.8, "color": "#ffffff"}, "opacity": 0.9},
        colorbar={"title": {"text": label}, "thickness": 12, "len": 0.6, "dtick": max(1, -(-top // 5))},
        meta="units",
        customdata=np.column_stack([codes, shapes["name"].map(esc)]),
        hovertemplate="<b>%{customdata[1]}</b> %{customdata[0]}<br>" + esc(label) + ": %{z}<extra></extra>",
    )
    return map_figure([trace], shapes.total_bounds, view=f"quality-{column}", height_px=520)


def quality_rows(problems: pd.DataFrame, names: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """The list to fix: village, kind, record and detail per problem (dates, masked IDs, places)."""
    frame = problems.assign(
        village=problems["village_code"].map(lambda c: names.get(c, "") if isinstance(c, str) else ""),
        kind=problems["kind"].map(lambda k: pick(QUALITY_KINDS.get(k, (k, k)), lang)),
        village_code=problems["village_code"].fillna(""),
        detail=problems["detail"].map(lambda d: _detail(d, lang)),
    )
    return frame[["village", "village_code", "kind", "record", "detail"]].to_dict("records")


def _detail(text: object, lang: str) -> str:
    """A problem's detail; missing-date lists are named in the page's language."""
    value = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    if value and all(part.endswith("_on") or part == "deadline" for part in value.split(",")):
        return "、".join(t(part, lang) for part in value.split(","))
    return value


def kind_counts(per_kind: pd.Series, lang: str) -> html.Div:
    """Problems per kind as a row of small tiles (kinds in their fixed order)."""
    tiles = [
        html.Span([html.B(f"{int(per_kind[k]):,}"), " ", pick(QUALITY_KINDS[k], lang)], className="kind-tile")
        for k in QUALITY_KINDS
        if k in per_kind.index
    ]
    return html.Div(tiles, className="kind-tiles", id="quality-kinds")


def quality_columns(lang: str) -> list[dict[str, Any]]:
    """Columns of the list to fix."""
    fields = {
        "village": "village",
        "village_code": "village_code",
        "kind": "problem_kind",
        "record": "record",
        "detail": "detail",
    }
    return [{"field": f, "headerName": t(k, lang), "sortable": True, "filter": True} for f, k in fields.items()]
