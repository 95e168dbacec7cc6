"""Classify unit values for a choropleth with mapclassify and describe the classes for a legend."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

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


# ColorBrewer RdBu (5 classes; its white middle greyed to show on the white map), most improved to most worsened.
DIVERGING = ("#2166ac", "#67a9cf", "#e6e6e6", "#ef8a62", "#b2182b")  # the middle a light grey: no change
CHANGE_STEPS = (0.5, 0.1)  # class edges as shares of the indicator's whole range: ±½, ±⅒ (the middle class holds 0)


def classify(
    values: pd.Series, ind: MapIndicator, settings: Settings, lang: str, k: int = 5, *, pool: pd.Series | None = None
) -> Classes:
    """Classes for ``values`` by the indicator's scheme; worse values get the darker colours.

    ``pool`` (every value the indicator takes in every month, ``values`` among them) gives
    the breaks instead of ``values``, so that one colour means one value whichever month is shown.
    """
    known = values.dropna().astype(float)
    index = pd.Series(-1, index=values.index, dtype=int)
    if known.empty:
        return Classes(index, [], [])
    source = pool.dropna().astype(float) if pool is not None else known  # the pool holds the values shown
    bins = _bins(source if len(source) else known, ind, settings, k)
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
            return _natural_bins(known.to_numpy(dtype=float), k)
        result = mapclassify.Quantiles(known.to_numpy(), k=k)
    return sorted({float(b) for b in result.bins})


def _natural_bins(values: np.ndarray, k: int) -> list[float]:
    """Natural breaks as mapclassify.NaturalBreaks finds them (1-D k-means, best of 10 starts), but seeded.

    NaturalBreaks starts k-means from numpy's global random state, so the same values gave
    other breaks on the next call and a month's colours changed with a reload. Exact
    Fisher-Jenks is deterministic but quadratic (8 s for 2,400 values without numba).
    """
    fit = KMeans(n_clusters=k, init="k-means++", n_init=10, random_state=0).fit(values.reshape(-1, 1))
    return sorted({float(values[fit.labels_ == c].max()) for c in range(k)})


def ranks(values: pd.Series, ind: MapIndicator) -> pd.Series:
    """Rank of each unit, 1 = worst (missing values unranked)."""
    return values.rank(ascending=not ind.higher_is_worse, method="min")


def classify_change(change: pd.Series, ind: MapIndicator, lang: str, *, pool: pd.Series) -> Classes:
    """Classes of a change between two months on a diverging palette centred on zero (worse changes red).

    The edges are ±½ and ±⅒ of the indicator's whole range over every month (``pool``), the
    same whichever two months are compared; the middle class holds no change.
    """
    index = pd.Series(-1, index=change.index, dtype=int)
    known = change.dropna().astype(float)
    values = pool.dropna().astype(float)
    span = float(values.max() - values.min()) if len(values) else 0.0
    span = span if span > 0 else 1.0
    edges = [-span * CHANGE_STEPS[0], -span * CHANGE_STEPS[1], span * CHANGE_STEPS[1], span * CHANGE_STEPS[0]]
    index.loc[known.index] = np.searchsorted(edges, known.to_numpy(), side="left")
    colours = list(DIVERGING) if ind.higher_is_worse else list(DIVERGING[::-1])
    text = [change_text(e, ind) for e in edges]
    labels = [f"≤ {text[0]}", f"{text[0]} – {text[1]}", f"{text[1]} – {text[2]}", f"{text[2]} – {text[3]}"]
    return Classes(index, colours, [*labels, f"> {text[3]}"])


def change_text(value: float, ind: MapIndicator) -> str:
    """A change written with its sign: +1.2 (percentage points for shares), −3 households."""
    if ind.kind in ("share", "points"):
        return f"{value * 100:+.1f}"
    return f"{value:+.1f}" if ind.kind == "km" else f"{value:+,.0f}"
