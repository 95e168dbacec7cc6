"""Layout of the /data page: component ids and the four tabs (import, data quality, templates, import log).

The callbacks are in :mod:`callbacks.data_page`; this module only builds components.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import dash_ag_grid as dag
from dash import ALL, dcc, html

from analytics.data_quality import KINDS
from callbacks.store_data import StoreData
from geodata.io.crs import gk_zone_epsg
from geodata.schemas import SCHEMAS
from geodata.settings import get_settings
from layers import data_views as views
from layers.i18n import LAYER_NAMES, QUALITY_KINDS, lang_of, pick, t, template

PATH = "/data"
PREVIEW_ROWS = 10


class Ids(StrEnum):
    """Component ids of the page."""

    LANG = "data-lang"
    UPLOAD = "data-upload"
    UPLOAD_INFO = "data-upload-info"
    TOKEN = "data-token"
    SHEET = "data-sheet"
    SHEET_FIELD = "data-sheet-field"
    LAYER = "data-layer"
    DETECTED = "data-detected"
    CRS = "data-crs"
    HINT = "data-hint"
    USE_HINT = "data-use-hint"
    SUGGEST = "data-suggest"
    MAPPING = "data-mapping"
    MISSING = "data-missing"
    PREVIEW = "data-preview"
    VALIDATE = "data-validate"
    VALIDATED = "data-validated"
    VERDICT = "data-verdict"
    REPORT = "data-report"
    REPORT_XLSX = "data-report-xlsx"
    MODE = "data-mode"
    CONFIRM = "data-confirm"
    IMPORT = "data-import"
    RESULT = "data-result"
    JOB = "data-job"
    POLL = "data-poll"
    PROGRESS = "data-progress"
    QUALITY_KIND = "quality-kind"
    QUALITY_MAP = "quality-map"
    QUALITY_NOTE = "quality-note"
    QUALITY_LIST = "quality-list"
    QUALITY_XLSX = "quality-xlsx"
    TEMPLATE_LAYER = "template-layer"
    TEMPLATE = "template-download"
    LOG = "data-log"
    TABS = "data-tabs"
    DOWNLOAD = "data-download"


MAP_COLUMNS = {"type": "map-col", "index": ALL}


def layout(data: StoreData, /, lang: str | None = None, **_query: Any) -> html.Div:
    """Tabs: import, data quality, templates, import log."""
    lang = lang_of(lang)
    other = "en" if lang == "zh" else "zh"
    tabs = dcc.Tabs(
        [
            dcc.Tab(_import_tab(data, lang), label=t("tab_import", lang), value="import"),
            dcc.Tab(_quality_tab(lang), label=t("tab_quality", lang), value="quality", id="tab-quality"),
            dcc.Tab(_template_tab(lang), label=t("tab_templates", lang), value="templates", id="tab-templates"),
            dcc.Tab(html.Div(id=Ids.LOG, className="data-log"), label=t("tab_log", lang), value="log", id="tab-log"),
        ],
        id=Ids.TABS,
        value="import",
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H1(t("data_title", lang), className="page-title"),
                    html.A(t("language", lang), href=f"{PATH}?lang={other}", className="lang-switch", id="lang-switch"),
                ],
                className="route-header",
            ),
            html.P(t("data_note", lang), className="summary"),
            tabs,
            dcc.Store(id=Ids.LANG, data=lang),
            dcc.Download(id=Ids.DOWNLOAD),
        ],
        className="data-page",
    )


def _crs_options(data: StoreData, lang: str) -> list[dict[str, str]]:
    """Automatic, the geographic systems, the two phone-map offsets and the county's Gauss-Krüger zone."""
    options = [
        {"label": t(f"crs_{k}", lang), "value": v}
        for k, v in (("auto", ""), ("cgcs2000", "4490"), ("wgs84", "4326"), ("gcj02", "gcj02"), ("bd09", "bd09"))
    ]
    lon = float(data.shapes("county").geometry.iloc[0].centroid.x)
    for prefixed in (False, True):
        epsg = gk_zone_epsg(lon, prefixed=prefixed)
        zone = round(lon / 3)
        options.append({"label": t("crs_gk", lang, zone=zone, epsg=epsg), "value": str(epsg)})
    return options


