"""A web request reads the settings file once; the next request sees a changed file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geodata.settings import get_settings, pin_settings, unpin_settings


def test_pinned_settings_hold_until_unpinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "battlemap.toml"
    path.write_text("[limits]\nwall_cache_entries = 3\n", "utf-8")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(path))
    try:
        pin_settings()
        path.write_text("[limits]\nwall_cache_entries = 5\n", "utf-8")
        os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))  # a different modification time for sure
        assert get_settings().limits.wall_cache_entries == 3  # the request's own view, no file check
    finally:
        unpin_settings()
    assert get_settings().limits.wall_cache_entries == 5


def test_the_app_pins_them_first_and_unpins_after_each_request(demo_store_path: Path) -> None:
    from app import create_app

    server = create_app(str(demo_store_path)).server
    assert server.before_request_funcs[None][0] is pin_settings
    with server.test_request_context("/login"):
        server.preprocess_request()
        assert get_settings() is get_settings()
    from geodata import settings as settings_module

    assert settings_module._PINNED.get() is None
