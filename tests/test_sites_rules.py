"""Who moves, how much land they need, and AHP weights with Saaty's consistency check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.ahp import InconsistentJudgementsError, ahp_weights, consistency, pairwise_matrix
from analytics.relocation import choose_movers, households_fitting, needed_area_m2, propose_movers
from geodata._errors import InputError
from geodata.settings import SiteSettings, load_settings


def households() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "household_id": ["a", "b", "c", "d", "e", "f"],
            "village_code": ["V1", "V1", "V2", "V2", "V3", "V3"],
            "hazard_level": ["high", "medium", None, None, None, "low"],
            "in_hazard": [True, True, False, False, False, True],
            "km_clinic": [1.0, 1.0, 14.0, 2.0, 2.0, 2.0],
            "km_school": [1.0, 1.0, 1.0, 2.0, 2.0, 2.0],
            "housing_grade": ["A", "B", "B", "D", "D", "D"],
        }
    )


def test_rule_proposes_hazard_remote_and_unrebuildable_d_houses() -> None:
    slope = np.array([0, 0, 0, 30.0, 5.0, 0])  # d stands on 30°, e on gentle ground, f in a (low) hazard zone
    out = propose_movers(households(), slope_deg=slope, sites=SiteSettings()).set_index("household_id")["reasons"]
    assert out.to_dict() == {"a": "hazard", "b": "", "c": "remote", "d": "house", "e": "", "f": "house"}


def test_planner_adds_and_removes_households_and_villages() -> None:
    h = propose_movers(households(), slope_deg=np.zeros(6), sites=SiteSettings())
    movers = choose_movers(h, add_villages=["V3"], drop_households=["c"], add_households=["b"])
    assert sorted(movers["household_id"]) == ["a", "b", "e", "f"]
    assert list(choose_movers(h, add_villages=["V3"], limit=2)["household_id"]) == ["a", "f"]  # hazard, house first
    with pytest.raises(InputError, match="unknown village V9"):
        choose_movers(h, add_villages=["V9"])


def test_needed_area_is_persons_at_the_housing_cap_plus_public_share() -> None:
    sites = SiteSettings(housing_m2_per_person=25.0, public_share=0.4)
    assert needed_area_m2(120, sites, household_size=3.5) == pytest.approx(120 * 3.5 * 25 * 1.4)
    assert households_fitting(120 * 3.5 * 25 * 1.4, sites, household_size=3.5) == 120
    with pytest.raises(InputError, match="at least one household"):
        needed_area_m2(0, sites, household_size=3.5)


def test_ahp_recovers_consistent_weights() -> None:
    names = ["road", "clinic", "slope"]
    true = np.array([0.6, 0.3, 0.1])
    result = ahp_weights(names, true[:, None] / true[None, :])
    assert list(result.weights.values()) == pytest.approx(true)
    assert result.cr == pytest.approx(0, abs=1e-9) and result.lambda_max == pytest.approx(3)


def test_ahp_saaty_textbook_matrix() -> None:
    names = ["a", "b", "c"]
    m = pairwise_matrix(names, {("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 3})
    result = ahp_weights(names, m)
    assert result.weights["a"] > result.weights["b"] > result.weights["c"]
    assert 0 < result.cr < 0.1


def test_ahp_refuses_an_inconsistent_matrix() -> None:
    names = ["road", "clinic", "slope", "school"]
    # road ≫ clinic ≫ slope, yet slope ≫ road: a circle of preferences
    m = pairwise_matrix(names, {("road", "clinic"): 7, ("clinic", "slope"): 7, ("slope", "road"): 7})
    assert consistency(names, m).cr > 0.1
    with pytest.raises(InconsistentJudgementsError, match=r"consistency ratio \d+\.\d+ > 0.1"):
        ahp_weights(names, m)


def test_ahp_refuses_a_matrix_that_is_not_reciprocal() -> None:
    with pytest.raises(InputError, match="reciprocal"):
        consistency(["a", "b"], np.array([[1.0, 3.0], [3.0, 1.0]]))


def test_sites_settings_come_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "battlemap.toml"
    path.write_text("[sites]\nslope_limit_deg = 20\nvalue_ramps.road = [0.5, 5.0]\nweights.clinic = 0.3\n", "utf-8")
    sites = load_settings(path).sites
    assert sites.slope_limit_deg == 20.0
    assert sites.value_ramps["road"] == [0.5, 5.0] and sites.value_ramps["slope"] == [5.0, 25.0]
    assert sites.weights["clinic"] == 0.3 and sites.weights["road"] == 0.2
    path.write_text("[sites]\nslope_limt_deg = 20\n", "utf-8")
    with pytest.raises(InputError, match="unknown setting"):
        load_settings(path)
