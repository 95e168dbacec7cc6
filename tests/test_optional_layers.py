"""Only ``villages`` and ``households`` are required: every other layer may be absent.

The indicators build with each optional layer missing in turn (no crash, no warning —
warnings are errors in this suite), and a figure whose source layer is absent is empty
(no data), never 0.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from analytics import INPUT_LAYERS, compute_indicators, prepare_records
from analytics.explain import missing_layer
from analytics.indicators import build_indicators
from analytics.kpis import wall_kpis
from geodata.settings import get_settings
from geodata.store import GeoPackageStore
from layers.panel import key_indicators
from layers.wall import tile_text

AS_OF = dt.date(2026, 6, 30)
OPTIONAL = tuple(name for name in INPUT_LAYERS if name not in ("villages", "households"))


@pytest.fixture(scope="module")
def demo_layers(demo_store_path: Path) -> dict[str, pd.DataFrame]:
    """Every input layer of the small demo county."""
    store = GeoPackageStore(demo_store_path)
    return {name: store.read(name) for name in INPUT_LAYERS if store.has(name)}


@pytest.mark.parametrize("missing", [*OPTIONAL, "all"])
def test_indicators_build_without_an_optional_layer(demo_layers: dict[str, pd.DataFrame], missing: str) -> None:
    gone = OPTIONAL if missing == "all" else (missing,)
    layers = {name: frame for name, frame in demo_layers.items() if name not in gone}
    tables = compute_indicators(layers, as_of=AS_OF)
    villages = tables["village_indicators"]
    assert len(villages) == len(demo_layers["villages"])
    assert villages["households"].sum() == len(demo_layers["households"])
    assert len(tables["county_indicators"]) == 1
    assert len(tables["town_indicators"]) == demo_layers["villages"]["village_code"].str[:9].nunique()


def test_figures_without_their_source_layer_are_unknown_not_zero(demo_layers: dict[str, pd.DataFrame]) -> None:
    layers = {name: demo_layers[name] for name in ("villages", "households", "water_tests")}
    layers["housing"] = demo_layers["housing"].iloc[:0]  # imported but empty is no data as well
    records = prepare_records(layers, as_of=AS_OF, settings=get_settings())
    assert records.absent == frozenset(OPTIONAL) - {"water_tests"}
    county = build_indicators(records)["county_indicators"].iloc[0]
    for name in (
        "cd_cases",
        "cd_cases_overdue",
        "projects",
        "spend_rate",
        "teams",
        "team_checkin_rate",
        "inspections",
        "inspection_findings_open",
        "road_m",
        "hazard_households",
    ):
        assert pd.isna(county[name]), name
    assert county["water_samples"] > 0
    assert county["households"] == len(demo_layers["households"])
    assert county["cd_households"] >= 0  # from the households' own grade column: known
    assert missing_layer(records, "cd_cases_overdue") == "housing"
    assert missing_layer(records, "water_fail_rate") is None
    assert missing_layer(records, "team_checkin_rate") == "teams"

    tiles = {k.key: k for k in wall_kpis(county, None, records, as_of=AS_OF, settings=get_settings())}
    for key in ("kpi_cd_closed", "kpi_spend", "kpi_checkin", "kpi_inspections"):
        assert tiles[key].status == "nodata" and tiles[key].value is None, key
        text = tile_text(tiles[key], "zh")
        assert text.value == "无数据" and text.mark == "" and text.target == "", key
    assert tiles["kpi_water_pass"].value is not None
    assert tile_text(tiles["kpi_inspections"], "en").value == "no data"

    panel = {row["key"]: row for row in key_indicators(county, get_settings(), "zh")}
    assert panel["cd_cases_overdue"]["value"] == "无数据" and panel["cd_cases_overdue"]["ok"] is None
    assert panel["spend_rate"]["ok"] is None and panel["team_checkin_rate"]["ok"] is None
    assert panel["water_fail_rate"]["ok"] in (True, False)
