"""The app under gunicorn with many simulated users: requests/s, latency percentiles, errors, server memory.

Run: ``python -m bench.load [--users 50] [--minutes 3] [--workers 2] [--store URL]``.
Without ``--store`` the demo county (60,000 households) is written into a temporary
store; with it, that store is used as it is (a GeoPackage path or a PostGIS URL) and
two load-test accounts (a leader, an inspector) and a kiosk token are added to it. gunicorn serves it on
loopback (``battlemap serve --workers``: production mode, preloaded and warm), and each
simulated user is a thread with its own logged-in HTTP session sending the Dash
callbacks a browser sends, with the request bodies recorded from the real pages:

- ``map`` users (70 %) drill county → random township → random village → county, with
  3–8 s of thinking between steps; each step is the router, the map (``on_url``), the
  panel and the household section (and at village level the first block of the register);
- ``wall`` screens (20 %) open ``/wall`` with a kiosk token and, like the real page, ask
  ``/wall/alive`` and send a tick every 20 s (rotation: a new map) and every 30 s (refresh);
- ``inspector`` users (10 %) drill like map users and plan an unannounced-inspection
  route (OR-Tools) every third step or so.

With ``--prerender`` every /map view, and the wall of every rotation indicator for the
screens' size, is built first with ``battlemap warm`` (after the load-test accounts and
token are added: the token changes the store's stamp), as a deployment does after its
nightly build. ``--token-file PATH`` keeps the token, so a second
run on the same store reuses it and the pre-rendered views (omit ``--prerender`` then).

A baseline of one user of each kind runs first on the same server; the table shows
per request kind the load's requests/s and p50/p95/p99 latency, the baseline's p50/p95
and the p95 ratio. An error is a status other than the expected one or a response
without the outputs asked for. The run stops at ``--minutes`` or ``--max-requests``.
Target (2 cores, 50 users): no errors, p95 < 1 s for every drill-down callback.

``--compare 50 --users 200`` runs 50 users, then 200, on the same warm server and prints
them side by side: requests, p95 of every request and of the drill-down, errors, and the
server's RSS/PSS (master + workers, peak and end of each run, idle before the first).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import psutil
import requests

from battlemap_cli.serve_command import gunicorn_command
from callbacks import wall_page
from callbacks.shared_cache import SharedCache
from geodata.demo.store import write_demo
from geodata.private.accounts import AccountStore
from geodata.private.kiosk import create_token
from geodata.settings import get_settings
from geodata.store import open_store
from harness.browser import TEST_PASSWORD, free_port

CALLBACK = "/_dash-update-component"
DRILL_KINDS = ("map: router", "map: view", "map: panel", "map: households", "map: register")
SCREEN = [1600, 900]  # wall-size the screens report (one screen model: one cached wall per indicator)
ROTATE_S, REFRESH_S = 20.0, 30.0  # the wall's timers ([wall] settings' defaults)
GRID_REQUEST = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}, "api": {}}


@dataclass
class Stats:
    """Latencies and errors by request kind, thread-safe; stops the run at the request cap."""

    max_requests: int
    times: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if error:
                self.errors[kind] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{kind}: {error}")
            if sum(len(v) for v in self.times.values()) >= self.max_requests:
                self.stop.set()


class Client:
    """One simulated browser: a session, the app's callback table and the request statistics."""

    def __init__(self, url: str, deps: dict[str, dict[str, Any]], stats: Stats) -> None:
        self.url, self.deps, self.stats = url, deps, stats
        self.http = requests.Session()

    def login(self, name: str) -> None:
        """Log in through the form, as a browser does (GET for the CSRF token, then POST)."""
        form = self.http.get(f"{self.url}/login", timeout=60).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        if csrf is None:
            msg = "no CSRF token in the login form"
            raise RuntimeError(msg)
        r = self.http.post(
            f"{self.url}/login",
            data={"name": name, "password": TEST_PASSWORD, "csrf": csrf[1]},
            allow_redirects=False,
            timeout=60,
        )
        if r.status_code != 303:
            msg = f"login as {name} failed: HTTP {r.status_code}"
            raise RuntimeError(msg)

    def get(self, kind: str, path: str) -> requests.Response | None:
        """A timed GET that must answer 200."""
        started = time.perf_counter()
        try:
            r = self.http.get(self.url + path, timeout=120)
        except requests.RequestException as exc:
            self.stats.add(kind, time.perf_counter() - started, repr(exc))
            return None
        self.stats.add(kind, time.perf_counter() - started, None if r.ok else f"HTTP {r.status_code}")
        return r if r.ok else None

    def callback(
        self,
        kind: str,
        first_output: str,
        inputs: dict[str, Any],
        state: dict[str, Any] | None = None,
        *,
        changed: list[str] | None = None,
        expect: str | None = "",
    ) -> dict[str, Any]:
        """Send the callback whose outputs start with ``first_output`` as the Dash renderer does; its response.

        The response must update component ``expect`` (default: the first output's; None: anything).
        A 204 (nothing to update) answers ``{}``; an error is counted and answers ``{}``.
        """
        expect = first_output.split(".", maxsplit=1)[0] if expect == "" else expect
        dep = self.deps[first_output]
        body = {
            "output": dep["output"],
            "outputs": dep["outputs"],
            "inputs": [{**i, "value": inputs[f"{i['id']}.{i['property']}"]} for i in dep["inputs"]],
            "changedPropIds": changed or list(inputs),
            "parsedChangedPropsIds": changed or list(inputs),
            "state": [{**s, "value": (state or {}).get(f"{s['id']}.{s['property']}")} for s in dep["state"]],
        }
        started = time.perf_counter()
        try:
            r = self.http.post(self.url + CALLBACK, json=body, timeout=120)
        except requests.RequestException as exc:
            self.stats.add(kind, time.perf_counter() - started, repr(exc))
            return {}
        seconds = time.perf_counter() - started
        if r.status_code == 204:
            self.stats.add(kind, seconds, None)
            return {}
        error = None if r.status_code == 200 else f"HTTP {r.status_code}: {r.text[:120]}"
        payload: dict[str, Any] = {}
        if error is None:
            try:
                payload = orjson.loads(r.content).get("response", {})  # the client shares the server's 2 cores
            except ValueError:
                error = "not JSON"
            if error is None and expect is not None and expect not in payload:
                error = f"no {expect} in the response"
        self.stats.add(kind, seconds, error)
        return payload if error is None else {}


