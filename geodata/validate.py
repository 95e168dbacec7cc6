"""Check a raw table against its layer schema and return typed columns plus every problem.

Problems are collected, never raised one at a time: a person fixing a sheet wants the
whole list. Structural faults (missing required column, unreadable or out-of-range
value, duplicate key, code inconsistent with its parent) are errors that refuse the
import; repairable ones (resident-ID checksum) are warnings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.coerce import COERCERS, is_missing, out_of_range
from geodata.columns import ColumnMapping, match_columns
from geodata.idcard import id_checksum_ok
from geodata.privacy import mask_id
from geodata.readers import RawTable
from geodata.report import Report
from geodata.schemas import Column, LayerSchema
from geodata.settings import Settings

ROW = "_row"  # source row number carried alongside the data until the report is done

_EMPTY: dict[str, str] = {
    "int": "Int64", "float": "float64", "bool": "boolean", "date": "datetime64[ms]",
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
    rows = np.asarray(raw.source_rows)
    out = pd.DataFrame({ROW: rows}, index=raw.data.index)
    for col in layer.columns:
        header = mapping.found.get(col.name)
        if header is None:
            out[col.name] = pd.Series(pd.NA if col.kind in _EMPTY else None, index=out.index,
                                      dtype=_EMPTY.get(col.kind, "object"))
            continue
        out[col.name] = _coerce_column(raw.data[header], col, header, rows, raw, report, settings)
    _check_keys(out, layer, raw, report)
    _check_layer_rules(out, layer, raw, report)
    return out, mapping


def _report_mapping(mapping: ColumnMapping, layer: LayerSchema, raw: RawTable, report: Report) -> None:
    """Missing required columns are errors; ignored and duplicate headers are warnings."""
    for name in mapping.missing(layer):
        col = layer.column(name)
        report.add("missing_column", "error",
                   f"required column {name!r} ({col.zh}) not found; accepted headers: {', '.join(col.all_names)}",
                   sheet=raw.sheet, column=name)
    for canonical, extra in mapping.duplicates.items():
        report.add("duplicate_column", "warning",
                   f"headers {extra} also match {canonical!r}; using {mapping.found[canonical]!r}",
                   sheet=raw.sheet, column=extra[0])
    for header in mapping.unknown:
        report.add("column_ignored", "warning", f"header matches no column of layer {layer.name!r}; ignored",
                   sheet=raw.sheet, column=header)


def _coerce_column(values: pd.Series, col: Column, header: str, rows: np.ndarray, raw: RawTable,
                   report: Report, settings: Settings) -> pd.Series:
    """Coerce one column and report unreadable, missing-required and out-of-range values."""
    values = values.where(~is_missing(values), None)
    typed, bad, reason = COERCERS[col.kind](values, col, settings)
    _add_rows(report, "bad_value", reason, bad, values, header, rows, raw)
    if col.required:
        _add_rows(report, "missing_value", f"required value of {col.name!r} ({col.zh}) is empty",
                  values.isna(), values, header, rows, raw)
    if col.minimum is not None or col.maximum is not None:
        outside, why = out_of_range(typed, col, settings)
        _add_rows(report, "out_of_range", why, outside, values, header, rows, raw)
    return typed


def _add_rows(report: Report, kind: str, reason: str, mask: pd.Series, values: pd.Series, column: str,
              rows: np.ndarray, raw: RawTable, severity: str = "error") -> None:
    """One problem per row flagged in ``mask``."""
    for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
        value = values.iloc[i]
        report.add(kind, severity, reason, sheet=raw.sheet, row=int(rows[i]), column=column,  # type: ignore[arg-type]
                   value=None if value is None else str(value))


def _check_keys(out: pd.DataFrame, layer: LayerSchema, raw: RawTable, report: Report) -> None:
    """Duplicate keys are errors naming the row that had the key first."""
    key = list(layer.key)
    if any(k not in out for k in key) or out[key].isna().any(axis=None):
        return
    dup = out.duplicated(key, keep=False)
    if not dup.any():
        return
    first_row = out[dup].groupby(key, sort=False)[ROW].transform("min")
    for idx in out.index[dup & out.duplicated(key, keep="first")]:
        value = "/".join(str(out.at[idx, k]) for k in key)
        report.add("duplicate_key", "error", f"key {'+'.join(key)} already used on row {first_row[idx]}",
                   sheet=raw.sheet, row=int(out.at[idx, ROW]), column=key[0], value=value)


def _check_layer_rules(out: pd.DataFrame, layer: LayerSchema, raw: RawTable, report: Report) -> None:
    """Rules that tie columns together: parent codes, resident-ID checksums."""
    if layer.name == "villages":
        derived = out["village_code"].str[:9]
        given = out["town_code"]
        clash = given.notna() & derived.notna() & (given != derived)
        _add_rows(report, "code_mismatch", "town_code must be the first 9 digits of village_code",
                  clash, given, "town_code", out[ROW].to_numpy(), raw)
        out["town_code"] = given.where(given.notna(), derived)
    if layer.name == "households":
        ids = out["id_number"]
        ok = ids.map(id_checksum_ok, na_action="ignore")
        bad = ids.notna() & ~ok.fillna(True).astype(bool)
        _add_rows(report, "id_checksum", "resident ID fails the GB 11643 check digit; kept and flagged",
                  bad, ids.map(mask_id, na_action="ignore"), "id_number", out[ROW].to_numpy(), raw, "warning")
        out["id_checksum_ok"] = ok.astype("boolean")
