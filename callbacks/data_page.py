"""The /data page (数据导入与质量): upload a ledger, check and correct it, import it, see what changed and what to fix.

Administrators only (the access guard, :mod:`callbacks.access`); the logged-in admin
(:func:`~callbacks.access.current_user`) is recorded in the import log. Callbacks are
thin: the upload goes to :class:`geodata.private.uploads.UploadArea`, the preview and CRS hint
come from :mod:`geodata.io.preview`, validation and import from
:mod:`geodata.io.importer` (the same checks as ``battlemap import``), the change summary
from :mod:`geodata.io.diff`, the indicator rebuild runs on a :class:`geodata.private.jobs.JobBoard`
polled by a ``dcc.Interval``, and the quality view from :mod:`analytics.data_quality`.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from analytics.data_quality import Quality, data_quality
from callbacks.access import audit_export, current_user
from callbacks.data_layout import MAP_COLUMNS, PATH, PREVIEW_ROWS, Ids, layout
from callbacks.store_data import StoreData
from geodata._errors import BattlemapError, InputError, without_paths
from geodata.io.diff import LayerDiff
from geodata.io.importer import import_layer, prepare_layer
from geodata.io.preview import auto_mapping, changed_overrides, detect_layer, preview_table, read_upload, upload_sheets
from geodata.io.readers import RawTable
from geodata.io.templates import template_workbook
from geodata.private.uploads import Upload, UploadArea, decode_upload
from geodata.schemas import SCHEMAS
from geodata.settings import get_settings
from layers import data_views as views
from layers.i18n import LAYER_NAMES, pick, t

UPLOADS_KEPT_READ = 4  # sheets kept parsed in memory (per server process), the least recently used dropped first


def register(app: dash.Dash, data: StoreData) -> None:
    """Register the page and wire its callbacks."""
    dash.register_page("data", path=PATH, title="数据导入 · Battlemap", layout=lambda **q: layout(data, **q))
    _register_upload(app, data)
    _register_import(app, data)
    _register_quality(app, data)


def _options(
    data: StoreData,
    token: str | None,
    *,
    sheet: str | None,
    layer: str | None,
    crs: str | None = None,
    chosen: list[str] | None = None,
) -> dict[str, Any]:
    """The import options of the form: the upload and its sheet, layer, CRS and the mapping corrections."""
    upload = _uploads(data).get(token)
    raw = _raw(upload, sheet)
    headers = [str(h) for h in raw.data.columns]
    auto = auto_mapping(headers, layer or "")
    mapping = dict(zip(headers, chosen, strict=True)) if chosen and len(chosen) == len(headers) else {}
    overrides = changed_overrides(auto, mapping) if mapping else {}
    return {
        "upload": upload,
        "sheet": sheet or None,
        "layer": layer,
        "crs": crs or None,
        "overrides": overrides or None,
        "mapping": mapping or auto,
    }


def _raw(upload: Upload, sheet: str | None) -> RawTable:
    """One sheet of the uploaded file, read once while it is among the last few used (callers must not modify it)."""
    return _read_sheet(str(upload.path), sheet or "", upload.size)


@functools.lru_cache(maxsize=UPLOADS_KEPT_READ)
def _read_sheet(path: str, sheet: str, _size: int) -> RawTable:
    return read_upload(path, sheet=sheet or None)


def shown(exc: Exception) -> str:
    """An error as the page shows it: its message without the server's folders."""
    return without_paths(str(exc))


def _uploads(data: StoreData) -> UploadArea:
    return UploadArea.beside(data.store)


def _signature(*form: Any) -> str:
    """What a validation was run on (token, sheet, layer, CRS, mapping): an import needs exactly these."""
    return json.dumps([v if v is not None else "" for v in form], ensure_ascii=False)


