"""Cached figures: the JSON-ready dict writes the same JSON as the figure, with coordinates as arrays."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
from plotly.io.json import to_json_plotly

from layers.figure_json import json_ready


def test_json_ready_writes_the_same_json_with_coordinates_as_arrays() -> None:
    ring = [[104.0 + np.cos(a) / 10, 35.0 + np.sin(a) / 10] for a in np.linspace(0, 2 * np.pi, 12)]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    feature = {"type": "Feature", "id": "621199100001", "properties": {}, "geometry": polygon}
    geojson = {"type": "FeatureCollection", "features": [feature]}
    lon = [104.0, 104.1, 104.2, None, 104.3, 104.4, 104.5, None, 104.6, 104.7]
    fig = go.Figure(
        [
            go.Choroplethmap(geojson=geojson, locations=["621199100001"], z=[3], customdata=[["621199100001", "村"]]),
            go.Scattermap(lon=lon, lat=[35.0] * 10, mode="lines", meta="roads"),
            go.Scattermap(lon=list(range(10)), lat=list(range(10)), mode="markers", text=[f"户{i}" for i in range(10)]),
        ]
    )
    ready = json_ready(fig)
    assert json.loads(to_json_plotly(ready)) == json.loads(to_json_plotly(fig))
    coordinates = ready["data"][0]["geojson"]["features"][0]["geometry"]["coordinates"]
    assert isinstance(coordinates[0], np.ndarray) and coordinates[0].shape == (12, 2)
    assert isinstance(ready["data"][1]["lon"], np.ndarray) and np.isnan(ready["data"][1]["lon"][3])
    assert '"lon":[104.0,104.1,104.2,null' in to_json_plotly(ready)


def test_numpy_values_are_typed_arrays_as_plotly_writes_them_except_under_skipped_keys() -> None:
    """Read without Plotly's deep copy, the figure still writes Plotly's own JSON (base64 typed arrays included)."""
    fig = go.Figure([go.Bar(x=np.arange(20), y=np.linspace(0, 1, 20)), go.Scatter(x=["甲", "乙"], y=[1, 2])])
    fig.update_layout(xaxis_range=np.array([0.0, 5.0]), yaxis_range=[0, 105], title="标题")
    ready = json_ready(fig)
    assert json.loads(to_json_plotly(ready)) == json.loads(to_json_plotly(fig))
    assert set(ready["data"][0]["y"]) == {"dtype", "bdata"}, "a numpy column was not written as a typed array"
    ready["data"][1]["x"].append("丙")
    assert list(fig.data[1].x) == ["甲", "乙"], "the cached dict shares lists with the figure"


def test_figures_carry_the_slim_template_only() -> None:
    """Every figure sends its template: plotly's full one is twice the size of a panel chart's own data."""
    import plotly.io as pio

    from layers import theme

    fig = go.Figure(go.Bar(x=["a"], y=[1]))
    assert pio.templates.default == theme.NAME
    assert set(fig.layout.template.data.to_plotly_json()) <= set(theme.TRACE_TYPES)
    assert fig.layout.template.layout.font.color == pio.templates["plotly"].layout.font.color  # same look
    assert len(fig.to_json()) < len(go.Figure(go.Bar(x=["a"], y=[1]), layout={"template": "plotly"}).to_json()) / 2
