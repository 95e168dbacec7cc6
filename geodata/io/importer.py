"""Import a county file into a layer: read, validate, locate, then write atomically or refuse.

:func:`prepare_layer` does every check and returns the canonical frame with its report
without writing; :func:`import_layer` writes it (replace, or append merging by key)
in one store transaction, together with an import-log entry. Any error in the report
refuses the import and the store is left byte-identical.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata._errors import InputError, ReadError
from geodata.io.columns import ColumnMapping
from geodata.io.crs import CrsSpec, geographic_points, to_cgcs2000
from geodata.io.diff import LayerDiff, diff_layer, village_lookup
from geodata.io.locate import (
    STORED,
    VillageIndex,
    locate_points,
    raw_xy,
    repair_polygons,
    source_crs,
    transform_geometries,
)
from geodata.io.readers import RawTable, read_table
from geodata.io.report import Report, RowProblems, Severity
from geodata.io.validate import ROW, normalise_table
from geodata.schemas import DERIVED_COLUMNS, LayerSchema, schema
from geodata.settings import Settings, get_settings
from geodata.store import Frame, Store

log = logging.getLogger(__name__)
Mode = Literal["replace", "append"]
Progress = Callable[[str], None]


def _no_progress(_label: str) -> None:
    """Progress sink used when nobody watches."""


@dataclass
class Prepared:
    """A validated layer ready to store, with everything found on the way."""

    layer: str
    frame: Frame
    report: Report
    mapping: ColumnMapping | None
    raw: RawTable | None
    diff: LayerDiff | None = None  # set once written


def prepare_layer(
    layer: str,
    path: str | os.PathLike[str],
    *,
    store: Store,
    crs: str | int | None = None,
    encoding: str = "auto",
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Read and check ``path`` as ``layer`` against the store, writing nothing.

    The returned report holds every problem; ``report.ok`` is False when the import
    must be refused. An unreadable file gives a report with one error. ``progress``
    is called with a label after each of the steps read, checked, located.
    """
    settings = settings or get_settings()
    step = progress or _no_progress
    spec = schema(layer)
    report = Report(file=os.fspath(path), layer=layer)
    try:
        raw = read_table(
            path, sheet=sheet, encoding=encoding, header_hint=[n for c in spec.columns for n in c.all_names]
        )
    except ReadError as exc:
        report.add("unreadable", "error", str(exc))
        return Prepared(layer, pd.DataFrame(), report, None, None)
    return prepare_raw(
        raw, spec, report=report, store=store, crs=crs, settings=settings, overrides=overrides, progress=step
    )


def prepare_rows(
    layer: str,
    rows: pd.DataFrame,
    *,
    store: Store,
    source: str = "command line",
    settings: Settings | None = None,
) -> Prepared:
    """Check rows typed in (a form, a command's options) exactly as a file import would, writing nothing.

    ``rows`` holds text or values under canonical or Chinese headers; row numbers in
    the report count from 1.
    """
    spec = schema(layer)
    raw = RawTable(
        data=rows.astype(object).where(rows.notna(), None).reset_index(drop=True),
        geometry=None,
        source_rows=np.arange(1, len(rows) + 1),
        file=source,
    )
    report = Report(file=source, layer=layer)
    return prepare_raw(raw, spec, report=report, store=store, settings=settings or get_settings())


