"""Charts of a site selection's robustness: the tornado of weights that keep the first site first."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analytics.site_robustness import Robustness
from layers.i18n import t
from layers.site_text import tornado_rows
from layers.unit_map import esc

BAR_COLOUR = "#56B4E9"
WEIGHT_COLOUR = "#D55E00"


def tornado_figure(robustness: Robustness, lang: str) -> go.Figure:
    """One bar per criterion from the weight below which to the weight above which the first site changes.

    The narrowest bars (most sensitive criteria) are on top; a marker shows the current
    weight, and the hover names the site that takes first place past each end.
    """
    rows = tornado_rows(robustness, lang).iloc[::-1]  # plotly draws the first category at the bottom
    names = [esc(str(c)) for c in rows["criterion"]]
    below, above = rows["below"].map(lambda s: esc(str(s))), rows["above"].map(lambda s: esc(str(s)))
    takes = t("takes_over", lang)
    hover = [
        f"{n}: {lo:.2f} – {hi:.2f}<br>&lt; {lo:.2f}: {b} {takes}<br>&gt; {hi:.2f}: {a} {takes}"
        for n, lo, hi, b, a in zip(names, rows["from"], rows["to"], below, above, strict=True)
    ]
    fig = go.Figure(
        [
            go.Bar(
                y=names,
                x=(rows["to"] - rows["from"]).to_numpy(float),
                base=rows["from"].to_numpy(float),
                orientation="h",
                marker={"color": BAR_COLOUR},
                hovertext=hover,
                hoverinfo="text",
                showlegend=False,
            ),
            go.Scatter(
                y=names,
                x=rows["weight"].to_numpy(float),
                mode="markers",
                marker={"color": WEIGHT_COLOUR, "size": 10, "symbol": "line-ns-open", "line": {"width": 3}},
                name=t("current_weight", lang),
                hoverinfo="skip",
            ),
        ]
    )
    fig.update_layout(
        title={"text": esc(t("tornado_title", lang)), "font": {"size": 13}},
        xaxis={"range": [0, 1], "tickformat": ".0%", "fixedrange": True},
        yaxis={"fixedrange": True},
        height=int(np.clip(90 + 26 * len(rows), 180, 420)),
        margin={"l": 110, "r": 20, "t": 40, "b": 30},
        legend={"orientation": "h", "y": -0.15},
        plot_bgcolor="#fafafa",
    )
    return fig
