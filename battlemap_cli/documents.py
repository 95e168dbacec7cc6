"""Printed documents from the store's layers and indicator tables: the poster and the bulletin as bytes.

Shared by ``battlemap poster|bulletin`` and the /map downloads: this module checks the
request, picks the units and tables, and hands them to the pure renderers in ``layers/``.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata._errors import InputError
from geodata.settings import get_settings
from layers.catalog import BY_KEY
from layers.print_pdf import PAPERS

POSTER_FORMATS = (".pdf", ".png")
BULLETIN_FORMATS = (".docx", ".pdf")
SOURCE_LAYERS = ("villages", "households", "housing", "water_tests", "projects", "teams", "inspections")


@dataclass(frozen=True)
class CountyMaps:
    """The county's villages and townships (EPSG:4490) and its name, as every document needs them."""

    villages: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame  # analytics.townships.townships(): town_code, name, geometry
    name: str
    sources: tuple[str, ...]  # the layers the store holds, of those the figures come from


def county_name(villages: gpd.GeoDataFrame, regions: pd.DataFrame | None) -> str:
    """The county's name: the ``[print] county_name`` setting, else the ``regions`` layer's, else its code."""
    code = str(villages["village_code"].iloc[0])[:6]
    if get_settings().print.county_name:
        return get_settings().print.county_name
    if regions is not None and len(regions) and {"code", "name"} <= set(regions.columns):
        match = regions[regions["code"].astype(str) == code]
        if len(match):
            return str(match["name"].iloc[0])
    return code


def check_output(out: str, formats: tuple[str, ...]) -> Path:
    """The output path, refused unless it ends in one of ``formats`` and its folder exists."""
    path = Path(out)
    if path.suffix.lower() not in formats:
        msg = f"--out must end in {' or '.join(formats)}, got {out!r}"
        raise InputError(msg)
    if not path.parent.is_dir():
        msg = f"--out folder {str(path.parent)!r} does not exist"
        raise InputError(msg)
    return path


def check_poster(layer: str, paper: str, towns: gpd.GeoDataFrame, town: str | None) -> str:
    """The paper size in capitals once the layer, paper and township are known; else one message naming each choice."""
    if layer not in BY_KEY:
        msg = f"unknown layer {layer!r}; choose one of: {', '.join(BY_KEY)}"
        raise InputError(msg)
    size = (paper or "").upper()
    if size not in PAPERS or size == "A4":
        msg = f"unknown paper {paper!r}; choose one of: A0, A1, A2, A3"
        raise InputError(msg)
    check_town(towns, town)
    return size


def check_town(towns: gpd.GeoDataFrame, town: str | None) -> None:
    """Refuse a township code the store does not have, listing those it has."""
    codes = list(towns["town_code"].astype(str))
    if town is not None and town not in codes:
        msg = f"no township {town!r} in the store; it has {', '.join(codes)}"
        raise InputError(msg)


def poster_bytes(
    county: CountyMaps,
    tables: dict[str, pd.DataFrame],
    as_of: dt.date,
    *,
    layer: str,
    town: str | None,
    paper: str,
    landscape: bool,
    png: bool,
    lang: str = "zh",
) -> bytes:
    """The poster of ``layer`` for the county (or ``town``) as PDF or PNG bytes; ``tables`` by level, indexed."""
    from layers.poster import PosterContent, poster_pdf  # noqa: PLC0415 - fpdf2 only when printing
    from layers.print_map import projected  # noqa: PLC0415
    from layers.print_pdf import page_png  # noqa: PLC0415
    from layers.print_views import indicator_map  # noqa: PLC0415

    epsg_source = county.villages
    villages = projected(epsg_source[["village_code", "name", "geometry"]].rename(columns={"village_code": "code"}))
    towns = projected(county.towns, villages.crs.to_epsg())
    if town:
        villages = villages[villages["code"].str[:9] == town].reset_index(drop=True)
        shown_towns = towns[towns["town_code"] == town].reset_index(drop=True)
        row, title = tables["town"].loc[town], f"{county.name}{shown_towns['name'].iloc[0]}"
    else:
        shown_towns, row, title = towns, tables["county"].iloc[0], county.name
    content = PosterContent(
        title=title,
        layer=layer,
        as_of=as_of,
        view=indicator_map(villages, shown_towns, tables["village"], layer=layer, lang=lang),
        county_towns=towns,
        highlight=shown_towns.geometry if town else gpd.GeoSeries([], crs=towns.crs),
        row=row,
        sources=county.sources,
        made=dt.date.today(),
    )
    pdf = poster_pdf(content, paper=paper, landscape=landscape, lang=lang).pdf
    return page_png(pdf, dpi=get_settings().print.png_dpi) if png else pdf


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it: a failure leaves no half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
