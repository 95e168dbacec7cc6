"""The demo county through the county's own file formats and back.

Villages go out as a GBK shapefile in CGCS2000 / 3-degree GK zone (EPSG:4545, no .cpg),
households as a GBK CSV with Chinese headers and GCJ-02 phone coordinates; importing
them with the CLI must put ≥ 99.5 % of household points within 5 m of the truth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Geod

from geodata.io.crs import wgs84_to_gcj02
from geodata.store import GeoPackageStore, Store
from harness.ledgers import HEADERS
from tests.conftest import copy_store
from tests.importing import run
from tests.test_import_villages import write_gbk_shapefile


def test_villages_shapefile_and_gcj02_households_land_within_5_m(
    demo_store_path: Path, store: Store, tmp_path: Path
) -> None:
    copy_store(GeoPackageStore(demo_store_path), store)
    store_path = store.target
    villages = store.read("villages")
    truth = store.read("households")

    shp = write_gbk_shapefile(villages, tmp_path / "行政村.shp", epsg=4545)
    assert not shp.with_suffix(".cpg").exists()
    ledger = pd.DataFrame(truth).drop(columns="geometry")
    ledger["lon"], ledger["lat"] = wgs84_to_gcj02(truth["lon"].to_numpy(), truth["lat"].to_numpy())
    ledger = ledger[list(HEADERS)].rename(columns=HEADERS)
    ledger.to_csv(tmp_path / "农户.csv", index=False, encoding="gbk")

    assert run(store_path, "import", "villages", str(shp)) == 0
    assert run(store_path, "import", "households", str(tmp_path / "农户.csv"), "--crs", "gcj02") == 0

    back = store.read("households").set_index("household_id").loc[truth["household_id"]]
    _, _, dist = Geod(ellps="GRS80").inv(
        truth["lon"].to_numpy(), truth["lat"].to_numpy(), back["lon"].to_numpy(), back["lat"].to_numpy()
    )
    assert np.mean(dist < 5.0) >= 0.995, np.percentile(dist, [50, 99, 100])
    assert (back["village_code"].to_numpy() == truth["village_code"].to_numpy()).all()
    assert back["head_name"].tolist() == truth["head_name"].tolist()
