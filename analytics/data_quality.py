"""Data quality per village: the records a township clerk should fix, and how many there are per village.

Problems found (``KINDS``): households without coordinates (placed at their village by
the importer) or lying in another village than their code names, resident IDs failing
the check digit, monitored households and C/D cases missing a required date, villages
whose household records no import has added to or changed for ``quality.stale_days``,
C/D cases naming a household that is not in the register, water test sites with no
sample in the monitoring plan's interval up to the month of ``as_of`` (monthly; own
sources yearly) and water test sites whose results name indicators GB 5749-2022 does not
know (not judged). Pure: layers and the import log come in as frames.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analytics.water import indicator_codes_of
from geodata.io.idcard import id_checksums_ok
from geodata.io.locate import VillageIndex
from geodata.io.privacy import mask_id
from geodata.settings import Settings, WaterSettings, get_settings

KINDS = (
    "no_coordinates",
    "wrong_village",
    "id_checksum",
    "missing_dates",
    "stale",
    "case_without_household",
    "water_no_sample",
    "water_unknown_indicator",
)
PROBLEM_COLUMNS = ["village_code", "kind", "record", "detail"]


@dataclass
class Quality:
    """``problems``: one row per record to fix; ``counts``: per village, one column per kind plus ``total``."""

    problems: pd.DataFrame
    counts: pd.DataFrame


def data_quality(
    layers: dict[str, pd.DataFrame],
    *,
    import_log: pd.DataFrame | None,
    as_of: dt.date,
    settings: Settings | None = None,
) -> Quality:
    """Find every problem in ``layers`` (villages required; households, housing, water_tests optional)."""
    settings = settings or get_settings()
    villages = layers["villages"]
    index = VillageIndex(villages)
    households = layers.get("households")
    parts = []
    if households is not None and len(households):
        parts += [
            _no_coordinates(households),
            _wrong_village(households, index, settings.imports.border_tolerance_m),
            _id_checksums(households),
            _missing_dates(households, settings.quality.monitored_dates, "household_id", monitored_only=True),
        ]
    parts.append(_stale(villages, import_log, as_of=as_of, days=settings.quality.stale_days))
    cases = layers.get("housing")
    if cases is not None and len(cases):
        village_of = (
            dict(zip(households["household_id"], households["village_code"], strict=True))
            if households is not None
            else {}
        )
        cases = pd.DataFrame(cases).assign(village_code=lambda c: c["household_id"].map(village_of))
        parts += [
            _missing_dates(cases, settings.quality.case_dates, "case_id", monitored_only=False),
            _orphan_cases(cases, set(village_of)),
        ]
    tests = layers.get("water_tests")
    if tests is not None and len(tests):
        parts.append(_water_without_sample(tests, index, as_of, settings.water))
        parts.append(_water_unknown_indicators(tests, index, settings))
    problems = pd.concat([p for p in parts if len(p)] or [pd.DataFrame(columns=PROBLEM_COLUMNS)], ignore_index=True)
    return Quality(problems[PROBLEM_COLUMNS], _counts(villages, problems))


def _frame(codes: object, kind: str, records: object, details: object) -> pd.DataFrame:
    """Problems of one kind as a frame with the shared columns."""
    return pd.DataFrame({"village_code": codes, "kind": kind, "record": records, "detail": details})


def _no_coordinates(h: pd.DataFrame) -> pd.DataFrame:
    """Households the importer had to place at their village (no usable coordinates in the ledger)."""
    geoms = np.asarray(h.geometry.values, dtype=object) if isinstance(h, gpd.GeoDataFrame) else None
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms) if geoms is not None else np.ones(len(h), bool)
    estimated = h["location_estimated"].fillna(False).astype(bool) if "location_estimated" in h else False
    bad = h[missing | estimated]
    return _frame(bad["village_code"], "no_coordinates", bad["household_id"], "")


def _wrong_village(h: gpd.GeoDataFrame, index: VillageIndex, tolerance_m: float) -> pd.DataFrame:
    """Households whose point lies in another village than their code, beyond the border tolerance."""
    geoms = np.asarray(h.geometry.values, dtype=object)
    estimated = h["location_estimated"].fillna(False).to_numpy(bool) if "location_estimated" in h else False
    codes = h["village_code"].to_numpy(dtype=object)
    check = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & ~estimated
    check &= np.array([c in index.by_code for c in codes], dtype=bool)
    idx = np.flatnonzero(check)
    x, y = shapely.get_x(geoms[idx]), shapely.get_y(geoms[idx])
    out = ~index.inside_coded(codes[idx], x, y)
    idx, x, y = idx[out], x[out], y[out]
    if not len(idx):
        return _frame([], "wrong_village", [], [])
    dist = index.metres_from_coded(codes[idx], x, y)
    far = dist > tolerance_m
    idx, dist = idx[far], dist[far]
    actual = index.village_of(x[far], y[far])
    details = [
        f"{index.names[a]} {index.codes[a]} · {d:.0f} m" if a >= 0 else f"— · {d:.0f} m"
        for a, d in zip(actual, dist, strict=True)
    ]
    return _frame(codes[idx], "wrong_village", h["household_id"].to_numpy()[idx], details)


def _id_checksums(h: pd.DataFrame) -> pd.DataFrame:
    """Households whose resident ID fails the GB 11643 check character (shown masked)."""
    ids = h["id_number"]
    bad = ids.notna() & ~id_checksums_ok(ids).fillna(True).astype(bool)
    rows = h[bad]
    return _frame(rows["village_code"], "id_checksum", rows["household_id"], rows["id_number"].map(mask_id))


def _missing_dates(frame: pd.DataFrame, dates: tuple[str, ...], key: str, *, monitored_only: bool) -> pd.DataFrame:
    """Records lacking one of ``dates`` (for households: monitored ones only); the detail names the dates."""
    rows = frame[frame["status"] == "monitored"] if monitored_only else frame
    present = [d for d in dates if d in rows]
    if not present or not len(rows):
        return _frame([], "missing_dates", [], [])
    missing = rows[present].isna()
    bad = missing.any(axis=1)
    details = missing[bad].apply(lambda r: ",".join(c for c in present if r[c]), axis=1)
    return _frame(rows.loc[bad, "village_code"], "missing_dates", rows.loc[bad, key], details)


def _orphan_cases(cases: pd.DataFrame, known: set[str]) -> pd.DataFrame:
    """C/D cases naming a household that is not in the register."""
    bad = cases[~cases["household_id"].isin(known)]
    return _frame(None, "case_without_household", bad["case_id"], bad["household_id"])


def _water_without_sample(
    tests: gpd.GeoDataFrame, index: VillageIndex, as_of: dt.date, water: WaterSettings
) -> pd.DataFrame:
    """Test sites with no sample in their planned interval: this calendar month, or the last 12 for own sources."""
    sampled = pd.to_datetime(tests["sampled_on"])
    first = tests.drop_duplicates("site_id").set_index("site_id")
    site_type = first["site_type"] if "site_type" in first else pd.Series(None, index=first.index, dtype=object)
    months = site_type.map(water.sampling_months_by_site_type).fillna(water.sampling_months)
    month = sampled.dt.year * 12 + sampled.dt.month
    now = as_of.year * 12 + as_of.month
    recent = (month <= now) & (month > now - tests["site_id"].map(months))
    sites = tests.assign(_recent=recent, _on=sampled).groupby("site_id", sort=True)
    last = sites["_on"].max()
    done = sites["_recent"].any()
    todo = done.index[~done.to_numpy()]
    if not len(todo):
        return _frame([], "water_no_sample", [], [])
    rows = first.loc[todo]
    names = rows["site_name"].fillna("") if "site_name" in rows else ""
    details = names + " · " + last.loc[todo].dt.strftime("%Y-%m-%d").fillna("—")
    return _frame(_site_villages(rows, index).to_numpy(), "water_no_sample", todo, details.to_numpy())


def _water_unknown_indicators(tests: gpd.GeoDataFrame, index: VillageIndex, settings: Settings) -> pd.DataFrame:
    """Test sites whose results name indicators the limits table does not know: the names and the latest sample."""
    unknown = tests[indicator_codes_of(tests["indicator"], settings).isna()]
    if not len(unknown):
        return _frame([], "water_unknown_indicator", [], [])
    latest = unknown.sort_values("sampled_on").groupby("site_id", sort=True)
    names = latest["indicator"].agg(lambda n: "、".join(sorted(set(map(str, n)))))
    rows = tests.drop_duplicates("site_id").set_index("site_id").loc[names.index]
    details = names + " · " + latest["sample_id"].last().astype("str")
    return _frame(_site_villages(rows, index).to_numpy(), "water_unknown_indicator", names.index, details.to_numpy())


def _site_villages(rows: pd.DataFrame, index: VillageIndex) -> pd.Series:
    """Each site's village: its code when the sheet gave one, else the village its point lies in."""
    codes = rows["village_code"] if "village_code" in rows else pd.Series(None, index=rows.index, dtype=object)
    if isinstance(rows, gpd.GeoDataFrame) and codes.isna().any():
        pts = np.asarray(rows.geometry.values, dtype=object)
        found = index.village_of(shapely.get_x(pts), shapely.get_y(pts))
        spatial = pd.Series([index.codes[i] if i >= 0 else None for i in found], index=rows.index)
        codes = codes.where(codes.notna(), spatial)
    return codes


