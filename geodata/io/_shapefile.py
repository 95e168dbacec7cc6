"""Shapefiles alone or zipped: safe unzipping and DBF code-page detection (GBK is common)."""

from __future__ import annotations

import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import geopandas as gpd
import pyogrio

from geodata._errors import ReadError, without_paths
from geodata.settings import get_settings

PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def read_shapefile(path: Path, *, encoding: str = "auto", member: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
    """Read a .shp (or the .shp inside a .zip); returns the frame and the DBF encoding used."""
    if path.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory() as tmp:
            shp = _extract_zip(path, Path(tmp), member)
            return _read_shp(shp, encoding, shown=path)
    return _read_shp(path, encoding, shown=path)


def _read_shp(shp: Path, encoding: str, *, shown: Path) -> tuple[gpd.GeoDataFrame, str]:
    """Check the sibling files, choose the code page, read with pyogrio."""
    siblings = {p.suffix.lower(): p for p in shp.parent.glob(shp.stem + ".*")}
    missing = [ext for ext in (".dbf", ".shx") if ext not in siblings]
    if missing:
        msg = f"{shown.name}: shapefile incomplete, missing {' and '.join(missing)} beside {shp.name}"
        raise ReadError(msg)
    if encoding == "auto":
        declared = _cpg_encoding(siblings.get(".cpg"))
        detected = detect_dbf_encoding(siblings[".dbf"])
        # a .cpg saying UTF-8 beside a GBK table (re-saved by a tool that rewrote one file, not the other) is wrong
        utf8 = declared is not None and declared.replace("-", "").lower() == "utf8"
        encoding = detected if declared is None or (utf8 and detected != "UTF-8") else declared
    try:
        try:
            frame = pyogrio.read_dataframe(siblings[".shp"], encoding=encoding)
        except UnicodeDecodeError:  # a field name cut to 10 bytes in the middle of a UTF-8 character
            frame = _read_bytes_then_decode(siblings[".shp"], encoding)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, LookupError) as exc:
        msg = f"{shown.name}: cannot read the shapefile: {without_paths(str(exc))}"
        raise ReadError(msg) from exc
    return frame, encoding


def _read_bytes_then_decode(shp: Path, encoding: str) -> gpd.GeoDataFrame:
    """Read the DBF as Latin-1 (byte-transparent) and decode names and text ourselves, dropping cut characters."""
    frame = pyogrio.read_dataframe(shp, encoding="ISO-8859-1")

    def fix(text: object, errors: str) -> object:
        return text.encode("latin-1").decode(encoding, errors=errors) if isinstance(text, str) else text

    geometry = frame.geometry.name
    for name in frame.columns:
        if name != geometry and (frame[name].dtype == object or str(frame[name].dtype) == "str"):
            frame[name] = frame[name].map(lambda v: fix(v, "replace"))
    return frame.rename(columns={c: fix(c, "ignore") for c in frame.columns if c != geometry})


def _cpg_encoding(cpg: Path | None) -> str | None:
    """The code page named by a .cpg file ('GBK', 'UTF-8', '936' …), if there is one."""
    if cpg is None:
        return None
    text = cpg.read_text("ascii", errors="ignore").strip()
    return {"936": "GBK", "65001": "UTF-8", "": None}.get(text, text)


def detect_dbf_encoding(dbf: Path) -> str:
    """UTF-8 when the DBF's text decodes as UTF-8 (field names may be cut mid-character), else GB18030."""
    raw = dbf.read_bytes()
    if len(raw) < 32:
        msg = f"{dbf.name}: the .dbf file is truncated; export the shapefile again"
        raise ReadError(msg)
    header_len = int.from_bytes(raw[8:10], "little")
    records = raw[header_len : header_len + 4_000_000]
    try:
        records.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start > len(records) - 4:  # cut at the end of our sample
            return "UTF-8"
        return "GB18030"
    return "UTF-8"


def _extract_zip(archive: Path, into: Path, member: str | None) -> Path:
    """Extract the shapefile parts of one .shp from ``archive``, refusing traversal and zip bombs."""
    limit, ratio = get_settings().imports.max_unzipped_bytes, get_settings().imports.max_zip_ratio
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        msg = f"{archive.name}: not a readable zip file ({exc}); download or create the zip again"
        raise ReadError(msg) from exc
    with zf:
        infos = zf.infolist()
        for info in infos:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts:
                msg = f"{archive.name}: refused, member {info.filename!r} points outside the archive (path traversal)"
                raise ReadError(msg)
        total = sum(i.file_size for i in infos)
        packed = max(sum(i.compress_size for i in infos), 1)
        if total > limit or total / packed > ratio:
            msg = (
                f"{archive.name}: refused, unpacks to {total:,} bytes from {packed:,} "
                f"(limit {limit:,} bytes, ratio {ratio:g}): possible zip bomb"
            )
            raise ReadError(msg)
        shps = [i for i in infos if i.filename.lower().endswith(".shp")]
        if member is not None:
            shps = [i for i in shps if PurePosixPath(i.filename).stem == Path(member).stem]
        if len(shps) != 1:
            names = ", ".join(i.filename for i in shps) or "none"
            msg = f"{archive.name}: expected one .shp in the zip, found {names}; name one with --sheet"
            raise ReadError(msg)
        stem = PurePosixPath(shps[0].filename).with_suffix("")
        for info in infos:
            p = PurePosixPath(info.filename)
            if p.with_suffix("") == stem and p.suffix.lower() in PARTS:
                (into / (stem.name + p.suffix.lower())).write_bytes(_member(zf, info, archive))
        return into / (stem.name + ".shp")


DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
"""What reading a damaged, truncated, encrypted or oddly compressed zip member raises."""


def _member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: Path) -> bytes:
    """The bytes of one member; a damaged one is a ReadError naming it and saying what to do."""
    try:
        return zf.read(info)
    except DAMAGED as exc:
        msg = (
            f"{archive.name}: the file {info.filename!r} inside the zip is damaged or cannot be unpacked "
            f"({type(exc).__name__}: {without_paths(str(exc))}); create the zip again (plain ZIP, no password) "
            "and upload it again"
        )
        raise ReadError(msg) from exc
