"""Classify unit values for a choropleth with mapclassify and describe the classes for a legend."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd

from geodata.settings import Settings
from layers.catalog import MapIndicator, format_value

# ColorBrewer YlOrRd (5 classes): sequential, readable by the common colour-vision deficiencies.
SEQUENTIAL = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#d9d9d9"


@dataclass(frozen=True)
class Classes:
    """Class index per unit (−1 = no data), each class's colour and legend label."""

    index: pd.Series
    colours: list[str]
    labels: list[str]

    def colour_of(self) -> pd.Series:
        """The fill colour of each unit."""
        table = dict(enumerate(self.colours))
        return self.index.map(lambda i: table.get(i, NO_DATA))


def classify(values: pd.Series, ind: MapIndicator, settings: Settings, lang: str, k: int = 5) -> Classes:
    """Classes for ``values`` by the indicator's scheme; worse values get the darker colours."""
    known = values.dropna().astype(float)
    index = pd.Series(-1, index=values.index, dtype=int)
    if known.empty:
        return Classes(index, [], [])
    bins = _bins(known, ind, settings, k)
    index.loc[known.index] = np.searchsorted(bins, known.to_numpy(), side="left").clip(max=len(bins) - 1)
    n = len(bins)
    palette = list(SEQUENTIAL[:n]) if n <= len(SEQUENTIAL) else list(SEQUENTIAL)
    if n < len(SEQUENTIAL):  # spread the colours over the whole ramp
        palette = [SEQUENTIAL[round(i * (len(SEQUENTIAL) - 1) / max(n - 1, 1))] for i in range(n)]
    if not ind.higher_is_worse:
        palette = palette[::-1]
    labels = [f"≤ {format_value(bins[0], ind, lang, unit=False)}"] + [
        f"{format_value(lo, ind, lang, unit=False)} – {format_value(hi, ind, lang, unit=False)}"
        for lo, hi in itertools.pairwise(bins)
    ]
    return Classes(index, palette, labels)


def _bins(known: pd.Series, ind: MapIndicator, settings: Settings, k: int) -> list[float]:
    """Upper bounds of the classes, the last one the maximum."""
    top = float(known.max())
    if ind.scheme == "fixed" and ind.breaks(settings):
        inner = [b for b in ind.breaks(settings) if b < top]
        return [*inner, top]
    distinct = known.nunique()
    if distinct <= 1:
        return [top]
    k = min(k, distinct)
    with warnings.catch_warnings():  # many ties (e.g. most villages at 0 %): mapclassify merges classes itself
        warnings.filterwarnings("ignore", "Not enough unique values", UserWarning)
        if ind.scheme == "natural":
            result = mapclassify.NaturalBreaks(known.to_numpy(), k=k)
        else:
            result = mapclassify.Quantiles(known.to_numpy(), k=k)
    return sorted({float(b) for b in result.bins})


def ranks(values: pd.Series, ind: MapIndicator) -> pd.Series:
    """Rank of each unit, 1 = worst (missing values unranked)."""
    return values.rank(ascending=not ind.higher_is_worse, method="min")
