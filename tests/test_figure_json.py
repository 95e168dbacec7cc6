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
