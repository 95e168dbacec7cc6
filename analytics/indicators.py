"""Village, township and county indicator tables from the record tables.

Every level is the same group-by over the same records, keyed by the first 12, 9, 6, 4
or 2 digits of the village code (village, township, county, city, province), so
roll-ups are sums of counts and ratios of sums by construction. City and province
tables are written when the store holds several counties. Medians, the worst water
indicator and the last inspection are taken from the records of the unit too, never
from village results.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable

import numpy as np
import pandas as pd

from analytics.measures import MEASURES, RATIOS, Measure, source_layer
from analytics.records import Records
from analytics.risk import add_risk
from geodata.divisions import LEVELS as DIVISION_LEVELS
from geodata.settings import Settings

LEVELS = dict(reversed(DIVISION_LEVELS.items()))  # village (12 digits) up to province (2)
UPPER_LEVELS = ("city", "province")  # tabled only for a store of several counties
KM_COLUMNS = {"km_to_clinic": "km_clinic", "km_to_school": "km_school", "km_to_township": "km_township"}


def spend_target(as_of: dt.date, settings: Settings) -> float:
    """The cumulative spend share due by ``as_of`` under the schedule (the last milestone passed)."""
    due = 0.0
    for month_day, share in sorted(settings.funds.schedule.items()):
        month, day = (int(p) for p in month_day.split("-"))
        if as_of >= dt.date(as_of.year, month, day):  # "as of" a day means at its end
            due = max(due, float(share))
    return due


def unit_key(table: pd.DataFrame, level: str) -> pd.Series:
    """The unit code of each record at ``level`` (a prefix of its village code)."""
    return table["village_code"].astype("str").str[: LEVELS[level]]


def _key(records: Records, table: str, level: str) -> pd.Series:
    return records.unit_key(table, LEVELS[level])


def aggregate(records: Records, level: str) -> pd.DataFrame:
    """Every measure and ratio for each unit of ``level``, including units with no records."""
    units = pd.Index(sorted(_key(records, "villages", level).unique()), name=f"{level}_code")
    columns: dict[str, pd.Series] = {}
    # which units are known, per set of known counties: a few sets recur across ~90 measures
    known_units = functools.cache(lambda counties: _known_units(units, counties, records))
    for table, measures in _BY_TABLE.items():
        values = records.memo(("measure_inputs", table), lambda t=table: _measure_inputs(records[t], _BY_TABLE[t]))
        sums = values.groupby(_key(records, table, level)).sum(min_count=1) if len(values) else values.iloc[:0]
        sums = sums.reindex(units)
        for m in measures:
            columns[m.name] = _measure_values(m, sums[m.name], records, known_units)
    out = pd.DataFrame(columns, index=units)
    out = pd.concat([out, pd.DataFrame(_ratios(out), index=units)], axis=1)
    _fill_access_without_households(out, records, level)
    whole = {
        "poverty_incidence_base": incidence_base(out),
        "income_median": _median_income(records, level).reindex(units),
        "water_worst_indicator": worst_indicator(failing_counts(records, level)).reindex(units),
        "days_since_inspection": _days_since_inspection(records, level).reindex(units),
        "spend_target": spend_target(records.as_of, records.settings),
    }
    return pd.concat([out, pd.DataFrame(whole, index=units)], axis=1)


def _ratios(sums: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every ratio of two measures' sums, NaN where the denominator is not above 0 (or unknown)."""
    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for r in RATIOS:
            numerator, denominator = (sums[c].to_numpy(dtype="float64") for c in (r.numerator, r.denominator))
            out[r.name] = np.where(denominator > 0, numerator / denominator, np.nan)
    return out


_BY_TABLE = {table: [m for m in MEASURES if m.table == table] for table in dict.fromkeys(m.table for m in MEASURES)}


def _measure_inputs(frame: pd.DataFrame, measures: list[Measure]) -> pd.DataFrame:
    """What each measure sums, per row of its record table (the same at every level: made once per records)."""
    return pd.DataFrame(
        {m.name: 1.0 if m.column == "one" else _numbers(frame[m.column]) for m in measures}, index=frame.index
    )