def _stale(villages: pd.DataFrame, log: pd.DataFrame | None, *, as_of: dt.date, days: int) -> pd.DataFrame:
    """Villages whose household records no import has added to or changed for ``days`` days."""
    last = last_updates(villages["village_code"], log)
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=days)
    stale = last.isna() | (last < cutoff)
    details = last[stale].dt.strftime("%Y-%m-%d").fillna("—")
    return _frame(last.index[stale], "stale", "", details.to_numpy())


def last_updates(codes: pd.Series, log: pd.DataFrame | None) -> pd.Series:
    """When each village's household records last changed, from the import log (NaT: never).

    An import entry counts for the villages its recorded diff added to or changed; an
    entry without a diff (older imports, the demo) counts for every village.
    """
    out = pd.Series(pd.NaT, index=pd.Index(codes, name="village_code"), dtype="datetime64[ms]")
    if log is None or not len(log):
        return out
    rows = log[(log["layer"].isin(["households", "*"])) & log["action"].str.match(r"import|demo")]
    for at, detail in zip(pd.to_datetime(rows["at"]), rows["detail"], strict=True):
        diff = _json(detail).get("diff")
        touched = list(out.index) if diff is None else _touched(diff)
        hit = out.index.isin(touched)
        out[hit] = out[hit].where(out[hit] > at, at)
    return out


def _touched(diff: dict) -> list[str]:
    """Village codes a logged diff added rows to or changed."""
    return [c for c, v in (diff.get("villages") or {}).items() if v.get("added") or v.get("changed")]


def _json(text: object) -> dict:
    """An import-log detail as a dict ({} when unreadable)."""
    try:
        value = json.loads(str(text))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _counts(villages: pd.DataFrame, problems: pd.DataFrame) -> pd.DataFrame:
    """Problems per village and kind (every village listed, zeros included) with the village's name."""
    table = (
        problems.dropna(subset=["village_code"])
        .groupby(["village_code", "kind"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=villages["village_code"], columns=list(KINDS), fill_value=0)
        .astype(int)
    )
    table["total"] = table.sum(axis=1)
    table.insert(0, "name", villages.set_index("village_code")["name"].reindex(table.index).to_numpy())
    return table
