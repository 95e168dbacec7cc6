"""Figures in the JSON-ready form the web app caches and sends: a dict whose long coordinate lists are numpy arrays.

Dash encodes every callback response with Plotly's JSON encoder, which walks each
Python list element by element but hands numpy arrays to orjson whole. Map figures
carry GeoJSON rings and line coordinates as lists (``json.loads`` of GeoPandas'
GeoJSON, lon/lat with ``None`` between lines): as arrays the same JSON is written
several times faster, and the dict, unlike a ``go.Figure``, is cheap to unpickle from the
cache the server's workers share. The dict is built in one walk over the figure's own
properties: ``to_plotly_json`` deep-copies them first, a sixth of a map view's build.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.basevalidators import is_homogeneous_array
from _plotly_utils.utils import is_skipped_key, to_typed_array_spec

MIN_LENGTH = 8  # shorter lists are not worth an array


def json_ready(figure: go.Figure) -> dict[str, Any]:
    """``figure.to_plotly_json()`` with long float lists and coordinate rings as numpy arrays (same JSON)."""
    # the figure's property dicts, read without to_dict's deep copy: _compact copies what it keeps
    return _compact({"data": figure._data, "layout": figure._layout}, typed=True)


def _compact(value: Any, *, typed: bool) -> Any:
    """A copy of ``value`` as ``to_dict`` gives it (numpy values as typed arrays unless under a skipped key).

    Long float lists and coordinate lists become arrays too.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            keep = typed and not is_skipped_key(key)
            out[key] = to_typed_array_spec(item) if keep and is_homogeneous_array(item) else _compact(item, typed=keep)
        return out
    if isinstance(value, (list, tuple)):
        array = _as_array(value)
        return array if array is not None else [_compact(v, typed=typed) for v in value]
    return value


def _as_array(values: list | tuple) -> np.ndarray | None:
    """Float values (``None`` as NaN, written as null) or [x, y] pairs as an array; None when not such a list."""
    if len(values) < MIN_LENGTH:
        return None
    first = values[0]
    if isinstance(first, (list, tuple)):
        width = len(first)
        if width not in (2, 3) or not all(
            isinstance(p, (list, tuple)) and len(p) == width and all(_is_float(c) for c in p) for p in values
        ):
            return None
        return np.asarray(values, dtype=float)
    if not all(v is None or _is_float(v) for v in values) or not any(isinstance(v, float) for v in values):
        return None  # integers stay integers in the JSON
    return np.asarray([np.nan if v is None else v for v in values], dtype=float)


def _is_float(value: Any) -> bool:
    return isinstance(value, (float, int)) and not isinstance(value, bool)