def dependencies(url: str, http: requests.Session) -> dict[str, dict[str, Any]]:
    """The app's server callbacks by their first output (``id.property``), with ``outputs`` as the renderer sends it."""
    deps = {}
    answer = http.get(f"{url}/_dash-dependencies", timeout=60)
    answer.raise_for_status()
    for dep in answer.json():
        if dep.get("clientside_function"):
            continue
        multi = dep["output"].startswith("..")
        parts = dep["output"].strip(".").split("...") if multi else [dep["output"]]
        outputs = [dict(zip(("id", "property"), p.split(".", 1), strict=True)) for p in parts]
        entry = {**dep, "outputs": outputs if multi else outputs[0]}
        deps.setdefault(f"{outputs[0]['id']}.{outputs[0]['property'].split('@')[0]}", entry)
    return deps


@dataclass
class County:
    """Township codes and the village codes in each, to drill into."""

    towns: dict[str, list[str]]

    def pick(self, rng: random.Random) -> tuple[str, str]:
        town = rng.choice(sorted(self.towns))
        return town, rng.choice(self.towns[town])


class MapUser:
    """Drills county → township → village → county with think times; an inspector also plans routes."""

    def __init__(self, client: Client, county: County, rng: random.Random, *, plans: bool = False) -> None:
        self.client, self.county, self.rng, self.plans = client, county, rng, plans
        self.state: dict[str, Any] = {}
        self.clicks = 0

    def open(self) -> None:
        self.client.get("page: /map", "/map")
        self._router("/map", "", shown=None, kind="page: open /map")
        self._view("")
        if self.plans:
            self._router("/route", "", shown="/map", kind="page: open /route")

    def step(self, level: int) -> None:
        """Go to level 0 (county), 1 (a random township) or 2 (a village of the current township)."""
        if level == 1:
            self.town, self.village = self.county.pick(self.rng)
            search = f"?town={self.town}"
        elif level == 2:
            search = f"?town={self.town}&village={self.village}"
        else:
            search = ""
        self._router("/map", search, shown="/map", kind="map: router")
        self._view(search)

    def _router(self, path: str, search: str, *, shown: str | None, kind: str) -> None:
        self.client.callback(
            kind,
            "_pages_content.children",
            {"_pages_location.pathname": path, "_pages_location.search": search},
            {"shown-page.data": shown},
            changed=["_pages_location.search"] if shown == path else None,
            expect=None if shown == path else "_pages_content",
        )

    def _view(self, search: str) -> None:
        c = self.client
        out = c.callback(
            "map: view",
            "map-graph.figure",
            {"map-url.search": search},
            {"map-url.pathname": "/map", "map-state.data": self.state or {"lang": "zh"}},
        )
        if "map-state" in out:
            self.state = out["map-state"]["data"]
        c.callback("map: panel", "unit-panel-body.children", {"map-drawn.data": self.state})
        c.callback("map: households", "household-section.children", {"map-drawn.data": self.state})
        if self.state.get("village"):
            c.callback(
                "map: register",
                "household-grid.getRowsResponse",
                {"household-grid.getRowsRequest": GRID_REQUEST},
                {"map-state.data": self.state},
            )

    def plan(self) -> None:
        """Plan a route as the /route page does, then show it."""
        self.clicks += 1
        out = self.client.callback(
            "route: plan",
            "route-plan-id.data",
            {"route-plan.n_clicks": self.clicks},
            {
                "route-date.value": dt.date.today().isoformat(),
                "route-stops.value": 8,
                "route-days.value": 1,
                "route-hours.value": 8,
                "route-start.value": None,
                "route-seed.value": None,
                "route-return.value": ["return"],
            },
        )
        plan_id = out.get("route-plan-id", {}).get("data")
        if plan_id:
            self.client.callback(
                "route: show", "route-map.src", {"route-plan-id.data": plan_id}, {"route-lang.data": "zh"}
            )

    def run(self, until: float, stop: threading.Event) -> None:
        self.open()
        level = 0
        while not stop.is_set() and time.monotonic() < until:
            stop.wait(self.rng.uniform(3.0, 8.0))
            if stop.is_set() or time.monotonic() >= until:
                break
            if self.plans and self.rng.random() < 0.3:
                self.plan()
                continue
            level = (level + 1) % 3
            self.step(level)


