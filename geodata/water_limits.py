"""The GB 5749-2022 limits table shipped in ``geodata/data`` (see its README), and name lookup.

Lab sheets name an indicator in Chinese, in English or by an alias (氟 / 氟化物 / Fluoride);
:func:`indicator_codes` maps all of them to the table's ``code``. The table holds all 97
indicators of the standard: Table 1 (39 routine), Table 2 (4 disinfectants) and Table 3
(54 extended); each row names the ``source`` its value was checked against (see the
README beside the file).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import pandas as pd

from geodata.schemas import normalise_header

LIMITS_FILE = "gb5749_2022.csv"
TEXT_COLUMNS = ("code", "aliases", "unit", "sum_group", "source", "note")


@functools.cache
def _load(path: str | None) -> pd.DataFrame:
    source = Path(path) if path else resources.files("geodata.data").joinpath(LIMITS_FILE)
    with source.open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype={c: str for c in TEXT_COLUMNS})
    for column in TEXT_COLUMNS:  # a replacement file written before a column existed gets it empty
        table[column] = table[column].fillna("") if column in table else ""
    for column in ("max", "min", "small_max", "plant_min", "table"):
        if column not in table:
            table[column] = float("nan")
    return table.set_index("code")


def load_limits(path: str | Path | None = None) -> pd.DataFrame:
    """The limits table indexed by ``code`` (a copy; ``path`` overrides the shipped file)."""
    return _load(str(path) if path else None).copy()


def indicator_codes(limits: pd.DataFrame | None = None) -> dict[str, str]:
    """Every spelling of every indicator (normalised) → its code."""
    table = load_limits() if limits is None else limits
    out: dict[str, str] = {}
    for code, row in table.iterrows():
        for name in (code, row["name_zh"], row["name_en"], *row["aliases"].split("|")):
            if name:
                out[normalise_header(str(name))] = str(code)
    return out


def indicator_code(name: str, codes: dict[str, str] | None = None) -> str | None:
    """The code of an indicator named any way the table knows, or None."""
    return (codes or indicator_codes()).get(normalise_header(name))
