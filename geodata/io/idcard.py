"""Resident identity numbers (居民身份证号码, GB 11643-1999): the ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_char(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        msg = f"expected 17 digits, got {first17!r}"
        raise ValueError(msg)
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_checksum_ok(value: str) -> bool:
    """True when ``value`` is 17 digits plus the right check character (x accepted for X)."""
    s = str(value).strip().upper()
    return bool(_SHAPE.match(s)) and check_char(s[:17]) == s[17]


def check_chars(first17: np.ndarray) -> np.ndarray:
    """Check characters for many 17-digit strings at once (vectorised :func:`check_char`)."""
    digits = np.frombuffer("".join(first17).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - ord("0")
    return np.array(list(_CHECK))[(digits.astype(int) @ np.array(_WEIGHTS)) % 11]


def id_checksums_ok(values: pd.Series) -> pd.Series:
    """Vectorised :func:`id_checksum_ok`: True/False per ID, NA where the ID is missing."""
    text = values.astype("object").where(values.notna()).astype("str").str.strip().str.upper()
    shaped = text.str.fullmatch(_SHAPE.pattern) & values.notna()
    ok = pd.Series(False, index=values.index)
    if shaped.any():
        good = text[shaped]
        ok[shaped] = check_chars(good.str[:17].to_numpy()) == good.str[17].to_numpy()
    return ok.astype("boolean").where(values.notna(), pd.NA)
