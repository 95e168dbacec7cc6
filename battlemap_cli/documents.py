"""Printed documents from the store's layers and indicator tables: the poster and the bulletin as bytes.

Shared by ``battlemap poster|bulletin`` and the /map downloads: this module checks the
request, picks the units and tables, and hands them to the pure renderers in ``layers/``.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from analytics.levels import inside, top_unit, unit_names, units, within
from analytics.townships import townships
from battlemap_cli.month_tables import input_layers, month_end, month_tables, previous_month_end
from geodata._errors import InputError
from geodata.finding_steps import township_of
from geodata.settings import get_settings
from geodata.store import Store
from layers.catalog import BY_KEY
from layers.print_pdf import PAPERS

if TYPE_CHECKING:
    from layers.poster import Poster

POSTER_FORMATS = (".pdf", ".png")
BULLETIN_FORMATS = (".docx", ".pdf")
SOURCE_LAYERS = ("villages", "households", "housing", "water_tests", "projects", "teams", "inspections")


@dataclass(frozen=True)
class CountyMaps:
    """The store's villages and townships (EPSG:4490) and its top unit's name, as every document needs them."""

    villages: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame  # analytics.townships.townships(): town_code, name, geometry
    name: str
    sources: tuple[str, ...]  # the layers the store holds, of those the figures come from
    regions: pd.DataFrame | None = None  # the regions layer: names and outlines above the township


def county_maps(store: Store) -> CountyMaps:
    """The county's villages, townships, name and source layers from the store (refused without villages)."""
    if not store.exists() or not store.has("villages"):
        msg = f"{store.label} has no villages layer: import villages (or run `battlemap demo`) first"
        raise InputError(msg)
    villages = store.read("villages")
    regions = store.read_or_none("regions")
    return CountyMaps(
        villages=villages,
        towns=townships(villages, store.read_or_none("towns")),
        name=county_name(villages, regions),
        sources=tuple(name for name in SOURCE_LAYERS if store.has(name)),
        regions=regions,
    )


def county_name(villages: gpd.GeoDataFrame, regions: pd.DataFrame | None) -> str:
    """The name of the store's top unit (a county, or the city of several counties) for titles.

    A county: the ``[print] county_name`` setting, else the ``regions`` layer's, else its
    code; above the county the ``regions`` layer's or the shipped table's name, else the code.
    """
    top = top_unit(villages["village_code"])
    if top.level != "county":
        code = top.code or ""
        return unit_names([code], regions=regions).get(code, code)
    code = str(top.code)
    if get_settings().print.county_name:
        return get_settings().print.county_name
    if regions is not None and len(regions) and {"code", "name"} <= set(regions.columns):
        match = regions[regions["code"].astype(str) == code]
        if len(match):
            return str(match["name"].iloc[0])
    return code


