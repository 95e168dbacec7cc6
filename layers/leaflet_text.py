"""Tooltips and popups for the Folium exports that carry text as data, never as code.

Folium 0.20 writes a ``Tooltip``'s text and a ``Popup``'s HTML into JavaScript template
literals (backtick strings): ``html.escape`` leaves `` ` `` and ``${…}`` alone, so a
village or facility name like ``${fetch(…)}`` from an imported ledger would run when the
exported file is opened. Its ``Popup`` also calls jQuery, which the offline exports do not
ship. These elements pass the (escaped) HTML to Leaflet's own ``bindTooltip`` /
``bindPopup`` as a JSON string instead.
"""

from __future__ import annotations

import html
from typing import Any

from branca.element import MacroElement
from folium.template import Template


class LeafletText(MacroElement):
    """Escaped ``markup`` bound to the parent layer by Leaflet's ``bindTooltip`` or ``bindPopup``, as a JSON string."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.{{ this.method }}({{ this.html|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, method: str, markup: str, options: dict[str, Any]) -> None:
        super().__init__()
        self._name = "LeafletText"
        self.method = method  # bindTooltip or bindPopup: ours, never from data
        self.html = markup
        self.options = options


def with_tooltip(element: Any, text: str) -> Any:
    """``element`` with a plain-text tooltip; returns the element, to chain ``.add_to(map)``."""
    element.add_child(LeafletText("bindTooltip", html.escape(str(text)), {"sticky": True}))
    return element


def lines_popup(lines: list[str], *, max_width: int = 360) -> LeafletText:
    """A popup of text lines, each escaped, one per line."""
    markup = "<br>".join(html.escape(str(line)) for line in lines)
    return LeafletText("bindPopup", markup, {"maxWidth": max_width})
