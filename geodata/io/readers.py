"""Read any county file into a raw table, keeping the row numbers a person sees.

Readers know formats, not layers: they return text cells as found (stripped), the
geometry of spatial files in the file's own CRS, and for each row the number shown
in Excel or a text editor, so that every later problem can point at it. Formats:
xlsx (header row found under merged title rows), csv (UTF-8, UTF-8-BOM, GBK/GB18030
detected), shapefile alone or zipped (DBF code page from .cpg or detected), GeoJSON,
GeoPackage; a sheet may carry geometry as WKT text in a 几何 (geometry) column.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from charset_normalizer import from_bytes

from geodata._errors import InputError, ReadError, without_paths
from geodata.io._excel import read_xlsx_rows
from geodata.io._shapefile import read_shapefile
from geodata.schemas import normalise_header

DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeError, ValueError, KeyError, IndexError)
"""What parsing a damaged file can raise beyond the readers' own checks."""
SPATIAL = {".geojson", ".json", ".gpkg", ".shp", ".zip"}
TABULAR = {".xlsx", ".xlsm", ".csv", ".txt"}
ENCODINGS = ("utf-8-sig", "gb18030")
HEADER_SCAN_ROWS = 30
WKT_HEADERS = {"wkt", "geometry", "geom", "几何", "几何wkt", "空间位置wkt"}


@dataclass
class RawTable:
    """A file's content before any schema is applied."""

    data: pd.DataFrame
    geometry: gpd.GeoSeries | None
    source_rows: np.ndarray
    file: str
    sheet: str | None = None
    encoding: str | None = None
    header_row: int | None = None


