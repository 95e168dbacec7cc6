"""Soak test of the wall screen: does /wall stay up for hours without the browser's or the server's memory growing?

Run: ``python -m bench.soak_wall --hours 2 [--warmup 10] [--workers 2]``. Writes the
demo county, creates a kiosk token, serves the app with ``battlemap serve`` in its own
process (the development server, or gunicorn with ``--workers``) and opens ``/wall`` at
1920×1080 in headless Chromium with a fast rotation. Every ``--import-every`` minutes new
project figures are written to the store, so the wall refreshes in place. Every
``--sample`` seconds the page's JS heap (after a forced garbage collection), DOM node
count and event listeners are read over the DevTools protocol, and the resident memory
(RSS) of the server and its workers with psutil. The baseline is the first sample after
``--warmup`` minutes (every indicator has rotated and been cached by then); the target
is growth below 20 % from it for both. Prints one line per sample and a verdict; exits 1
when the target is missed or the page died.
"""

from __future__ import annotations

import argparse

from harness.soak import TARGET_GROWTH, run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    length = ap.add_mutually_exclusive_group()
    length.add_argument("--hours", type=float, help="how long to soak (e.g. 2)")
    length.add_argument("--minutes", type=float, help="how long to soak in minutes (default 120)")
    ap.add_argument("--warmup", type=float, default=10, help="minutes before the baseline sample")
    ap.add_argument("--sample", type=float, default=60, help="seconds between samples")
    ap.add_argument("--import-every", type=float, default=5, help="minutes between data changes")
    ap.add_argument("--households", type=int, default=60000)
    ap.add_argument("--rotation", type=int, default=20, help="seconds per indicator (the setting's default)")
    ap.add_argument("--refresh", type=int, default=30, help="seconds between store checks (the setting's default)")
    ap.add_argument("--workers", type=int, help="serve with gunicorn and this many workers (default: dev server)")
    args = ap.parse_args()
    minutes = args.hours * 60 if args.hours is not None else (args.minutes or 120)
    result = run(
        minutes=minutes,
        warmup=args.warmup,
        sample_s=args.sample,
        import_every=args.import_every,
        households=args.households,
        rotation_s=args.rotation,
        refresh_s=args.refresh,
        workers=args.workers,
    )
    base, last = result.baseline, result.samples[-1]
    target = f"target < {TARGET_GROWTH:.0%}"
    print(f"soaked {last.minute:.1f} min; baseline at {base.minute:.1f} min")
    print(
        f"page JS heap : {base.heap_mb:7.1f} MB → {last.heap_mb:7.1f} MB; largest growth "
        f"{result.growth * 100:+.1f} % ({target})"
    )
    print(
        f"server RSS   : {base.server_mb:7.1f} MB → {last.server_mb:7.1f} MB; largest growth "
        f"{result.server_growth * 100:+.1f} % ({target})"
    )
    print(f"DOM nodes {base.nodes} → {last.nodes}, listeners {base.listeners} → {last.listeners}")
    print(f"rotations seen: {result.rotations}, data refreshes seen: {result.refreshes}")
    print("OK" if result.ok else "FAILED")
    raise SystemExit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
