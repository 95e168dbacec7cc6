"""Site selection speed: a full recompute after a weight change on the demo county's 100 m grid.

Run: ``python bench/bench_sites.py [--repeat 10]``. Builds the demo county in memory,
the site model (landscape, criteria rasters) and the movers' plan once — what the page
caches — then times, as the median of ``--repeat`` runs each with a different weight
vector, (a) the recompute: re-weighting the cached value stack, the constraint mask, the
top-K contiguous candidates with their breakdown and travel times; (b) the page update:
(a) plus the Plotly figure (suitability PNG) and its JSON. Against it, in the same run,
the naive way — a Python loop over every cell and criterion applying the value functions
and weights — followed by the same candidate step; it checks both scores agree and prints
the ratio. Target: (a) well under 1 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from analytics.candidates import find_regions
from analytics.sites import CRITERIA, Selection, build_site_model, plan_movers, rank_sites
from analytics.suitability import excluded, normalised_weights
from geodata.demo import make_demo_county
from geodata.settings import get_settings
from layers.site_map import SiteView, origins_lonlat, sites_figure
from layers.unit_map import Context


def naive_score(measures: dict, ramps: dict, weights: np.ndarray, exclude: np.ndarray) -> np.ndarray:
    """Per cell, per criterion, in Python: the value function and the weighted sum."""
    rows, cols = exclude.shape
    flat = {c: measures[c].ravel().tolist() for c in CRITERIA}
    out = [float("nan")] * (rows * cols)
    skip = exclude.ravel().tolist()
    for i in range(rows * cols):
        if skip[i]:
            continue
        total = 0.0
        for k, c in enumerate(CRITERIA):
            full, zero = ramps[c]
            m = flat[c][i]
            v = 0.0 if math.isnan(m) else min(max((zero - m) / (zero - full), 0.0), 1.0)
            total += weights[k] * v
        out[i] = total
    return np.array(out).reshape(rows, cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--naive-repeat", type=int, default=3)
    parser.add_argument("--households", type=int, default=120)
    args = parser.parse_args()
    settings = get_settings()
    s = settings.sites
    started = time.perf_counter()
    layers = make_demo_county(seed=settings.demo_seed)
    model = build_site_model(layers, settings=settings)
    plan = plan_movers(model, Selection(households=args.households))
    land = model.land
    print(
        f"demo county + site model + movers in {time.perf_counter() - started:.1f} s; grid {land.grid.shape[0]} × "
        f"{land.grid.shape[1]} = {land.grid.size:,} cells of {land.grid.cell:.0f} m, "
        f"{int(land.inside.sum()):,} inside the county; {len(plan.movers)} movers"
    )

    rng = np.random.default_rng(0)
    weight_sets = [dict(zip(CRITERIA, rng.dirichlet(np.ones(len(CRITERIA))), strict=True)) for _ in range(args.repeat)]
    origins = origins_lonlat(plan.origins.table, land.grid.epsg)
    fast, page = [], []
    for w in weight_sets:
        t0 = time.perf_counter()
        result = rank_sites(model, plan, weights=w)
        t1 = time.perf_counter()
        fig, _ = sites_figure(SiteView(result, land.grid, land.inside, origins, "zh"), context=Context())
        payload = fig.to_json()
        t2 = time.perf_counter()
        fast.append(t1 - t0)
        page.append(t2 - t0)

    exclude = excluded(land, slope_limit_deg=s.slope_limit_deg, hazard_buffer_m=s.hazard_buffer_m)
    cells = int(np.ceil(result.needed_m2 / land.grid.cell**2))
    naive = []
    for w in weight_sets[: args.naive_repeat]:
        t0 = time.perf_counter()
        score = naive_score(plan.measures, s.value_ramps, normalised_weights(w), exclude)
        find_regions(
            score,
            cells=cells,
            top_k=s.top_k,
            gap_cells=int(np.ceil(s.gap_m / land.grid.cell)),
            compactness=s.compactness,
        )
        naive.append(time.perf_counter() - t0)
    check = rank_sites(model, plan, weights=weight_sets[args.naive_repeat - 1]).score
    assert np.allclose(score, check, equal_nan=True, atol=1e-5), "naive and vectorised scores differ"

    f, p, n = statistics.median(fast), statistics.median(page), statistics.median(naive)
    print(
        f"recompute after a weight change (median of {len(fast)}): {f * 1000:.0f} ms "
        f"(min {min(fast) * 1000:.0f}, max {max(fast) * 1000:.0f})"
    )
    print(
        f"page update incl. figure + JSON (median of {len(page)}): {p * 1000:.0f} ms; figure JSON "
        f"{len(payload) / 1024:.0f} KB (no context layers)"
    )
    print(f"naive per-cell Python loop (median of {len(naive)}): {n * 1000:.0f} ms")
    print(f"speed-up {n / f:.1f}×; target < 1 s: {'met' if f < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
