"""Dash's callback responses encoded by orjson in one pass, components included.

Dash encodes every response with Plotly's ``to_json_plotly``. With orjson installed that
first tries ``orjson.dumps`` as it is, and when the value holds anything orjson does not
know (every Dash component: a panel, a legend, a breadcrumb) it walks the whole value in
Python (``clean_to_json_compatible``) and encodes the copy: 8–16 ms for a unit panel,
a fifth of a cached view's serving time under load. Here orjson meets those objects
through its ``default`` hook instead: a component becomes its ``to_plotly_json()``, any
other object what Plotly's cleaner makes of it, and everything else stays in orjson's C
code. The text is the same (same options, same HTML-safe escapes); a value the hook
cannot handle goes to Plotly's own encoder, so an error reads as before.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
import plotly.io.json as plotly_json
from _plotly_utils.optional_imports import get_module
from plotly.io import _json

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _default(obj: Any) -> Any:
    """What orjson writes for an object it does not know: a component's JSON form, else Plotly's cleaning of it."""
    to_plotly_json = getattr(obj, "to_plotly_json", None)
    if to_plotly_json is not None:
        return to_plotly_json()
    cleaned = _json.clean_to_json_compatible(obj, numpy_allowed=True, datetime_allowed=True, modules=_modules())
    if cleaned is obj:
        raise TypeError(type(obj).__name__)  # nothing known: Plotly's encoder reports it
    return cleaned


@functools.cache
def _modules() -> dict[str, Any]:
    """The optional modules Plotly's cleaner checks for (as ``to_json_plotly`` passes them)."""
    names = {"sage_all": "sage.all", "np": "numpy", "pd": "pandas", "image": "PIL.Image"}
    return {key: get_module(name, should_load=False) for key, name in names.items()}


def encode(value: Any) -> str:
    """``value`` as Dash's JSON text (what ``to_json_plotly`` returns), written by orjson in one pass."""
    try:
        text = orjson.dumps(value, default=_default, option=OPTIONS).decode("utf-8")
    except TypeError:
        return _PLOTLY(value)
    return _json._safe(text, _json._swap_orjson)


_PLOTLY = plotly_json.to_json_plotly


@functools.wraps(_PLOTLY)
def _to_json_plotly(plotly_object: Any, pretty: bool = False, engine: str | None = None) -> str:
    if pretty or engine not in (None, "orjson"):
        return _PLOTLY(plotly_object, pretty=pretty, engine=engine)
    return encode(plotly_object)


def install() -> None:
    """Make Dash's responses use :func:`encode` (``dash._utils.to_json`` looks the function up on each call)."""
    plotly_json.to_json_plotly = _to_json_plotly
