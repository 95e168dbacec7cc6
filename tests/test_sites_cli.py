"""``battlemap sites`` on the demo store: GeoJSON, CSV and offline HTML, and refusals that write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from battlemap_cli.main import main
from geodata.settings import get_settings
from geodata.store import GeoPackageStore


@pytest.fixture(scope="module")
def sites_run(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("sites")
    args = ["--store", str(demo_store_path), "sites", "--households", "120", "--top", "5"]
    code = main(
        [*args, "--out", str(out / "sites.geojson"), "--out", str(out / "sites.csv"), "--out", str(out / "sites.html")]
    )
    return code, out


def test_cli_writes_ranked_sites_outside_hazards(sites_run: tuple[int, Path], demo_store_path: Path) -> None:
    code, out = sites_run
    assert code == 0
    data = json.loads((out / "sites.geojson").read_text("utf-8"))
    features = data["features"]
    assert [f["properties"]["rank"] for f in features] == [1, 2, 3, 4, 5]
    scores = [f["properties"]["score"] for f in features]
    assert scores == sorted(scores, reverse=True)
    first = features[0]["properties"]
    assert first["reason"].startswith("第1名") and first["households"] == 120
    assert first["capacity"] >= 120 and sum(t["households"] for t in first["travel"]) == 120
    sites = gpd.GeoDataFrame.from_features(features, crs=4490).to_crs(4544)
    store = GeoPackageStore(demo_store_path)
    hazards = store.read("hazards").to_crs(4544)
    county = store.read("villages").to_crs(4544).union_all()
    cfg = get_settings().sites
    # land from persons at the 25 m² cap: at least one person a household (capacity ≥ 120 checks their real size)
    smallest = 120 * cfg.housing_m2_per_person * (1 + cfg.public_share)
    for site in sites.geometry:
        assert county.contains(site)
        assert hazards.distance(site).min() >= cfg.hazard_buffer_m - 1
        assert site.area >= smallest - 1
    assert shapely.union_all(sites.geometry.values).area == pytest.approx(sites.area.sum())  # no overlaps


def test_cli_csv_and_offline_html(sites_run: tuple[int, Path]) -> None:
    _, out = sites_run
    table = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert list(table["site_id"]) == ["S1", "S2", "S3", "S4", "S5"]
    assert {"score", "value_clinic", "measure_clinic", "reason", "travel"} <= set(table.columns)
    page = (out / "sites.html").read_text("utf-8")
    assert "data:image/png;base64," in page and "易地搬迁安置点选址" in page
    assert 'src="http' not in page and 'stylesheet" href="http' not in page  # nothing fetched: opens offline


def test_cli_refuses_bad_input_and_writes_nothing(
    demo_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(demo_store_path)
    assert main(["--store", store, "sites", "--households", "10", "--out", str(tmp_path / "x.shp")]) == 2
    assert "unknown format" in capsys.readouterr().err
    assert main(["--store", store, "sites", "--weight", "beauty=1", "--out", str(tmp_path / "x.geojson")]) == 2
    assert "unknown criterion 'beauty'" in capsys.readouterr().err
    assert main(["--store", store, "sites", "--add-village", "999999999999", "--out", str(tmp_path / "y.csv")]) == 2
    assert "unknown village 999999999999" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def robust_run(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("robust")
    args = ["--store", str(demo_store_path), "sites", "--households", "120", "--top", "5", "--sensitivity", "300"]
    code = main([*args, "--sites", "3", "--out", str(out / "sites.geojson"), "--out", str(out / "sites.csv")])
    return code, out


def test_cli_sensitivity_and_assignment_are_written_for_every_site(robust_run: tuple[int, Path]) -> None:
    code, out = robust_run
    assert code == 0
    data = json.loads((out / "sites.geojson").read_text("utf-8"))
    props = [f["properties"] for f in data["features"]]
    assert len(props) == 5
    for p in props:
        assert 0 <= p["p_top1"] <= p["p_top3"] <= 1 and 1 <= p["rank_p05"] <= p["rank_p95"]
    assert sum(p["p_top1"] for p in props) <= 1 + 1e-9
    assert data["sensitivity"]["draws"] == 300 and data["sensitivity"]["method"] == "dirichlet"
    assert [r["criterion"] for r in data["sensitivity"]["tornado"]][:2] == ["road", "township"]
    chosen = [p for p in props if p["chosen"]]
    assert 1 <= len(chosen) <= 3
    assert sum(p["assigned_households"] for p in props) == 120
    assert all(p["assigned_households"] <= p["capacity_used"] for p in props)
    flows = data["assignment"]["flows"]
    assert sum(f["households"] for f in flows) == 120 and data["assignment"]["status"] == "optimal"
    for village in data["assignment"]["whole_villages"]:  # a whole-village move goes to one site
        assert len({f["site_id"] for f in flows if f["village_code"] == village}) == 1
    table = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert {"p_top1", "p_top3", "rank_p05", "rank_p95", "assigned_households", "assigned_minutes_max"} <= set(
        table.columns
    )


def test_cli_refuses_bad_sensitivity_and_assignment_input(
    demo_store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(demo_store_path)
    out = ["--out", str(tmp_path / "x.geojson")]
    base = ["--store", store, "sites", "--households", "60"]
    assert main([*base, "--sites", "2", "--capacity", "S1=-5", *out]) == 2
    assert "cannot be below zero" in capsys.readouterr().err
    assert main([*base, "--top", "5", "--sites", "6", *out]) == 2
    assert "choose between 1 and the 5 candidates" in capsys.readouterr().err
    circle = ["--judgement", "road:township=9", "--judgement", "township:school=9", "--judgement", "school:road=9"]
    assert main([*base, *circle, "--sensitivity", "100", *out]) == 2
    assert "inconsistent: consistency ratio" in capsys.readouterr().err
    assert main([*base, "--sensitivity", "0", *out]) == 2
    assert "--sensitivity must be between 1" in capsys.readouterr().err
    settings = tmp_path / "nobody.toml"
    settings.write_text(
        '[sites]\nmove_hazard_levels = []\nmove_service_km = 1000.0\nmove_housing_grades = ["X"]\n', "utf-8"
    )
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(settings))
    assert main(["--store", store, "sites", "--sites", "2", *out]) == 2
    assert "movers list is empty" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [settings]
