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
from geodata.idcard import id_checksums_ok
from geodata.privacy import mask_id
from geodata.readers import RawTable
from geodata.report import Report, RowProblems
from geodata.schemas import Column, LayerSchema
from geodata.settings import Settings

ROW = "_row"  # source row number carried alongside the data until the report is done

_EMPTY: dict[str, str] = {
    "int": "Int64",
    "float": "float64",
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
            out[col.name] = pd.Series(
                pd.NA if col.kind in _EMPTY else None, index=out.index, dtype=_EMPTY.get(col.kind, "object")
            )
            continue
        out[col.name] = _coerce_column(raw.data[header], col, header=header, sink=sink, settings=settings)
    _check_keys(out, layer, sink)
    _check_layer_rules(out, layer, sink)
    return out, mapping


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


def _check_keys(out: pd.DataFrame, layer: LayerSchema, sink: RowProblems) -> None:
    """Duplicate keys are errors naming the row that had the key first."""
    key = list(layer.key)
    if any(k not in out for k in key) or out[key].isna().any(axis=None):
        return
    dup = out.duplicated(key, keep=False)
    if not dup.any():
        return
    first_row = out.groupby(key, sort=False)[ROW].transform("min")
    later = out.duplicated(key, keep="first").to_numpy()
    for i in np.flatnonzero(later):
        value = "/".join(str(out[k].iloc[i]) for k in key)
        sink.at(
            int(i),
            "duplicate_key",
            f"key {'+'.join(key)} already used on row {first_row.iloc[i]}",
            column=key[0],
            value=value,
        )


def _check_layer_rules(out: pd.DataFrame, layer: LayerSchema, sink: RowProblems) -> None:
    """Rules that tie columns together: parent codes, resident-ID checksums."""
    if layer.name == "villages":
        derived = out["village_code"].str[:9]
        given = out["town_code"]
        clash = given.notna() & derived.notna() & (given != derived)
        sink.flag(
            "code_mismatch",
            "town_code must be the first 9 digits of village_code",
            clash,
            column="town_code",
            values=given,
        )
        out["town_code"] = given.where(given.notna(), derived)
    if layer.name == "households":
        ids = out["id_number"]
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
