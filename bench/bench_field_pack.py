"""Field pack size and build time: a 3-day, 30-stop plan on the demo county, against the issue's targets.

Run: ``python -m bench.bench_field_pack [--households 4000] [--repeat 5]``. Generates the
demo county in memory, plans a 3-day overnight trip of 30 drawn stops exactly as
``/route`` does, and builds its field pack page (:func:`layers.field_pack.field_page`)
from the roads and the browser's village outlines as the server holds them (the outlines
are cached per store version; making them once is timed apart). Prints the page's size
(raw and gzipped) and the median and worst build time of ``--repeat`` builds, each as a
ratio to its target: < 2 MB and < 1 s (issue 18). A ratio below 1 meets the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import statistics
import time

from analytics import prepare_records
from analytics.inspection_plan import plan_inspection, route_context
from geodata.demo import make_demo_county
from geodata.settings import get_settings
from layers.field_pack import field_page
from layers.geometry import unit_polygons

DATE = dt.date(2026, 12, 1)
SIZE_TARGET = 2_000_000  # bytes
TIME_TARGET = 1.0  # seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = get_settings()
    layers = make_demo_county(seed=settings.demo_seed, households=args.households)
    records = prepare_records(layers, as_of=DATE, settings=settings)
    context = route_context(layers["villages"], layers["roads"], layers["facilities"], records, settings)
    plan = plan_inspection(records, context, date=DATE, stops=30, days=3, seed=1, overnight=True, settings=settings)
    plan["plan_id"] = "R20261201-0000000000"
    started = time.perf_counter()
    outlines = unit_polygons(layers["villages"], layers["towns"], "village")
    outlines_s = time.perf_counter() - started
    times, page = [], ""
    for _ in range(args.repeat):
        started = time.perf_counter()
        page = field_page(plan, roads=layers["roads"], outlines=outlines, lang="zh")
        times.append(time.perf_counter() - started)
    size, packed = len(page.encode()), len(gzip.compress(page.encode()))
    build, worst = statistics.median(times), max(times)
    print(
        f"demo county: {len(layers['villages'])} villages, {len(layers['roads'])} roads; plan: {len(plan['stops'])} "
        f"stops over {plan['days']} days ({len(plan['unfitted'])} unfitted)"
    )
    print(f"size    {size / 1e6:6.3f} MB (gzip {packed / 1e6:.3f} MB)  ratio to < 2 MB target {size / SIZE_TARGET:.3f}")
    print(f"build   {build:6.3f} s median, {worst:.3f} s worst   ratio to < 1 s target {worst / TIME_TARGET:.3f}")
    print(f"village outlines for the browser, made once per store version: {outlines_s:.3f} s")


if __name__ == "__main__":
    main()