class WallScreen:
    """A kiosk screen: opens /wall with the token, then ticks like the page's two timers."""

    def __init__(self, client: Client, token: str, rng: random.Random) -> None:
        self.client, self.token, self.rng = client, token, rng
        self.state: dict[str, Any] = {"i": 0, "stamp": None, "pinned": None, "lang": "zh"}

    def tick(self, trigger: str) -> None:
        self.client.get("wall: alive", "/wall/alive")
        out = self.client.callback(
            "wall: tick",
            "wall-map.figure",
            {"wall-tick.data": {"trigger": trigger, "at": int(time.time() * 1000)}},
            {"wall-size.data": SCREEN, "wall-state.data": self.state},
            expect="wall-asof",
        )
        if "wall-state" in out:
            self.state = out["wall-state"]["data"]

    def run(self, until: float, stop: threading.Event) -> None:
        self.client.get("page: /wall", f"/wall?kiosk={self.token}")
        self.client.callback(
            "page: open /wall",
            "_pages_content.children",
            {"_pages_location.pathname": "/wall", "_pages_location.search": f"?kiosk={self.token}"},
            {"shown-page.data": None},
        )
        self.tick("wall-size")
        now = time.monotonic()
        now, spread = time.monotonic(), self.rng.uniform
        timers = {"wall-rotate": now + spread(0, ROTATE_S), "wall-refresh": now + spread(0, REFRESH_S)}
        while not stop.is_set():
            trigger = min(timers, key=timers.__getitem__)
            if timers[trigger] >= until or stop.wait(max(0.0, timers[trigger] - time.monotonic())):
                break
            self.tick(trigger)
            timers[trigger] += ROTATE_S if trigger == "wall-rotate" else REFRESH_S


