"""An indicator table as the maps read it: indexed by unit code, with the columns derived for display."""

from __future__ import annotations

import pandas as pd


def by_unit(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` indexed by its first column (the unit code), plus ``spend_gap`` (target − rate, ≥ 0).

    The map's "spending behind schedule" is not stored: the page, the documents and the
    exported map all derive it here, from the same two stored columns. The settings stamp
    (9 kB of JSON, the same on every row) is kept once, as a category, not once per unit.
    """
    # a copy in consolidated blocks: a table read from PostGIS arrives a column at a time, and adding one
    # more column to it would warn (and be slow) as "highly fragmented"
    table = pd.DataFrame(frame).set_index(frame.columns[0]).copy()
    if "settings" in table:
        table["settings"] = table["settings"].astype("category")
    table["spend_gap"] = (table["spend_target"] - table["spend_rate"]).clip(lower=0)
    return table
