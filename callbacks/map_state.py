"""The drill-down state held in the URL: ``/map?area=…&town=…&village=…&layer=…&lang=…``.

The URL is the only state, so a view can be shared, reloaded, and left with the
browser's back button. Codes that do not exist fall back to the level above. ``area``
is a unit above the township (a county of a city store, a city of a province store);
without it the map shows the store's top level (``top``: county, city or province).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from geodata.divisions import level_of
from layers.catalog import DEFAULT_INDICATOR, indicator
from layers.i18n import DEFAULT_LANG, lang_of

PATH = "/map"


@dataclass(frozen=True)
class MapState:
    """Where the user is: the top (no area, no town), an area under it, a township or a village; layer; language."""

    town: str | None = None
    village: str | None = None
    layer: str = DEFAULT_INDICATOR
    lang: str = DEFAULT_LANG
    period: str | None = None  # a snapshot's month-end (YYYY-MM-DD); None: the current tables
    compare: str | None = None  # a snapshot's month-end to compare the period with
    mode: str = "change"  # with ``compare``: "change" since that month, or "side" by side
    scope: str | None = None  # the part of the store a scoped account's top view is cut to; never from the URL
    area: str | None = None  # a city or county code below the top (None with a town: the town says where)
    top: str = "county"  # the level of the store's top unit (not in the URL: the store decides it)

    @classmethod
    def from_query(
        cls,
        query: dict[str, object],
        *,
        towns: AbstractSet[str],
        villages: AbstractSet[str],
        periods: frozenset[str] = frozenset(),
        areas: frozenset[str] = frozenset(),
        top: str = "county",
    ) -> MapState:
        """The state asked for in the URL, with unknown codes, periods and modes dropped.

        ``areas`` are the codes above the township that may be drilled into (not the top's own).
        """
        area = str(query.get("area") or "") or None
        village = str(query.get("village") or "") or None
        town = str(query.get("town") or "") or None
        if village not in villages:
            village = None
        if village:
            town = village[:9]
        if town not in towns:
            town, village = None, None
        if town or area not in areas:
            area = None
        return cls(
            area=area,
            top=top,
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
        """The level of the unit on screen (the top's when no area, town or village is chosen)."""
        if self.village or self.town:
            return "village" if self.village else "town"
        return level_of(self.area) if self.area else self.top

    @property
    def code(self) -> str | None:
        """The code of the unit on screen (None: the top)."""
        return self.village or self.town or self.area

    def href(self, **changes: object) -> str:
        """The URL of this state with ``changes`` (e.g. ``village=None`` to go up)."""
        state = replace(self, **changes)
        params = {"area": state.area, "town": state.town, "village": state.village}
        if state.layer != DEFAULT_INDICATOR:
            params["layer"] = state.layer
        if state.lang != DEFAULT_LANG:
            params["lang"] = state.lang
        params["period"], params["compare"] = state.period, state.compare
        if state.compare and state.mode != "change":
            params["mode"] = state.mode
        query = urlencode({k: v for k, v in params.items() if v})
        return f"{PATH}?{query}" if query else PATH

    def drill(self, code: str | None) -> str:
        """The URL of the view of unit ``code`` (a county, city, township or village; None: the top)."""
        if code is None:
            return self.href(area=None, town=None, village=None)
        if len(code) < 9:
            return self.href(area=code, town=None, village=None)
        if len(code) == 9:
            return self.href(area=None, town=code, village=None)
        return self.href(area=None, town=code[:9], village=code)