@dataclass
class Setup:
    """What the simulated users need: the server's URL, the callback table, accounts, kiosk token, the county."""

    url: str
    token: str
    county: County
    accounts: dict[str, str]


def run_users(setup: Setup, users: int, seconds: float, max_requests: int, *, seed: int) -> tuple[Stats, float]:
    """``users`` simulated users for ``seconds`` (or up to ``max_requests``); their statistics and the elapsed time."""
    stats = Stats(max_requests)
    first = Client(setup.url, {}, stats)
    first.login(setup.accounts["map"])
    deps = dependencies(setup.url, first.http)
    actors: list[Any] = []
    for i in range(users):  # logged in before the clock starts
        rng = random.Random(seed * 1000 + i)
        client = Client(setup.url, deps, stats)
        kind = ("wall", "inspector", "map", "map", "map", "map", "map", "map", "map", "wall")[i % 10]
        if kind == "wall":
            actors.append(WallScreen(client, setup.token, rng))
        else:
            client.login(setup.accounts[kind])
            actors.append(MapUser(client, setup.county, rng, plans=kind == "inspector"))
    started = time.monotonic()
    until = started + seconds
    threads = [threading.Thread(target=a.run, args=(until, stats.stop), daemon=True) for a in actors]
    for i, th in enumerate(threads):
        th.start()
        time.sleep(min(0.1, 5.0 / max(users, 1)) if i < len(threads) - 1 else 0)  # arrivals spread over ≤ 5 s
    for th in threads:
        th.join(max(1.0, until - time.monotonic()) + 180)
    stats.stop.set()
    return stats, time.monotonic() - started


