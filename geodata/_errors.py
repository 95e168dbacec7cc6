"""Named exceptions: each says what was expected, what arrived and how to fix it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from geodata.io.report import Report


# An absolute POSIX path (not a URL, a fraction or "km/h"), or a Windows path: folders then the last part.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~])/(?:[^\s/'\"`:,;()\[\]]+/)+(?=[^\s/])|\b[A-Za-z]:\\(?:[^\s\\'\"]+\\)+")


def without_paths(text: str) -> str:
    """``text`` with every absolute path cut to its last part (``/srv/x/.uploads/ab12/村界.zip`` → ``村界.zip``).

    Messages shown in pages (upload, import, reports) must not reveal the server's folders;
    errors of libraries (zip, GDAL, openpyxl) often quote the whole path.
    """
    return _ABSOLUTE_PATH.sub("", text)


class BattlemapError(Exception):
    """Base of every error this project raises on purpose."""


class InputError(BattlemapError, ValueError):
    """Bad input: the command refuses it (exit status 2) and writes nothing.

    ``report`` holds every problem found, when there is one.
    """

    def __init__(self, msg: str, report: Report | None = None) -> None:
        super().__init__(msg)
        self.report = report


class ReadError(InputError):
    """A file cannot be read at all: missing, empty, corrupt, unknown format or encoding."""


class CrsError(InputError):
    """A coordinate system is unknown, missing or inconsistent with the coordinates."""


class StoreError(BattlemapError):
    """The store is missing a layer, locked, or not a Battlemap store."""


class ConfigError(BattlemapError):
    """The server's configuration is unsafe for how it is run (e.g. production without a secret key)."""


class TextTooLong(InputError):
    """Typed text longer than its ``[limits]`` setting: refused where it would be stored, never cut short."""

    def __init__(self, msg: str, *, setting: str, limit: int) -> None:
        super().__init__(msg)
        self.setting = setting
        self.limit = limit
