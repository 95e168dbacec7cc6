"""Length limits of text typed into the web app, checked where the text is stored.

Each limit is a ``[limits]`` setting (:class:`geodata.settings.LimitSettings`); the pages
give their boxes the same ``maxLength``, and the store writers refuse longer text with
:class:`~geodata._errors.TextTooLong` (which names the setting), so a request sent
around the page cannot store more either. Text is never cut short.
"""

from __future__ import annotations

from geodata._errors import TextTooLong
from geodata.settings import Settings, get_settings


def text_limit(setting: str, settings: Settings | None = None) -> int:
    """The limit in characters named ``setting`` (a field of ``[limits]``, e.g. ``finding_chars``)."""
    limits = (settings or get_settings()).limits
    return int(getattr(limits, setting))


def check_length(text: str | None, *, what: str, setting: str, settings: Settings | None = None) -> None:
    """Refuse ``text`` longer than the ``[limits] setting`` characters; ``what`` names it in the message."""
    limit = text_limit(setting, settings)
    if text is not None and len(text) > limit:
        msg = f"{what} too long: {len(text):,} characters, at most {limit:,} ([limits] {setting})"
        raise TextTooLong(msg, setting=setting, limit=limit)
