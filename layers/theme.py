"""The charts' Plotly template: plotly's own, with the trace defaults of the kinds Battlemap draws only.

Every figure carries its template in its JSON. Plotly's default holds the defaults of
every trace type (about 4 kB: contour colour scales, 3-D axes …) and the panel alone sends
five charts per click; the slim copy looks the same for the bars, lines and maps drawn here.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

NAME = "battlemap"
TRACE_TYPES = ("bar", "scatter", "scattermap", "choroplethmap")  # add a type here before drawing it


def slim_template(base: str = "plotly") -> go.layout.Template:
    """``base`` with its layout and the trace defaults of :data:`TRACE_TYPES` only."""
    full = pio.templates[base]
    data = {kind: getattr(full.data, kind) for kind in TRACE_TYPES if getattr(full.data, kind, None)}
    return go.layout.Template(layout=full.layout, data=data)


def install() -> None:
    """Make the slim template the default of every figure this process builds (once; idempotent)."""
    if NAME not in pio.templates:
        pio.templates[NAME] = slim_template()
    pio.templates.default = NAME