def _numbers(column: pd.Series) -> pd.Series:
    """A record column as floats (flags 0/1, NaN where unknown), whatever dtype the table gave it."""
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _measure_values(
    measure: Measure, sums: pd.Series, records: Records, known_units: Callable[[frozenset[str]], np.ndarray]
) -> pd.Series:
    """A measure's unit sums as the table shows them: NaN where unknown, whole numbers as integers.

    ``known_units(counties)``: which of ``sums``' units are known when ``counties`` are (:func:`_known_units`).
    """
    layer = source_layer(measure)
    if layer in records.absent:
        return pd.Series(np.nan, index=sums.index)  # no data is not 0
    values = sums.to_numpy(dtype="float64", copy=True)  # numpy: a few hundred measures per level add up in pandas
    if not measure.keep_unknown:
        values[np.isnan(values)] = 0.0
    if layer in records.layer_counties:  # counties that imported none of the layer's rows: unknown
        values[~known_units(records.layer_counties[layer])] = np.nan
    if measure.columns:  # counties that did not bring the columns at all: unknown
        known = records.known_counties(measure.table, measure.columns)
        values[~known_units(known)] = np.nan
    if measure.integer and not np.isnan(values).any():
        return pd.Series(np.round(values).astype("int64"), index=sums.index)
    return pd.Series(values, index=sums.index)


def _known_units(units: pd.Index, known: frozenset[str], records: Records) -> np.ndarray:
    """Which ``units`` are known: a county (or a part of one) when its county is; a city or province when all are."""
    digits = len(units[0]) if len(units) else 6
    if digits >= 6:
        return units.str[:6].isin(known)
    counties = pd.Series(records.unit_key("villages", 6).unique())
    every = counties.isin(known).groupby(counties.str[:digits].to_numpy()).all()
    return every.reindex(units, fill_value=False).to_numpy(dtype=bool)


def table_levels(records: Records) -> list[str]:
    """The levels :func:`build_indicators` tables: village to county, and city and province for several counties."""
    several = records.unit_key("villages", 6).nunique() > 1
    return [level for level in LEVELS if several or level not in UPPER_LEVELS]


def incidence_base(frame: pd.DataFrame) -> pd.Series:
    """What each unit's poverty incidence is taken over: population (户籍人口), persons (recorded) or mixed."""
    population = frame["incidence_population_villages"] > 0
    persons = frame["incidence_persons_villages"] > 0
    base = np.select([population & persons, population, persons], ["mixed", "population", "persons"], "")
    return pd.Series(base, index=frame.index, dtype=object).replace("", None)


def _fill_access_without_households(out: pd.DataFrame, records: Records, level: str) -> None:
    """Units with no households take their distances from their villages' inner points."""
    if records.village_access is None:
        return
    inner = records.village_access.assign(village_code=records["villages"]["village_code"].to_numpy())
    means = inner.groupby(unit_key(inner, level))[list(KM_COLUMNS.values())].mean()
    empty = out["households"] == 0
    for column, source in KM_COLUMNS.items():
        out.loc[empty, column] = means[source].reindex(out.index[empty])


def _median_income(records: Records, level: str) -> pd.Series:
    h = records["households"]
    if not len(h) or "per_capita_income" not in h:
        return pd.Series(dtype=float)
    return pd.to_numeric(h["per_capita_income"], errors="coerce").groupby(_key(records, "households", level)).median()


def income_counts(records: Records, level: str) -> pd.DataFrame:
    """``unit``, ``value``, ``n``: households of each unit per per-capita income (exact medians from parts)."""
    h = records["households"]
    if not len(h) or "per_capita_income" not in h:
        return pd.DataFrame({"unit": pd.Series(dtype=str), "value": pd.Series(dtype=float), "n": pd.Series(dtype=int)})
    income = pd.to_numeric(h["per_capita_income"], errors="coerce").rename("value")
    counts = income.groupby([_key(records, "households", level).rename("unit"), income]).size()
    return counts.rename("n").reset_index()


