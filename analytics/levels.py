"""The hierarchy a store holds, from its village codes: its levels, the top one, children, names and outlines.

Pages start at :func:`top_level` and drill down with :func:`children`; :func:`units`
gives the rows to draw at a level (code, name, parent, outline). Names above the
township come from the ``regions`` layer, else from the division table shipped with
the project, else they are the code itself; outlines above the township come from the
``regions`` layer when it has them, else they are dissolved from the villages.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from analytics.townships import townships
from geodata._errors import InputError
from geodata.divisions import LEVELS, child_level, known_level, level_of, parent_level, shipped_names, unit_codes

# The levels a page can start from: below the county a store always holds a single county's parts.
ROOT_LEVELS = ("county", "city", "province")


def top_level(village_codes: pd.Series) -> str:
    """The highest level worth showing: the county for one county, the city for one city's counties, else the province.

    A store whose villages all share one unit at a level does not need the level above
    it (a one-county store starts at 全县); a store spanning several provinces starts at
    the province level with several units side by side.
    """
    codes = village_codes.astype("str")
    for level in ROOT_LEVELS:
        if unit_codes(codes, level).nunique() <= 1:
            return level
    return "province"


def levels_below(level: str) -> list[str]:
    """``level`` and every level under it, top to bottom (``city`` → city, county, town, village)."""
    names = list(LEVELS)
    return names[names.index(level) :]


def store_levels(village_codes: pd.Series) -> list[str]:
    """The levels a store's indicator tables and pages cover, top to bottom (from :func:`top_level` to village)."""
    return levels_below(top_level(village_codes))


def top_units(village_codes: pd.Series) -> list[str]:
    """The codes of the units at the top level (one, except for a store spanning several provinces)."""
    return sorted(unit_codes(village_codes, top_level(village_codes)).unique())


def children(village_codes: pd.Series, code: str) -> list[str]:
    """The codes of the units directly under ``code`` (a province, city, county or township) that the store holds.

    Raises :class:`geodata._errors.InputError` for a code of the wrong length.
    """
    below = child_level(level_of(code))
    if below is None:
        return []
    codes = village_codes.astype("str")
    inside = codes[codes.str.startswith(code)]
    return sorted(unit_codes(inside, below).unique())


def parent(code: str) -> str | None:
    """The code of the unit above ``code`` (its prefix), None for a province."""
    above = parent_level(level_of(code))
    return code[: LEVELS[above]] if above else None


def unit_names(
    codes: list[str], *, regions: pd.DataFrame | None = None, towns: gpd.GeoDataFrame | None = None
) -> dict[str, str]:
    """A name for each of ``codes`` (any level): ``regions`` layer, ``towns`` layer, shipped table, else the code."""
    names = {code: code for code in codes}
    names.update(shipped_names(codes))
    if towns is not None and len(towns):
        given = towns.drop_duplicates("town_code").set_index(towns["town_code"].astype("str"))["name"]
        names.update({c: str(given[c]) for c in codes if c in given.index and pd.notna(given[c])})
    if regions is not None and len(regions):
        given = regions.drop_duplicates("code").set_index(regions["code"].astype("str"))["name"]
        names.update({c: str(given[c]) for c in codes if c in given.index and pd.notna(given[c])})
    return names


