"""Document speed: the monthly bulletin and an A0 poster of the full demo county, beside naive baselines.

Run: ``python -m bench.bench_documents [--repeat 3] [--households 60000]``. Writes the demo
county into a temporary store, builds it, then times (median of ``--repeat``):

- the bulletin (.docx and .pdf) as ``battlemap bulletin`` makes it — the store's layers read
  once for both month-ends — against the naive way, each month-end reading the store again;
- an A0 poster (PDF, and PNG at 300 dpi) from the built tables, against the naive way of
  recomputing the indicators from the layers for the picture (then the same drawing).

Targets: the bulletin under 10 s, an A0 poster under 30 s, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analytics import compute_indicators
from battlemap_cli.documents import as_png, build_poster, bulletin_bytes, bulletin_document, county_maps
from battlemap_cli.export_command import current_tables
from battlemap_cli.main import main
from battlemap_cli.month_tables import indexed, input_layers, month_end, month_tables, previous_month_end
from geodata.store import GeoPackageStore, Store


def median_time(work: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``work`` over ``repeat`` runs (seconds)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def naive_bulletin(store: Store, month: str, *, docx: bool) -> bytes:
    """The bulletin with each month-end's tables computed from a fresh read of the store."""
    as_of = month_end(month)
    before = previous_month_end(as_of)
    county = county_maps(store)
    now, earlier = month_tables(store, as_of), month_tables(store, before)
    inspections = store.read_or_none("inspections")
    return bulletin_bytes(
        county, now, earlier, as_of=as_of, before_as_of=before, inspections=inspections, town=None, docx=docx
    )


def naive_poster(store: Store, paper: str, *, png: bool) -> bytes:
    """The poster with the indicators recomputed from the layers instead of read from the build."""
    county = county_maps(store)
    _, as_of = current_tables(store)
    tables = indexed(compute_indicators(input_layers(store), as_of=as_of))
    pdf = build_poster(county, tables, as_of, layer="risk_index", town=None, paper=paper, landscape=False).pdf
    return as_png(pdf) if png else pdf


def report(name: str, fast: float, naive: float, target: float) -> None:
    """One line: the time, the baseline's, their ratio and the target."""
    verdict = "ok" if fast < target else "OVER TARGET"
    print(
        f"{name:<22} {fast:6.2f} s   naive {naive:6.2f} s   ratio {naive / fast:4.1f}×   "
        f"target < {target:.0f} s {verdict}"
    )


def run(repeat: int, households: int) -> None:
    """Write and build the demo county, then time each document beside its baseline."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.gpkg"
        assert main(["--store", str(path), "demo", "--households", str(households)]) == 0
        assert main(["--store", str(path), "build"]) == 0
        store = GeoPackageStore(path)
        dates = pd.to_datetime(store.read("inspections")["date"])
        month = f"{dates.max():%Y-%m}"
        print(f"demo county: {households} households; bulletin of {month}; median of {repeat}")
        for docx in (True, False):
            fast = median_time(lambda d=docx: bulletin_document(store, month=month, town=None, docx=d), repeat)
            naive = median_time(lambda d=docx: naive_bulletin(store, month, docx=d), repeat)
            report(f"bulletin .{'docx' if docx else 'pdf'}", fast, naive, 10)
        county = county_maps(store)

        def poster(png: bool) -> bytes:
            stored, as_of = current_tables(store)
            pdf = build_poster(county, indexed(stored), as_of, layer="risk_index", town=None, paper="A0",
                               landscape=False).pdf  # fmt: skip
            return as_png(pdf) if png else pdf

        for png in (False, True):
            naive = median_time(lambda p=png: naive_poster(store, "A0", png=p), repeat)
            fast = median_time(lambda p=png: poster(png=p), repeat)
            report(f"A0 poster .{'png 300 dpi' if png else 'pdf'}", fast, naive, 30)
        print(f"({len(county.villages)} villages, {len(county.towns)} townships)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--households", type=int, default=60_000)
    args = parser.parse_args()
    run(args.repeat, args.households)
