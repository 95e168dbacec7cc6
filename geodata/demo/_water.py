"""The demo county's drinking water: supply zones, test sites and 12 months of lab results.

Each water plant has a quality profile (good, high fluoride, bitter-salty hard water,
weak disinfection, summer turbidity) so that failures cluster by supply, as they do in
practice; remote villages on their own sources fail on bacteria and nitrate. Results
are written as a lab would: numbers with sensible precision, "<DL" below detection,
未检出 for bacteria not found, 无 for odour and visible matter.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geodata.water_limits import load_limits

ROUTINE = [
    "total_coliforms", "e_coli", "total_bacteria", "colour", "turbidity", "odour", "visible_matter", "ph",
    "permanganate_index", "ammonia", "fluoride", "nitrate", "arsenic", "iron", "manganese", "chloride",
    "sulfate", "tds", "hardness", "aluminium", "chromium_vi",
]  # fmt: skip
DISINFECTANT = "free_chlorine"
EXTENDED = [
    "lead",
    "cadmium",
    "mercury",
    "cyanide",
    "chloroform",
    "copper",
    "zinc",
    "chlorate",
    "gross_alpha",
    "gross_beta",
    "trichloroacetic_acid",
]
EXTENDED_MONTHS = (4, 10)  # 32 indicators twice a year (April and October door-to-door sweeps)

# Typical result as a fraction of the limit (median) and its log-spread.
_TYPICAL = {
    "total_bacteria": (0.15, 0.7), "colour": (0.2, 0.5), "turbidity": (0.3, 0.4), "permanganate_index": (0.4, 0.3),
    "ammonia": (0.06, 0.8), "fluoride": (0.45, 0.3), "nitrate": (0.25, 0.5), "arsenic": (0.12, 0.6),
    "iron": (0.12, 0.7), "manganese": (0.1, 0.7), "chloride": (0.3, 0.4), "sulfate": (0.45, 0.25),
    "tds": (0.55, 0.2), "hardness": (0.6, 0.15), "aluminium": (0.1, 0.6), "chromium_vi": (0.08, 0.5),
    "lead": (0.1, 0.6), "cadmium": (0.05, 0.6), "mercury": (0.05, 0.5), "cyanide": (0.04, 0.5),
    "chloroform": (0.1, 0.6), "copper": (0.01, 0.8), "zinc": (0.02, 0.8), "chlorate": (0.08, 0.6),
    "gross_alpha": (0.2, 0.5), "gross_beta": (0.15, 0.5), "trichloroacetic_acid": (0.05, 0.6),
}  # fmt: skip
_DETECTION = 0.1  # results below this fraction of the limit are reported as "<DL"
PROFILES = {
    "good": {},
    "fluoride": {"fluoride": 1.9},
    "hard": {"hardness": 1.35, "sulfate": 1.6, "tds": 1.45, "chloride": 1.8},
    "disinfection": {"total_bacteria": 3.0},
    "turbid": {"turbidity": 2.2, "iron": 2.0, "aluminium": 2.5},
}
OWN_SOURCE = {"nitrate": 2.8, "total_bacteria": 4.0, "turbidity": 1.8, "fluoride": 1.4}


def plant_profiles(rng: np.random.Generator, plants: int) -> list[str]:
    """One quality profile per plant: with 7 plants, one high-fluoride, one hard-water and one weak-disinfection."""
    base = ["fluoride", "hard", "disinfection", "turbid"][: max(plants - 4, 1)]
    rest = ["good"] * max(plants - len(base), 0)
    profiles = base + rest
    rng.shuffle(profiles)
    return [str(p) for p in profiles]


UNSAFE_SHARE = {"good": 0.002, "fluoride": 0.05, "hard": 0.03, "disinfection": 0.03, "turbid": 0.01, "own": 0.1}


def _coliforms(rng: np.random.Generator, p: float) -> str:
    return str(int(rng.integers(1, 24))) if rng.random() < p else "未检出"


def _number(value: float) -> str:
    """A lab-style number: three significant digits, no exponent."""
    return f"{value:.3g}" if value >= 1e-3 else f"{value:.4f}"


def _dl(limit: float) -> str:
    """The "<DL" text for an indicator (detection limit a tenth of the limit, rounded)."""
    return "<" + _number(float(f"{limit * _DETECTION:.1g}"))


def site_results(
    rng: np.random.Generator, *, site_type: str, profile: str, month: int, codes: list[str], maxes: dict[str, float]
) -> list[str]:
    """Lab results for one sample (one text per indicator code; ``maxes`` maps a code to its limit)."""
    summer = month in (6, 7, 8, 9)
    boost = dict(PROFILES.get(profile, {}))
    if site_type == "own_source":
        boost.update(OWN_SOURCE)
    bacteria_p = {"plant_outlet": 0.003, "tap": 0.01, "own_source": 0.12}[site_type]
    bacteria_p *= (3.5 if profile == "disinfection" and site_type == "tap" else 1) * (1.8 if summer else 1)
    out = []
    for code in codes:
        if code == "total_coliforms":
            out.append(_coliforms(rng, bacteria_p))
        elif code == "e_coli":
            out.append(_coliforms(rng, bacteria_p / 3))
        elif code in ("odour", "visible_matter"):
            out.append("有" if rng.random() < (0.002 if site_type != "own_source" else 0.02) else "无")
        elif code == "ph":
            out.append(f"{rng.normal(8.1 if profile == 'hard' else 7.7, 0.22):.2f}")
        elif code == DISINFECTANT:
            centre = 0.65 if site_type == "plant_outlet" else 0.07 if profile == "disinfection" else 0.28
            out.append(f"{centre * np.exp(rng.normal(0, 0.35)):.2f}")
        else:
            limit = maxes[code]
            median, spread = _TYPICAL[code]
            factor = boost.get(code, 1.0) * (1.3 if summer and code in ("turbidity", "total_bacteria") else 1)
            value = limit * median * factor * np.exp(rng.normal(0, spread))
            out.append(_dl(limit) if value < limit * _DETECTION else _number(value))
    return out


def make_water_samples(rng: np.random.Generator, sites: list[dict], as_of: dt.date, months: int = 12) -> pd.DataFrame:
    """Long-format results: one row per sample × indicator over the ``months`` before ``as_of``."""
    limits = load_limits()  # read into dicts once: a frame lookup per result was most of the demo's time
    maxes = limits["max"].astype(float).to_dict()
    names, units = limits["name_zh"].to_dict(), limits["unit"].to_dict()
    first = pd.Timestamp(as_of).to_period("M") - months
    rows: list[tuple] = []
    for site in sites:
        for k in range(months):
            period = first + k
            day = int(rng.integers(3, 26))
            sampled = dt.date(period.year, period.month, min(day, period.days_in_month))
            codes = ROUTINE + ([DISINFECTANT] if site["site_type"] != "own_source" else [])
            if period.month in EXTENDED_MONTHS:
                codes = codes + EXTENDED
            values = site_results(
                rng,
                site_type=site["site_type"],
                profile=site["profile"],
                month=period.month,
                codes=codes,
                maxes=maxes,
            )
            sample_id = f"{site['site_id']}-{period.year}{period.month:02d}"
            rows.extend(
                (sample_id, site["site_id"], sampled, names[c], v, units[c]) for c, v in zip(codes, values, strict=True)
            )
    frame = pd.DataFrame(rows, columns=["sample_id", "site_id", "sampled_on", "indicator", "value", "unit"])
    frame["sampled_on"] = pd.to_datetime(frame["sampled_on"]).astype("datetime64[ms]")
    return frame