def _register_upload(app: dash.Dash, data: StoreData) -> None:
    """Upload → token and detected layer; layer → mapping table; mapping → preview and CRS hint."""

    @app.callback(
        Output(Ids.TOKEN, "data"),
        Output(Ids.UPLOAD_INFO, "children"),
        Output(Ids.SHEET, "options"),
        Output(Ids.SHEET, "value"),
        Output(Ids.SHEET_FIELD, "hidden"),
        Input(Ids.UPLOAD, "contents"),
        State(Ids.UPLOAD, "filename"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def on_upload(contents: str | None, filename: str | None, lang: str) -> tuple[Any, ...]:
        if not contents:
            raise PreventUpdate
        cfg = get_settings().imports
        try:
            upload = _uploads(data).save(
                filename or "upload",
                decode_upload(contents, max_bytes=cfg.max_upload_bytes),
                keep_hours=cfg.upload_keep_hours,
            )
            sheets, first = upload_sheets(upload.path)
            _raw(upload, first)  # refuse an unreadable file here, with the reader's reason
        except BattlemapError as exc:
            return None, html.Span(shown(exc), className="bad-line"), [], None, True
        info = f"{t('uploaded', lang)}: {upload.name}"
        return upload.token, info, [{"label": n, "value": n} for n in sheets], first, len(sheets) < 2

    @app.callback(
        Output(Ids.MAPPING, "children"),
        Output(Ids.VALIDATE, "disabled"),
        Input(Ids.TOKEN, "data"),
        Input(Ids.SHEET, "value"),
        Input(Ids.LAYER, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def on_layer(token: str | None, sheet: str | None, layer: str | None, lang: str) -> tuple[Any, bool]:
        if not token or not layer:
            return [], True
        try:
            options = _options(data, token, sheet=sheet, layer=layer)
            preview = preview_table(_raw(options["upload"], sheet), layer, villages=None, rows=PREVIEW_ROWS)
        except BattlemapError as exc:  # the upload expired or cannot be read: say so where the mapping would be
            return html.Span(shown(exc), className="bad-line"), True
        return views.mapping_table(preview, lang), False

    @app.callback(
        Output(Ids.PREVIEW, "columnDefs"),
        Output(Ids.PREVIEW, "rowData"),
        Output(Ids.MISSING, "children"),
        Output(Ids.HINT, "children"),
        Output(Ids.USE_HINT, "hidden"),
        Output(Ids.SUGGEST, "data"),
        Input(MAP_COLUMNS, "value"),
        Input(Ids.CRS, "value"),
        Input(Ids.TOKEN, "data"),
        State(Ids.SHEET, "value"),
        State(Ids.LAYER, "value"),
        State(Ids.LANG, "data"),
    )
    def on_mapping(  # noqa: PLR0917 - Dash passes a callback's inputs and states by position
        chosen: list[str], crs: str, token: str | None, sheet: str | None, layer: str | None, lang: str
    ) -> tuple[Any, ...]:
        if not token:  # nothing uploaded, or just imported: clear what was shown of the file
            return [], [], "", "", True, None
        if not layer or not chosen:
            raise PreventUpdate
        try:
            options = _options(data, token, sheet=sheet, layer=layer, crs=crs, chosen=chosen)
            preview = preview_table(
                _raw(options["upload"], sheet),
                layer,
                villages=data.layer("villages"),
                overrides=options["overrides"],
                rows=PREVIEW_ROWS,
            )
        except BattlemapError as exc:
            return [], [], html.Span(shown(exc), className="bad-line"), "", True, None
        grid = views.preview_grid(preview, lang)
        missing = f"{t('required_missing', lang)}: {', '.join(preview.missing)}" if preview.missing else ""
        hint, show = views.hint_text(preview.hint, crs or "", lang)
        return grid["columnDefs"], grid["rowData"], missing, hint, not show, preview.hint.suggest

    _register_sheet(app, data)
    _register_hint(app)


def _register_sheet(app: dash.Dash, data: StoreData) -> None:
    """A sheet chosen (or the upload's first) → the layer its headers fit best."""

    @app.callback(
        Output(Ids.LAYER, "value"),
        Output(Ids.DETECTED, "children"),
        Input(Ids.TOKEN, "data"),
        Input(Ids.SHEET, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def on_sheet(token: str | None, sheet: str | None, lang: str) -> tuple[Any, str]:
        if not token:
            return dash.no_update, ""
        try:
            raw = _raw(_uploads(data).get(token), sheet)
        except BattlemapError as exc:
            return dash.no_update, html.Span(shown(exc), className="bad-line")
        best = detect_layer([str(h) for h in raw.data.columns])[0]
        rows = f"{len(raw.data)} {t('rows_in_file', lang)}"
        if best.required_found == 0:
            return dash.no_update, f"{rows} · {t('not_detected', lang)}"
        name = pick(LAYER_NAMES[best.layer], lang)
        return (
            best.layer,
            f"{rows} · {t('detected_as', lang)}: {name} ({best.layer}) · {best.matched} / {len(raw.data.columns)}",
        )


def _register_hint(app: dash.Dash) -> None:
    """The "use the suggestion" button: choose the suggested CRS, or swap the lon/lat mapping."""

    @app.callback(
        Output(Ids.CRS, "value"),
        Output(MAP_COLUMNS, "value"),
        Input(Ids.USE_HINT, "n_clicks"),
        State(Ids.SUGGEST, "data"),
        State(MAP_COLUMNS, "value"),
        prevent_initial_call=True,
    )
    def on_use_hint(_n: int, suggest: str | None, chosen: list[str]) -> tuple[Any, Any]:
        if suggest == "swap":
            swap = {"lon": "lat", "lat": "lon"}
            return dash.no_update, [swap.get(c, c) for c in chosen]
        if not suggest or suggest == "projected":
            raise PreventUpdate
        return suggest, [dash.no_update] * len(chosen)


def _register_import(app: dash.Dash, data: StoreData) -> None:
    """Validate; allow the import only for the options validated; import on confirm; rebuild in the background."""

    @app.callback(
        Output(Ids.VERDICT, "children"),
        Output(Ids.REPORT, "rowData"),
        Output(Ids.REPORT_XLSX, "disabled"),
        Output(Ids.VALIDATED, "data"),
        Input(Ids.VALIDATE, "n_clicks"),
        State(Ids.TOKEN, "data"),
        State(Ids.SHEET, "value"),
        State(Ids.LAYER, "value"),
        State(Ids.CRS, "value"),
        State(MAP_COLUMNS, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def on_validate(  # noqa: PLR0917 - Dash passes a callback's inputs and states by position
        _n: int,
        token: str | None,
        sheet: str | None,
        layer: str | None,
        crs: str | None,
        chosen: list[str] | None,
        lang: str,
    ) -> tuple[Any, ...]:
        try:
            options = _options(data, token, sheet=sheet, layer=layer, crs=crs, chosen=chosen)
        except BattlemapError as exc:
            return html.Div(shown(exc), className="bad-line"), [], True, None
        prepared = prepare_layer(
            layer or "",
            options["upload"].path,
            store=data.store,
            sheet=options["sheet"],
            crs=options["crs"],
            overrides=options["overrides"],
        )
        report = prepared.report
        _uploads(data).save_report(options["upload"], report)
        limit = get_settings().imports.report_rows_shown
        rows = views.report_rows(report, layer=layer or "", mapping=options["mapping"], lang=lang, limit=limit)
        ok = {"signature": _signature(token, sheet, layer, crs, chosen), "ok": report.ok, "rows": report.rows}
        return views.report_summary(report, lang, shown=limit), rows, False, ok

    @app.callback(
        Output(Ids.CONFIRM, "message"),
        Input(Ids.VALIDATED, "data"),
        Input(Ids.MODE, "value"),
        State(Ids.LAYER, "value"),
        State(Ids.LANG, "data"),
    )
    def confirm_text(validated: dict | None, mode: str, layer: str | None, lang: str) -> str:
        if not validated or not layer:
            return ""
        name = pick(LAYER_NAMES[layer], lang)
        return t("confirm_import", lang, rows=validated["rows"], layer=name, mode=t(f"mode_{mode}", lang))

    @app.callback(
        Output(Ids.IMPORT, "disabled"),
        Input(Ids.VALIDATED, "data"),
        Input(Ids.TOKEN, "data"),
        Input(Ids.SHEET, "value"),
        Input(Ids.LAYER, "value"),
        Input(Ids.CRS, "value"),
        Input(MAP_COLUMNS, "value"),
    )
    def can_import(validated: dict | None, *form: Any) -> bool:
        return not (validated and validated["ok"] and validated["signature"] == _signature(*form))

    @app.callback(
        Output(Ids.RESULT, "children"),
        Output(Ids.JOB, "data"),
        Output(Ids.POLL, "disabled"),
        Output(Ids.TOKEN, "data", allow_duplicate=True),
        Input(Ids.CONFIRM, "submit_n_clicks"),
        State(Ids.TOKEN, "data"),
        State(Ids.SHEET, "value"),
        State(Ids.LAYER, "value"),
        State(Ids.CRS, "value"),
        State(MAP_COLUMNS, "value"),
        State(Ids.MODE, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def on_import(  # noqa: PLR0917 - Dash passes a callback's inputs and states by position
        _n: int,
        token: str | None,
        sheet: str | None,
        layer: str | None,
        crs: str | None,
        chosen: list[str] | None,
        mode: str,
        lang: str,
    ) -> tuple[Any, ...]:
        try:
            options = _options(data, token, sheet=sheet, layer=layer, crs=crs, chosen=chosen)
            prepared = import_layer(
                layer or "",
                options["upload"].path,
                store=data.store,
                mode=mode,
                who=current_user(),
                source=options["upload"].name,
                sheet=options["sheet"],
                crs=options["crs"],
                overrides=options["overrides"],
            )
        except BattlemapError as exc:  # refused, or the store could not take it (disk full, database down)
            return (
                html.Div(t("import_refused", lang) + shown(exc), className="bad-line", id="import-refused"),
                dash.no_update,
                True,
                dash.no_update,
            )
        _uploads(data).discard(options["upload"])
        job = data.start_rebuild(layer or "")
        return _result(data, prepared.diff, len(prepared.frame), layer or "", lang), job, job is None, None

    @app.callback(
        Output(Ids.PROGRESS, "children"),
        Output(Ids.POLL, "disabled", allow_duplicate=True),
        Input(Ids.POLL, "n_intervals"),
        State(Ids.JOB, "data"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def poll(_n: int, job: str | None, lang: str) -> tuple[Any, bool]:
        status = data.jobs.status(job)
        if status is None:
            return "", True
        return views.progress_bar(status, lang), status["state"] in ("done", "failed")

    _register_downloads(app, data)


def _result(data: StoreData, diff: LayerDiff | None, rows: int, layer: str, lang: str) -> list[Any]:
    """The success line, the change summary and a link to the map."""
    names = data.village_names()
    head = html.Div(
        f"{t('imported', lang)}: {rows} {t('rows_in_file', lang)} → {pick(LAYER_NAMES[layer], lang)}",
        className="ok-line",
        id="import-done",
    )
    changes = views.diff_view(diff, names, lang) if diff is not None else []
    touched = diff.touched if diff is not None else []
    href = f"/map?village={touched[0]}&lang={lang}" if touched else f"/map?lang={lang}"
    return [head, *changes, dcc.Link(t("open_map", lang), href=href, id="open-map")]


def _register_downloads(app: dash.Dash, data: StoreData) -> None:
    """The validation report and the list to fix as Excel, and the layer templates."""

    @app.callback(
        Output(Ids.DOWNLOAD, "data"),
        Input(Ids.REPORT_XLSX, "n_clicks"),
        Input(Ids.QUALITY_XLSX, "n_clicks"),
        Input(Ids.TEMPLATE, "n_clicks"),
        State(Ids.TOKEN, "data"),
        State(Ids.SHEET, "value"),
        State(Ids.LAYER, "value"),
        State(MAP_COLUMNS, "value"),
        State(Ids.QUALITY_KIND, "value"),
        State(Ids.TEMPLATE_LAYER, "value"),
        State(Ids.LANG, "data"),
        prevent_initial_call=True,
    )
    def download(  # noqa: PLR0917 - Dash passes a callback's inputs and states by position
        _r: int | None,
        _q: int | None,
        _t: int | None,
        token: str | None,
        sheet: str | None,
        layer: str | None,
        chosen: list[str] | None,
        kind: str,
        template: str,
        lang: str,
    ) -> Any:
        trigger = dash.ctx.triggered_id
        if trigger == Ids.TEMPLATE:
            name = f"{SCHEMAS[template].zh}模板-{template}.xlsx"
            audit_export(data, "export:template", template)
            return dcc.send_bytes(template_workbook(template, store=data.store), name)
        if trigger == Ids.QUALITY_XLSX:  # rows made here from the store, not taken from the browser
            rows = _quality_rows(data, kind, lang)
            headers = {c["field"]: c["headerName"] for c in views.quality_columns(lang)}
            audit_export(data, "export:quality", kind or "total", rows=len(rows))
            return dcc.send_bytes(views.table_xlsx(rows, headers, sheet=t("quality_list", lang)), "data-quality.xlsx")
        if trigger != Ids.REPORT_XLSX or not token:
            raise PreventUpdate
        try:
            options = _options(data, token, sheet=sheet, layer=layer, chosen=chosen)
        except InputError:  # the upload expired: the page already says to upload again
            raise PreventUpdate from None
        report = _uploads(data).report(options["upload"])
        body = views.report_xlsx(report, layer=layer or "", mapping=options["mapping"], lang=lang)
        audit_export(data, "export:report", options["upload"].name, problems=len(report.problems))
        return dcc.send_bytes(body, f"report-{options['upload'].name.rsplit('.', 1)[0]}.xlsx")


def quality_of(data: StoreData) -> Quality:
    """The data-quality problems of the store (computed once per store version)."""
    return data.cached(
        "data_quality",
        lambda: data_quality(
            {
                n: f
                for n in ("villages", "households", "housing", "water_tests")
                if (f := data.layer_or_none(n)) is not None
            },
            import_log=data.store.import_log(),
            as_of=data.as_of(),
            settings=get_settings(),
        ),
    )


def _quality_rows(data: StoreData, kind: str | None, lang: str) -> list[dict[str, Any]]:
    """The list to fix for one kind of problem (or all of them), as the grid and the workbook show it."""
    problems = quality_of(data).problems
    if kind and kind != "total":
        problems = problems[problems["kind"] == kind]
    return views.quality_rows(problems, data.village_names(), lang)


def _register_quality(app: dash.Dash, data: StoreData) -> None:
    """The quality map and list follow the kind chosen and the data (re-read when the tab opens or a job ends)."""

    @app.callback(
        Output(Ids.QUALITY_MAP, "figure"),
        Output(Ids.QUALITY_LIST, "rowData"),
        Output(Ids.QUALITY_NOTE, "children"),
        Input(Ids.QUALITY_KIND, "value"),
        Input(Ids.TABS, "value"),
        Input(Ids.PROGRESS, "children"),
        State(Ids.LANG, "data"),
    )
    def show(kind: str, tab: str, _progress: Any, lang: str) -> tuple[Any, ...]:
        if tab != "quality":
            raise PreventUpdate
        quality = quality_of(data)
        figure = views.quality_figure(data.shapes("village"), quality.counts, kind, lang)
        note = t("quality_note", lang, month=f"{data.as_of():%Y-%m}")
        per_kind = quality.problems["kind"].value_counts()
        if not len(per_kind):
            return figure, [], f"{note} {t('quality_none', lang)}"
        return figure, _quality_rows(data, kind, lang), [html.Div(note), views.kind_counts(per_kind, lang)]

    @app.callback(Output(Ids.LOG, "children"), Input(Ids.TABS, "value"), State(Ids.LANG, "data"))
    def show_log(tab: str, lang: str) -> Any:
        if tab != "log":
            raise PreventUpdate
        return views.log_table(data.store.import_log(), lang)
