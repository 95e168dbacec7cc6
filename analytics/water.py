"""Judge drinking-water lab results against GB 5749-2022, row by row and sample by sample.

A result is text as the lab wrote it: a number, ``<0.005`` (below the detection
limit), 未检出/ND (not detected), 无/有 (odour, visible matter), or "—", "-", "/"
(not tested: no result at all, neither a pass nor a failure). How each compares is set
by the limits table's ``rule``:

- ``numeric``: a number fails above ``max`` or below ``min``; ``<x`` never exceeds a
  maximum but fails a minimum when ``x`` ≤ ``min`` (no measurable disinfectant);
  not detected passes a maximum and fails a minimum.
- ``less_than`` (Giardia, Cryptosporidium: < 1 per 10 L): a number fails at ``max`` or above.
- ``not_detectable`` (coliforms, E. coli): any positive count or 检出/阳性 fails.
- ``none_present`` (odour, visible matter): anything but 无/未检出/none fails.
- ``guidance`` (gross α, gross β): a value above ``max`` is no failure; the sample
  needs nuclide analysis (需核素分析) to decide whether the water may be drunk.

Rows sharing a ``sum_group`` (the four trihalomethanes) also fail together, as the
group's own code, when the sum of each one's concentration over its limit exceeds 1.

The relaxed limits ``small_max`` apply by supply type (供水方式: centralised,
small, dispersed — ``settings.water.relaxed_supply_types``); a row without one takes
its site type's default (own sources: dispersed) or ``default_supply_type``.
Disinfectants (Table 2) hold the leaving-the-plant minimum ``plant_min`` at plant
outlets (none for ozone) and no minimum at all at undisinfected site types (own
sources). A result whose ``unit`` is another mass concentration than the limit's
(μg/L against mg/L, as labs write arsenic or lead) is converted first. Results that
cannot be read, and indicators the table does not know, are ``unknown``: never a
failure, but counted and named so that a bad sheet is noticed.

A sample is *complete* when it carries every indicator the monitoring plan names for
its site type (``settings.water.plan_indicators_by_site_type``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geodata.schemas import normalise_header, schema
from geodata.settings import Settings
from geodata.water_limits import indicator_codes, load_limits

NOT_TESTED = {"-", "－", "—", "——", "–", "/", "／", "未检", "未检测", "未测", "不检测", "未做", "nan", "<na>"}
NOT_DETECTED = {"未检出", "nd", "n.d.", "not detected", "阴性", "negative", "0"}
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
DISINFECTANT_TABLE = 2  # GB 5749-2022 Table 2: the disinfectants and their residuals


def judge_results(tests: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per result row: indicator ``code``, ``tested``, ``fail``, ``unknown``, ``nuclide`` and ``ratio``.

    ``nuclide``: a guidance value exceeded; ``ratio``: the result over its limit (numbers
    only, 0 below detection) for rows of a ``sum_group``.
    """
    limits = load_limits(settings.water.limits_file or None)
    code = indicator_codes_of(tests["indicator"], settings)
    known = code.notna().to_numpy()
    lim = limits.reindex(code.fillna(""))
    rule = lim["rule"].to_numpy()
    upper, lower = _bounds(tests, lim, settings)

    raw = tests["value"]
    text = raw.astype("str").str.strip().str.lower()
    tested = (raw.notna() & ~text.isin(NOT_TESTED)).to_numpy()
    nd = text.isin(NOT_DETECTED).to_numpy()
    below = text.str.match(r"^[<＜]").to_numpy()
    number = pd.to_numeric(text.str.replace(r"^[<＜≤]\s*", "", regex=True), errors="coerce").to_numpy()
    number = number * _unit_factor(tests, lim)
    readable = nd | np.isfinite(number)
    exact = np.isfinite(number) & ~below
    detected = text.isin(DETECTED_WORDS).to_numpy()

    numeric = np.isin(rule, ["numeric", "less_than", "guidance"])
    over = exact & np.isfinite(upper) & np.where(rule == "less_than", number >= upper, number > upper)
    under = np.isfinite(lower) & ((exact & (number < lower)) | (below & (number <= lower)) | nd)
    fail_numeric = np.isin(rule, ["numeric", "less_than"]) & (over | under)
    fail_detect = (rule == "not_detectable") & ((exact & (number > 0)) | detected)
    fail_presence = (rule == "none_present") & ~text.isin(ABSENT).to_numpy()

    fail = (fail_numeric | fail_detect | fail_presence) & known & tested
    unreadable = (numeric & ~readable) | ((rule == "not_detectable") & ~(readable | detected))
    grouped = lim["sum_group"].fillna("").ne("").to_numpy()
    ratio = np.where(grouped & exact, number / lim["max"].to_numpy(dtype=float), 0.0)
    return pd.DataFrame(
        {
            "code": code,
            "tested": tested,
            "fail": fail,
            "unknown": ~known | (unreadable & tested),
            "nuclide": (rule == "guidance") & over & tested,
            "ratio": ratio,
        },
        index=tests.index,
    )


