"""Dash's responses written by orjson in one pass are the text Plotly's encoder writes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import dcc, html
from plotly.io import _json as plotly_json

from callbacks import response_json
from layers.figure_json import json_ready


def plotly_text(value: object) -> str:
    return plotly_json.to_json_plotly(value)


VALUES = {
    "a panel of components with a chart": html.Div(
        [
            html.H3("杨家村 <b>&"),
            html.Table([html.Tr([html.Td("监测户"), html.Td(np.int64(12)), html.Td(np.float64(0.25))])]),
            dcc.Graph(figure=go.Figure(go.Bar(x=["2026-10", "2026-11"], y=[1.5, float("nan")]))),
        ],
        className="panel",
        style={"color": "#c00"},
    ),
    "a figure in its JSON-ready form": json_ready(
        go.Figure(go.Scattermap(lon=list(np.linspace(104, 105, 20)), lat=[35.0 + i / 100 for i in range(20)]))
    ),
    "numbers, dates and missing values": {
        "ints": np.arange(5),
        "strided": np.arange(10.0)[::2],  # not contiguous: orjson hands it over
        "strings": np.array(["甲", "乙"]),
        "objects": np.array(["a", None], dtype=object),
        "series": pd.Series([1.0, np.nan]),
        "dates": pd.Series(pd.to_datetime(["2026-11-01", "2026-12-01"])),
        "day": dt.date(2026, 11, 1),
        "stamp": pd.Timestamp("2026-11-01 08:30"),
        "na": pd.NA,
        "nat": pd.NaT,
        "int keys": {1: "一", 2: "二"},
        "script": "</script><!-- x -->",
    },
}


@pytest.mark.parametrize("name", list(VALUES))
def test_the_same_text_as_plotly(name: str) -> None:
    value = {"multi": True, "response": {"x": {"children": VALUES[name]}}}
    assert response_json.encode(value) == plotly_text(value)


def test_an_unknown_object_fails_as_in_plotly() -> None:
    class Thing:
        pass

    with pytest.raises(TypeError) as plotly_error:
        plotly_text({"x": Thing()})
    with pytest.raises(TypeError) as ours:
        response_json.encode({"x": Thing()})
    assert str(ours.value) == str(plotly_error.value)


def test_dash_uses_it_once_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from dash._utils import to_json

    calls = []
    monkeypatch.setattr(response_json, "encode", lambda value: calls.append(value) or "{}")
    response_json.install()
    assert to_json({"a": 1}) == "{}" and calls == [{"a": 1}]
