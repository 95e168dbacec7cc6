"""Relocation site selection on hand-built landscapes whose right answers are known."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from analytics.sites import CRITERIA, Selection, plan_movers, rank_sites
from geodata._errors import InputError
from geodata.settings import Settings, SiteSettings
from tests import sites_landscape as ls


def settings(**changes: object) -> Settings:
    return Settings().replace(sites=SiteSettings(**changes))  # type: ignore[arg-type]


def test_site_beside_hardened_road_and_clinic_outside_hazards_wins() -> None:
    s = settings()
    model = ls.model(s, facilities=[ls.GOOD, ls.FLOODED], flood=True)
    plan = plan_movers(model, Selection())
    result = rank_sites(model, plan)
    top = result.candidates.iloc[0]
    x, y = ls.local_xy(top.geometry)
    assert np.hypot(x - ls.GOOD[0], y - ls.GOOD[1]) < 500, (x, y)
    assert top["value_road"] == pytest.approx(100, abs=2) and top["value_clinic"] > 95
    assert len(result.candidates) == s.sites.top_k
    assert list(result.candidates["rank"]) == [1, 2, 3, 4, 5]
    assert result.candidates["score"].is_monotonic_decreasing
    needed = 40 * 3 * s.sites.housing_m2_per_person * (1 + s.sites.public_share)  # 40 households of 3 persons
    assert result.needed_m2 == pytest.approx(needed)
    assert (result.candidates["area_ha"] * 1e4 >= needed).all()
    assert (result.candidates["capacity"] >= 40).all()


def _weight_sets() -> list[dict[str, float]]:
    rng = np.random.default_rng(3)
    single = [{c: 1.0} for c in CRITERIA]
    return single + [dict(zip(CRITERIA, rng.dirichlet(np.full(len(CRITERIA), 0.4)), strict=True)) for _ in range(12)]


def test_flooded_and_steep_sites_never_appear_whatever_the_weights() -> None:
    s = settings()
    model = ls.model(s, facilities=[ls.FLOODED, ls.STEEP], flood=True, steep=True)
    plan = plan_movers(model, Selection())
    flood = ls.box(*ls.FLOOD_BOX).buffer(s.sites.hazard_buffer_m)
    flood_local = shapely.affinity.translate(flood, -ls.X0, -ls.Y0)
    x0, y0, x1, y1 = ls.STEEP_BOX
    steep_local = shapely.box(x0 + 100, y0 + 100, x1 - 100, y1 - 100)  # inside the hillside's edges
    for weights in _weight_sets():
        result = rank_sites(model, plan, weights=weights)
        assert len(result.candidates), weights
        for geom in result.candidates.geometry:
            site = ls.local(geom)
            assert not site.intersects(flood_local), weights
            assert not site.intersects(steep_local), weights
        assert np.nanmax(model.land.slope[np.isfinite(result.score)]) <= s.sites.slope_limit_deg


def test_doubling_the_origin_weight_moves_the_site_towards_the_origin() -> None:
    s = settings(value_ramps={**SiteSettings().value_ramps, "clinic": [0.5, 6.0], "origin": [1.0, 10.0]})
    model = ls.model(s, facilities=[ls.GOOD])
    plan = plan_movers(model, Selection())
    before = rank_sites(model, plan, weights={"clinic": 1.0, "origin": 0.6})
    after = rank_sites(model, plan, weights={"clinic": 1.0, "origin": 1.2})
    bx, by = ls.local_xy(before.candidates.geometry.iloc[0])
    ax, ay = ls.local_xy(after.candidates.geometry.iloc[0])
    assert np.hypot(bx - ls.GOOD[0], by - ls.GOOD[1]) < 600  # the clinic wins at 1 : 0.6 ...
    assert np.hypot(ax - ls.ORIGIN[0], ay - ls.ORIGIN[1]) < 1500  # ... the origin at 1 : 1.2
    assert after.candidates.iloc[0]["value_origin"] > before.candidates.iloc[0]["value_origin"]
    # travel time to the chosen site shrinks with it
    assert after.candidates.iloc[0]["minutes_mean"] < before.candidates.iloc[0]["minutes_mean"]


def test_more_weight_on_a_criterion_never_lowers_the_top_sites_value_on_it() -> None:
    s = settings()
    model = ls.model(s, facilities=[ls.GOOD, ls.FLOODED], flood=True)
    plan = plan_movers(model, Selection())
    base = dict(s.sites.weights)
    for c in CRITERIA:
        doubled = {**base, c: base[c] * 2}
        one = rank_sites(model, plan, weights=base).candidates.iloc[0]
        two = rank_sites(model, plan, weights=doubled).candidates.iloc[0]
        assert two[f"value_{c}"] >= one[f"value_{c}"] - 1e-6, c


def test_candidates_do_not_overlap_and_keep_their_gap() -> None:
    s = settings(top_k=8)
    model = ls.model(s, facilities=[ls.GOOD])
    result = rank_sites(model, plan_movers(model, Selection(households=200)))
    sites = [ls.local(g) for g in result.candidates.geometry]
    assert len(sites) == 8
    for i, a in enumerate(sites):
        assert a.area >= result.needed_m2 - 1
        assert a.geom_type == "Polygon", "a site is one contiguous area"
        for b in sites[i + 1 :]:
            assert a.distance(b) >= s.sites.gap_m - 1


def test_hazard_buffer_and_slope_limit_are_settings() -> None:
    s = settings()
    model = ls.model(s, facilities=[ls.FLOODED], flood=True)
    plan = plan_movers(model, Selection())
    near = rank_sites(model, plan, hazard_buffer_m=0.0).candidates.iloc[0]
    far = rank_sites(model, plan, hazard_buffer_m=800.0).candidates.iloc[0]
    flood = shapely.box(*ls.FLOOD_BOX)
    assert ls.local(near.geometry).distance(flood) < ls.local(far.geometry).distance(flood)
    assert ls.local(far.geometry).distance(flood) >= 800 - 1


def test_travel_time_from_each_origin_village() -> None:
    s = settings()
    model = ls.model(s, facilities=[ls.GOOD])
    result = rank_sites(model, plan_movers(model, Selection()))
    trips = result.travel[result.travel["site_id"] == "S1"]
    assert list(trips["village_code"]) == ["621199100201"]
    assert trips["households"].iloc[0] == 40
    # 7 km down the village road at 25 km/h, 3 km along the county road at 60 km/h, short walks
    assert 9.5 < trips["road_km"].iloc[0] < 11
    assert 18 < trips["minutes"].iloc[0] < 30


def test_bad_weights_and_ramps_are_refused() -> None:
    s = settings()
    model = ls.model(s, facilities=[ls.GOOD])
    plan = plan_movers(model, Selection())
    with pytest.raises(InputError, match="unknown criteria"):
        rank_sites(model, plan, weights={"beauty": 1.0})
    with pytest.raises(InputError, match="non-negative"):
        rank_sites(model, plan, weights={"road": -1.0, "clinic": 2.0})
    bad = settings(value_ramps={**SiteSettings().value_ramps, "road": [3.0, 1.0]})
    with pytest.raises(InputError, match="full < zero"):
        plan_movers(ls.model(bad, facilities=[ls.GOOD]), Selection())
