"""A small trend line (sparkline) as an SVG data URI: the wall's tiles and the /map panel's indicators.

Numbers in, text out: no script, no external resource, so it shows offline and in a kiosk.
"""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pandas as pd


def sparkline_svg(
    values: pd.Series,
    *,
    target: float | None = None,
    width: int = 120,
    height: int = 28,
    colour: str = "#8fd3ff",
    marker: str = "#ffffff",
) -> str | None:
    """A trend line as an SVG data URI (the last point marked, an optional dashed target); None without two values.

    Gaps (NaN) break the line: a month without a value is never drawn as 0.
    """
    known = values.dropna()
    if len(known) < 2:
        return None
    lows = [known.min(), *([target] if target is not None else [])]
    highs = [known.max(), *([target] if target is not None else [])]
    low, high = float(min(lows)), float(max(highs))
    span = (high - low) or 1.0
    pad = 3.0

    def xy(i: int, v: float) -> str:
        x = pad + i * (width - 2 * pad) / max(len(values) - 1, 1)
        y = height - pad - (v - low) / span * (height - 2 * pad)
        return f"{x:.1f},{y:.1f}"

    points = values.to_numpy(dtype=float)
    runs: list[list[str]] = [[]]
    for i, v in enumerate(points):
        if np.isnan(v):
            runs.append([])
        else:
            runs[-1].append(xy(i, v))
    lines = "".join(
        f'<polyline points="{" ".join(r)}" fill="none" stroke="{colour}" stroke-width="2"/>' for r in runs if len(r) > 1
    )
    dots = "".join(_dot(r[0], 2, colour) for r in runs if len(r) == 1)
    last = int(np.flatnonzero(~np.isnan(points))[-1])
    goal = ""
    if target is not None:
        y = xy(0, float(target)).split(",")[1]
        goal = f'<line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="#9aa5b1" stroke-width="1" stroke-dasharray="3 3"/>'
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"{goal}{lines}{dots}{_dot(xy(last, points[last]), 3, marker)}</svg>"
    )
    return "data:image/svg+xml;utf8," + quote(svg)


def _dot(point: str, radius: int, colour: str) -> str:
    cx, cy = point.split(",")
    return f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{colour}"/>'
