"""Run the real app on a free port and drive it with headless Chromium (Playwright).

The app has no switch that turns login off: a test creates a real account in the store's
private file (:func:`account`) and logs in through the login form (:func:`login`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, Response, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Screenshots go to a temporary folder; BATTLEMAP_SCREENSHOTS=docs/screenshots refreshes the README's pictures.
SCREENSHOTS = Path(os.environ.get("BATTLEMAP_SCREENSHOTS") or Path(tempfile.gettempdir()) / "battlemap-screenshots")
TEST_PASSWORD = "correct horse battery staple"


def account(
    store: Path | str, role: str, *, scope: str | None = None, township: str | None = None, name: str | None = None
) -> str:
    """An account with ``role`` (and ``scope``, or its older name ``township``) in the store's private file, made once.

    Returns its name.
    """
    from geodata.private.accounts import AccountStore
    from geodata.store import open_store

    scope = scope or township
    name = name or f"test-{role}" + (f"-{scope}" if scope else "")
    accounts = AccountStore.beside(open_store(str(store)))
    if accounts.get(name) is None:
        accounts.add(name, role=role, scope=scope, password=TEST_PASSWORD, who="tests")
    return name


def login(
    page: Page,
    url: str,
    store: Path | str,
    role: str,
    *,
    township: str | None = None,
    then: str = "/",
    scope: str | None = None,
) -> str:
    """Log ``page`` in through the login form as a test account with ``role`` (and ``scope``); lands on ``then``.

    Returns the name.
    """
    name = account(store, role, scope=scope, township=township)
    page.goto(f"{url}/login?next={urllib.parse.quote(then)}")
    page.fill("#login-name", name)
    page.fill("#login-password", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("#login-submit")
    if "/login" in page.url:
        msg = f"login as {name} failed: {page.text_content('body')}"
        raise RuntimeError(msg)
    return name


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(store: Path | str) -> Iterator[str]:
    """Serve ``create_app(store)`` in a thread; yields the base URL."""
    from app import create_app
    from callbacks.access import DATA_EXTENSION

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
        app.server.extensions[DATA_EXTENSION].stopped.set()  # its warm-up would go on building views for nobody


@contextlib.contextmanager
def serving_process(store: Path, *, workers: int | None = None, timeout_s: float = 120.0) -> Iterator[str]:
    """Serve the store with ``battlemap serve`` in its own process; yields the base URL once it answers.

    Benchmarks use this so the server does not share a GIL with the Playwright client.
    With ``workers`` it is the production server (gunicorn, warm before it answers, a
    throwaway secret key); without, the development server (warming in the background).
    """
    with server_process(store, workers=workers, timeout_s=timeout_s) as (url, _proc):
        yield url


@contextlib.contextmanager
def server_process(
    store: Path, *, workers: int | None = None, timeout_s: float = 120.0
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Like :func:`serving_process`, yielding the process too (its memory is read by the soak bench).

    With ``workers`` the process is gunicorn's master (``battlemap serve`` execs into it);
    stopping it stops the workers.
    """
    port = free_port()
    cmd = [sys.executable, "-m", "battlemap_cli.main", "serve", "--store", str(store), "--port", str(port)]
    env = dict(os.environ)
    env.pop("BATTLEMAP_ENV", None)
    if workers is not None:
        cmd += ["--workers", str(workers)]
        env["BATTLEMAP_SECRET_KEY"] = secrets.token_hex(32)
    # its own process group, stopped whole: nothing the server started outlives a test or bench
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                urllib.request.urlopen(f"{url}/login", timeout=5).close()  # pages need a login; this one not
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    msg = f"battlemap serve did not come up on {url} (exit code {proc.poll()})"
                    raise RuntimeError(msg) from None
                time.sleep(0.5)
        yield url, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)  # gunicorn lets requests in flight finish ([server] graceful_timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


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


def response_bodies(responses: list[Response]) -> str:
    """The text of every document and XHR/fetch response the page received (to search for leaks), JSON decoded."""
    out = []
    for r in responses:
        if r.request.resource_type in ("xhr", "fetch", "document"):
            try:
                body = r.text()
            except Exception:  # a body the browser already dropped (e.g. after navigation)
                continue
            if "json" in (r.headers.get("content-type") or ""):  # searched as text, not as \uXXXX escapes
                with contextlib.suppress(ValueError):
                    body = json.dumps(json.loads(body), ensure_ascii=False)
            out.append(body)
    return "\n".join(out)
