"""Import speed: 60,000 households from xlsx and csv, against plain pandas reading the same files.

Run: ``python -m bench.bench_import [--households 60000]``. Prints rows/s for the full
import (read, validate, locate, atomic write) and for ``pandas.read_excel`` /
``pandas.read_csv`` on the same file, and their ratio, all measured in this run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from geodata.demo import make_demo_county
from geodata.io.importer import import_layer
from geodata.store import GeoPackageStore
from harness.ledgers import HEADERS


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=60000)
    args = ap.parse_args()
    county = make_demo_county(households=args.households)
    ledger = pd.DataFrame(county["households"]).drop(columns="geometry")[list(HEADERS)].rename(columns=HEADERS)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        store = GeoPackageStore(base / "bench.gpkg")
        with store.transaction() as tx:
            tx.write("towns", county["towns"])
            tx.write("villages", county["villages"])
        csv_path, xlsx_path = base / "households.csv", base / "households.xlsx"
        ledger.to_csv(csv_path, index=False, encoding="gbk")
        ledger.to_excel(xlsx_path, index=False, sheet_name="农户")
        n = len(ledger)
        print(f"{n} households, {len(HEADERS)} columns")
        for label, path, plain in (
            ("csv", csv_path, lambda: pd.read_csv(csv_path, encoding="gbk", dtype=str)),
            ("xlsx", xlsx_path, lambda: pd.read_excel(xlsx_path, dtype=str)),
        ):
            ours = timed(lambda p=path: import_layer("households", p, store=store))
            base_t = timed(plain)
            print(
                f"{label:5} battlemap import {n / ours:>9,.0f} rows/s ({ours:.2f} s)   "
                f"pandas read only {n / base_t:>9,.0f} rows/s ({base_t:.2f} s)   ratio import/read {ours / base_t:.2f}"
            )


if __name__ == "__main__":
    main()