def indicator_codes_of(indicators: pd.Series, settings: Settings) -> pd.Series:
    """The limits table's code of each indicator name (None where the table does not know it)."""
    codes = indicator_codes(load_limits(settings.water.limits_file or None))
    names = indicators.astype("str")
    return names.map({n: codes.get(normalise_header(n)) for n in names.unique()})  # a few dozen distinct names


def _bounds(tests: pd.DataFrame, lim: pd.DataFrame, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the maximum (relaxed by supply type) and the minimum (by site type for disinfectants)."""
    water = settings.water
    site_type = _site_types(tests)
    relaxed = supply_types(tests, settings).isin(water.relaxed_supply_types).to_numpy()
    upper = np.where(relaxed & lim["small_max"].notna().to_numpy(), lim["small_max"], lim["max"]).astype(float)
    disinfectant = (lim["table"] == DISINFECTANT_TABLE).to_numpy()
    plant = site_type.isin(water.plant_site_types).to_numpy() & disinfectant
    lower = np.where(plant, lim["plant_min"], lim["min"]).astype(float)  # ozone: no minimum leaving the plant
    lower[site_type.isin(water.undisinfected_site_types).to_numpy() & disinfectant] = np.nan
    return upper, lower


def _site_types(tests: pd.DataFrame) -> pd.Series:
    """Each result's site type (all missing when the sheet has none)."""
    return tests.get("site_type", pd.Series(index=tests.index, dtype=object))


def supply_types(tests: pd.DataFrame, settings: Settings) -> pd.Series:
    """Each result's canonical supply type: as given (canonical or Chinese), else its site type's default."""
    spellings = {
        s.lower(): canonical
        for canonical, names in schema("water_tests").column("supply_type").choices.items()
        for s in (canonical, *names)
    }
    given = tests.get("supply_type", pd.Series(index=tests.index, dtype=object))
    canonical = given.map(lambda v: spellings.get(str(v).strip().lower()), na_action="ignore")
    water = settings.water
    default = _site_types(tests).map(water.default_supply_type_by_site_type).fillna(water.default_supply_type)
    return canonical.where(canonical.notna(), default)


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
    """One row per sample: site, village, date, ``in_window``, ``failing`` and what the sample's results say.

    Also ``needs_nuclide_analysis`` (a radioactivity guidance value exceeded),
    ``unknown_indicators`` (names the limits table does not know), ``complete`` and the
    plan's ``missing_indicators``.
    """
    return samples_in_window(judge_each_sample(tests, settings), as_of)


def samples_in_window(judged: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Judged samples (:func:`judge_each_sample`) with ``in_window``: sampled within their window up to ``as_of``."""
    samples = judged.copy()
    end = pd.Timestamp(as_of)
    start = end - pd.to_timedelta(samples.pop("window_days"), unit="D")  # own sources are tested once a year
    samples["in_window"] = (samples["sampled_on"] > start) & (samples["sampled_on"] <= end)
    return samples


def judge_each_sample(tests: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """What :func:`judge_samples` says of each sample, whatever the date: judged once for every month-end."""
    judged = tests[["sample_id", "site_id", "village_code", "sampled_on"]].join(judge_results(tests, settings))
    judged["indicator"] = tests["indicator"].astype("str")
    judged["site_type"] = _site_types(tests)
    window = judged["site_type"].map(settings.water.window_days_by_site_type)
    judged["window"] = window.fillna(settings.water.window_days)
    samples = judged.groupby("sample_id", sort=True).agg(
        site_id=("site_id", "first"),
        village_code=("village_code", "first"),
        site_type=("site_type", "first"),
        sampled_on=("sampled_on", "max"),
        results=("code", "size"),
        tested_results=("tested", "sum"),
        unknown_results=("unknown", "sum"),
        window_days=("window", "max"),
    )
    failed = pd.concat([judged.loc[judged["fail"], ["sample_id", "code"]], _group_sums(judged, settings)])
    samples["failing"] = samples.index.isin(failed["sample_id"])
    samples["failed_indicators"] = _codes_per_sample(failed)
    nuclide = judged[judged["nuclide"]]
    samples["needs_nuclide_analysis"] = samples.index.isin(nuclide["sample_id"])
    samples["nuclide_indicators"] = _codes_per_sample(nuclide)
    unknown = judged[judged["code"].isna()][["sample_id", "indicator"]].rename(columns={"indicator": "code"})
    samples["unknown_indicators"] = _codes_per_sample(unknown)
    samples = samples.join(_completeness(judged, samples["site_type"], settings))
    return samples.reset_index()


def _codes_per_sample(rows: pd.DataFrame) -> pd.Series:
    """Each sample's distinct ``code`` values, sorted and joined with ';' (a plain loop: far faster than a groupby)."""
    pairs = rows[["sample_id", "code"]].drop_duplicates().sort_values(["sample_id", "code"])
    codes: dict[object, list[str]] = {}
    for sample, code in zip(pairs["sample_id"].to_numpy(), pairs["code"].to_numpy(), strict=True):
        codes.setdefault(sample, []).append(str(code))
    return pd.Series({sample: ";".join(c) for sample, c in codes.items()}, dtype=object)


def _group_sums(judged: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """(sample_id, code) of each sum group whose ratios add up to more than 1 in a sample (trihalomethanes)."""
    limits = load_limits(settings.water.limits_file or None)
    group = judged["code"].map(limits["sum_group"].replace("", np.nan))
    parts = judged.assign(code=group)[group.notna()]
    sums = parts.groupby(["sample_id", "code"])["ratio"].sum()
    return sums[sums > 1].reset_index()[["sample_id", "code"]]


def _completeness(judged: pd.DataFrame, site_type: pd.Series, settings: Settings) -> pd.DataFrame:
    """Per sample: ``complete`` (every indicator of its site type's plan tested) and the ``missing_indicators``."""
    plans = settings.water.plan_indicators_by_site_type
    tested = judged[judged["tested"] & judged["code"].notna()]
    codes = pd.Index(tested["code"].unique())
    grid = np.zeros((len(site_type), len(codes)), dtype=bool)  # sample × indicator: tested
    grid[site_type.index.get_indexer(tested["sample_id"]), codes.get_indexer(tested["code"])] = True
    has = pd.DataFrame(grid, index=site_type.index, columns=codes)
    plan_key = site_type.where(site_type.isin(list(plans)), "*")
    missing = pd.Series("", index=site_type.index, dtype=object)
    for key in plan_key.unique():
        for entry in plans.get(str(key), ()):
            options = [o for o in entry.split("|") if o in has.columns]
            found = has[options].any(axis=1) if options else pd.Series(False, index=has.index)
            lacks = (plan_key == key) & ~found
            missing = missing.where(~lacks, missing + ";" + entry.split("|")[0])
    missing = missing.str.lstrip(";")
    return pd.DataFrame({"complete": missing.eq(""), "missing_indicators": missing}, index=site_type.index)
