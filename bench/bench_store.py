"""Store speed: the demo county's write, read and build on GeoPackage against PostGIS, same run.

Run: ``python -m bench.bench_store [--households 60000] [--repeat 3] [--postgis URL]``.
Without ``--postgis`` (or ``BATTLEMAP_BENCH_POSTGIS``, a database to overwrite) a
throwaway loopback server is started with :mod:`harness.postgis_server`. Prints, for each
store, the demo write, reading the build's input layers and the whole
``battlemap build`` path (read, compute, write), the best of ``--repeat``; then the
heaviest join of the build (placing households in villages within the border tolerance)
in pandas/shapely against the same join pushed down to PostGIS, and their ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from analytics import INPUT_LAYERS, compute_indicators
from analytics.records import _located_village
from geodata.demo import make_demo_county
from geodata.demo.store import _with_derived
from geodata.io.crs import county_epsg
from geodata.settings import get_settings
from geodata.store import GeoPackageStore, Store, conform, write_computed
from geodata.store.postgis import PostGISStore
from harness import postgis_server

AS_OF = dt.date(2026, 6, 30)
# The build's household placement as one query: GiST bbox prefilter, metric distance in the GK zone.
PUSHDOWN = sa.text("""
    SELECT DISTINCT ON (h.fid) h.fid, v.village_code
    FROM households h JOIN villages v
      ON h.geometry && ST_Expand(v.geometry, :deg)
     AND ST_DWithin(ST_Transform(h.geometry, :epsg), ST_Transform(v.geometry, :epsg), :tol)
    ORDER BY h.fid, (v.village_code = h.village_code) DESC,
             ST_Distance(ST_Transform(h.geometry, :epsg), ST_Transform(v.geometry, :epsg))
""")


def best(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    """The shortest of ``repeat`` runs and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def measure(store: Store, layers: dict, repeat: int) -> dict[str, float]:
    """Seconds to write the demo, read the inputs, and read + compute + write the indicators."""
    started = time.perf_counter()
    with store.transaction() as tx:
        for name, frame in layers.items():
            tx.write(name, conform(_with_derived(frame, name), name))
    out = {"write demo": time.perf_counter() - started}

    def read() -> dict:
        return {n: f for n in INPUT_LAYERS if (f := store.read_or_none(n)) is not None}

    out["read inputs"], _ = best(repeat, read)

    def build() -> None:
        tables = compute_indicators(read(), as_of=AS_OF)
        write_computed(store, tables, as_of=AS_OF, detail={"engine": "bench"})

    out["build"], _ = best(repeat, build)
    return out


def pushdown(store: PostGISStore, gpkg: GeoPackageStore, repeat: int) -> tuple[float, float]:
    """Seconds for the household placement in shapely (from read frames) and in PostGIS; checks they agree."""
    villages, households = gpkg.read("villages"), gpkg.read("households")
    epsg = county_epsg(villages)
    tol = get_settings().imports.border_tolerance_m
    mv, mh = villages.to_crs(epsg), households.to_crs(epsg)
    local, found = best(repeat, lambda: _located_village(mh, mv, tol))
    params = {"epsg": epsg, "tol": tol, "deg": tol / 50_000}  # ≥ tol metres in degrees at these latitudes
    with store.engine.connect() as conn:
        remote, rows = best(repeat, lambda: conn.execute(PUSHDOWN, params).all())
    sql_codes = dict(rows)
    same = all(sql_codes.get(i + 1) == c for i, c in enumerate(found["located_village_code"]))
    print(f"  pushdown agrees with pandas: {same}")
    return local, remote


def main() -> None:
    """Measure both stores and print the numbers and ratios."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--households", type=int, default=60000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgis", default=os.environ.get("BATTLEMAP_BENCH_POSTGIS"))
    args = ap.parse_args()
    layers = make_demo_county(seed=2026, households=args.households)
    with tempfile.TemporaryDirectory() as tmp:
        url, server = args.postgis, None
        if not url:
            server = Path(tmp) / "pg"
            url = postgis_server.start(server)
        try:
            gpkg = GeoPackageStore(Path(tmp) / "bench.gpkg")
            pg = PostGISStore(url, state_dir=Path(tmp) / "state")
            results = {"GeoPackage": measure(gpkg, layers, args.repeat), "PostGIS": measure(pg, layers, args.repeat)}
            for step in results["GeoPackage"]:
                g, p = results["GeoPackage"][step], results["PostGIS"][step]
                print(f"{step:12s}  GeoPackage {g:6.2f} s   PostGIS {p:6.2f} s   PostGIS/GeoPackage {p / g:4.2f}")
            local, remote = pushdown(pg, gpkg, args.repeat)
            print(
                f"households → villages  pandas/shapely {local:5.2f} s   PostGIS SQL {remote:5.2f} s   "
                f"SQL/pandas {remote / local:4.2f}"
            )
            pg.engine.dispose()
        finally:
            if server is not None:
                postgis_server.stop(server)


if __name__ == "__main__":
    main()
