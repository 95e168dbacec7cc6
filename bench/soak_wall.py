"""Soak test of the wall screen: does /wall stay up for hours without the browser's memory growing?

Run: ``python -m bench.soak_wall [--minutes 120] [--warmup 10]``. Writes the demo county,
creates a kiosk token, serves the app with ``battlemap serve`` in its own process and opens
``/wall`` at 1920×1080 in headless Chromium with a fast rotation. Every ``--import-every``
minutes new project figures are written to the store, so the wall refreshes in place.
Every ``--sample`` seconds the page's JS heap (after a forced garbage collection), DOM
node count and event listeners are read over the DevTools protocol. The baseline is the
first sample after ``--warmup`` minutes; the target is growth below 20 % from it.
Prints one line per sample and a verdict; exits 1 when the target is missed or the page died.
"""

from __future__ import annotations

import argparse

from harness.soak import run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=120)
    ap.add_argument("--warmup", type=float, default=10, help="minutes before the baseline sample")
    ap.add_argument("--sample", type=float, default=60, help="seconds between samples")
    ap.add_argument("--import-every", type=float, default=5, help="minutes between data changes")
    ap.add_argument("--households", type=int, default=60000)
    ap.add_argument("--rotation", type=int, default=20, help="seconds per indicator (the setting's default)")
    ap.add_argument("--refresh", type=int, default=30, help="seconds between store checks (the setting's default)")
    args = ap.parse_args()
    result = run(
        minutes=args.minutes,
        warmup=args.warmup,
        sample_s=args.sample,
        import_every=args.import_every,
        households=args.households,
        rotation_s=args.rotation,
        refresh_s=args.refresh,
    )
    last = result.samples[-1]
    print(
        f"baseline at {result.baseline.minute:.1f} min: {result.baseline.heap_mb:.1f} MB; "
        f"end: {last.heap_mb:.1f} MB; largest growth {result.growth * 100:+.1f} % (target < 20 %)"
    )
    print(f"rotations seen: {result.rotations}, data refreshes seen: {result.refreshes}")
    print("OK" if result.ok else "FAILED")
    raise SystemExit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
