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


class TextTooltip(MacroElement):
    """A tooltip showing ``text`` as plain text (escaped here)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.html|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str, *, sticky: bool = True) -> None:
        super().__init__()
        self._name = "TextTooltip"
        self.html = html.escape(str(text))
        self.options = {"sticky": sticky}


class HtmlPopup(MacroElement):
    """A popup with ``markup`` that the caller built from escaped text (e.g. lines joined by ``<br>``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, markup: str, *, max_width: int = 300) -> None:
        super().__init__()
        self._name = "HtmlPopup"
        self.html = markup
        self.options = {"maxWidth": max_width}


def with_tooltip(element: Any, text: str) -> Any:
    """``element`` with a plain-text tooltip; returns the element, to chain ``.add_to(map)``."""
    element.add_child(TextTooltip(text))
    return element


def lines_popup(lines: list[str], *, max_width: int = 360) -> HtmlPopup:
    """A popup of text lines, each escaped, one per line."""
    return HtmlPopup("<br>".join(html.escape(str(line)) for line in lines), max_width=max_width)
