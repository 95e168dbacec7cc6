"""Colours shared by every map and chart: colour-blind-safe categorical and status palettes."""

from __future__ import annotations

# Okabe-Ito plus Paul Tol's muted set: distinguishable with the common colour-vision deficiencies.
CATEGORICAL = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
)


def categorical_colours(n: int) -> list[str]:
    """``n`` distinct colours, cycling when more are asked for than the palette holds."""
    return [CATEGORICAL[i % len(CATEGORICAL)] for i in range(n)]