def read_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | None = None,
    encoding: str = "auto",
    layer: str | None = None,
    header_hint: Iterable[str] = (),
) -> RawTable:
    """Read ``path`` whatever its format; raise :class:`ReadError` when it cannot be read.

    Parameters
    ----------
    path
        The file: .xlsx/.xlsm, .csv/.txt, .shp (or .zip holding one), .geojson/.json, .gpkg.
    sheet
        Worksheet name for workbooks (default: the first sheet).
    encoding
        ``auto`` to detect, or a codec name for CSV and DBF files.
    layer
        Layer name inside a GeoPackage, or the .shp to take from a zip holding several.
    header_hint
        Known header spellings; the row matching most of them is taken as the header.

    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        msg = f"{path.name}: file not found"
        raise ReadError(msg)
    if path.stat().st_size == 0:
        msg = f"{path.name}: the file is empty (0 bytes)"
        raise ReadError(msg)
    hints = {normalise_header(h) for h in header_hint}
    if suffix not in TABULAR | SPATIAL:
        advice = " (old Excel 97-2003: open it in Excel or WPS and save as .xlsx)" if suffix in (".xls", ".et") else ""
        msg = f"{path.name}: unknown file type {suffix!r}{advice}; accepted: {', '.join(sorted(TABULAR | SPATIAL))}"
        raise ReadError(msg)
    try:
        if suffix in (".xlsx", ".xlsm"):
            table = _from_rows(path, *read_xlsx_rows(path, sheet=sheet), hints=hints)
        elif suffix in (".csv", ".txt"):
            table = _read_csv(path, encoding=encoding, hints=hints)
        else:
            table = _read_spatial(path, encoding=encoding, layer=layer or sheet)
    except InputError:  # ours, already clear
        raise
    except DAMAGED as exc:  # corruption the format's reader did not foresee: still the file's fault, said so
        msg = (
            f"{path.name}: the file is damaged or not a valid {suffix[1:]} file ({type(exc).__name__}: "
            f"{without_paths(str(exc))}); open it in the program that made it, save or export it again and retry"
        )
        raise ReadError(msg) from exc
    if table.data.empty:
        msg = f"{path.name}: the file has a header but no data rows"
        raise ReadError(msg)
    return _wkt_geometry(table) if table.geometry is None else table


def _wkt_geometry(table: RawTable) -> RawTable:
    """A sheet with a WKT column (几何 / geometry / wkt) carries its geometry as text: parse it.

    Unparseable cells are refused with their row numbers; the CRS is unknown (inferred later).
    """
    cols = [c for c in table.data.columns if normalise_header(c) in WKT_HEADERS]
    if not cols:
        return table
    text = table.data[cols[0]]
    cells = text.where(text.notna(), None).to_numpy(dtype=object)
    geoms = shapely.from_wkt(cells, on_invalid="ignore")
    bad = np.flatnonzero(text.notna().to_numpy() & shapely.is_missing(geoms))
    if len(bad):
        rows = ", ".join(str(table.source_rows[i]) for i in bad[:10])
        msg = (
            f"{Path(table.file).name}: column {cols[0]!r} holds text that is not WKT geometry on row(s) {rows}; "
            "write e.g. POLYGON ((104.60 35.60, 104.62 35.60, 104.62 35.62, 104.60 35.60))"
        )
        raise ReadError(msg)
    table.geometry = gpd.GeoSeries(geoms, index=table.data.index, crs=None)
    table.data = table.data.drop(columns=cols)
    return table


def _read_csv(path: Path, *, encoding: str, hints: set[str]) -> RawTable:
    """Decode, sniff the delimiter, find the header row, keep line numbers."""
    raw = path.read_bytes()
    text, used = _decode(raw, encoding, path)
    sample = text[:20000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    table = _from_rows(path, rows, list(range(1, len(rows) + 1)), None, hints=hints)
    table.encoding = used
    return table


def _decode(raw: bytes, encoding: str, path: Path) -> tuple[str, str]:
    """Text of a CSV: the given codec, else UTF-8 (with or without BOM), GB18030, then charset-normalizer."""
    if encoding and encoding != "auto":
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            msg = f"{path.name}: cannot decode as {encoding}: {exc}; try --encoding auto"
            raise ReadError(msg) from exc
    for enc in ENCODINGS:
        try:
            return raw.decode(enc), "utf-8" if enc == "utf-8-sig" and not raw.startswith(b"\xef\xbb\xbf") else enc
        except UnicodeDecodeError:
            continue
    best = from_bytes(raw).best()
    if best is None:
        msg = f"{path.name}: cannot tell the text encoding (tried UTF-8, UTF-8-BOM, GB18030); pass --encoding"
        raise ReadError(msg)
    return str(best), best.encoding


def find_header_row(rows: list[list[object]], hints: set[str]) -> int:
    """Index of the header among the first rows: most known headers, else most distinct short texts.

    Title rows ("XX县2026年监测对象台账", merged across the sheet) have one non-empty cell
    and lose; a unit row or a numbering row (1, 2, 3 …) has numbers and loses.
    """
    best, best_score = 0, (-1, -1)
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = [str(c).strip() for c in row if c is not None and str(c).strip()]
        texts = [c for c in cells if not _is_number(c) and len(c) <= 40]
        known = sum(normalise_header(c) in hints for c in texts)
        score = (known, len(set(texts)) if len(texts) >= 2 else 0)
        if score > best_score:
            best, best_score = i, score
    return best


def _is_number(text: str) -> bool:
    """True for cells that read as a number."""
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _from_rows(
    path: Path, rows: list[list[object]], numbers: list[int], sheet: str | None, *, hints: set[str]
) -> RawTable:
    """Build the table from rows of cells: header detection, blank rows dropped, numbers kept."""
    if not rows:
        msg = f"{path.name}: no rows found" + (f" in sheet {sheet!r}" if sheet else "")
        raise ReadError(msg)
    h = find_header_row(rows, hints)
    header = _unique_headers(rows[h])
    body, body_numbers, overflowing = [], [], []
    for row, number in zip(rows[h + 1 :], numbers[h + 1 :], strict=True):
        if any(_clean(c) is not None for c in row[len(header) :]):
            overflowing.append(number)
        cells = [_clean(c) for c in row[: len(header)]] + [None] * max(0, len(header) - len(row))
        if any(c is not None for c in cells):
            body.append(cells)
            body_numbers.append(number)
    if overflowing:  # a value would shift into the wrong column or be cut off: refuse rather than guess
        shown = ", ".join(map(str, overflowing[:5])) + (" …" if len(overflowing) > 5 else "")
        msg = (
            f"{path.name}: row {shown} has more cells than the header row ({len(header)}); an unquoted comma "
            "in a value (12,345)? Quote such values, remove the separator or add the missing headers"
        )
        raise ReadError(msg)
    data = pd.DataFrame(body, columns=header, dtype=object)
    keep = [c for c in data.columns if not c.startswith("_unnamed_") or data[c].notna().any()]
    return RawTable(
        data=data[keep],
        geometry=None,
        source_rows=np.asarray(body_numbers, dtype=int),
        file=str(path),
        sheet=sheet,
        header_row=numbers[h],
    )


def _clean(value: object) -> object:
    """Strip text cells; empty text becomes None."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _unique_headers(row: list[object]) -> list[str]:
    """Header texts without line breaks; blanks named _unnamed_N; repeats suffixed."""
    seen: dict[str, int] = {}
    out = []
    for i, cell in enumerate(row):
        name = "" if cell is None else str(cell).replace("\n", "").replace("\r", "").strip()
        name = name or f"_unnamed_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _read_spatial(path: Path, *, encoding: str, layer: str | None) -> RawTable:
    """Shapefiles (alone or zipped), GeoJSON and GeoPackage through pyogrio."""
    suffix = path.suffix.lower()
    if suffix in (".shp", ".zip"):
        frame, used = read_shapefile(path, encoding=encoding, member=layer)
    else:
        layer = _pick_layer(path, layer) if suffix == ".gpkg" else None
        try:
            frame = pyogrio.read_dataframe(path, layer=layer)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            msg = (
                f"{path.name}: cannot read as {suffix[1:]}: {without_paths(str(exc))}; "
                "export the file again from the GIS program and upload it again"
            )
            raise ReadError(msg) from exc
        used = None
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    data = pd.DataFrame(frame.drop(columns=frame.geometry.name) if geometry is not None else frame)
    data.columns = _unique_headers(list(data.columns))
    data = data.astype(object).where(data.notna(), None).map(_clean)
    return RawTable(
        data=data, geometry=geometry, source_rows=np.arange(1, len(data) + 1), file=str(path), encoding=used
    )


def _pick_layer(path: Path, layer: str | None) -> str:
    """The GeoPackage layer to read: the named one or the only one."""
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as exc:
        msg = f"{path.name}: not a readable GeoPackage: {without_paths(str(exc))}"
        raise ReadError(msg) from exc
    if layer is not None:
        if layer not in names:
            msg = f"{path.name}: no layer {layer!r}; layers: {', '.join(names)}"
            raise ReadError(msg)
        return layer
    if len(names) != 1:
        msg = f"{path.name}: holds {len(names)} layers ({', '.join(names)}); name one with --sheet"
        raise ReadError(msg)
    return names[0]