def prepare_raw(
    raw: RawTable,
    spec: LayerSchema,
    *,
    report: Report,
    store: Store,
    settings: Settings,
    crs: str | int | None = None,
    overrides: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Validate a raw table against ``spec`` and the store, then attach geometry; the shared core of every import."""
    step = progress or _no_progress
    report.rows = len(raw.data)
    step(f"read {len(raw.data)} rows")
    frame, mapping = normalise_table(raw, spec, settings=settings, report=report, overrides=overrides)
    _check_relations(frame, spec, store, raw, report)
    step("checked")
    if report.ok:
        try:
            frame = _attach_geometry(frame, raw, spec=spec, store=store, crs=crs, settings=settings, report=report)
        except InputError as exc:
            if report.ok:  # raised before it was reported (e.g. an unusable --crs)
                report.add("bad_crs", "error", str(exc))
    step("located")
    return Prepared(spec.name, _finish(frame, spec) if report.ok else frame, report, mapping, raw)


def import_layer(
    layer: str,
    path: str | os.PathLike[str],
    *,
    store: Store,
    mode: Mode = "replace",
    who: str | None = None,
    source: str | None = None,
    **options: object,
) -> Prepared:
    """Validate ``path`` and write it into ``layer`` atomically; raise InputError when refused.

    What changed against the stored version is in the returned ``diff``.
    """
    prepared = prepare_layer(layer, path, store=store, **options)  # type: ignore[arg-type]
    if not prepared.report.ok:
        msg = f"import of {Path(path).name} into {layer!r} refused: {len(prepared.report.errors)} error(s)"
        raise InputError(msg, prepared.report)
    prepared.diff = write_layer(prepared, store=store, mode=mode, who=who, source=source)
    progress = options.get("progress")
    if callable(progress):
        progress("written")
    return prepared


def write_layer(
    prepared: Prepared,
    *,
    store: Store,
    mode: Mode = "replace",
    who: str | None = None,
    source: str | None = None,
    new_keys_only: bool = False,
    once: str | None = None,
) -> LayerDiff:
    """Store a prepared layer in one transaction (append merges by key, incoming rows win).

    Returns what changed against the stored version; the import-log entry records it
    with who imported, when, and ``source`` (default: the file's path). With
    ``new_keys_only`` an append whose key is already stored is refused with
    :class:`KeyTaken` instead (checked under the writers' lock, so two writers that
    chose the same new key cannot overwrite each other). ``once`` names a column whose
    values may be stored only once (a phone record's UUID): a row whose value is stored
    already is refused with :class:`AlreadyStored`, naming the stored row's key, under the
    same lock.
    """
    spec = schema(prepared.layer)
    frame = prepared.frame
    detail: dict[str, object] = {"mode": mode, "warnings": len(prepared.report.warnings)}
    with store.transaction() as tx:  # holds the writers' lock: the stored version cannot change meanwhile
        old = store.read_or_none(spec.name)
        if new_keys_only and old is not None:
            _refuse_taken_keys(old, frame, spec)
        if once is not None and old is not None:
            _refuse_stored_once(old, frame, spec, once)
        if mode == "append" and old is not None:
            if spec.name == "villages":
                _refuse_county_elsewhere(old, frame, prepared.report.file)
            frame, conflicts = merge_by_key(old, frame, spec, prepared.report)
            detail["conflicts"] = conflicts
        lookup = village_lookup(store.read_or_none("households")) if "village_code" not in frame else None
        diff = diff_layer(old, frame, spec, village_of=lookup)
        detail["diff"] = diff.as_dict()
        tx.write(spec.name, frame)
        tx.log(
            action=f"import:{mode}",
            layer=spec.name,
            rows=len(prepared.frame),
            source=source or prepared.report.file,
            detail=detail,
            who=who,
        )
    diff_detail = {k: v for k, v in detail.items() if k != "diff"}
    audit = {"rows": len(prepared.frame), "file": prepared.report.file, **diff_detail}
    # The one import from io into the private room: every import is audited in the private file.
    from geodata.private.db import PrivateDB, cli_user  # noqa: PLC0415

    try:  # the import is stored (and in the store's own import log): a locked audit file must not look like a failure
        PrivateDB.beside(store).audit(who=who or cli_user(), action=f"import:{mode}", target=spec.name, detail=audit)
    except (OSError, sqlite3.Error):
        log.exception("import of %s stored, but its audit entry could not be written", spec.name)
    return diff


class KeyTaken(InputError):
    """An append of new rows whose key another writer stored first."""


def _refuse_taken_keys(old: Frame, new: Frame, spec: LayerSchema) -> None:
    key = list(spec.key)
    taken = pd.MultiIndex.from_frame(old[key]).intersection(pd.MultiIndex.from_frame(new[key]))
    if len(taken):
        msg = f"{spec.name}: key {'/'.join(map(str, taken[0]))} is already stored"
        raise KeyTaken(msg)


class AlreadyStored(InputError):
    """An append of a row whose once-only value is stored already; ``key`` is the stored row's key."""

    def __init__(self, msg: str, key: tuple[str, ...]) -> None:
        super().__init__(msg)
        self.key = key


def _refuse_stored_once(old: Frame, new: Frame, spec: LayerSchema, column: str) -> None:
    if column not in old or column not in new:
        return
    values = set(new[column].dropna().astype(str))
    stored = old[old[column].notna() & old[column].astype(str).isin(values)]
    if len(stored):
        key = tuple(str(stored[k].iloc[0]) for k in spec.key)
        msg = f"{spec.name}: {column} {stored[column].iloc[0]} is already stored as {'/'.join(key)}"
        raise AlreadyStored(msg, key)


def _refuse_county_elsewhere(old: Frame, new: Frame, file: str | None) -> None:
    """Refuse appended villages whose county code is stored already for another place (two counties, one code).

    The same county imported again overlaps its stored villages; a different county
    given the same 6-digit code lies elsewhere, and merging the two would mix their villages.
    """
    old_county = old["village_code"].astype("str").str[:6]
    new_county = new["village_code"].astype("str").str[:6]
    clashes = []
    for code in sorted(set(new_county) & set(old_county)):
        stored = shapely.union_all(old.geometry[(old_county == code).to_numpy()].to_numpy())
        incoming = shapely.union_all(new.geometry[(new_county == code).to_numpy()].to_numpy())
        # a ratio of two areas of the same place: degrees serve (an edge shared with a neighbour overlaps by ~0)
        if stored.intersection(incoming).area < get_settings().imports.same_county_overlap * incoming.area:
            clashes.append(code)
    if clashes:
        msg = (
            f"{file or 'the file'}: county code {', '.join(clashes)} is already in the store for villages "
            "that do not overlap these: two counties cannot share one code. Check the file's village codes "
            "(the first 6 digits are the county), or replace the layer with --mode replace"
        )
        raise InputError(msg)


def merge_by_key(old: Frame, new: Frame, spec: LayerSchema, report: Report) -> tuple[Frame, int]:
    """Old rows plus new ones; a key present in both takes the new row and is reported as a conflict."""
    key = list(spec.key)
    old_keyed = old.set_index(key)
    new_keyed = new.set_index(key)
    both = old_keyed.index.intersection(new_keyed.index)
    compare = [c for c in new_keyed.columns if c in old_keyed.columns and c != "geometry"]
    conflicts = 0
    for k in both:
        a, b = old_keyed.loc[k, compare], new_keyed.loc[k, compare]
        changed = [c for c in compare if not _same(a[c], b[c])]
        if changed:
            conflicts += 1
            report.add(
                "append_conflict",
                "warning",
                f"key already stored; columns {changed} replaced by the new file",
                column=key[0],
                value="/".join(map(str, k if isinstance(k, tuple) else (k,))),
            )
    kept = old_keyed.drop(index=both)
    merged = pd.concat([kept, new_keyed]).reset_index()
    if isinstance(new, gpd.GeoDataFrame):
        merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=STORED)
    return merged[new.columns], conflicts


def _same(a: object, b: object) -> bool:
    """Equality that treats two missing values as equal."""
    if pd.isna(a) and pd.isna(b):  # type: ignore[arg-type]
        return True
    return bool(a == b)


def _check_relations(frame: pd.DataFrame, spec: LayerSchema, store: Store, raw: RawTable, report: Report) -> None:
    """Codes must name stored rows.

    Village codes and measures' households are errors; tasks' projects and C/D cases' households warnings.
    """
    rows = RowProblems(report, frame[ROW].to_numpy(), raw.sheet)
    if spec.village_column and spec.village_column in frame:
        if not store.has("villages"):
            report.add(
                "no_villages",
                "error",
                "the store has no villages layer: import villages first "
                "(battlemap import villages FILE) or run battlemap demo",
            )
            return
        _flag_unknown(
            rows,
            frame,
            store,
            spec.village_column,
            "villages",
            key="village_code",
            kind="unknown_village",
            reason="village code not in the villages layer",
        )
    if spec.name == "household_measures":
        _check_measure_households(frame, store, rows)
    if spec.name == "tasks" and store.has("projects"):
        _flag_unknown(
            rows,
            frame,
            store,
            "project_id",
            "projects",
            kind="unknown_project",
            severity="warning",
            reason="project_id names no project of the projects layer; kept",
        )
    if spec.name == "housing" and store.has("households"):
        _flag_unknown(
            rows,
            frame,
            store,
            "household_id",
            "households",
            kind="unknown_household",
            severity="warning",
            reason="C/D case names a household not in the store; kept",
        )


def _check_measure_households(frame: pd.DataFrame, store: Store, rows: RowProblems) -> None:
    """一户一法 measures belong to registered households: an unknown household id is a row error."""
    if not store.has("households"):
        rows.report.add(
            "no_households",
            "error",
            "the store has no households layer: import households first (battlemap import households FILE)",
        )
        return
    _flag_unknown(
        rows,
        frame,
        store,
        "household_id",
        "households",
        kind="unknown_household",
        reason="household id not in the households layer",
    )


def _flag_unknown(
    rows: RowProblems,
    frame: pd.DataFrame,
    store: Store,
    column: str,
    layer: str,
    *,
    kind: str,
    reason: str,
    key: str | None = None,
    severity: Severity = "error",
) -> None:
    """Flag the rows whose ``column`` names no row of the stored ``layer`` (matched on its ``key`` column)."""
    key = key or column
    known = set(store.read(layer, columns=[key])[key])
    values = frame[column]
    rows.flag(kind, reason, values.notna() & ~values.isin(known), column=column, values=values, severity=severity)


def _attach_geometry(
    frame: pd.DataFrame,
    raw: RawTable,
    *,
    spec: LayerSchema,
    store: Store,
    crs: str | int | None,
    settings: Settings,
    report: Report,
) -> Frame:
    """Geometry in EPSG:4490 for the layer's geometry kind; see :mod:`geodata.io.locate`."""
    if spec.geometry is None:
        return frame
    if spec.geometry == "grid":
        return _grid_points(frame)
    rows = frame[ROW].to_numpy()
    if spec.geometry in ("polygon", "line"):
        if raw.geometry is None and spec.geometry_optional:
            return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), index=frame.index), crs=STORED)
        if raw.geometry is None:
            msg = (
                f"layer {spec.name!r} needs {spec.geometry} geometry: give a shapefile, GeoJSON or GeoPackage, "
                "or a sheet with a 几何 (WKT geometry) column"
            )
            report.add("no_geometry", "error", msg)
            raise InputError(msg, report)
        geoms = np.asarray(raw.geometry.values, dtype=object)
        xy = shapely.get_coordinates(geoms)
        spec_crs = source_crs(raw, crs, xy[:, 0], xy[:, 1], report)
        geoms = transform_geometries(geoms, spec_crs)
        if spec.geometry == "polygon":
            geoms = repair_polygons(geoms, RowProblems(report, rows, raw.sheet))
        return gpd.GeoDataFrame(frame, geometry=geoms, crs=STORED)
    x, y = raw_xy(raw, frame, spec)
    if crs in (None, "") and (raw.geometry is None or raw.geometry.crs is None):
        x, y = _stray_coordinates(x, y, spec, RowProblems(report, rows, raw.sheet))
    spec_crs = source_crs(raw, crs, x, y, report)
    lon, lat = transform_points(x, y, spec_crs)
    villages = store.read("villages") if store.has("villages") else None
    index = VillageIndex(villages) if villages is not None and len(villages) else None
    geoms = locate_points(
        frame,
        lon,
        lat,
        layer=spec,
        index=index,
        settings=settings,
        report=report,
        sheet=raw.sheet,
        declared_crs=crs not in (None, "") or (raw.geometry is not None and raw.geometry.crs is not None),
    )
    if not report.ok:
        raise InputError("location errors", report)
    if spec.coords:
        frame[spec.coords[0]] = shapely.get_x(geoms)
        frame[spec.coords[1]] = shapely.get_y(geoms)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=STORED)


