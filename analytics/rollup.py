"""City and province tables from county tables: how the dask engine reaches the levels above its partitions.

Each county is built on its own worker, so the levels above it are put together on
the client from the county rows: every count is the sum of the counties' counts (which
are sums of households and records), every ratio is recomputed from those sums, and
the few figures that are not sums come from small per-county *parts* — income value
counts for the median, failing-indicator counts for the worst indicator — so that the
result equals the in-memory build of the whole store (:mod:`analytics.indicators`).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from analytics.indicators import (
    LEVELS,
    failing_counts,
    incidence_base,
    income_counts,
    median_from_counts,
    spend_target,
    worst_indicator,
)
from analytics.measures import MEASURES, RATIOS
from analytics.records import Records
from analytics.risk import add_risk
from geodata.settings import Settings

PART_COLUMNS = ("part", "part_unit", "part_value", "part_code", "part_n")
STAMPS = ("computed_at", "as_of", "settings")


def county_parts(records: Records) -> pd.DataFrame:
    """The per-county parts of one build: ``part`` (income or water), the county and its counts."""
    income = income_counts(records, "county")
    water = failing_counts(records, "county")
    return pd.concat(
        [
            pd.DataFrame(
                {"part": "income", "part_unit": income["unit"], "part_value": income["value"], "part_n": income["n"]}
            ),
            pd.DataFrame(
                {"part": "water", "part_unit": water["unit"], "part_code": water["code"], "part_n": water["n"]}
            ),
        ],
        ignore_index=True,
    ).reindex(columns=list(PART_COLUMNS))


def roll_up(
    county: pd.DataFrame, parts: pd.DataFrame, level: str, *, as_of: dt.date, settings: Settings
) -> pd.DataFrame:
    """The ``level`` (city or province) table from the county table and every county's parts.

    Same columns, order and dtypes as the in-memory build's ``{level}_indicators``.
    """
    digits = LEVELS[level]
    frame = county.set_index("county_code")
    key = pd.Index(frame.index.str[:digits], name=f"{level}_code")
    units = pd.Index(sorted(key.unique()), name=f"{level}_code")
    out = pd.DataFrame({m.name: _summed(frame[m.name], key, m.keep_unknown, m.integer) for m in MEASURES})
    out = out.reindex(units)
    for r in RATIOS:
        out[r.name] = (out[r.numerator] / out[r.denominator]).where(out[r.denominator] > 0)
    income = parts[parts["part"] == "income"]
    water = parts[parts["part"] == "water"]
    out["poverty_incidence_base"] = incidence_base(out)
    out["income_median"] = median_from_counts(
        pd.DataFrame({"unit": income["part_unit"].str[:digits], "value": income["part_value"], "n": income["part_n"]})
    ).reindex(units)
    out["water_worst_indicator"] = worst_indicator(
        pd.DataFrame({"unit": water["part_unit"].str[:digits], "code": water["part_code"], "n": water["part_n"]})
    ).reindex(units)
    out["days_since_inspection"] = frame["days_since_inspection"].groupby(key).min().reindex(units)
    out["spend_target"] = spend_target(as_of, settings)
    out["poor_villages"] = frame["poor_villages"].groupby(key).sum().reindex(units)
    out["poor_village_flag"] = out["poor_villages"] > 0
    add_risk(out, settings)
    stamps = {name: county[name].iloc[0] for name in STAMPS if name in county}
    return out.reset_index().assign(**stamps)[[f"{level}_code", *county.columns.drop("county_code")]]


def _summed(values: pd.Series, key: pd.Index, keep_unknown: bool, integer: bool) -> pd.Series:
    """A measure summed over counties: unknown when a county's is (or, for ``keep_unknown``, when all are)."""
    grouped = values.groupby(key)
    sums = grouped.sum(min_count=1)
    if not keep_unknown:
        sums = sums.where(~values.isna().groupby(key).any())
    return sums.round().astype("int64") if integer and sums.notna().all() else sums
