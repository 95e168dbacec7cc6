"""Check a raw table against its layer schema and return typed columns plus every problem.

Problems are collected, never raised one at a time: a person fixing a sheet wants the
whole list. Structural faults (missing required column, unreadable or out-of-range
value, duplicate key, code inconsistent with its parent) are errors that refuse the
import; repairable ones (resident-ID checksum) are warnings.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geodata.divisions import LEVELS
from geodata.finding_steps import category_choices, category_labels
from geodata.io.coerce import COERCERS, is_missing, out_of_range
from geodata.io.columns import ColumnMapping, match_columns
from geodata.io.idcard import id_checksums_ok
from geodata.io.plan_rules import PLAN_RULES
from geodata.io.privacy import mask_id
from geodata.io.readers import RawTable
from geodata.io.report import Report, RowProblems
from geodata.schemas import Column, LayerSchema
from geodata.settings import Settings

ROW = "_row"  # source row number carried alongside the data until the report is done

_EMPTY: dict[str, str] = {
    "int": "Int64",
    "float": "float64",
    "percent": "float64",
    "bool": "boolean",
    "date": "datetime64[ms]",
}


def normalise_table(
    raw: RawTable, layer: LayerSchema, *, settings: Settings, report: Report, overrides: dict[str, str] | None = None
) -> tuple[pd.DataFrame, ColumnMapping]:
    """Typed canonical columns for ``raw``; every problem goes into ``report``.

    Returns the frame (one row per source row, column ``_row`` holding the source row
    number) and the column mapping that was used.
    """
    mapping = match_columns([str(h) for h in raw.data.columns], layer, overrides=overrides)
    _report_mapping(mapping, layer, raw, report)
    sink = RowProblems(report, np.asarray(raw.source_rows), raw.sheet)
    out = pd.DataFrame({ROW: sink.rows}, index=raw.data.index)
    for col in layer.columns:
        header = mapping.found.get(col.name)
        if header is None:
            out[col.name] = pd.Series(index=out.index, dtype=_EMPTY.get(col.kind, "object"))  # all missing
            continue
        out[col.name] = _coerce_column(raw.data[header], col, header=header, sink=sink, settings=settings)
        if col.kind == "float":
            out[col.name] = out[col.name] * _unit_factor(col, header, sink)
        if col.name == "id_number":
            _check_ids_kept_as_text(raw.data[header], header, sink)
    if layer.name in PLAN_RULES:
        PLAN_RULES[layer.name](out, sink)
    _check_keys(out, layer, sink)
    _check_layer_rules(out, layer, sink)
    if layer.name == "inspections" and "category" in mapping.found:
        _check_categories(out, mapping.found["category"], sink, settings)
    return out, mapping


def _check_categories(out: pd.DataFrame, header: str, sink: RowProblems, settings: Settings) -> None:
    """A finding's category must be one of ``[findings] categories`` (Chinese or English); stored as the Chinese."""
    given = out["category"]
    labels = category_labels(given, settings.findings)
    unknown = given.notna() & given.astype("string").str.strip().ne("") & labels.isna()
    reason = f"unknown finding category; {category_choices(settings.findings)}"
    sink.flag("bad_value", reason, unknown.fillna(False), column=header, values=given)
    out["category"] = labels.astype(object).where(labels.notna(), None)


def _unit_factor(col: Column, header: str, sink: RowProblems) -> float:
    """What turns the file's numbers into the stored unit: a header's 万元 or 元 wins over the column's own scale."""
    if _TEN_THOUSAND.search(str(header)):
        if col.scale != 10_000:  # a column whose contract is 万元 needs no warning
            sink.report.add(
                "unit_converted",
                "warning",
                f"header says 万元: values multiplied by 10,000 into yuan ({col.name})",
                sheet=sink.sheet,
                column=header,
            )
        return 10_000.0
    if _YUAN.search(str(header)):
        return 1.0
    return col.scale


def _report_mapping(mapping: ColumnMapping, layer: LayerSchema, raw: RawTable, report: Report) -> None:
    """Missing required columns are errors; ignored and duplicate headers are warnings."""
    for name in mapping.missing(layer):
        col = layer.column(name)
        report.add(
            "missing_column",
            "error",
            f"required column {name!r} ({col.zh}) not found; accepted headers: {', '.join(col.all_names)}",
            sheet=raw.sheet,
            column=name,
        )
    for canonical, extra in mapping.duplicates.items():
        report.add(
            "duplicate_column",
            "warning",
            f"headers {extra} also match {canonical!r}; using {mapping.found[canonical]!r}",
            sheet=raw.sheet,
            column=extra[0],
        )
    for header in mapping.unknown:
        report.add(
            "column_ignored",
            "warning",
            f"header matches no column of layer {layer.name!r}; ignored",
            sheet=raw.sheet,
            column=header,
        )


