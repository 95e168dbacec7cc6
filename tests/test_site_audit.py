"""Audit of built relocation sites on the hand-built county: one row each, exposure, services, follow-up, flags."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from dash import dcc

from analytics.site_audit import audit_sites
from analytics.sites import build_landscape, site_model
from battlemap_cli.main import main
from callbacks.sites_audit import AUDIT, RANKING, TABS, audit_table
from callbacks.sites_page import layout
from callbacks.store_data import StoreData
from geodata._errors import InputError
from geodata.settings import Settings
from geodata.store import GeoPackageStore
from tests import sites_landscape as ls

BUILT = {"R1": (8000.0, 2300.0), "R2": (2000.0, 2000.0), "R3": (8600.0, 6500.0)}  # good, flooded, on the hillside


@pytest.fixture(scope="module")
def county() -> tuple:
    s = Settings()
    layers = ls.layers(facilities=[ls.GOOD], flood=True, steep=True)
    built = gpd.GeoDataFrame(
        {
            "facility_id": list(BUILT),
            "name": ["东安置点", "西安置点", "山安置点"],
            "kind": "relocation_site",
            "capacity": [50.0, 30.0, 20.0],
            "village_code": "621199100202",
        },
        geometry=[ls.at(*xy) for xy in BUILT.values()],
        crs=ls.EPSG,
    ).to_crs(4490)
    layers["facilities"] = pd.concat([layers["facilities"], built], ignore_index=True)
    model = site_model(build_landscape(layers, settings=s), ls.households(), settings=s)
    return s, model, layers


def relocated() -> pd.DataFrame:
    """Three households at R1 (one below the monitoring line), 35 at 西安置点 (over its 30), none at R3."""
    n = 38
    return pd.DataFrame(
        {
            "household_id": [f"M{i:02d}" for i in range(n)],
            "site": ["R1"] * 3 + ["西安置点"] * 35,
            "moved_on": "2020-06-30",
            "employed_members": [2, 1, 0] + [1] * 35,
            "income_before": [6000.0, 7000.0, 5000.0] + [6000.0] * 35,
            "income_after": [12000.0, 9000.0, 6500.0] + [8000.0] * 35,
            "subsidies": 0.0,
        }
    )


def test_one_row_per_built_site_with_exposure_services_and_flags(county: tuple) -> None:
    s, model, layers = county
    audit = audit_sites(model, layers["facilities"], hazards=layers["hazards"], relocated=relocated())
    assert audit["site_id"].tolist() == list(BUILT)
    row = audit.set_index("site_id")
    assert row.loc["R2", "hazard_m"] == 0 and row.loc["R2", "hazard_zones"] == "flood/high"
    assert row.loc["R1", "hazard_zones"] == "" and row.loc["R1", "hazard_m"] > s.sites.hazard_buffer_m
    assert row.loc["R3", "slope_deg"] > s.sites.slope_limit_deg
    assert row.loc["R1", "minutes_clinic"] < 5  # beside the clinic, on the county road
    assert np.isnan(row.loc["R1", "minutes_market"])  # no market in the county: unknown, not 0
    assert row.loc["R1", "flags"] == "" and row.loc["R2", "flags"] == "hazard;over_capacity"
    assert "slope" in row.loc["R3", "flags"]
    assert row.loc["R1", "households"] == 3 and row.loc["R3", "households"] == 0
    assert row.loc["R2", "occupancy"] == pytest.approx(35 / 30)
    assert row.loc["R1", "employed_per_household"] == pytest.approx(1.0)
    assert row.loc["R1", "income_change"] == pytest.approx((6000 + 2000 + 1500) / 3)
    assert row.loc["R1", "below_monitoring_line"] == 1 and row.loc["R2", "below_monitoring_line"] == 0


def test_without_the_follow_up_table_occupancy_is_unknown_and_bad_tables_are_refused(county: tuple) -> None:
    _, model, layers = county
    audit = audit_sites(model, layers["facilities"], hazards=layers["hazards"])
    assert audit["households"].isna().all() and audit["occupancy"].isna().all()
    with pytest.raises(InputError, match="not built relocation sites: 无此点"):
        audit_sites(model, layers["facilities"], relocated=relocated().assign(site="无此点"))
    with pytest.raises(InputError, match="lacks the columns"):
        audit_sites(model, layers["facilities"], relocated=relocated().drop(columns="income_after"))
    with pytest.raises(InputError, match="no built relocation site"):
        audit_sites(model, layers["facilities"][layers["facilities"]["kind"] != "relocation_site"])


def test_cli_audit_writes_one_row_per_built_site(demo_store_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    assert main(["--store", str(demo_store_path), "sites", "--audit", "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    built = GeoPackageStore(demo_store_path).read("facilities").query("kind == 'relocation_site'")
    assert sorted(table["site_id"]) == sorted(built["facility_id"])
    assert {"hazard_m", "slope_deg", "minutes_school", "minutes_market", "occupancy", "flags"} <= set(table.columns)
    assert main(["--store", str(demo_store_path), "sites", "--audit", "--out", str(tmp_path / "a.html")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.csv"]


def test_page_audit_table_says_what_is_unknown(county: tuple) -> None:
    _, model, layers = county
    with_ledger = audit_sites(model, layers["facilities"], hazards=layers["hazards"], relocated=relocated())
    table = audit_table(pd.DataFrame(with_ledger), "zh", has_follow_up=True)[-1]
    rows = table.children[1].children
    assert len(rows) == len(BUILT)
    west = [c.children for c in rows[1].children]
    assert west[0] == "西安置点" and west[3] == "117%" and "超出容量" in west[-1] and "隐患区" in west[-1]
    bare = audit_table(pd.DataFrame(audit_sites(model, layers["facilities"])), "en", has_follow_up=False)
    assert "unknown" in bare[0].children
    assert [c.children for c in bare[-1].children[1].children[0].children][2:4] == ["—", "—"]  # no data, not 0


def test_the_audit_is_a_tab_beside_the_ranking_and_opens_from_the_address(demo_store_path: Path) -> None:
    data = StoreData(GeoPackageStore(demo_store_path))
    for query, shown in (({}, RANKING), ({"tab": "audit"}, AUDIT), ({"tab": "<b>"}, RANKING)):
        tabs = next(c for c in layout(data, lang="zh", **query).children if getattr(c, "id", None) == TABS)
        assert [tab.value for tab in tabs.children] == [RANKING, AUDIT] and tabs.value == shown
    audit = tabs.children[1].children
    assert any(isinstance(c, dcc.Loading) for c in audit.children)  # a spinner while the audit is made
