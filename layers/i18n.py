"""Every label on every page, as data: one message catalog per language, Chinese first (the default).

The messages live in ``layers/locale/zh.toml`` and ``layers/locale/en.toml`` (package data), one
table per group — ``[text]`` for the pages' labels, ``[problem_kinds]``, ``[problem_fixes]``,
``[quality_kinds]``, ``[layer_names]``, ``[site_criteria]``, ``[facility_kinds]``,
``[road_classes]``, ``[hazard_kinds]``, ``[risk_types]`` — with the same keys in both files.
They are read once (:func:`catalog` is cached); a key missing in English falls back to Chinese.

``t("legend", "en")`` → "Legend". A message is a ``str.format`` template, and
:func:`t` fills it:

- ``{name}`` from its keyword arguments, the values of the moment:
  ``t("day_n", lang, n=2)`` → "第2天";
- ``{section.setting}`` from the settings in force (:func:`geodata.settings.get_settings`, or
  ``settings=``): ``"识别时效（≤{timeliness.identify_days}天）"`` reads the limit of
  ``[timeliness] identify_days``. So no policy number is typed into a message: a province that
  changes a limit, a line or a target changes every label that states it, with no caller passing
  it along.

A value missing for a placeholder raises ``KeyError``. :func:`template` gives a message
unfilled, for text filled elsewhere (the browser fills ``upload_over_limit``); :func:`fill`
fills a text that is not in the catalogs the same way (the measure labels of
``analytics/measures.py``).

The groups (``PROBLEM_KINDS`` …) stay dicts of ``(zh, en)`` pairs for :func:`pick`, which does
not format (their values may be raw data). Indicator labels come from the analytics measure
definitions and the map catalog so that a name is written once.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from importlib import resources
from typing import Any

from geodata.settings import Settings, get_settings

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
SECTIONS = frozenset(f.name for f in dataclasses.fields(Settings))  # settings a message may name: {timeliness.…}


@functools.cache
def catalog(lang: str) -> dict[str, dict[str, str]]:
    """The message tables of ``lang`` (``locale/<lang>.toml``), read once."""
    text = (resources.files("layers") / "locale" / f"{lang}.toml").read_text("utf-8")
    return tomllib.loads(text)


def group(name: str) -> dict[str, tuple[str, str]]:
    """One table as ``{key: (zh, en)}`` in the catalog's order (English falls back to Chinese)."""
    zh, en = (catalog(lang).get(name, {}) for lang in LANGS)
    return {key: (text, en.get(key, text)) for key, text in zh.items()}


TEXT = group("text")
PROBLEM_KINDS = group("problem_kinds")  # the validation report's problem kinds (geodata.io: validate, locate, importer)
PROBLEM_FIXES = group("problem_fixes")  # what to do about each problem kind, beside the detail (the exact value)
QUALITY_KINDS = group("quality_kinds")  # analytics.data_quality.KINDS
LAYER_NAMES = group("layer_names")
SITE_CRITERIA = group("site_criteria")
FACILITY_KINDS = group("facility_kinds")
ROAD_CLASSES = group("road_classes")
HAZARD_KINDS = group("hazard_kinds")
RISK_TYPES = group("risk_types")


def lang_of(value: str | None) -> str:
    """A supported language code ('zh' unless 'en' is asked for)."""
    return value if value in LANGS else DEFAULT_LANG


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or English half of a label pair."""
    return pair[1] if lang == "en" else pair[0]


def template(key: str, lang: str = DEFAULT_LANG) -> str:
    """The message for ``key`` in ``lang`` with its placeholders unfilled; an unknown key shows itself."""
    pair = TEXT.get(key)
    return pick(pair, lang) if pair else key


def fill(text: str, /, *, settings: Settings | None = None, **values: Any) -> str:
    """``text`` with ``{name}`` taken from ``values`` and ``{section.setting}`` from the settings."""
    if "{" not in text:
        return text
    return text.format_map(_Values(values, settings))


def t(key: str, lang: str = DEFAULT_LANG, /, *, settings: Settings | None = None, **values: Any) -> str:
    """The label for ``key`` in ``lang``, placeholders filled from ``values`` and the settings.

    An unknown key shows itself (so it is noticed, not hidden).
    """
    return fill(template(key, lang), settings=settings, **values)


class _Values(dict[str, Any]):
    """The caller's values; a settings section (``timeliness``…) is looked up only when a message names it."""

    def __init__(self, values: dict[str, Any], settings: Settings | None) -> None:
        super().__init__(values)
        self.settings = settings

    def __missing__(self, name: str) -> Any:
        if name not in SECTIONS:
            raise KeyError(name)
        return getattr(self.settings or get_settings(), name)