def _coerce_column(values: pd.Series, col: Column, *, header: str, sink: RowProblems, settings: Settings) -> pd.Series:
    """Coerce one column and report unreadable, missing-required and out-of-range values."""
    values = values.where(~is_missing(values), None)
    typed, bad, reason = COERCERS[col.kind](values, col, settings)
    sink.flag("bad_value", reason, bad, column=header, values=values)
    if col.required:
        sink.flag("missing_value", f"required value of {col.name!r} ({col.zh}) is empty", values.isna(), column=header)
    if col.minimum is not None or col.maximum is not None:
        outside, why = out_of_range(typed, col, settings)
        sink.flag("out_of_range", why, outside, column=header, values=values)
    return typed


def _repeats(out: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, pd.Series]:
    """Rows whose (non-empty) values in ``columns`` an earlier row already had, and that earlier row's number."""
    complete = out[columns].notna().all(axis=1)
    later = (complete & out.duplicated(columns, keep="first")).to_numpy()
    if not later.any():
        return later, pd.Series(dtype="Int64")
    first_row = out[complete].groupby(columns, sort=False)[ROW].transform("min").reindex(out.index).astype("Int64")
    return later, first_row


def _check_keys(out: pd.DataFrame, layer: LayerSchema, sink: RowProblems) -> None:
    """Duplicate keys are errors naming the row that had the key first."""
    key = list(layer.key)
    if any(k not in out for k in key):
        return
    later, first_row = _repeats(out, key)  # rows with an empty key are reported as missing values
    for i in np.flatnonzero(later):
        value = "/".join(str(out[k].iloc[i]) for k in key)
        sink.at(
            int(i),
            "duplicate_key",
            f"key {'+'.join(key)} already used on row {first_row.iloc[i]}",
            column=key[0],
            value=value,
        )


_TEN_THOUSAND = re.compile(r"[\(（\[【]\s*万\s*元")  # 计划投资（万元）
_YUAN = re.compile(r"[\(（\[【]\s*元")  # 资金（元）
_SCIENTIFIC = re.compile(r"^\s*\d(\.\d+)?[eE]\+?\d+\s*$")


def _check_ids_kept_as_text(values: pd.Series, header: str, sink: RowProblems) -> None:
    """ID numbers that a spreadsheet stored as numbers: their last digits are already lost (an error).

    Excel keeps 15 significant digits, so 110101199003077777 typed into a number cell
    becomes 110101199003077000 (or 1.10101E+17 in a CSV it saves): the true number cannot
    be recovered, only typed again in a text cell.
    """
    numeric = values.map(
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 1e15, na_action="ignore"
    )
    scientific = values.map(lambda v: isinstance(v, str) and bool(_SCIENTIFIC.match(v)), na_action="ignore")
    lost = numeric.fillna(False).astype(bool) | scientific.fillna(False).astype(bool)
    sink.flag(
        "id_as_number",
        "ID number stored as a number: a spreadsheet keeps only 15 digits, the last ones are "
        "lost; format the column as text (设置单元格格式→文本) and type the numbers again",
        lost,
        column=header,
        values=values.map(lambda v: mask_id(str(v)), na_action="ignore"),
    )


def _check_shared_ids(out: pd.DataFrame, sink: RowProblems) -> None:
    """One resident ID in two households: a warning naming the first row (a typo, or a household entered twice)."""
    ids = out["id_number"]
    shared, first = _repeats(out, ["id_number"])
    for i in np.flatnonzero(shared):
        sink.at(
            int(i),
            "duplicate_id",
            f"same ID number as the household on row {first.iloc[i]}",
            column="id_number",
            value=mask_id(ids.iloc[i]),
            severity="warning",
        )


def _check_layer_rules(out: pd.DataFrame, layer: LayerSchema, sink: RowProblems) -> None:
    """Rules that tie columns together: parent codes, resident-ID checksums."""
    if layer.name == "villages":
        derived = out["village_code"].str[:9]
        given = out["town_code"]
        clash = given.notna() & derived.notna() & (given != derived)
        county_clash = clash & (given.str[:6] != derived.str[:6])
        sink.flag(
            "code_mismatch",
            "the village code's first 6 digits (its county) differ from the county of town_code: "
            "a village code of another county, or a wrong town_code",
            county_clash,
            column="town_code",
            values=given,
        )
        sink.flag(
            "code_mismatch",
            "town_code must be the first 9 digits of village_code",
            clash & ~county_clash,
            column="town_code",
            values=given,
        )
        out["town_code"] = given.where(given.notna(), derived)
    if layer.name == "regions":
        wrong = out["code"].notna() & out["level"].notna() & (out["code"].str.len() != out["level"].map(LEVELS))
        sink.flag(
            "code_mismatch",
            "a province code has 2 digits, a city code 4, a county code 6: the code's length does not match its level",
            wrong,
            column="code",
            values=out["code"],
        )
    if layer.name == "households":
        ids = out["id_number"].str.upper()  # the check character x is X
        out["id_number"] = ids
        ok = id_checksums_ok(ids)
        bad = ids.notna() & ~ok.fillna(True).astype(bool)
        sink.flag(
            "id_checksum",
            "resident ID fails the GB 11643 check digit; kept and flagged",
            bad,
            column="id_number",
            values=ids.map(mask_id, na_action="ignore"),
            severity="warning",
        )
        out["id_checksum_ok"] = ok.astype("boolean")
        _check_shared_ids(out, sink)