def _import_tab(data: StoreData, lang: str) -> html.Div:
    mb = get_settings().imports.max_upload_bytes // 2**20
    layer_options = [{"label": f"{pick(LAYER_NAMES[k], lang)} · {k}", "value": k} for k in SCHEMAS]
    mode_options = [{"label": t(f"mode_{m}", lang), "value": m} for m in ("replace", "append")]
    controls = html.Div(
        [
            html.Label(  # shown only for a workbook with more than one sheet
                [html.Span(t("sheet", lang)), dcc.Dropdown(id=Ids.SHEET, options=[], clearable=False)],
                className="route-field",
                id=Ids.SHEET_FIELD,
                hidden=True,
            ),
            html.Label(
                [
                    html.Span(t("target_layer", lang)),
                    dcc.Dropdown(id=Ids.LAYER, options=layer_options, clearable=False),
                ],
                className="route-field",
            ),
            html.Label(
                [
                    html.Span(t("crs", lang)),
                    dcc.Dropdown(id=Ids.CRS, options=_crs_options(data, lang), value="", clearable=False),
                ],
                className="route-field",
            ),
            html.Label(
                [
                    html.Span(t("mode", lang)),
                    dcc.RadioItems(id=Ids.MODE, options=mode_options, value="replace", inline=True),
                ],
                className="route-field",
            ),
        ],
        className="data-controls",
    )
    return html.Div(
        [
            html.Div(  # assets/upload_limit.js says so when a file is over the limit (dcc.Upload stays silent)
                [
                    dcc.Upload(
                        html.Div(t("upload_prompt", lang, mb=mb)),
                        id=Ids.UPLOAD,
                        max_size=get_settings().imports.max_upload_bytes,
                        className="data-upload",
                    ),
                    html.Div(className="upload-refused bad-line", id="upload-refused"),
                ],
                **{
                    "data-max-bytes": str(get_settings().imports.max_upload_bytes),
                    "data-too-big": template("upload_over_limit", lang),  # filled by the browser
                },
            ),
            dcc.Loading(html.Div(id=Ids.UPLOAD_INFO, className="summary"), type="dot"),
            html.Div(id=Ids.DETECTED, className="summary"),
            controls,
            html.Div(
                [
                    html.Span(id=Ids.HINT),
                    html.Button(t("use_hint", lang), id=Ids.USE_HINT, className="btn", hidden=True),
                    dcc.Store(id=Ids.SUGGEST),  # what the button applies: a CRS, or "swap" for lon/lat
                ],
                className="data-hint",
            ),
            html.H2(t("mapping", lang)),
            html.P(t("mapping_help", lang), className="summary"),
            html.Div(id=Ids.MAPPING),
            html.Div(id=Ids.MISSING, className="bad-line"),
            html.H3(t("preview", lang, n=PREVIEW_ROWS)),
            dag.AgGrid(
                id=Ids.PREVIEW,
                columnDefs=[],
                rowData=[],
                style={"height": "300px"},
                defaultColDef={"resizable": True},
                dashGridOptions=views.grid_options(lang),
            ),
            html.Div(
                [
                    html.Button(t("validate", lang), id=Ids.VALIDATE, className="btn btn-primary", disabled=True),
                    dcc.ConfirmDialogProvider(
                        html.Button(t("import", lang), id=Ids.IMPORT, className="btn btn-primary", disabled=True),
                        id=Ids.CONFIRM,
                        message="",
                    ),
                    html.Button(t("download_report", lang), id=Ids.REPORT_XLSX, className="btn", disabled=True),
                ],
                className="route-downloads",
            ),
            dcc.Loading(html.Div(id=Ids.VERDICT), type="dot"),
            dag.AgGrid(
                id=Ids.REPORT,
                columnDefs=views.report_columns(lang),
                rowData=[],
                style={"height": "320px"},
                dashGridOptions=views.grid_options(lang, pagination=True, paginationPageSize=50),
            ),
            dcc.Loading(html.Div(id=Ids.RESULT, className="data-result"), type="dot"),
            html.Div(id=Ids.PROGRESS, className="data-progress"),
            dcc.Interval(id=Ids.POLL, interval=700, disabled=True),
            dcc.Store(id=Ids.TOKEN),
            dcc.Store(id=Ids.VALIDATED),
            dcc.Store(id=Ids.JOB),
        ],
        className="data-import",
    )


def _quality_tab(lang: str) -> html.Div:
    options = [{"label": t("quality_all", lang), "value": "total"}] + [
        {"label": pick(QUALITY_KINDS[k], lang), "value": k} for k in KINDS
    ]
    return html.Div(
        [
            html.Div(id=Ids.QUALITY_NOTE, className="summary"),
            html.Label(
                [
                    html.Span(t("quality_by", lang)),
                    dcc.Dropdown(id=Ids.QUALITY_KIND, options=options, value="total", clearable=False),
                ],
                className="route-field quality-kind",
            ),
            dcc.Loading(
                dcc.Graph(id=Ids.QUALITY_MAP, config={"displaylogo": False}, style={"height": "520px"}), type="circle"
            ),
            html.Div(
                [
                    html.H2(t("quality_list", lang)),
                    html.Button(t("quality_export", lang), id=Ids.QUALITY_XLSX, className="btn"),
                ],
                className="section-head",
            ),
            dag.AgGrid(
                id=Ids.QUALITY_LIST,
                columnDefs=views.quality_columns(lang),
                rowData=[],
                columnSize="sizeToFit",
                style={"height": "420px"},
                dashGridOptions=views.grid_options(lang, pagination=True, paginationPageSize=50),
            ),
        ],
        className="data-quality",
    )


def _template_tab(lang: str) -> html.Div:
    options = [{"label": f"{pick(LAYER_NAMES[k], lang)} · {k}", "value": k} for k in SCHEMAS]
    return html.Div(
        [
            html.P(t("template_help", lang), className="summary"),
            html.Div(
                [
                    dcc.Dropdown(
                        id=Ids.TEMPLATE_LAYER,
                        options=options,
                        value="households",
                        clearable=False,
                        className="layer-picker",
                    ),
                    html.Button(t("download_template", lang), id=Ids.TEMPLATE, className="btn"),
                ],
                className="toolbar",
            ),
        ],
        className="data-templates",
    )
