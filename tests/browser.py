"""Run the real app on a free port and drive it with headless Chromium (Playwright)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).parents[1] / "docs" / "screenshots"


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(store: Path) -> Iterator[str]:
    """Serve ``create_app(store)`` in a thread; yields the base URL."""
    from app import create_app

    app = create_app(str(store))
    port = free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium; fails loudly when it is not installed (run .ci/run)."""
    if not Path(CHROMIUM).exists():
        msg = f"{CHROMIUM} not found: browser tests need Debian's chromium (bash .ci/run installs it)"
        raise RuntimeError(msg)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