class MemoryWatch:
    """RSS and PSS of the gunicorn master and its workers, sampled every 2 s: peak and last."""

    def __init__(self, pid: int) -> None:
        self.master = psutil.Process(pid)
        self.peak = self.last = (0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[int, int]:
        rss = pss = 0
        for p in [self.master, *self.master.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                info = p.memory_full_info()
                rss, pss = rss + info.rss, pss + info.pss
        return rss, pss

    def _run(self) -> None:
        while not self._stop.wait(2.0):
            self.last = self.sample()
            self.peak = max(self.peak, self.last)

    def __enter__(self) -> MemoryWatch:
        self.last = self.peak = self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.last = self.sample()


@contextlib.contextmanager
def gunicorn_server(store: str, workers: int, *, timeout_s: float = 600.0) -> Iterator[tuple[str, int]]:
    """Serve ``store`` with ``battlemap serve --workers`` on a free loopback port; yields (URL, master pid)."""
    port = free_port()
    env = {
        **os.environ,
        "BATTLEMAP_ENV": "production",
        "BATTLEMAP_STORE": store,
        "BATTLEMAP_SECRET_KEY": secrets.token_urlsafe(48),
    }
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            gunicorn_command(host="127.0.0.1", port=port, workers=workers),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # master and workers in one process group, stopped together below
        )
        try:
            _wait_until_up(url, proc, log, timeout_s)
            yield url, proc.pid
        finally:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(get_settings().server.graceful_timeout_s + 15)
            with contextlib.suppress(ProcessLookupError):  # a worker outliving a killed master would keep serving
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_until_up(url: str, proc: subprocess.Popen, log: Any, timeout_s: float) -> None:
    """Wait for the login page (the server answers once it is warm); a dead or slow server is an error."""
    started = time.monotonic()
    while True:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/login", timeout=5).ok:
                break
        if proc.poll() is not None or time.monotonic() - started > timeout_s:
            log.seek(0)
            msg = f"gunicorn did not come up on {url} (exit {proc.poll()}):\n{log.read().decode()[-3000:]}"
            raise RuntimeError(msg)
        time.sleep(0.5)
    print(f"gunicorn up and warm after {time.monotonic() - started:.0f} s")


def prepare(store_url: str, token_file: Path | None = None) -> tuple[str, dict[str, str], County]:
    """Accounts and a kiosk token in the store (before the server starts: the token changes the stamp).

    With ``token_file`` the token kept there by an earlier run is used again: the store's
    stamp stays the same, so what ``--prerender`` put in the shared cache is still current.
    """
    store = open_store(store_url)
    accounts = AccountStore.beside(store)
    names = {"map": "load-leader", "inspector": "load-inspector"}
    for kind, name in names.items():
        if accounts.get(name) is None:
            accounts.add(name, role="leader" if kind == "map" else "inspector", password=TEST_PASSWORD, who="bench")
    if token_file is not None and token_file.exists():
        token = token_file.read_text().strip()
    else:
        _, token = create_token(store, f"load test {dt.datetime.now():%Y-%m-%d %H:%M}", who="bench")
        if token_file is not None:
            token_file.write_text(token)
            token_file.chmod(0o600)
    villages = store.read("villages", columns=["village_code"])
    towns: dict[str, list[str]] = collections.defaultdict(list)
    for code in villages["village_code"].astype(str):
        towns[code[:9]].append(code)
    return token, names, County(dict(towns))


def prerender(url: str) -> tuple[float, str]:
    """``battlemap warm`` on the store (its progress bar shows): seconds, and what it printed.

    The bench's wall screen is recorded as seen first, as a deployment's screens are by
    the day before, so the command builds its walls too.
    """
    store = open_store(url)
    shared = SharedCache.for_store(store)
    if shared is not None:
        keep = get_settings().server.warm_wall_screens
        shared.remember(wall_page.SCREENS, ("zh", wall_page.screen_size(SCREEN)), keep=keep)
    started = time.perf_counter()
    cmd = [sys.executable, "-m", "battlemap_cli.main", "--store", url, "warm"]
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return time.perf_counter() - started, done.stdout.strip()


def percentiles(values: list[float]) -> tuple[float, float, float]:
    p50, p95, p99 = np.percentile(values, [50, 95, 99]) if values else (float("nan"),) * 3
    return float(p50), float(p95), float(p99)


def report(load: Stats, seconds: float, base: Stats | None, users: int) -> None:
    print(f"\n{users} users for {seconds:.0f} s; latency in seconds; ratio = load p95 / baseline p95")
    print(
        f"{'kind':20s} {'n':>6s} {'req/s':>7s} {'p50':>7s} {'p95':>7s} {'p99':>7s} {'max':>7s} {'errors':>6s}"
        f"   {'base p50':>8s} {'base p95':>8s} {'ratio':>6s}"
    )
    for kind in sorted(load.times):
        values = load.times[kind]
        p50, p95, p99 = percentiles(values)
        b50, b95, _ = percentiles(base.times.get(kind, [])) if base else (float("nan"),) * 3
        print(
            f"{kind:20s} {len(values):6d} {len(values) / seconds:7.2f} {p50:7.3f} {p95:7.3f} {p99:7.3f} "
            f"{max(values):7.3f} {load.errors[kind]:6d}   {b50:8.3f} {b95:8.3f} {p95 / b95:6.1f}"
        )
    total = sum(len(v) for v in load.times.values())
    print(f"{'all':20s} {total:6d} {total / seconds:7.2f}   errors {sum(load.errors.values())}")
    for sample in load.samples:
        print(f"  error: {sample}")
    drill = [v for k in DRILL_KINDS for v in load.times.get(k, [])]
    worst = max((percentiles(load.times[k])[1], k) for k in DRILL_KINDS if load.times.get(k))
    print(
        f"drill-down callbacks: {len(drill)}, p95 {percentiles(drill)[1]:.3f} s, worst kind {worst[1]} "
        f"p95 {worst[0]:.3f} s (target < 1 s); errors {sum(load.errors.values())} (target 0)"
    )


@dataclass
class Run:
    """One load run's figures for the side-by-side summary."""

    users: int
    stats: Stats
    seconds: float
    memory: MemoryWatch

    def row(self) -> str:
        every = [v for values in self.stats.times.values() for v in values]
        drill = [v for k in DRILL_KINDS for v in self.stats.times.get(k, [])]
        mib = 1024 * 1024
        return (
            f"{self.users:6d} {len(every):9d} {len(every) / self.seconds:7.2f} {percentiles(every)[1]:8.3f} "
            f"{percentiles(drill)[1]:10.3f} {sum(self.stats.errors.values()):7d} "
            f"{self.memory.peak[0] / mib:11,.0f} {self.memory.last[0] / mib:10,.0f} {self.memory.peak[1] / mib:10,.0f}"
        )


def summary(runs: list[Run], idle: tuple[int, int]) -> None:
    """The runs side by side: requests, p95 (all requests and drill-down), errors, server memory."""
    mib = 1024 * 1024
    print(
        f"\nside by side (same server; idle before the first run: RSS {idle[0] / mib:,.0f} MiB, "
        f"PSS {idle[1] / mib:,.0f} MiB); p95 in seconds, memory of master + workers in MiB"
    )
    print(
        f"{'users':>6s} {'requests':>9s} {'req/s':>7s} {'p95 all':>8s} {'p95 drill':>10s} {'errors':>7s} "
        f"{'RSS peak':>11s} {'RSS end':>10s} {'PSS peak':>10s}"
    )
    for run in runs:
        print(run.row())
    if len(runs) == 2:
        small, large = runs
        drill = [percentiles([v for k in DRILL_KINDS for v in r.stats.times.get(k, [])])[1] for r in runs]
        print(
            f"{large.users} users against {small.users}: drill-down p95 ×{drill[1] / drill[0]:.1f}, "
            f"RSS peak ×{large.memory.peak[0] / max(small.memory.peak[0], 1):.2f}, errors "
            f"{sum(large.stats.errors.values())} against {sum(small.stats.errors.values())}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument(
        "--compare", type=int, help="first run this many users on the same server (e.g. --users 200 --compare 50)"
    )
    ap.add_argument("--minutes", type=float, default=3.0, help="length of each run")
    ap.add_argument("--workers", type=int, default=0, help="gunicorn workers (0 = [server] workers setting)")
    ap.add_argument("--store", help="GeoPackage path or PostGIS URL (default: the demo county in a temporary store)")
    ap.add_argument("--households", type=int, default=60000, help="demo county size when no --store is given")
    ap.add_argument("--baseline-minutes", type=float, default=1.0, help="one user of each kind first (0 = none)")
    ap.add_argument("--max-requests", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--prerender", action="store_true", help="run `battlemap warm` before serving (every view pre-rendered)"
    )
    ap.add_argument(
        "--token-file",
        type=Path,
        help="keep the kiosk token here and use it again on the next run (the store and its cache stay current)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store_url = args.store
        if not store_url:
            store_url = str(Path(tmp) / "demo.gpkg")
            write_demo(open_store(store_url), seed=2026, households=args.households)
        token, accounts, county = prepare(store_url, args.token_file)
        print(
            f"store {store_url.split('@')[-1]}: {len(county.towns)} townships, "
            f"{sum(map(len, county.towns.values()))} villages; load average {os.getloadavg()}"
        )
        if args.prerender:
            seconds, printed = prerender(store_url)
            print(f"{printed} (wall time {seconds:.0f} s)")
        with gunicorn_server(store_url, args.workers) as (url, pid):
            idle = MemoryWatch(pid).sample()
            setup = Setup(url, token, county, accounts)
            base = None
            if args.baseline_minutes > 0:
                base, _ = run_users(setup, 3, args.baseline_minutes * 60, args.max_requests, seed=args.seed + 1)
            runs = []
            for users in ([args.compare] if args.compare else []) + [args.users]:
                with MemoryWatch(pid) as memory:
                    load, seconds = run_users(setup, users, args.minutes * 60, args.max_requests, seed=args.seed)
                report(load, seconds, base, users)
                runs.append(Run(users, load, seconds, memory))
        summary(runs, idle)
        print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
