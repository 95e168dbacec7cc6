"""Province scale: a synthetic province built with the dask engine, and the pandas engine beside it.

Run: ``python -m bench.bench_scale [--counties 100] [--households-per-county 100000]``
(defaults: 16,000 villages, 10,000,000 households). Each county is generated and built
on a worker of a local dask.distributed cluster (one process per core). Prints
households/s, wall time and peak memory (resident memory of this process and all its
children, sampled every 0.2 s), then the same for the in-memory pandas engine on
``--pandas-households`` (default 1,000,000) households. Targets: ≤ 5 minutes, ≤ 12 GiB.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from analytics import compute_indicators
from analytics.dask_engine import compute_indicators_dask
from bench.memory import PeakMemory
from bench.synthetic_province import AS_OF, HouseholdLoader, context, county_code, households


def report(label: str, n: int, seconds: float, peak: int) -> None:
    print(
        f"{label:34} {n:>11,} households  {seconds:7.1f} s  {n / seconds:>10,.0f} households/s  "
        f"peak memory {peak / 2**30:5.2f} GiB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--households-per-county", type=int, default=100_000)
    ap.add_argument("--pandas-households", type=int, default=1_000_000)
    ap.add_argument("--scheduler", default=None, help="address of a dask scheduler (default: a local cluster)")
    args = ap.parse_args()
    counties = [county_code(i) for i in range(args.counties)]
    per = args.households_per_county
    total = per * len(counties)
    with PeakMemory() as mem:
        started = time.perf_counter()
        tables = compute_indicators_dask(counties, HouseholdLoader(per), context, as_of=AS_OF, scheduler=args.scheduler)
        seconds = time.perf_counter() - started
    villages = len(tables["village_indicators"])
    assert int(tables["county_indicators"]["households"].sum()) == total
    print(f"synthetic province: {len(counties)} counties, {villages:,} villages")
    report("dask engine (local cluster)", total, seconds, mem.peak)
    print(f"  target: ≤ 300 s ({seconds / 300:.0%} of it), ≤ 12 GiB ({mem.peak / 12 / 2**30:.0%} of it)")

    k = max(1, args.pandas_households // per)
    with PeakMemory() as mem:
        started = time.perf_counter()
        layers: dict[str, pd.DataFrame] = {}
        for code in counties[:k]:
            part = {**context(code), "households": households(code, per)}
            for name, frame in part.items():
                layers[name] = pd.concat([layers[name], frame], ignore_index=True) if name in layers else frame
        compute_indicators(layers, as_of=AS_OF)
        seconds = time.perf_counter() - started
    report("pandas engine (one process)", k * per, seconds, mem.peak)


if __name__ == "__main__":
    main()
