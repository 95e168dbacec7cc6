"""Flask settings of the web server: secret key, session cookie, request size, proxies, production checks.

The session cookie is signed with a secret key from ``BATTLEMAP_SECRET_KEY`` or from a
file named by ``BATTLEMAP_SECRET_KEY_FILE`` (kept outside the repository). In production
(``BATTLEMAP_ENV=production`` or ``battlemap serve --production``) the server refuses to
start without a key, with a short or placeholder key, or with a key file inside the
source tree. In development a missing key is replaced by a random one for the process
(logins then end when the server restarts). The cookie is HttpOnly, SameSite=Lax, and
Secure whenever the request came over HTTPS (behind a trusted proxy: its
``X-Forwarded-Proto``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from pathlib import Path

import flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from geodata._errors import ConfigError
from geodata.settings import get_settings

log = logging.getLogger(__name__)
KEY_ENV = "BATTLEMAP_SECRET_KEY"
KEY_FILE_ENV = "BATTLEMAP_SECRET_KEY_FILE"
ENV = "BATTLEMAP_ENV"
MIN_KEY_LENGTH = 32
PLACEHOLDERS = frozenset({"change-me", "changeme", "secret", "dev", "development", "battlemap", "please-change-me"})
SOURCE_TREE = Path(__file__).resolve().parents[1]


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure on HTTPS requests even when the app also answers plain HTTP."""

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        """Secure when configured so or when this request came over HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (flask.has_request_context() and flask.request.is_secure)


def production_mode(production: bool | None = None) -> bool:
    """Production when asked for, else when ``BATTLEMAP_ENV=production``."""
    if production is not None:
        return production
    return os.environ.get(ENV, "").strip().lower() == "production"


def secret_key(*, production: bool) -> str:
    """The session-signing key from the environment or its file; refused in production when unsafe."""
    key = os.environ.get(KEY_ENV, "")
    source = KEY_ENV
    path = os.environ.get(KEY_FILE_ENV)
    if not key and path:
        file = Path(path).expanduser().resolve()
        if production and file.is_relative_to(SOURCE_TREE):
            msg = f"{KEY_FILE_ENV}={file} lies inside the source tree; keep the key file outside the repository"
            raise ConfigError(msg)
        try:
            key = file.read_text("utf-8").strip()
        except OSError as exc:
            msg = f"{KEY_FILE_ENV}={file} cannot be read: {exc}"
            raise ConfigError(msg) from exc
        source = str(file)
    key = key.strip()
    if production:
        if not key:
            msg = (
                f"production mode needs a secret key: set {KEY_ENV} or {KEY_FILE_ENV} "
                '(make one with: python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
            raise ConfigError(msg)
        if len(key) < MIN_KEY_LENGTH or key.lower() in PLACEHOLDERS:
            msg = f"the secret key from {source} is a placeholder or shorter than {MIN_KEY_LENGTH} characters"
            raise ConfigError(msg)
    if not key:
        log.warning("no %s: a random key for this process (logins end when it restarts)", KEY_ENV)
        key = secrets.token_urlsafe(48)
    return key


def configure(server: flask.Flask, *, production: bool) -> None:
    """Secret key, cookie flags, session lifetime, request size limit and trusted proxies."""
    settings = get_settings()
    server.secret_key = secret_key(production=production)
    server.session_interface = SessionInterface()
    server.config.update(
        SESSION_COOKIE_NAME="battlemap_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,  # per request: see SessionInterface
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.auth.session_hours),
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=settings.imports.max_upload_bytes,
        BATTLEMAP_PRODUCTION=production,
    )
    proxies = settings.auth.trusted_proxies
    if proxies:
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
