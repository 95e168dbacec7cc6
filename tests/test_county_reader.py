"""A worker reads only its county: the layers keyed by household come through a sub-select the store runs."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata._errors import StoreError
from geodata.store import InLayer, Prefix, Store
from geodata.store.county_reader import CountyReader
from tests.conftest import village_frame
from tests.test_monitoring_rules import households

OTHER = "621122"  # the second county: the mini county's villages moved east, codes re-prefixed


def two_counties(store: Store) -> None:
    """The mini county (households H1–H3) and a second one (H4–H5), with cases and measures of both."""
    first = village_frame()
    second = first.assign(
        village_code=OTHER + first["village_code"].str[6:],
        town_code=OTHER + first["town_code"].str[6:],
        geometry=[shapely.affinity.translate(g, xoff=1.0) for g in first.geometry],
    )
    homes = households(*({} for _ in range(5)))
    homes["village_code"] = [first["village_code"][0]] * 3 + [second["village_code"][0]] * 2
    homes["geometry"] = [shapely.Point(g.centroid.x, g.centroid.y) for g in (first.geometry[0],) * 3] + [
        shapely.Point(g.centroid.x, g.centroid.y) for g in (second.geometry[0],) * 2
    ]
    housing = pd.DataFrame(
        {
            "case_id": [f"K{i}" for i in range(1, 8)],
            "household_id": ["H1", "H1", "H2", "H4", "H5", "H5", "HX"],  # HX: not registered anywhere
            "grade": "C",
            "appraised_on": pd.Timestamp("2026-03-01"),
            "stage": "started",
            "deadline": pd.NaT,
        }
    )
    with store.transaction() as tx:
        tx.write("villages", pd.concat([first, second], ignore_index=True))
        tx.write("households", homes)
        tx.write("housing", housing)


@pytest.fixture
def counted(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """The layers and row counts every read of the store's kind hands back (what crossed from the database)."""
    two_counties(store)
    reads: list[tuple[str, int]] = []
    original = type(store).read

    def spy(self: Store, layer: str, **kw: Any) -> Any:
        frame = original(self, layer, **kw)
        reads.append((layer, len(frame)))
        return frame

    monkeypatch.setattr(type(store), "read", spy)
    return reads


def test_each_county_reads_only_the_cases_of_its_households(store: Store, counted: list[tuple[str, int]]) -> None:
    reader = CountyReader(store.target)
    first = reader.context("621121")
    assert sorted(first["housing"]["case_id"]) == ["K1", "K2", "K3"]
    assert [n for layer, n in counted if layer == "housing"] == [3]  # not the 7 of the whole layer
    counted.clear()
    second = reader.context(OTHER)
    assert sorted(second["housing"]["case_id"]) == ["K4", "K5", "K6"]
    assert [n for layer, n in counted if layer == "housing"] == [3]


def test_an_in_layer_filter_is_a_semi_join_with_checked_names(store: Store) -> None:
    two_counties(store)
    mine = InLayer("households", "household_id", {"village_code": Prefix(OTHER)})
    assert sorted(store.read("housing", where={"household_id": mine})["case_id"]) == ["K4", "K5", "K6"]
    nobody = InLayer("households", "household_id", {"village_code": Prefix("6211229")})
    assert store.read("housing", where={"household_id": nobody}).empty
    with pytest.raises(StoreError, match=r"letters, digits and underscores|no column"):
        store.read("housing", where={"household_id": InLayer("households", 'x" OR 1=1 --', {})})
    with pytest.raises(StoreError, match="no_such_layer"):
        store.read("housing", where={"household_id": InLayer("no_such_layer", "household_id", {})})


@pytest.mark.parametrize(("margin_km", "seen"), [(30.0, True), (0.0, False)])
def test_layers_read_by_position_reach_across_the_county_border(store: Store, margin_km: float, seen: bool) -> None:
    """A school 9 km beyond the county's villages is as near to a worker as to the whole-store build."""
    two_counties(store)
    mine = store.read("villages")
    mine = mine[mine["village_code"].str.startswith("621121")]
    _, south, east, north = mine.total_bounds
    school = shapely.Point(east + 0.1, (south + north) / 2)  # ~9 km east, in nobody's village
    facilities = pd.DataFrame(
        {"facility_id": ["S1"], "name": ["邻县中学"], "kind": ["school"], "lon": [school.x], "lat": [school.y]}
    )
    with store.transaction() as tx:
        tx.write("facilities", gpd.GeoDataFrame(facilities, geometry=[school], crs=mine.crs))
    context = CountyReader(store.target, margin_km=margin_km).context("621121")
    assert ("S1" in set(context["facilities"]["facility_id"])) is seen
