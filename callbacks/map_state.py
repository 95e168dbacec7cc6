"""The drill-down state held in the URL: ``/map?town=…&village=…&layer=…&lang=…``.

The URL is the only state, so a view can be shared, reloaded, and left with the
browser's back button. Codes that do not exist fall back to the level above.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from layers.catalog import DEFAULT_INDICATOR, indicator
from layers.i18n import DEFAULT_LANG, lang_of

PATH = "/map"


@dataclass(frozen=True)
class MapState:
    """Where the user is: county (no town), a township, or a village; which layer; which language."""

    town: str | None = None
    village: str | None = None
    layer: str = DEFAULT_INDICATOR
    lang: str = DEFAULT_LANG
    period: str | None = None  # a snapshot's month-end (YYYY-MM-DD); None: the current tables
    compare: str | None = None  # a snapshot's month-end to compare the period with
    mode: str = "change"  # with ``compare``: "change" since that month, or "side" by side
    scope: str | None = None  # the part of the store a scoped account's top view is cut to; never from the URL

    @classmethod
    def from_query(
        cls, query: dict[str, object], *, towns: set[str], villages: set[str], periods: frozenset[str] = frozenset()
    ) -> MapState:
        """The state asked for in the URL, with unknown codes, periods and modes dropped."""
        village = str(query.get("village") or "") or None
        town = str(query.get("town") or "") or None
        if village not in villages:
            village = None
        if village:
            town = village[:9]
        if town not in towns:
            town, village = None, None
        return cls(
            town=town,
            village=village,
            layer=indicator(str(query.get("layer") or "")).key,
            lang=lang_of(str(query.get("lang") or "")),
            period=period if (period := str(query.get("period") or "")) in periods else None,
            compare=compare if (compare := str(query.get("compare") or "")) in periods else None,
            mode="side" if query.get("mode") == "side" else "change",
        )

    @property
    def level(self) -> str:
        """What the map shows: the county's townships, a township's villages, or a village's households."""
        return "village" if self.village else "town" if self.town else "county"

    def href(self, **changes: object) -> str:
        """The URL of this state with ``changes`` (e.g. ``village=None`` to go up)."""
        state = replace(self, **changes)
        params = {"town": state.town, "village": state.village}
        if state.layer != DEFAULT_INDICATOR:
            params["layer"] = state.layer
        if state.lang != DEFAULT_LANG:
            params["lang"] = state.lang
        params["period"], params["compare"] = state.period, state.compare
        if state.compare and state.mode != "change":
            params["mode"] = state.mode
        query = urlencode({k: v for k, v in params.items() if v})
        return f"{PATH}?{query}" if query else PATH

    def drill(self, code: str) -> str:
        """The URL one level down into the unit ``code`` (a township or a village)."""
        if len(code) == 9:
            return self.href(town=code, village=None)
        return self.href(town=code[:9], village=code)
