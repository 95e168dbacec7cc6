"""Secrets out of the server's logs: a kiosk token in a logged URL is written as ``kiosk=***``.

A wall screen opens ``/wall?kiosk=<token>`` once (the token is then exchanged for a
session, :mod:`callbacks.access`), but that one request line still reaches the access
log of werkzeug (``battlemap serve`` in development) and of gunicorn (production, with an
access log configured). :class:`MaskSecrets` rewrites every record of those loggers before
any handler writes it; :func:`install` puts it on werkzeug's logger, and on gunicorn's
access and error loggers through ``logger_class`` in :mod:`battlemap_cli.gunicorn_conf`
(this module does not import gunicorn, which the development server does not need).
"""

from __future__ import annotations

import logging
import re

# a token's characters are URL-safe base64; "%3D" is "=" inside an encoded ?next=… parameter
SECRET = re.compile(r"(?i)((?:^|[?&;\s]|%3F|%26)kiosk(?:=|%3D))[^&\s\"'#;%]*")
MASK = "***"
LOGGERS = ("werkzeug",)
GUNICORN_LOGGERS = ("gunicorn.access", "gunicorn.error")


def mask(text: str) -> str:
    """``text`` with the value of every ``kiosk=`` parameter replaced by ``***``."""
    return SECRET.sub(rf"\g<1>{MASK}", text)


class MaskSecrets(logging.Filter):
    """A logging filter that masks kiosk tokens in the formatted message (and then keeps the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its masked text; never drop a record."""
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install(names: tuple[str, ...] = LOGGERS) -> None:
    """Put one :class:`MaskSecrets` on each named logger (again is harmless: one filter per logger)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskSecrets) for f in logger.filters):
            logger.addFilter(MaskSecrets())
