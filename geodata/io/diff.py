"""What an import changed: rows added, removed and changed against the layer's previous version, by village.

Rows are matched by the layer's key. A row counts as changed when any schema column
differs (two missing values are equal; geometry differs beyond ``GEOMETRY_TOLERANCE``
degrees, about a decimetre, so a re-import of the same points is not a change). The
summary is small enough to go into the import log, where the data-quality view reads
when each village's records last changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.schemas import LayerSchema

GEOMETRY_TOLERANCE = 1e-6  # degrees
NO_VILLAGE = ""
_MISSING = object()  # stands for a missing value, equal only to itself


@dataclass
class VillageChange:
    """Rows of one village added, removed and changed."""

    added: int = 0
    removed: int = 0
    changed: int = 0


@dataclass
class LayerDiff:
    """What replacing a layer's rows with new ones changes."""

    layer: str
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0
    columns: dict[str, int] = field(default_factory=dict)  # column → rows where it changed
    villages: dict[str, VillageChange] = field(default_factory=dict)  # village code ("" = unknown) → counts
    first_version: bool = False

    @property
    def touched(self) -> list[str]:
        """Village codes with any row added or changed (the villages whose records were updated)."""
        return sorted(c for c, v in self.villages.items() if c and (v.added or v.changed))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form for the import log."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> LayerDiff:
        """Read back :meth:`as_dict` (from the import log)."""
        villages = {k: VillageChange(**v) for k, v in (raw.get("villages") or {}).items()}
        return cls(**{**raw, "villages": villages})

    def summary(self) -> str:
        """One line for the command line."""
        first = " (first version of the layer)" if self.first_version else ""
        return (
            f"{self.layer}: +{self.added} added, −{self.removed} removed, ~{self.changed} changed, "
            f"{self.unchanged} unchanged{first}"
        )


def diff_layer(
    old: pd.DataFrame | None,
    new: pd.DataFrame,
    spec: LayerSchema,
    *,
    village_of: dict[str, str] | None = None,
) -> LayerDiff:
    """Compare the stored rows ``old`` (None: the layer is new) with ``new``, both with canonical columns.

    Parameters
    ----------
    old, new
        The previous and the incoming version of the layer.
    spec
        The layer schema; its key matches rows, its columns are compared.
    village_of
        For layers without a village code (the C/D ledger): household_id → village code,
        used to count rows by village.

    """
    key = list(spec.key)
    out = LayerDiff(layer=spec.name, first_version=old is None)
    old = _keyed(old if old is not None else new.iloc[:0], key)
    new = _keyed(new, key)
    added = new.index.difference(old.index)
    removed = old.index.difference(new.index)
    both = new.index.intersection(old.index)
    compare = [c.name for c in spec.columns if c.name in new and c.name in old and c.name not in key]
    changed_cols = pd.DataFrame(
        {c: ~_same(old.loc[both, c], new.loc[both, c]) for c in compare}, index=both, dtype=bool
    )
    if "geometry" in new and "geometry" in old:
        changed_cols["geometry"] = ~_same_geometry(old.loc[both, "geometry"], new.loc[both, "geometry"])
    changed_mask = changed_cols.any(axis=1) if len(changed_cols.columns) else pd.Series(False, index=both)
    changed = both[changed_mask.to_numpy()]
    out.added, out.removed, out.changed = len(added), len(removed), len(changed)
    out.unchanged = len(both) - len(changed)
    out.columns = {c: int(n) for c, n in changed_cols.sum().items() if n}
    counts: dict[str, Counter[str]] = {
        "added": _villages(new.loc[added], spec, village_of),
        "removed": _villages(old.loc[removed], spec, village_of),
        "changed": _villages(new.loc[changed], spec, village_of),
    }
    for kind, counter in counts.items():
        for code, n in counter.items():
            setattr(out.villages.setdefault(code, VillageChange()), kind, n)
    out.villages = dict(sorted(out.villages.items()))
    return out


def _keyed(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """The frame indexed by its key (a tuple index for composite keys)."""
    return pd.DataFrame(frame).set_index(key, drop=False) if len(key) == 1 else pd.DataFrame(frame).set_index(key)


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise equality where two missing values are equal; floats compared to 1e-9."""
    av = a.astype(object).where(a.notna(), _MISSING).to_numpy()
    bv = b.astype(object).where(b.notna(), _MISSING).to_numpy()
    equal = np.asarray(av == bv, dtype=bool)
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        fa, fb = pd.to_numeric(a, errors="coerce").to_numpy(), pd.to_numeric(b, errors="coerce").to_numpy()
        equal |= np.isclose(fa, fb, rtol=1e-9, atol=1e-9)
    return pd.Series(equal, index=a.index)


def _same_geometry(a: pd.Series, b: pd.Series) -> pd.Series:
    """True where two geometries are equal within the tolerance (two empty ones are equal)."""
    ga, gb = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    missing_a, missing_b = shapely.is_missing(ga) | shapely.is_empty(ga), shapely.is_missing(gb) | shapely.is_empty(gb)
    equal = np.zeros(len(ga), dtype=bool)
    both = ~missing_a & ~missing_b
    equal[both] = shapely.equals_exact(ga[both], gb[both], tolerance=GEOMETRY_TOLERANCE)
    return pd.Series(equal | (missing_a & missing_b), index=a.index)


def _villages(rows: pd.DataFrame, spec: LayerSchema, village_of: dict[str, str] | None) -> Counter[str]:
    """Rows per village code ("" when the row names none)."""
    if "village_code" in rows:
        codes = rows["village_code"]
    elif village_of is not None and "household_id" in rows:
        codes = rows["household_id"].map(village_of)
    else:
        codes = pd.Series(NO_VILLAGE, index=rows.index)
    return Counter(str(c) if isinstance(c, str) else NO_VILLAGE for c in codes)


def village_lookup(households: gpd.GeoDataFrame | pd.DataFrame | None) -> dict[str, str] | None:
    """household_id → village code from a households layer (None without one)."""
    if households is None or not len(households):
        return None
    return dict(zip(households["household_id"], households["village_code"], strict=True))
