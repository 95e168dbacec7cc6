"""Look at an uploaded file before importing it: which layer, which column is which, which coordinate system.

The /data page shows this so a person can correct it: the layer guessed from the
headers, each source header with the canonical column it maps to, the first rows
(personal data masked), and a coordinate hint — points that land in their own village
only when read as GCJ-02 or BD-09 (phone maps shift points several hundred metres), or
longitude and latitude entered the wrong way round.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np

from geodata._errors import ReadError
from geodata.io._excel import sheet_names
from geodata.io.coerce import coerce_code, coerce_float
from geodata.io.columns import ColumnMapping, match_columns
from geodata.io.crs import bd09_to_wgs84, gcj02_to_wgs84, guess_projected_crs, looks_projected, looks_swapped
from geodata.io.locate import VillageIndex
from geodata.io.privacy import MASKERS, mask_name
from geodata.io.readers import RawTable, read_table
from geodata.schemas import SCHEMAS, LayerSchema, schema
from geodata.settings import Settings, get_settings

ALL_HEADERS = tuple(dict.fromkeys(n for s in SCHEMAS.values() for c in s.columns for n in c.all_names))
MIN_POINTS = 5  # fewer points with a known village than this say nothing about an offset
EARTH_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class LayerGuess:
    """How well a file's headers fit one layer."""

    layer: str
    required_found: int
    required: int
    matched: int

    @property
    def complete(self) -> bool:
        """True when every required column was found."""
        return self.required_found == self.required


@dataclass
class CrsHint:
    """What the coordinates look like: ``suggest`` is a CRS name (gcj02, bd09, an EPSG code), "swap" or None.

    ``inside`` holds the share of points in their own village for each reading tried;
    ``offset_m`` the median shift between the file's points and the suggested reading.
    """

    suggest: str | None = None
    inside: dict[str, float] = field(default_factory=dict)
    offset_m: float | None = None
    points: int = 0


@dataclass
class Preview:
    """What the page shows about an uploaded file for one layer."""

    layer: str
    headers: list[str]
    mapping: dict[str, str]  # source header → canonical column ("" = ignored)
    missing: list[str]  # required canonical columns no header provides
    rows: list[dict[str, object]]  # the first rows, keyed by source header, personal data masked
    hint: CrsHint
    total_rows: int


def read_upload(path: str | os.PathLike[str], *, encoding: str = "auto", sheet: str | None = None) -> RawTable:
    """Read a file whatever its layer (the header row is found with every layer's spellings)."""
    return read_table(path, encoding=encoding, sheet=sheet, header_hint=ALL_HEADERS)


def upload_sheets(path: str | os.PathLike[str]) -> tuple[list[str], str | None]:
    """A workbook's sheets and the one to show first: the first whose headers make a complete layer.

    Ledgers often open with a summary sheet (汇总) before the detail sheet (明细); without a
    complete match the first sheet is shown. Files other than workbooks have no sheets.
    """
    names = sheet_names(Path(path)) if os.fspath(path).lower().endswith((".xlsx", ".xlsm")) else []
    if len(names) < 2:
        return names, names[0] if names else None
    for name in names:
        try:
            headers = [str(h) for h in read_upload(path, sheet=name).data.columns]
        except ReadError:  # an empty or unreadable sheet
            continue
        if detect_layer(headers)[0].complete:
            return names, name
    return names, names[0]


def detect_layer(headers: list[str]) -> list[LayerGuess]:
    """Every layer scored against ``headers``, best first: complete ones, then most required, most matched."""
    guesses = []
    for spec in SCHEMAS.values():
        found = match_columns(headers, spec).found
        guesses.append(LayerGuess(spec.name, sum(c in found for c in spec.required), len(spec.required), len(found)))
    return sorted(guesses, key=lambda g: (g.complete, g.required_found / max(g.required, 1), g.matched), reverse=True)


