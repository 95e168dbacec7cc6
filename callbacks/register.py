"""The village household register (农户名册): rows served page by page, sorted and filtered on the server.

The grid uses AG Grid's infinite row model, so the browser holds one block of rows at a
time (a county-seat community has ~1,800 households); sorting and filtering run here on
the masked table, and the CSV export is built here too (audited, formula-safe). Personal
data are masked before anything leaves the server, and a township-scoped account gets
rows of its own township only.
"""

from __future__ import annotations

import operator
from typing import Any

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from callbacks.access import audit_export, in_scope
from callbacks.store_data import StoreData
from geodata.io.privacy import MASKERS
from geodata.io.spreadsheet import safe_csv
from layers.i18n import RISK_TYPES, lang_of, pick, t

GRID_COLUMNS = [
    "household_id",
    "head_name",
    "id_number",
    "phone",
    "members",
    "per_capita_income",
    "status",
    "housing_grade",
    "water_safe",
    "risk_types",
]
NUMERIC = {"members", "per_capita_income"}
BLOCK = 100
_NUMBER_TESTS = {
    "equals": operator.eq,
    "notEqual": operator.ne,
    "greaterThan": operator.gt,
    "greaterThanOrEqual": operator.ge,
    "lessThan": operator.lt,
    "lessThanOrEqual": operator.le,
}


def masked_households(data: StoreData, village: str) -> pd.DataFrame:
    """The village's household records with names, ID numbers, phones and helpers masked."""
    rows = data.records().rows_in("households", village).copy()
    for column, mask in {**MASKERS, "helper": MASKERS["head_name"]}.items():
        if column in rows:
            rows[column] = rows[column].map(mask, na_action="ignore")
    return rows


def register_table(data: StoreData, village: str, lang: str) -> pd.DataFrame:
    """The register as shown: masked, statuses and risks in words (cached per store version)."""

    def build() -> pd.DataFrame:
        shown = masked_households(data, village)[GRID_COLUMNS].copy()
        shown["status"] = shown["status"].map(lambda s: t(f"status_{s}", lang))
        shown["water_safe"] = shown["water_safe"].map(lambda v: t("yes" if v else "no", lang), na_action="ignore")
        shown["risk_types"] = shown["risk_types"].map(lambda v: risks_text(v, lang), na_action="ignore")
        return shown.reset_index(drop=True)

    return data.cached(f"register:{village}:{lang}", build, shared=True)


def risks_text(value: str, lang: str) -> str:
    """Risk codes (illness;labour) as words (因病、缺劳动力)."""
    return "、".join(pick(RISK_TYPES.get(k, (k, k)), lang) for k in str(value).split(";") if k)


def answer(table: pd.DataFrame, request: dict[str, Any]) -> dict[str, Any]:
    """One block of rows for an AG Grid infinite-model request: filter, sort, slice."""
    rows = filtered(table, request.get("filterModel") or {})
    for rule in reversed(request.get("sortModel") or []):
        if rule.get("colId") in rows:
            rows = rows.sort_values(rule["colId"], ascending=rule.get("sort") != "desc", kind="stable")
    start, end = int(request.get("startRow", 0)), int(request.get("endRow", BLOCK))
    block = rows.iloc[start:end]
    return {"rowData": block.astype(object).where(block.notna(), None).to_dict("records"), "rowCount": len(rows)}


def filtered(table: pd.DataFrame, model: dict[str, Any]) -> pd.DataFrame:
    """Rows passing AG Grid's text and number filters (the common operators)."""
    keep = pd.Series(True, index=table.index)
    for column, rule in model.items():
        if column not in table:
            continue
        values = table[column]
        wanted = rule.get("filter")
        kind = rule.get("type", "contains")
        if column in NUMERIC:
            number = pd.to_numeric(values, errors="coerce")
            if kind == "inRange":
                keep &= number.between(float(wanted), float(rule.get("filterTo", wanted)))
            elif kind in _NUMBER_TESTS and wanted is not None:
                keep &= _NUMBER_TESTS[kind](number, float(wanted))
            continue
        text = values.astype("string").fillna("").str.lower()
        keep &= _text_test(text, kind, str(wanted or "").lower())
    return table[keep]


def _text_test(text: pd.Series, kind: str, needle: str) -> pd.Series:
    """AG Grid's text filter operators on lower-cased text."""
    if kind == "notContains":
        result = ~text.str.contains(needle, regex=False)
    elif kind == "equals":
        result = text == needle
    elif kind == "notEqual":
        result = text != needle
    elif kind == "startsWith":
        result = text.str.startswith(needle)
    elif kind == "endsWith":
        result = text.str.endswith(needle)
    else:
        result = text.str.contains(needle, regex=False)
    return result.fillna(False).astype(bool)


def register_section(lang: str) -> html.Div:
    """The register grid (rows requested from the server) beside the household card."""
    columns = [
        {
            "field": c,
            "headerName": t("income" if c == "per_capita_income" else c, lang),
            "filter": "agNumberColumnFilter" if c in NUMERIC else "agTextColumnFilter",
        }
        for c in GRID_COLUMNS
    ]
    grid = dag.AgGrid(
        id="household-grid",
        rowModelType="infinite",
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True},
        dashGridOptions={
            "rowSelection": {"mode": "singleRow"},
            "pagination": True,
            "paginationPageSize": 20,
            "cacheBlockSize": BLOCK,
            "maxBlocksInCache": 3,
        },
        getRowId="params.data.household_id",
        columnSize="sizeToFit",
        style={"height": "420px"},
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H2(t("households_table", lang)),
                    html.Button(t("export_csv", lang), id="grid-export", className="btn"),
                    dcc.Download(id="grid-download"),
                ],
                className="section-head",
            ),
            html.Div(
                [grid, html.Div(t("click_household", lang), id="household-card", className="household-card")],
                className="household-row",
            ),
        ],
        className="household-section",
    )


def register_callbacks(app: dash.Dash, data: StoreData) -> None:
    """Serve blocks of rows and the CSV export for the village on screen."""

    @app.callback(
        Output("household-grid", "getRowsResponse"),
        Input("household-grid", "getRowsRequest"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )
    def rows(request: dict | None, state: dict) -> dict:
        village = _shown_village(data, state)
        if not request or village is None:
            return {"rowData": [], "rowCount": 0}
        return answer(register_table(data, village, lang_of(state.get("lang"))), request)

    @app.callback(
        Output("grid-download", "data"),
        Input("grid-export", "n_clicks"),
        State("map-state", "data"),
        prevent_initial_call=True,
    )
    def export(_n: int, state: dict) -> dict:
        village, lang = _shown_village(data, state), lang_of(state.get("lang"))
        if village is None:
            raise PreventUpdate
        table = register_table(data, village, lang)
        audit_export(data, "export:csv", village, rows=len(table))
        headers = {c: t("income" if c == "per_capita_income" else c, lang) for c in GRID_COLUMNS}
        text = safe_csv(table.rename(columns=headers), index=False)
        return dcc.send_string("\ufeff" + text, f"households-{village}.csv")  # BOM: Excel reads UTF-8


def _shown_village(data: StoreData, state: dict | None) -> str | None:
    """The village of the page state the browser sent, when it is a village of the store within the user's scope."""
    village = str((state or {}).get("village") or "")
    known = village in data.indicators("village").index
    return village if known and in_scope(village) else None
