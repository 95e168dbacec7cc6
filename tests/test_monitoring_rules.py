"""The rules as the policy texts mean them, each on a few hand-made households whose answer is counted by hand.

Unknown is not none (a village without a collective-income figure, households without
a guarantee column); monitoring (防返贫): late clues, 应纳未纳 with rigid spending and the
guarantees, doubtful eliminations (消除存疑), incidence over 户籍人口, the national line,
两不愁, helpers; housing: 无房户, cases without a registered household, default deadlines
and subsidy payment (兑付); who moves, and how much land they need.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from analytics import compute_indicators, explain, prepare_records
from analytics.kpis import wall_kpis
from analytics.relocation import propose_movers
from battlemap_cli.analysis_commands import read_inputs
from geodata.io.coerce import coerce_enum
from geodata.io.columns import match_columns
from geodata.schemas import HOUSEHOLDS
from geodata.settings import MonitoringSettings, PovertySettings, Settings, SiteSettings
from geodata.store import Store
from geodata.store.county_reader import CountyReader
from layers.wall import tile_text
from tests.conftest import town_frame, village_frame
from tests.importing import run
from tests.test_import_villages import write_gbk_shapefile

AS_OF = dt.date(2026, 11, 5)
V1, V2, V3, V4 = "621121100201", "621121100202", "621121201201", "621121201202"
T100, T201, COUNTY = "621121100", "621121201", "621121"
CENTRE = {V1: (104.61, 35.61), V2: (104.63, 35.61), V3: (104.61, 35.63), V4: (104.63, 35.63)}


def households(*rows: dict) -> gpd.GeoDataFrame:
    """Households with exactly the columns the rows name (plus id, village, members, status), at their village."""
    frame = pd.DataFrame([{"village_code": V1, "members": 1, "status": "normal", **row} for row in rows]).reset_index(
        drop=True
    )
    frame.insert(0, "household_id", [f"H{i + 1}" for i in range(len(frame))])
    for column in ("risk_found_on", "identified_on", "entered_on"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    xy = np.array([CENTRE[c] for c in frame["village_code"]]) + np.arange(len(frame))[:, None] * 1e-4
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4490)


def tables(layers: dict, settings: Settings | None = None, as_of: dt.date = AS_OF) -> dict[str, pd.DataFrame]:
    """The three indicator tables indexed by unit code."""
    layers = {"villages": village_frame(), **layers}
    built = compute_indicators(layers, as_of=as_of, settings=settings or Settings())
    return {name.split("_")[0]: frame.set_index(frame.columns[0]) for name, frame in built.items()}


# -- unknown is not none ------------------------------------------------------------------------------------------


def poor_village_households() -> gpd.GeoDataFrame:
    """V2: 5 persons at 2,500 and 1 at 3,000 yuan (83 % of 6 under 2,875; 2,583 per person); V1 one rich household."""
    return households(
        {"village_code": V1, "members": 4, "per_capita_income": 20000.0},
        {"village_code": V2, "members": 5, "per_capita_income": 2500.0},
        {"village_code": V2, "members": 1, "per_capita_income": 3000.0},
    )


def test_villages_reimported_without_collective_income_are_not_poor_villages(store: Store, tmp_path: Path) -> None:
    villages = village_frame().assign(population=[820, 6, 910, 300])  # V2: 6 registered, as recorded
    with store.transaction() as tx:
        tx.write("towns", town_frame())
        tx.write("villages", villages)
        tx.write("households", poor_village_households())

    def village_table(settings: Settings) -> pd.DataFrame:
        built = compute_indicators(read_inputs(store.target), as_of=AS_OF, settings=settings)
        return {k: v.set_index(v.columns[0]) for k, v in built.items()}

    before = village_table(Settings())["village_indicators"]
    assert before.loc[V2, "collective_income"] == 0  # a figure of 0: 一高一低一无
    assert before["poor_village_flag"].tolist() == [False, True, False, False]

    shp = write_gbk_shapefile(villages.drop(columns="collective_income"), tmp_path / "行政村.shp")
    assert run(store.target, "import", "villages", str(shp)) == 0
    after = village_table(Settings())
    v = after["village_indicators"]
    assert v["collective_income"].isna().all()  # unknown, not 0 yuan
    assert np.isnan(after["town_indicators"].loc[T100, "collective_income"])
    assert np.isnan(after["county_indicators"].loc[COUNTY, "collective_income"])
    assert v.loc[V2, "poverty_incidence"] == pytest.approx(5 / 6)  # the other two parts still hold
    assert v.loc[V2, "income_per_capita"] == pytest.approx((5 * 2500 + 3000) / 6)
    assert not v["poor_village_flag"].any()
    assert after["county_indicators"].loc[COUNTY, "poor_villages"] == 0

    counted = Settings().replace(poverty=PovertySettings(missing_collective_income_is_none=True))
    assert village_table(counted)["village_indicators"]["poor_village_flag"].tolist() == [False, True, False, False]


GUARANTEE_COLUMNS = ["food_ok", "clothing_ok", "education_ok", "medical_insured", "housing_grade", "water_safe"]
GUARANTEE_COUNTS = [
    "food_gap_households",
    "clothing_gap_households",
    "education_gap_households",
    "uninsured_households",
    "cd_households",
    "housing_insecure_households",
    "water_unsafe_households",
]


@pytest.mark.parametrize("how", ["dropped", "empty"])
def test_guarantee_columns_absent_from_the_layer_are_unknown_and_empty_cells_never_fail(store: Store, how: str) -> None:
    ledger = households(
        {"per_capita_income": 20000.0, "food_ok": True, "clothing_ok": None, "education_ok": False,
         "medical_insured": True, "housing_grade": "C", "water_safe": None},
        {"per_capita_income": 20000.0, "food_ok": None, "clothing_ok": True, "education_ok": None,
         "medical_insured": None, "housing_grade": None, "water_safe": False},
    )  # fmt: skip
    for column in ("food_ok", "clothing_ok", "education_ok", "medical_insured", "water_safe"):
        ledger[column] = ledger[column].astype("boolean")
    with store.transaction() as tx:
        tx.write("villages", village_frame())
        tx.write("households", ledger)
    known = tables({"households": read_inputs(store.target)["households"]})
    # the empty cells (None) are unknown for their household only: not counted as failing
    assert known["county"].loc[COUNTY, GUARANTEE_COUNTS].tolist() == [0, 0, 1, 0, 1, 1, 1]
    assert known["county"].loc[COUNTY, "unmonitored_at_risk_households"] == 2  # education gap; unsafe water

    blank = (
        ledger.drop(columns=GUARANTEE_COLUMNS)
        if how == "dropped"
        else ledger.assign(**dict.fromkeys(GUARANTEE_COLUMNS))
    )
    with store.transaction() as tx:
        tx.write("households", blank)
    unknown = tables({"households": read_inputs(store.target)["households"]})
    for level, code in (("village", V1), ("town", T100), ("county", COUNTY)):
        assert unknown[level].loc[code, GUARANTEE_COUNTS].isna().all(), level
    # income is still known: nobody is under the line, and no guarantee is known to fail
    assert unknown["county"].loc[COUNTY, "unmonitored_at_risk_households"] == 0


# -- monitoring (防返贫) -----------------------------------------------------------------------------------------


def test_a_clue_unidentified_past_15_days_is_late_whatever_the_status() -> None:
    h = households(
        {"risk_found_on": "2026-10-01"},  # 35 days, not identified: late, and a suspected missed household
        {"risk_found_on": "2026-10-28"},  # 8 days: not due yet
        {"status": "monitored", "risk_found_on": "2026-09-01", "identified_on": "2026-09-10",
         "entered_on": "2026-09-15"},  # 9 days: in time
        {"status": "monitored", "risk_found_on": "2026-08-01"},  # monitored, never identified: late
    )  # fmt: skip
    h["per_capita_income"] = 20000.0
    c = tables({"households": h})["county"].loc[COUNTY]
    assert (c["sla_identify_checked"], c["sla_identify_ok"]) == (3, 1)  # was 1 of 1: pending clues were left out
    assert c["sla_identify_ok_share"] == pytest.approx(1 / 3)
    assert c["clue_overdue_households"] == 2
    assert c["unmonitored_at_risk_households"] == 1  # the first: not monitored, clue overdue
    records = prepare_records({"villages": village_frame(), "households": h}, as_of=AS_OF, settings=Settings())
    assert sorted(explain(records, COUNTY, "clue_overdue_households")["id"]) == ["H1", "H4"]


def at_risk_ledger() -> gpd.GeoDataFrame:
    return households(
        {"members": 4, "per_capita_income": 8000.0, "rigid_spending": 4000.0},  # 8,000 − 1,000 = 7,000 < 7,500
        {"members": 4, "per_capita_income": 8000.0, "rigid_spending": 1000.0},  # 7,750: above the line
        {"status": "lifted", "members": 2, "per_capita_income": 9000.0, "water_safe": False},  # unsafe water
        {"status": "monitored", "per_capita_income": 7000.0},  # below, but monitored already
        {"per_capita_income": None},  # income unknown: not judged below the line
        {"per_capita_income": 20000.0, "food_ok": False},  # 两不愁: food not secured
        {"per_capita_income": 7400.0},  # below the line
    )


def test_unmonitored_at_risk_weighs_rigid_spending_and_the_guarantees() -> None:
    c = tables({"households": at_risk_ledger()})["county"].loc[COUNTY]
    assert c["unmonitored_at_risk_households"] == 4  # H1, H3, H6, H7 (income alone found only H7)
    assert c["food_gap_households"] == 1
    assert np.isnan(c["clothing_gap_households"])  # no clothing column at all
    assert np.isnan(c["education_gap_households"])
    gross = Settings().replace(monitoring=MonitoringSettings(deduct_rigid_spending=False))
    assert tables({"households": at_risk_ledger()}, gross)["county"].loc[COUNTY, "unmonitored_at_risk_households"] == 3
    income_only = Settings().replace(monitoring=MonitoringSettings(guarantee_flags=()))
    again = tables({"households": at_risk_ledger()}, income_only)["county"].loc[COUNTY]
    assert again["unmonitored_at_risk_households"] == 2  # H1 (net of rigid spending) and H7


def eliminations() -> gpd.GeoDataFrame:
    ok = {"status": "monitored", "members": 2, "per_capita_income": 9000.0, "medical_insured": True, "helper": "李四"}
    return households(
        {**ok, "risk_eliminated": True},  # conditions met
        {**ok, "risk_eliminated": True, "per_capita_income": 6000.0},  # income under the 7,500 line
        {**ok, "risk_eliminated": True, "medical_insured": False},  # not insured (三保障)
        {**ok, "risk_eliminated": False},  # open
        {**ok, "risk_eliminated": True, "per_capita_income": 8000.0, "rigid_spending": 2000.0, "helper": None},
    )  # the last: 8,000 − 2,000 / 2 = 7,000 per person after rigid spending; and no helper


def test_doubtful_eliminations_are_not_counted_as_eliminated() -> None:
    c = tables({"households": eliminations()})["county"].loc[COUNTY]
    assert c["monitored_households"] == 5
    assert c["monitored_eliminated_households"] == 1
    assert c["elimination_doubtful_households"] == 3
    assert c["monitored_open_households"] == 4  # the open one and the three doubtful ones
    assert c["monitored_without_helper_households"] == 1
    kpi = {k.key: k for k in wall_kpis(c, None, _no_layers(), as_of=AS_OF, settings=Settings())}["kpi_monitoring"]
    assert (kpi.value, kpi.target, kpi.extra["doubtful"]) == (1, 5, 3)  # was 4 of 5: monitored − open
    assert "消除存疑 3" in tile_text(kpi, "zh").detail
    without_helper_column = tables({"households": eliminations().drop(columns="helper")})["county"].loc[COUNTY]
    assert np.isnan(without_helper_column["monitored_without_helper_households"])


def _no_layers() -> object:
    from analytics.records import Records

    empty = pd.DataFrame(columns=["date", "deadline", "accepted"])
    return Records(as_of=AS_OF, settings=Settings(), tables={"cases": empty, "inspections": empty})


def test_incidence_over_registered_population_else_persons_and_the_national_line() -> None:
    villages = village_frame().assign(population=[100, None, 910, 300])
    h = households(
        {"village_code": V1, "members": 4, "per_capita_income": 2800.0},  # under 2,875, above the national 2,736
        {"village_code": V1, "members": 2, "per_capita_income": 2000.0},  # under both
        {"village_code": V1, "members": 4, "per_capita_income": 10000.0},
        {"village_code": V2, "members": 5, "per_capita_income": 2700.0},  # under both
        {"village_code": V2, "members": 5, "per_capita_income": 9000.0},
    )
    t = tables({"villages": villages, "households": h})
    v, town, c = t["village"], t["town"], t["county"].loc[COUNTY]
    assert v.loc[V1, "poverty_incidence"] == pytest.approx(6 / 100)  # over 户籍人口
    assert v.loc[V1, "national_poverty_incidence"] == pytest.approx(2 / 100)
    assert v.loc[V2, "poverty_incidence"] == pytest.approx(5 / 10)  # no population: over the persons recorded
    assert v.loc[V2, "national_poverty_incidence"] == pytest.approx(5 / 10)
    assert v.loc[[V1, V2], "poverty_incidence_base"].tolist() == ["population", "persons"]
    assert np.isnan(v.loc[V3, "poverty_incidence"]) and v.loc[V3, "poverty_incidence_base"] is None  # no records
    assert v.loc[V1, ["poverty_line_households", "national_line_households"]].tolist() == [2, 1]
    assert town.loc[T100, "poverty_incidence"] == pytest.approx(11 / 110)  # a ratio of sums over mixed bases
    assert town.loc[T100, "poverty_incidence_base"] == "mixed"
    assert np.isnan(town.loc[T201, "poverty_incidence"])
    assert (c["national_line_persons"], c["incidence_base"]) == (7, 110)


def test_disposable_income_is_not_net_income_and_no_dangerous_house_is_not_no_house() -> None:
    found = match_columns(["人均纯收入", "人均可支配收入", "刚性支出", "不愁吃", "不愁穿"], HOUSEHOLDS).found
    assert found == {
        "per_capita_income": "人均纯收入",
        "disposable_income": "人均可支配收入",
        "rigid_spending": "刚性支出",
        "food_ok": "不愁吃",
        "clothing_ok": "不愁穿",
    }
    grades, bad, _ = coerce_enum(
        pd.Series(["无", "无房", "无房户", "D级", "无危房"]), HOUSEHOLDS.column("housing_grade"), Settings()
    )
    assert grades.tolist() == ["safe", "none", "none", "D", "safe"] and not bad.any()


# -- housing ------------------------------------------------------------------------------------------------------


def test_households_without_a_house_lack_housing_security_and_may_move() -> None:
    h = households(
        {"housing_grade": "none", "status": "lifted"},
        {"housing_grade": "C"},
        {"housing_grade": "D", "status": "monitored"},
        {"housing_grade": "safe"},
        {"housing_grade": "B"},
    )
    c = tables({"households": h})["county"].loc[COUNTY]
    assert c[["cd_households", "no_house_households", "housing_insecure_households"]].tolist() == [2, 1, 3]

    movers = pd.DataFrame(
        {
            "household_id": list("abcdef"),
            "village_code": V1,
            "status": ["lifted", "normal", "monitored", "monitored", "lifted", "normal"],
            "housing_grade": ["none", "none", "D", "D", "C", "D"],
            "hazard_level": None,
            "in_hazard": False,
            "km_clinic": 1.0,
            "km_school": 1.0,
        }
    )
    slope = np.array([0.0, 0.0, 30.0, 0.0, 30.0, 30.0])  # c, e, f on steep ground; d can be rebuilt in place
    reasons = propose_movers(movers, slope_deg=slope, sites=SiteSettings()).set_index("household_id")["reasons"]
    assert reasons.to_dict() == {"a": "house", "b": "", "c": "house", "d": "", "e": "", "f": ""}
    anyone = propose_movers(movers, slope_deg=slope, sites=SiteSettings(move_statuses=()))
    assert anyone.set_index("household_id")["reasons"].to_dict() == {
        "a": "house", "b": "house", "c": "house", "d": "", "e": "", "f": "house"
    }  # fmt: skip


def ledger(subsidy_paid: list | None = None) -> pd.DataFrame:
    """Six C/D cases of H1 and of an unregistered household HX, with a payment column when given."""
    paid = {} if subsidy_paid is None else {"subsidy_paid": pd.array(subsidy_paid, dtype="boolean")}
    return pd.DataFrame(
        {
            "case_id": [f"K{i}" for i in range(1, 7)],
            "household_id": ["H1"] * 5 + ["HX"],  # HX is not in the households layer
            "grade": "C",
            "appraised_on": pd.to_datetime(["2026-03-01", "2026-11-15", "2026-02-01", "2026-01-10", "2026-01-10",
                                            "2026-01-10"]),
            "stage": ["started", "pending", "completed", "accepted", "accepted", "accepted"],
            "deadline": pd.NaT,
            **paid,
        }
    )  # fmt: skip


def test_cases_without_household_count_deadlines_default_and_closing_needs_the_subsidy_paid() -> None:
    paid = [None, None, None, False, None, True]
    t = tables({"households": households({}), "housing": ledger(subsidy_paid=paid)}, as_of=dt.date(2026, 12, 10))
    c, v = t["county"].loc[COUNTY], t["village"].loc[V1]
    # K1 started, due 10-31 (no deadline of its own): overdue; K2 appraised after 10-31: due next year;
    # K3 built, not accepted by 11-30: overdue; K4 accepted, subsidy not paid: open and overdue; K5 payment
    # unknown: closed; K6 closed, its household not registered: counted for the county, flagged
    assert c[["cd_cases", "cd_cases_open", "cd_cases_overdue", "cd_cases_accepted"]].tolist() == [6, 4, 3, 2]
    assert c[["cd_cases_unpaid", "cd_cases_without_household"]].tolist() == [1, 1]
    assert v[["cd_cases", "cd_cases_without_household"]].tolist() == [5, 0]
    records = prepare_records(
        {"villages": village_frame(), "households": households({}), "housing": ledger(subsidy_paid=paid)},
        as_of=dt.date(2026, 12, 10),
        settings=Settings(),
    )
    assert explain(records, COUNTY, "cd_cases_without_household")["id"].tolist() == ["K6"]
    assert sorted(explain(records, COUNTY, "cd_cases_overdue")["id"]) == ["K1", "K3", "K4"]
    before_due = tables({"households": households({}), "housing": ledger()}, as_of=dt.date(2026, 10, 31))
    assert before_due["county"].loc[COUNTY, "cd_cases_overdue"] == 0
    unknown = tables({"households": households({}), "housing": ledger()}, as_of=dt.date(2026, 12, 10))
    assert np.isnan(unknown["county"].loc[COUNTY, "cd_cases_unpaid"])  # no payment column: accepted closes
    assert unknown["county"].loc[COUNTY, "cd_cases_accepted"] == 3


def test_the_county_reader_keeps_the_cases_without_household_of_its_only_county(store: Store) -> None:
    with store.transaction() as tx:
        tx.write("villages", village_frame())
        tx.write("households", households({"per_capita_income": 9000.0}))
        tx.write("housing", ledger(subsidy_paid=[None, None, None, False, None, True]))
    context = CountyReader(store.target).context(COUNTY)
    assert sorted(context["housing"]["case_id"]) == [f"K{i}" for i in range(1, 7)]
    layers = {**context, "households": CountyReader(store.target).households(COUNTY)}
    county = compute_indicators(layers, as_of=dt.date(2026, 12, 10), settings=Settings())["county_indicators"]
    assert county[["cd_cases", "cd_cases_without_household", "cd_cases_unpaid"]].iloc[0].tolist() == [6, 1, 1]