def units(
    villages: gpd.GeoDataFrame,
    level: str,
    *,
    regions: gpd.GeoDataFrame | None = None,
    towns: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Every unit of ``level`` the villages reach: ``code``, ``name``, ``level``, ``parent_code``, ``geometry``.

    Sorted by code. Townships are :func:`analytics.townships.townships`; villages are
    the villages layer itself; above the township the outline is the ``regions``
    layer's where it has one, else the union of the unit's villages.
    """
    known_level(level)
    if level == "village":
        out = villages[["village_code", "name", "geometry"]].rename(columns={"village_code": "code"})
    elif level == "town":
        out = townships(villages, towns).rename(columns={"town_code": "code"})
    else:
        coded = villages[["geometry"]].assign(code=unit_codes(villages["village_code"], level))
        out = coded.dissolve("code").reset_index()
        out = _given_outlines(out, regions)
        names = unit_names(list(out["code"]), regions=regions)
        out.insert(1, "name", out["code"].map(names))
    above = parent_level(level)
    out = out.assign(
        code=out["code"].astype("str"),
        level=level,
        parent_code=out["code"].astype("str").str[: LEVELS[above]] if above else None,
    )
    columns = ["code", "name", "level", "parent_code", "geometry"]
    return gpd.GeoDataFrame(out[columns], geometry="geometry", crs=villages.crs).sort_values("code", ignore_index=True)


def _given_outlines(derived: gpd.GeoDataFrame, regions: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """``derived`` with the outline of the ``regions`` layer wherever it gives one for the unit."""
    if regions is None or not len(regions) or "geometry" not in regions:
        return derived
    given = regions.dropna(subset=["geometry"])
    given = given[~given.geometry.is_empty].drop_duplicates("code")
    outline = given.set_index(given["code"].astype("str")).geometry.reindex(derived["code"].astype("str"))
    keep = outline.isna().to_numpy()
    geometry = derived.geometry.where(keep, gpd.GeoSeries(outline.to_numpy(), index=derived.index, crs=derived.crs))
    return derived.set_geometry(geometry)


@dataclass(frozen=True)
class Top:
    """Where the pages start: the level and code of the unit at the top (``code`` None: several provinces)."""

    level: str
    code: str | None


def top_unit(village_codes: pd.Series, scope: str | None = None) -> Top:
    """The unit every page starts from: the store's top (:func:`top_level`), or ``scope`` when it lies below it.

    ``scope`` is an account's division code at any level (4, 6, 9 digits …): a scope
    above what the store holds leaves the store's top, a scope inside it (or one
    province of a store spanning several) becomes the top. Raises
    :class:`geodata._errors.InputError` for a code of the wrong length or a scope the
    store holds no village of.
    """
    codes = village_codes.astype("str")
    level = top_level(codes)
    tops = top_units(codes)
    store_top = Top(level, tops[0] if len(tops) == 1 else None)
    if scope is None:
        return store_top
    scope = str(scope).strip()
    scope_level = level_of(scope)
    if not codes.str.startswith(scope).any():
        msg = f"scope {scope} ({scope_level}) holds no village of this store (its top is {store_top.code or level})"
        raise InputError(msg)
    if LEVELS[scope_level] <= LEVELS[level] and store_top.code is not None:  # one province of several narrows
        return store_top
    return Top(scope_level, scope)


def chain(top: Top, code: str | None) -> list[str]:
    """The codes from ``top`` down to ``code`` (included), each one level below the last: the breadcrumb's units.

    ``code`` None is the top itself; a code outside ``top`` gives the top alone.
    """
    start = [] if top.code is None else [top.code]
    if code is None or (top.code is not None and not code.startswith(top.code)):
        return start
    below = [code[:digits] for name, digits in LEVELS.items() if LEVELS[top.level] < digits <= len(code)]
    if top.code is None:  # several provinces: the chain starts at the province
        below = [code[: LEVELS["province"]], *below]
    return [*start, *below]


def inside(frame: pd.DataFrame, code: str | None, column: str | None = None) -> pd.DataFrame:
    """The rows of ``frame`` within the unit ``code`` (by ``column``'s codes, else the index's); all for None.

    A unit's code is the prefix of every code under it, so a row is inside when its code starts with ``code``.
    """
    if not code:
        return frame
    codes = frame[column] if column else frame.index.to_series()
    return frame[codes.astype("str").str.startswith(code).to_numpy()]


def within(tables: dict[str, pd.DataFrame], code: str) -> dict[str, pd.DataFrame]:
    """``{level: table}`` cut to the unit ``code``: its own row and those under it, no level above it."""
    return {level: inside(table, code) for level, table in tables.items() if LEVELS[level] >= len(code)}