STRAY_SHARE = 0.9  # when at least this share of a file's points read as lon/lat, the others are typos


def _stray_coordinates(x: np.ndarray, y: np.ndarray, spec: LayerSchema, sink: RowProblems) -> tuple[np.ndarray, ...]:
    """Points that are not longitude/latitude in a file whose others are: row errors, not a wrong CRS.

    One longitude typed as 10461 instead of 104.61 would otherwise make the whole file
    look projected and be refused with advice about coordinate systems.
    """
    known = np.isfinite(x) & np.isfinite(y)
    geographic = geographic_points(x, y)
    if not known.any() or geographic.all() or geographic.sum() < STRAY_SHARE * known.sum():
        return x, y
    stray = known & ~geographic
    lon = (spec.coords or ("lon", "lat"))[0]
    sink.flag(
        "bad_value",
        "not a longitude/latitude while the file's other points are: a typo (decimal point?)",
        stray,
        column=lon,
        values=[f"{a:g}, {b:g}" for a, b in zip(x, y, strict=True)],
    )
    return np.where(stray, np.nan, x), np.where(stray, np.nan, y)


def transform_points(x: np.ndarray, y: np.ndarray, spec_crs: CrsSpec) -> tuple[np.ndarray, np.ndarray]:
    """CGCS2000 lon/lat of finite points; NaN stays NaN."""
    lon, lat = np.full(len(x), np.nan), np.full(len(x), np.nan)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        lon[ok], lat[ok] = to_cgcs2000(x[ok], y[ok], spec_crs)
    return lon, lat


def _grid_points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Elevation cells as points in EPSG:4490 from their Gauss-Krüger x/y."""
    epsg = int(frame["gk_epsg"].iloc[0])
    pts = gpd.GeoSeries.from_xy(frame["x"].astype(float), frame["y"].astype(float), crs=epsg).to_crs(STORED)
    return gpd.GeoDataFrame(frame, geometry=pts.values, crs=STORED)


def _finish(frame: Frame, spec: LayerSchema) -> Frame:
    """Canonical column order (schema columns, derived flags, geometry) without helper columns."""
    cols = [c.name for c in spec.columns] + [c for c in DERIVED_COLUMNS.get(spec.name, ()) if c in frame]
    if isinstance(frame, gpd.GeoDataFrame):
        cols.append(frame.geometry.name)
    out = frame[cols].reset_index(drop=True)
    return out
