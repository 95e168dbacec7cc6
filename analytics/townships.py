"""Townships (乡镇) as every page needs them, with or without a ``towns`` layer.

A township is the first 9 digits of its villages' 12-digit codes, so its outline is the
union of its villages. Its name comes from the ``towns`` layer when the county imported
one, else from the villages' own ``town_name`` column (乡镇名称, in most village
ledgers), else it is the code itself.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

TOWN_DIGITS = 9


def township_codes(village_codes: pd.Series) -> pd.Series:
    """The township code of each village code."""
    return village_codes.astype("str").str[:TOWN_DIGITS]


def townships(villages: gpd.GeoDataFrame, towns: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """``town_code``, ``name`` and ``geometry`` of every township that has villages, sorted by code.

    The outline is the ``towns`` layer's where it has the township, else its villages' union.
    """
    coded = villages[["geometry"]].assign(town_code=township_codes(villages["village_code"]))
    derived = coded.dissolve("town_code")
    names = pd.Series(derived.index, index=derived.index, dtype="str")
    if "town_name" in villages:
        given = villages["town_name"].astype("str").str.strip().where(villages["town_name"].notna())
        common = given.groupby(coded["town_code"]).agg(lambda s: s.mode().iloc[0] if s.notna().any() else None)
        names = common.reindex(names.index).fillna(names)
    geometry = derived.geometry
    if towns is not None and len(towns):
        layer = towns.assign(town_code=towns["town_code"].astype("str")).drop_duplicates("town_code")
        layer = layer.set_index("town_code").reindex(derived.index)
        known = layer["name"].notna()
        names = names.where(~known, layer["name"].astype("str"))
        geometry = geometry.where(layer.geometry.isna(), layer.geometry)
    out = gpd.GeoDataFrame({"name": names}, geometry=gpd.GeoSeries(geometry, crs=villages.crs), crs=villages.crs)
    return out.rename_axis("town_code").reset_index().sort_values("town_code", ignore_index=True)