def median_from_counts(counts: pd.DataFrame) -> pd.Series:
    """The median ``value`` of each ``unit`` from value counts (the mean of the two middle values for an even total)."""
    out = {}
    for unit, group in counts.groupby("unit"):
        summed = group.groupby("value")["n"].sum().sort_index()
        total = int(summed.sum())
        ends = summed.cumsum().to_numpy()
        values = summed.index.to_numpy(dtype=float)
        middle = values[np.searchsorted(ends, [(total - 1) // 2 + 1, total // 2 + 1])]
        out[unit] = float(np.mean(middle))
    return pd.Series(out, dtype=float)


def failing_counts(records: Records, level: str) -> pd.DataFrame:
    """``unit``, ``code``, ``n``: in how many failing samples of the window each GB 5749 indicator failed, per unit."""
    s = records["samples"]
    failing = s[s["failing_in_window"].astype(bool)] if len(s) else s
    if not len(failing):
        return pd.DataFrame({"unit": pd.Series(dtype=str), "code": pd.Series(dtype=str), "n": pd.Series(dtype=int)})
    codes = failing.assign(unit=unit_key(failing, level), code=failing["failed_indicators"].str.split(";"))
    return codes.explode("code").groupby(["unit", "code"]).size().rename("n").reset_index()


def worst_indicator(counts: pd.DataFrame) -> pd.Series:
    """Per unit, the indicator of :func:`failing_counts` failing in most samples (ties: alphabetical code)."""
    if not len(counts):
        return pd.Series(dtype=object)
    counts = counts.groupby(["unit", "code"], as_index=False)["n"].sum()
    counts = counts.sort_values(["unit", "n", "code"], ascending=[True, False, True])
    return counts.drop_duplicates("unit").set_index("unit")["code"]


def _days_since_inspection(records: Records, level: str) -> pd.Series:
    i = records["inspections"]
    if not len(i):
        return pd.Series(dtype=float)
    last = pd.to_datetime(i["date"]).groupby(_key(records, "inspections", level)).max()
    return (pd.Timestamp(records.as_of) - last).dt.days.astype(float)


def poor_village_flags(village: pd.DataFrame, settings: Settings) -> pd.Series:
    """一高一低一无: incidence above the line, income per person below it, no collective income.

    Each part must be known: a village without a collective-income figure is not "without
    collective income" unless ``poverty.missing_collective_income_is_none`` says so.
    """
    p = settings.poverty
    collective = village["collective_income"]
    if p.missing_collective_income_is_none:
        collective = collective.fillna(0.0)
    return (
        (village["poverty_incidence"] > p.poor_village_incidence)
        & (village["income_per_capita"] < p.poor_village_income)
        & (collective <= 0)
    ).fillna(False)


def build_indicators(records: Records) -> dict[str, pd.DataFrame]:
    """The indicator tables of :func:`table_levels`, with identity columns, ``computed_at``, ``as_of`` and settings."""
    villages = records["villages"].set_index("village_code")
    tables: dict[str, pd.DataFrame] = {}
    village = aggregate(records, "village")
    village["poor_village_flag"] = poor_village_flags(village, records.settings)
    village["poor_villages"] = village["poor_village_flag"].astype(int)
    village.insert(0, "name", villages["name"].reindex(village.index))
    village.insert(1, "town_code", village.index.str[:9])
    tables["village_indicators"] = village
    for level in table_levels(records)[1:]:
        frame = aggregate(records, level)
        frame["poor_villages"] = village["poor_villages"].groupby(village.index.str[: LEVELS[level]]).sum()
        frame["poor_village_flag"] = frame["poor_villages"] > 0
        tables[f"{level}_indicators"] = frame
    stamp = {
        "computed_at": pd.Timestamp.now(tz="UTC").floor("s").tz_localize(None),
        "as_of": pd.Timestamp(records.as_of),
        "settings": json.dumps(dataclasses.asdict(records.settings), ensure_ascii=False, sort_keys=True),
    }
    for name, frame in tables.items():
        add_risk(frame, records.settings)
        tables[name] = frame.reset_index().assign(**stamp)
    return tables
