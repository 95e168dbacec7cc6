"""The demo county: deterministic, complete, well-formed, and shaped like a real loess-plateau county."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata.demo import make_demo_county
from geodata.io.idcard import id_checksum_ok
from geodata.schemas import SCHEMAS
from geodata.settings import get_settings
from geodata.store import Store
from geodata.store.snapshots import snapshot_dates
from geodata.water_limits import indicator_code, indicator_codes
from tests.importing import run


@pytest.fixture(scope="module")
def county() -> dict:
    """The full-size demo county (default seed, 60,000 households)."""
    return make_demo_county()


def test_same_seed_same_county_other_seed_other_county() -> None:
    a = make_demo_county(seed=3, households=1500)
    b = make_demo_county(seed=3, households=1500)
    c = make_demo_county(seed=4, households=1500)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["villages"]["name"].equals(c["villages"]["name"])


def test_every_layer_of_the_data_model_with_its_columns(county: dict) -> None:
    assert set(county) == set(SCHEMAS) - {"regions"}  # one county: the shipped table names what is above it
    for name, frame in county.items():
        expected = [c.name for c in SCHEMAS[name].columns]
        assert [c for c in frame.columns if c != "geometry"] == expected, name
        key = list(SCHEMAS[name].key)
        assert not frame.duplicated(key).any(), name
        if "geometry" in frame:
            assert frame.crs.to_epsg() == 4490
            assert frame.geometry.is_valid.all(), name


def test_size_and_hierarchy_of_a_real_county(county: dict) -> None:
    towns, villages, households = county["towns"], county["villages"], county["households"]
    area = villages.to_crs(4544).area.sum() / 1e6
    assert 1500 <= area <= 2000
    assert 10 <= len(towns) <= 16
    assert 150 <= len(villages) <= 250
    assert len(households) == 60000
    assert villages["village_code"].str.fullmatch(r"\d{12}").all()
    assert (villages["village_code"].str[:9] == villages["town_code"]).all()
    assert set(villages["town_code"]) == set(towns["town_code"])
    assert villages["name"].is_unique
    # Villages tile their townships exactly: no gaps, no overlaps.
    metric = villages.to_crs(4544)
    assert metric.union_all().symmetric_difference(towns.to_crs(4544).union_all()).area < 1.0  # m²
    assert metric.area.sum() == pytest.approx(metric.union_all().area)


def test_households_are_well_formed_and_inside_their_villages(county: dict) -> None:
    households, villages = county["households"], county["villages"]
    assert households["id_number"].map(id_checksum_ok).all()
    assert households["id_number"].is_unique
    assert households["phone"].dropna().str.fullmatch(r"1[3-9]\d{9}").all()
    assert households["members"].between(1, 30).all()
    joined = households.sjoin(villages[["village_code", "geometry"]], predicate="intersects")
    same = joined["village_code_left"] == joined["village_code_right"]
    assert same.groupby(level=0).any().mean() >= 0.9999
    monitored = households["status"].eq("monitored")
    assert households.loc[monitored, "monitor_type"].notna().all()
    assert households.loc[~monitored, "monitor_type"].isna().all()
    assert households.loc[monitored, "risk_types"].notna().all()
    dated = households.dropna(subset=["identified_on", "entered_on"])
    assert (dated["identified_on"] >= dated["risk_found_on"]).all()
    assert (dated["entered_on"] >= dated["identified_on"]).all()


def test_remote_high_villages_are_poorer(county: dict) -> None:
    h = county["households"]
    per_village = h.groupby("village_code").agg(
        income=("per_capita_income", "median"),
        monitored=("status", lambda s: s.eq("monitored").mean()),
        cd=("housing_grade", lambda s: s.isin(["C", "D"]).mean()),
    )
    elevation = _seat_elevation(county)
    per_village["elevation"] = elevation.reindex(per_village.index)
    rho = per_village.corr(method="spearman")
    assert rho.loc["income", "elevation"] < -0.2
    assert rho.loc["monitored", "income"] < -0.3
    assert rho.loc["cd", "income"] < -0.1


def _seat_elevation(county: dict) -> pd.Series:
    """Mean elevation of the grid points in each village."""
    grid = county["elevation"].sjoin(county["villages"][["village_code", "geometry"]], predicate="within")
    return grid.groupby("village_code")["elev_m"].mean()


def test_water_sites_samples_and_clustered_failures(county: dict) -> None:
    w = county["water_tests"]
    assert 190 <= w["site_id"].nunique() <= 230
    assert set(w["site_type"]) == {"plant_outlet", "tap", "own_source"}
    months = w.groupby("site_id")["sampled_on"].apply(lambda s: s.dt.to_period("M").nunique())
    assert (months == 12).all()
    per_sample = w.groupby("sample_id")["indicator"].nunique()
    assert per_sample.min() >= 21
    assert w["indicator"].nunique() >= 30
    codes = indicator_codes()
    assert w["indicator"].map(lambda s: indicator_code(s, codes)).notna().all()
    fluoride = w[w["indicator"].eq("氟化物") & ~w["value"].str.startswith("<")]
    fails = fluoride.assign(fail=fluoride["value"].astype(float) > 1.0).groupby("site_id")["fail"].mean()
    worst = fails.sort_values(ascending=False)
    assert worst.iloc[: len(worst) // 5].sum() > 0.6 * worst.sum()  # failures cluster in a few supplies


def test_roads_connect_every_village(county: dict) -> None:
    roads, villages = county["roads"], county["villages"]
    graph = nx.Graph()
    for line in roads.geometry:
        a, b = np.round(shapely.get_coordinates(line)[[0, -1]], 9)
        graph.add_edge(tuple(a), tuple(b))
    assert nx.is_connected(graph)
    assert set(roads["road_class"]) == {"county", "township", "village", "track"}
    assert 0.3 < roads["hardened"].mean() < 0.95
    touched = villages.sjoin(roads[["geometry"]], predicate="intersects")["village_code"].nunique()
    assert touched == len(villages)


def test_facilities_hazards_and_elevation(county: dict) -> None:
    facilities, hazards, elevation = county["facilities"], county["hazards"], county["elevation"]
    kinds = facilities["kind"].value_counts()
    assert kinds["township_gov"] == len(county["towns"])
    assert kinds["clinic"] >= 0.8 * len(county["villages"])
    assert {"school", "health_center", "water_plant", "relocation_site"} <= set(kinds.index)
    assert {"flood", "landslide"} <= set(hazards["kind"])
    assert {"high", "medium"} <= set(hazards["level"])
    steps = np.diff(np.sort(elevation["x"].unique()))
    assert np.allclose(steps, 200.0)
    assert elevation["elev_m"].max() - elevation["elev_m"].min() > 400


def test_ledgers_follow_the_households(county: dict) -> None:
    households = county["households"].set_index("household_id")
    housing, teams, inspections = county["housing"], county["teams"], county["inspections"]
    assert housing["household_id"].isin(households.index).all()
    open_cases = housing[housing["stage"].ne("accepted")]
    assert households.loc[open_cases["household_id"], "housing_grade"].isin(["C", "D"]).all()
    assert set(housing["stage"]) == {"pending", "started", "completed", "accepted"}
    assert teams["village_code"].is_unique
    assert teams["checkin_rate"].between(0, 1).all()
    assert inspections["team_id"].isin(teams["team_id"]).all()
    fixed = inspections.dropna(subset=["rectified_on"])
    assert (fixed["rectified_on"] >= fixed["date"]).all()
    projects = county["projects"]
    assert (projects["disbursed"] <= projects["budget"]).all()


def test_cli_demo_writes_a_store_that_reads_back(store: Store) -> None:
    assert run(store.target, "demo", "--seed", "11", "--households", "1200") == 0
    assert set(SCHEMAS) - {"regions"} <= set(store.layers())
    assert len(store.read("households")) == 1200
    assert store.import_log()["action"].tolist()[-2:] == ["demo", "history"]  # with its months of history
    dates = snapshot_dates(store)
    assert len(dates) == get_settings().demo_history_months and dates[-1] == dt.date(2026, 10, 31)
