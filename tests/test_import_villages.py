"""Importing village boundaries: GBK shapefiles in Gauss-Krüger zones, repairs and refusals."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geodata.store import Store
from tests.conftest import snapshot, village_frame
from tests.importing import run


def write_gbk_shapefile(frame: gpd.GeoDataFrame, path: Path, *, epsg: int = 4545) -> Path:
    """A shapefile as county GIS offices send it: Chinese field names, GBK DBF, GK .prj, no .cpg."""
    out = frame.rename(
        columns={
            "village_code": "村代码",
            "name": "村名称",
            "town_code": "乡镇代码",
            "population": "户籍人口",
            "collective_income": "村集体经济收入",
            "former_poverty_village": "原贫困村",
        }
    ).to_crs(epsg)
    out["原贫困村"] = out["原贫困村"].map({True: "是", False: "否"})
    with warnings.catch_warnings():  # GDAL notes that it cuts the long field names to 10 bytes: intended
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(out, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return path


def test_gbk_shapefile_in_gauss_kruger_zone(mini_store: Store, tmp_path: Path) -> None:
    path = write_gbk_shapefile(village_frame(), tmp_path / "villages.shp")
    assert run(mini_store.target, "import", "villages", str(path)) == 0
    v = mini_store.read("villages").set_index("village_code")
    expected = village_frame().set_index("village_code")
    assert v.crs.equals("EPSG:4490")
    assert v.loc["621121100201", "name"] == "红星村"
    assert v["collective_income"].tolist() == expected["collective_income"].tolist()  # 10-byte field name
    assert v["former_poverty_village"].tolist() == expected["former_poverty_village"].tolist()
    shift = shapely.hausdorff_distance(np.asarray(v.geometry.values), np.asarray(expected.geometry.values))
    assert (shift < 1e-7).all()


def test_zipped_shapefile(mini_store: Store, tmp_path: Path) -> None:
    shp = write_gbk_shapefile(village_frame(), tmp_path / "v.shp")
    archive = tmp_path / "v.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in tmp_path.glob("v.*"):
            if part.suffix != ".zip":
                zf.write(part, f"村界/{part.name}")
    assert shp.exists()
    assert run(mini_store.target, "import", "villages", str(archive)) == 0
    assert len(mini_store.read("villages")) == 4


def test_invalid_polygon_is_repaired_with_a_warning(mini_store: Store, tmp_path: Path) -> None:
    frame = village_frame()
    x0, y0, x1, y1 = frame.geometry.iloc[1].bounds
    frame.loc[1, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # bow-tie
    path = tmp_path / "v.gpkg"
    frame.to_file(path)
    report = tmp_path / "r.json"
    assert run(mini_store.target, "import", "villages", str(path), "--report", str(report)) == 0
    assert "invalid_geometry" in report.read_text("utf-8")
    assert mini_store.read("villages").geometry.is_valid.all()


def test_town_code_must_prefix_village_code(mini_store: Store, tmp_path: Path) -> None:
    frame = village_frame()
    frame.loc[0, "town_code"] = "621121201"
    path = tmp_path / "v.geojson"
    frame.to_file(path, driver="GeoJSON")
    before = snapshot(mini_store)
    assert run(mini_store.target, "validate", "villages", str(path)) == 2
    assert run(mini_store.target, "import", "villages", str(path)) == 2
    assert snapshot(mini_store) == before


def test_villages_without_geometry_are_refused(mini_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    village_frame().drop(columns="geometry").to_csv(path, index=False)
    before = snapshot(mini_store)
    assert run(mini_store.target, "import", "villages", str(path)) == 2
    assert snapshot(mini_store) == before


def test_zip_with_path_traversal_is_refused(mini_store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../evil.shp", b"x")
        zf.writestr("../../evil.dbf", b"x")
    before = snapshot(mini_store)
    assert run(mini_store.target, "import", "villages", str(archive)) == 2
    assert snapshot(mini_store) == before
    assert not (tmp_path.parent.parent / "evil.shp").exists()