def top_row(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """The indicators of the store's top unit: the highest table of one row (a city's, else the county's)."""
    for level in ("province", "city"):
        if level in tables and len(tables[level]) == 1 and len(tables["county"]) > 1:
            return tables[level].iloc[0]
    return tables["county"].iloc[0]


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


def as_png(pdf: bytes) -> bytes:
    """The first page of ``pdf`` as a PNG at ``[print] png_dpi``."""
    from layers.print_pdf import page_png  # noqa: PLC0415 - pdfium only for PNG

    return page_png(pdf, dpi=get_settings().print.png_dpi)


def build_poster(
    county: CountyMaps,
    tables: dict[str, pd.DataFrame],
    as_of: dt.date,
    *,
    layer: str,
    town: str | None,
    paper: str,
    landscape: bool,
    lang: str = "zh",
) -> Poster:
    """The poster of ``layer`` for the county (or ``town``): its PDF and the labels placed on it."""
    from layers.poster import PosterContent, poster_pdf  # noqa: PLC0415 - fpdf2 only when printing
    from layers.print_map import projected  # noqa: PLC0415
    from layers.print_views import indicator_map  # noqa: PLC0415

    epsg_source = county.villages
    villages = projected(epsg_source[["village_code", "name", "geometry"]].rename(columns={"village_code": "code"}))
    towns = projected(county.towns, villages.crs.to_epsg())
    if town:
        villages = villages[villages["code"].str[:9] == town].reset_index(drop=True)
        shown_towns = towns[towns["town_code"] == town].reset_index(drop=True)
        row, title = tables["town"].loc[town], f"{county.name}{shown_towns['name'].iloc[0]}"
    else:
        shown_towns, row, title = towns, top_row(tables), county.name
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
    return poster_pdf(content, paper=paper, landscape=landscape, lang=lang)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it: a failure leaves no half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


# Dated records that say when the data begin: layer and date column.
DATED = (
    ("households", "identified_on"),
    ("water_tests", "sampled_on"),
    ("inspections", "date"),
    ("housing", "appraised_on"),
)


def data_months(layers: dict[str, pd.DataFrame]) -> tuple[str, str] | None:
    """The first month with a dated record and the last month that has ended, as YYYY-MM; None without dates."""
    firsts = [
        pd.to_datetime(layers[name][column], errors="coerce").min()
        for name, column in DATED
        if name in layers and column in layers[name]
    ]
    known = [d for d in firsts if not pd.isna(d)]
    if not known:
        return None
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    return f"{min(known):%Y-%m}", f"{last:%Y-%m}"


def check_month(month: str, layers: dict[str, pd.DataFrame]) -> dt.date:
    """The month-end of ``month`` once it has ended and lies within the data; else one message with the range."""
    end = month_end(month)
    span = data_months(layers)
    if end >= dt.date.today():
        msg = (
            f"--month {month} has not ended yet (today is {dt.date.today()}); the latest is {span[1] if span else '—'}"
        )
        raise InputError(msg)
    if span is None or month < span[0]:
        where = f"from {span[0]} to {span[1]}" if span else "none: no dated records"
        msg = f"--month {month} is outside the data; months with records: {where}"
        raise InputError(msg)
    return end


def bulletin_bytes(
    county: CountyMaps,
    now: dict[str, pd.DataFrame],
    before: dict[str, pd.DataFrame],
    *,
    as_of: dt.date,
    before_as_of: dt.date,
    inspections: pd.DataFrame | None,
    town: str | None,
    docx: bool,
    lang: str = "zh",
    tasks: pd.DataFrame | None = None,
) -> bytes:
    """The bulletin of ``as_of``'s month for the store's top (or ``town``) as .docx or .pdf bytes.

    The top is a county, the city of a store of several counties (its bulletin ranks and
    maps the counties) or the province of several cities (its cities); above the county
    each township is named with its county. A scoped account's part comes as a store of
    its own (:func:`cut_to` and :func:`analytics.levels.within`).
    """
    from analytics.bulletin import bulletin, month_findings, overdue_tasks  # noqa: PLC0415
    from analytics.plans import task_records  # noqa: PLC0415
    from layers.bulletin_docx import bulletin_docx  # noqa: PLC0415 - python-docx only when writing Word
    from layers.bulletin_pdf import bulletin_pdf  # noqa: PLC0415
    from layers.bulletin_text import bulletin_doc  # noqa: PLC0415
    from layers.print_map import projected  # noqa: PLC0415
    from layers.print_views import change_map, indicator_map, map_png  # noqa: PLC0415

    settings = get_settings().print
    town_names = county.towns.set_index("town_code")["name"]
    parts = None if town else _parts(county)
    if parts is not None:
        codes = sorted(town_names.index.str[:6].unique())
        county_names = pd.Series(unit_names(codes, regions=county.regions))
        town_names = county_names.reindex(town_names.index.str[:6]).set_axis(town_names.index) + town_names
    village_names = county.villages.set_index("village_code")["name"]
    findings = month_findings(
        inspections, as_of=as_of, settings=get_settings(), town_names=town_names, village_names=village_names
    )
    late = overdue_tasks(
        None if tasks is None else task_records(tasks, get_settings(), as_of),
        town_names=town_names,
        village_names=village_names,
    )
    content = bulletin(
        now,
        before,
        as_of=as_of,
        before_as_of=before_as_of,
        findings=findings,
        town_names=town_names,
        town=town,
        tasks=late,
        part_names=None if parts is None else parts.set_index("code")["name"],
    )
    unit = f"{county.name}{town_names[town]}" if town else county.name
    text = bulletin_doc(content, county=county.name, unit=unit, lang=lang)
    villages = projected(county.villages[["village_code", "name", "geometry"]].rename(columns={"village_code": "code"}))
    towns = projected(county.towns if parts is None else parts, villages.crs.to_epsg())  # outlines drawn and named
    if town:
        villages, towns = villages[villages["code"].str[:9] == town], towns[towns["town_code"] == town]
    layer = settings.bulletin_layer
    views = [
        indicator_map(villages, towns, now["village"], layer=layer, lang=lang, labels=False),
        change_map(villages, towns, now["village"], before["village"], layer=layer, lang=lang),
    ]
    if not docx:
        return bulletin_pdf(text, views, lang=lang)
    pictures = [map_png(v, width_mm=166, height_mm=120, dpi=settings.image_dpi, size=6.5, lang=lang) for v in views]
    return bulletin_docx(text, pictures)


def _parts(county: CountyMaps) -> gpd.GeoDataFrame | None:
    """The units a bulletin of the store's top ranks when above the county (``code``, ``name``, outline), else None.

    A city's counties, a province's cities (:data:`analytics.bulletin.PARTS`).
    """
    from analytics.bulletin import PARTS  # noqa: PLC0415

    level = top_unit(county.villages["village_code"]).level
    if level == "county":
        return None
    return units(county.villages, PARTS[level], regions=county.regions)


def cut_to(county: CountyMaps, code: str) -> CountyMaps:
    """The store's maps cut to the unit ``code`` under its top: that unit's villages, townships, regions and name.

    A document of the part then names nothing outside it (no neighbouring county).
    """
    villages = inside(county.villages, code, "village_code").reset_index(drop=True)
    regions = None if county.regions is None else inside(county.regions, code, "code").reset_index(drop=True)
    top = str(top_unit(villages["village_code"]).code)
    return CountyMaps(
        villages=villages,
        towns=inside(county.towns, code, "town_code").reset_index(drop=True),
        name=unit_names([top], regions=regions)[top],
        sources=county.sources,
        regions=regions,
    )


def bulletin_part(county: CountyMaps, scope: str | None, town: str | None) -> tuple[str | None, str | None]:
    """The unit a scoped bulletin cuts the store to (None: the whole store) and its township, once checked.

    ``scope`` is a division code (a scoped account's, or ``--scope``): a code of the wrong
    length or one the store holds no village of is refused; one that covers the store
    (its top or above) leaves the whole store. A township scope gives that township's
    bulletin within its county; a ``town`` outside the scope is refused. A store spanning
    several provinces needs a scope or a township (one province at most).
    """
    from analytics.bulletin import several_provinces  # noqa: PLC0415

    codes = county.villages["village_code"].astype(str)
    store_top, top = top_unit(codes), top_unit(codes, scope)
    if top.level == "village":
        msg = f"--scope {scope} is a village: the monthly bulletin covers a township at the narrowest (9 digits)"
        raise InputError(msg)
    if top.level == "town" and town not in (None, top.code):
        msg = f"township {town} is outside the scope {scope}: give {top.code} or no --town"
        raise InputError(msg)
    if top.code is not None and town is not None and not town.startswith(top.code):
        msg = f"township {town} is outside the scope {scope}: give a township whose code starts with {scope}"
        raise InputError(msg)
    if top.level == "town":  # a township account's bulletin is titled with its county: cut to it
        county_code = str(top.code)[:6]
        return (None if store_top.code == county_code else county_code), top.code
    if top.code is None:  # several provinces: one township's bulletin is within its province
        if town is None:
            raise several_provinces(sorted(codes.str[:2].unique()))
        return town[:2], town
    return (None if top == store_top else top.code), town


def bulletin_document(
    store: Store,
    *,
    month: str,
    town: str | None,
    docx: bool,
    lang: str = "zh",
    scope: str | None = None,
    step: Callable[[], None] = lambda: None,
) -> tuple[bytes, dt.date]:
    """The bulletin of ``month`` from the store (or its part ``scope``), checked first (InputError), and its date.

    A scope below the store's top cuts everything to that part before anything is
    computed: its villages, townships, regions, tables, inspections and tasks.
    """
    county = county_maps(store)
    check_town(county.towns, town)
    code, town = bulletin_part(county, scope, town)
    layers = input_layers(store)
    as_of = check_month(month, layers)
    before = previous_month_end(as_of)
    step()
    now, earlier = (month_tables(store, date, layers=layers) for date in (as_of, before))
    inspections, tasks = layers.get("inspections"), layers.get("tasks")
    if code is not None:
        county, now, earlier = cut_to(county, code), within(now, code), within(earlier, code)
        if inspections is not None:  # by the responsible township: a township's own findings have no village
            inspections = inspections[township_of(inspections).str.startswith(code).fillna(False).to_numpy()]
        tasks = None if tasks is None else inside(tasks, code, "village_code")
    step()
    data = bulletin_bytes(
        county,
        now,
        earlier,
        as_of=as_of,
        before_as_of=before,
        inspections=inspections,
        tasks=tasks,
        town=town,
        docx=docx,
        lang=lang,
    )
    step()
    return data, as_of