def preview_table(
    raw: RawTable,
    layer: str,
    *,
    villages: gpd.GeoDataFrame | None,
    overrides: dict[str, str] | None = None,
    rows: int = 10,
    settings: Settings | None = None,
) -> Preview:
    """The mapping, first rows and coordinate hint of ``raw`` read as ``layer``."""
    spec = schema(layer)
    headers = [str(h) for h in raw.data.columns]
    found = match_columns(headers, spec, overrides=overrides)
    mapping = {h: "" for h in headers} | {h: c for c, h in found.found.items()}
    hint = crs_hint(raw, spec, found, villages, settings=settings or get_settings())
    return Preview(layer, headers, mapping, found.missing(spec), _sample(raw, spec, mapping, rows), hint, len(raw.data))


def _sample(raw: RawTable, spec: LayerSchema, mapping: dict[str, str], rows: int) -> list[dict[str, object]]:
    """The first rows as text, personal-data columns masked."""
    pii = set(spec.pii) | ({"helper"} if spec.name == "households" else set())
    head = raw.data.head(rows)
    out = []
    for _, row in head.iterrows():
        shown: dict[str, object] = {}
        for h in head.columns:
            v = row[h]
            text = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            if text and mapping.get(h) in pii:
                text = str(MASKERS.get(mapping[h], mask_name)(text))
            shown[h] = text
        out.append(shown)
    return out


def crs_hint(
    raw: RawTable, spec: LayerSchema, mapping: ColumnMapping, villages: gpd.GeoDataFrame | None, *, settings: Settings
) -> CrsHint:
    """Guess the coordinate system of a point file from where its points fall against the stored villages."""
    if spec.coords is None or raw.geometry is not None:
        return CrsHint()
    lon_h, lat_h = (mapping.found.get(c) for c in spec.coords)
    if lon_h is None or lat_h is None:
        return CrsHint()
    x = coerce_float(raw.data[lon_h], spec.column(spec.coords[0]), settings)[0].to_numpy()
    y = coerce_float(raw.data[lat_h], spec.column(spec.coords[1]), settings)[0].to_numpy()
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    hint = CrsHint(points=int(ok.sum()))
    if len(x) and looks_projected(x, y):
        epsg = guess_projected_crs(x, y)
        hint.suggest = str(epsg) if epsg else "projected"
    elif len(x) and looks_swapped(x, y):
        hint.suggest = "swap"
    elif len(x) and (code_h := mapping.found.get("village_code")) and villages is not None and len(villages):
        codes = coerce_code(raw.data[code_h], spec.column("village_code"), settings)[0].to_numpy(dtype=object)[ok]
        _offset_hint(hint, x, y, codes, index=VillageIndex(villages), settings=settings)
    return hint


def _offset_hint(
    hint: CrsHint, x: np.ndarray, y: np.ndarray, codes: np.ndarray, *, index: VillageIndex, settings: Settings
) -> None:
    """Share of points in their own village read as-is, as GCJ-02 and as BD-09; suggest the clear winner."""
    known = np.array([c in index.by_code for c in codes], dtype=bool)
    if known.sum() < MIN_POINTS:
        return
    x, y, codes = x[known], y[known], codes[known]
    readings = {"cgcs2000": (x, y), "gcj02": gcj02_to_wgs84(x, y), "bd09": bd09_to_wgs84(x, y)}
    hint.inside = {k: float(index.inside_coded(codes, *xy).mean()) for k, xy in readings.items()}
    best = max(hint.inside, key=lambda k: hint.inside[k])
    if best != "cgcs2000" and hint.inside[best] - hint.inside["cgcs2000"] > settings.imports.crs_hint_gain:
        hint.suggest = best
        bx, by = readings[best]
        dx = (bx - x) * np.cos(np.radians(y)) * EARTH_M_PER_DEG
        dy = (by - y) * EARTH_M_PER_DEG
        hint.offset_m = float(np.median(np.hypot(dx, dy)))


def changed_overrides(auto: dict[str, str], chosen: dict[str, str]) -> dict[str, str]:
    """The mapping choices that differ from the automatic ones (what the importer is told to override)."""
    return {h: c for h, c in chosen.items() if auto.get(h, "") != (c or "")}


def auto_mapping(headers: list[str], layer: str) -> dict[str, str]:
    """Source header → canonical column as matched automatically ("" = no match)."""
    found = match_columns(headers, schema(layer)).found
    return {h: "" for h in headers} | {h: c for c, h in found.items()}
