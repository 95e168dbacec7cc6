"""Village, township and county indicator tables from the record tables.

Every level is the same group-by over the same records, keyed by the first 12, 9 or 6
digits of the village code, so roll-ups are sums of counts and ratios of sums by
construction. Medians, the worst water indicator and the last inspection are taken
from the records of the unit too, never from village results.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd

from analytics.measures import MEASURES, RATIOS, Measure, source_layer
from analytics.records import Records
from analytics.risk import add_risk
from geodata.settings import Settings

LEVELS = {"village": 12, "town": 9, "county": 6}
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
    for table in dict.fromkeys(m.table for m in MEASURES):
        frame = records[table]
        measures = [m for m in MEASURES if m.table == table]
        values = pd.DataFrame(
            {m.name: 1.0 if m.column == "one" else _numbers(frame[m.column]) for m in measures},
            index=frame.index,
        )
        sums = values.groupby(_key(records, table, level)).sum(min_count=1) if len(frame) else values.iloc[:0]
        for m in measures:
            column = sums[m.name].reindex(units) if m.name in sums else pd.Series(np.nan, index=units)
            columns[m.name] = _measure_values(m, column, records)
    out = pd.DataFrame(columns, index=units)
    ratios = {r.name: (out[r.numerator] / out[r.denominator]).where(out[r.denominator] > 0) for r in RATIOS}
    out = pd.concat([out, pd.DataFrame(ratios, index=units)], axis=1)
    _fill_access_without_households(out, records, level)
    whole = {
        "poverty_incidence_base": incidence_base(out),
        "income_median": _median_income(records, level).reindex(units),
        "water_worst_indicator": _worst_indicator(records, level).reindex(units),
        "days_since_inspection": _days_since_inspection(records, level).reindex(units),
        "spend_target": spend_target(records.as_of, records.settings),
    }
    return pd.concat([out, pd.DataFrame(whole, index=units)], axis=1)


def _numbers(column: pd.Series) -> pd.Series:
    """A record column as floats (flags 0/1, NaN where unknown), whatever dtype the table gave it."""
    return pd.to_numeric(column, errors="coerce").astype("float64")


def _measure_values(measure: Measure, sums: pd.Series, records: Records) -> pd.Series:
    """A measure's unit sums as the table shows them: NaN where unknown, whole numbers as integers."""
    if source_layer(measure) in records.absent:
        return pd.Series(np.nan, index=sums.index)  # no data is not 0
    column = sums if measure.keep_unknown else sums.fillna(0.0)
    if measure.columns:  # counties that did not bring the columns at all: unknown
        known = records.known_counties(measure.table, measure.columns)
        column = column.where(sums.index.str[:6].isin(known))
    return column.round().astype("int64") if measure.integer and column.notna().all() else column


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


def _worst_indicator(records: Records, level: str) -> pd.Series:
    """The GB 5749 indicator failing in most samples of the window (ties: alphabetical code)."""
    s = records["samples"]
    failing = s[s["failing_in_window"].astype(bool)] if len(s) else s
    if not len(failing):
        return pd.Series(dtype=object)
    codes = failing.assign(unit=unit_key(failing, level), code=failing["failed_indicators"].str.split(";"))
    counts = codes.explode("code").groupby(["unit", "code"]).size().rename("n").reset_index()
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
    """The three indicator tables, each with identity columns, ``computed_at``, ``as_of`` and the settings used."""
    villages = records["villages"].set_index("village_code")
    tables: dict[str, pd.DataFrame] = {}
    village = aggregate(records, "village")
    village["poor_village_flag"] = poor_village_flags(village, records.settings)
    village["poor_villages"] = village["poor_village_flag"].astype(int)
    village.insert(0, "name", villages["name"].reindex(village.index))
    village.insert(1, "town_code", village.index.str[:9])
    tables["village_indicators"] = village
    for level in ("town", "county"):
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
