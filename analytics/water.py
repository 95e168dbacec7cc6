"""Judge drinking-water lab results against GB 5749-2022, row by row and sample by sample.

A result is text as the lab wrote it: a number, ``<0.005`` (below the detection
limit), 未检出/ND (not detected), 无/有 (odour, visible matter). How each compares is
set by the limits table's ``rule``:

- ``numeric``: a number fails above ``max`` or below ``min``; ``<x`` never exceeds a
  maximum but fails a minimum when ``x`` ≤ ``min`` (no measurable disinfectant);
  not detected passes a maximum and fails a minimum.
- ``not_detectable`` (coliforms, E. coli): any positive count or 检出/阳性 fails.
- ``none_present`` (odour, visible matter): anything but 无/未检出/none fails.

Site types named in ``settings.water.relaxed_site_types`` use ``small_max`` where the
standard gives one; those in ``plant_site_types`` (plant outlets) the disinfectants'
leaving-the-plant minimum ``plant_min``. A result whose ``unit`` is another mass
concentration than the limit's (μg/L against mg/L, as labs write arsenic or lead) is
converted first. Results that cannot be read are ``unknown``: never a failure, but
counted so that a bad sheet is noticed.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geodata.schemas import normalise_header
from geodata.settings import Settings
from geodata.water_limits import indicator_codes, load_limits

NOT_DETECTED = {"未检出", "nd", "n.d.", "not detected", "-", "—", "阴性", "negative", "0"}
ABSENT = {"无", "未检出", "none", "nd", "无异臭、异味", "无异臭异味", "未见"}
DETECTED_WORDS = {"检出", "阳性", "positive", "detected"}
MASS_PER_LITRE_IN_MG = {
    "g/l": 1e3,
    "mg/l": 1.0,
    "μg/l": 1e-3,
    "µg/l": 1e-3,
    "ug/l": 1e-3,
    "微克/升": 1e-3,
    "毫克/升": 1.0,
    "ng/l": 1e-6,
    "纳克/升": 1e-6,
}


def judge_results(tests: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per result row: indicator ``code``, ``fail`` (bool), ``unknown`` (unreadable or unknown indicator)."""
    limits = load_limits(settings.water.limits_file or None)
    codes = indicator_codes(limits)
    names = tests["indicator"].astype("str")
    code = names.map({n: codes.get(normalise_header(n)) for n in names.unique()})  # a few dozen distinct names
    known = code.notna()
    lim = limits.reindex(code.fillna(""))
    rule = lim["rule"].to_numpy()
    site_type = _site_types(tests)
    relaxed = site_type.isin(settings.water.relaxed_site_types).to_numpy()
    plant = site_type.isin(settings.water.plant_site_types).to_numpy()
    upper = np.where(relaxed & lim["small_max"].notna().to_numpy(), lim["small_max"], lim["max"]).astype(float)
    plant_min = lim["plant_min"] if "plant_min" in lim else pd.Series(np.nan, index=lim.index)
    lower = np.where(plant & plant_min.notna().to_numpy(), plant_min, lim["min"]).astype(float)

    text = tests["value"].astype("str").str.strip().str.lower()
    nd = text.isin(NOT_DETECTED).to_numpy()
    below = text.str.match(r"^[<＜]").to_numpy()
    number = pd.to_numeric(text.str.replace(r"^[<＜≤]\s*", "", regex=True), errors="coerce").to_numpy()
    number = number * _unit_factor(tests, lim)
    readable = nd | np.isfinite(number)

    numeric = rule == "numeric"
    exact = np.isfinite(number) & ~below
    over = exact & np.isfinite(upper) & (number > upper)
    under = np.isfinite(lower) & ((exact & (number < lower)) | (below & (number <= lower)) | nd)
    fail_numeric = numeric & (over | under)

    detectable = rule == "not_detectable"
    fail_detect = detectable & ((exact & (number > 0)) | text.isin(DETECTED_WORDS).to_numpy())
    readable_detect = readable | text.isin(DETECTED_WORDS).to_numpy()

    presence = rule == "none_present"
    fail_presence = presence & ~text.isin(ABSENT).to_numpy()

    fail = (fail_numeric | fail_detect | fail_presence) & known.to_numpy()
    unknown = ~known.to_numpy() | (numeric & ~readable) | (detectable & ~readable_detect)
    return pd.DataFrame({"code": code, "fail": fail, "unknown": unknown}, index=tests.index)


def _site_types(tests: pd.DataFrame) -> pd.Series:
    """Each result's site type (all missing when the sheet has none)."""
    return tests.get("site_type", pd.Series(index=tests.index, dtype=object))


def _unit_factor(tests: pd.DataFrame, lim: pd.DataFrame) -> np.ndarray:
    """Per row, what turns the lab's number into the limit's unit: 1, or a ratio of two mass concentrations."""
    if "unit" not in tests:
        return np.ones(len(tests))
    given = (
        tests["unit"].astype("str").str.strip().str.lower().str.replace(" ", "", regex=False).map(MASS_PER_LITRE_IN_MG)
    )
    wanted = lim["unit"].astype("str").str.strip().str.lower().map(MASS_PER_LITRE_IN_MG).to_numpy()
    factor = given.to_numpy(dtype=float) / wanted.astype(float)
    return np.where(np.isfinite(factor), factor, 1.0)  # other units (CFU/mL, NTU, 度 …) are compared as written


def judge_samples(tests: pd.DataFrame, settings: Settings, *, as_of: dt.date) -> pd.DataFrame:
    """One row per sample: site, village, date, ``in_window``, ``failing`` and the failing indicator codes."""
    judged = tests[["sample_id", "site_id", "village_code", "sampled_on"]].join(judge_results(tests, settings))
    window = _site_types(tests).map(settings.water.window_days_by_site_type)
    judged["window"] = window.fillna(settings.water.window_days)
    failed = judged[judged["fail"]]
    samples = judged.groupby("sample_id", sort=True).agg(
        site_id=("site_id", "first"),
        village_code=("village_code", "first"),
        sampled_on=("sampled_on", "max"),
        results=("code", "size"),
        unknown_results=("unknown", "sum"),
        window_days=("window", "max"),
    )
    samples["failing"] = samples.index.isin(failed["sample_id"])
    samples["failed_indicators"] = failed.groupby("sample_id")["code"].agg(lambda c: ";".join(sorted(set(c))))
    end = pd.Timestamp(as_of)
    start = end - pd.to_timedelta(samples.pop("window_days"), unit="D")  # own sources are tested once a year
    samples["in_window"] = (samples["sampled_on"] > start) & (samples["sampled_on"] <= end)
    return samples.reset_index()
