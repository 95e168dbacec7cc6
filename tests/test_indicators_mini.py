"""Every indicator on a hand-built mini county, computed by hand.

Four square villages (conftest): 红星村 V1 and 前进村 V2 in township 100, 柳树村 V3 and
杏园村 V4 in township 201. V4 has no households; household H5 sits exactly on the V1/V2
border and is coded V2. Reference date 2026-06-30, so the 90-day water window starts
2026-04-01 and 220 × 180/365 team days are due. Distances are measured with a ruler:
straight segments in the Gauss-Krüger zone (EPSG:4544) added along the roads.
"""

from __future__ import annotations

import datetime as dt
import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from analytics import compute_indicators, explain, prepare_records
from geodata.settings import Settings
from tests.conftest import resident_id, town_frame, village_frame

AS_OF = dt.date(2026, 6, 30)
V1, V2, V3, V4 = "621121100201", "621121100202", "621121201201", "621121201202"
T100, T201, COUNTY = "621121100", "621121201", "621121"
W, J, E, N = (104.60, 35.61), (104.61, 35.61), (104.64, 35.61), (104.61, 35.63)  # road nodes
_GK = Transformer.from_crs(4490, 4544, always_xy=True)

HOUSEHOLDS = [  # id, village, members, income, status, type, risks, eliminated, edu, insured, grade, water, xy, dates
    ("H1", V1, 4, 2000, "monitored", "unstable", "illness", False, True, True, "C", True, J,
     ("2026-03-01", "2026-03-10", "2026-03-25")),
    ("H2", V1, 2, 9000, "lifted", None, None, None, True, False, "A", False, (104.602, 35.611), None),
    ("H3", V1, 3, 12000, "normal", None, None, None, True, True, "D", True, (104.615, 35.6155), None),
    ("H4", V2, 5, 2500, "monitored", "marginal", "schooling", True, False, True, "B", True, (104.635, 35.612),
     ("2026-01-01", "2026-01-20", "2026-01-25")),
    ("H5", V2, 1, 3000, "normal", None, None, None, True, True, "B", True, (104.62, 35.61), None),
    ("H6", V3, 6, 1500, "monitored", "sudden", "disaster", False, True, True, "none", False, (104.611, 35.63),
     ("2026-06-01", "2026-06-10", "2026-06-15")),
    ("H7", V3, 2, 30000, "normal", None, None, None, True, True, "A", True, (104.605, 35.625), None),
    ("H8", V3, 3, 4000, "lifted", None, None, None, True, True, "B", True, (104.618, 35.638), None),
]  # fmt: skip


def households() -> gpd.GeoDataFrame:
    rows = []
    for i, (hid, village, members, income, status, mtype, risks, elim, edu, ins, grade, water, xy, dates) in enumerate(
        HOUSEHOLDS
    ):
        found, identified, entered = (pd.Timestamp(d) for d in dates) if dates else (pd.NaT,) * 3
        rows.append(
            {
                "household_id": hid,
                "village_code": village,
                "head_name": f"户主{i}",
                "id_number": resident_id(i + 1),
                "phone": "13800000000",
                "members": members,
                "per_capita_income": float(income),
                "status": status,
                "monitor_type": mtype,
                "risk_types": risks,
                "risk_eliminated": elim,
                "education_ok": edu,
                "medical_insured": ins,
                "housing_grade": grade,
                "water_safe": water,
                "helper": None,
                "risk_found_on": found,
                "identified_on": identified,
                "entered_on": entered,
                "lon": xy[0],
                "lat": xy[1],
            }
        )
    frame = pd.DataFrame(rows)
    frame["risk_eliminated"] = frame["risk_eliminated"].astype("boolean")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4490)


def water_tests() -> gpd.GeoDataFrame:
    rows = [  # sample, site, type, village (None: found by position), date, indicator, value, xy
        ("A1", "S1", "tap", V1, "2026-06-01", "浑浊度", "0.5"),
        ("A1", "S1", "tap", V1, "2026-06-01", "氟化物", "<0.1"),  # below detection: passes
        ("A1", "S1", "tap", V1, "2026-06-01", "总大肠菌群", "未检出"),
        ("A2", "S1", "tap", V1, "2026-05-15", "氟化物", "1.3"),  # over 1.0: fails
        ("A2", "S1", "tap", V1, "2026-05-15", "浑浊度", "0.4"),
        ("A3", "S1", "tap", V1, "2026-02-01", "总大肠菌群", "3"),  # fails, but before the window
        ("B1", "S2", "own_source", None, "2026-06-10", "硝酸盐", "15"),  # small-supply limit 20: passes
        ("B1", "S2", "own_source", None, "2026-06-10", "菌落总数", "300"),  # small-supply limit 500: passes
        ("B2", "S2", "own_source", None, "2026-06-20", "总大肠菌群", "2"),  # detected: fails
        ("B2", "S2", "own_source", None, "2026-06-20", "臭和味", "有"),  # present: fails
        ("C1", "S3", "tap", V2, "2026-06-05", "游离氯", "<0.05"),  # under the 0.05 minimum: fails
        ("C1", "S3", "tap", V2, "2026-06-05", "pH", "8.7"),  # over 8.5: fails
    ]
    sites = {"S1": (104.612, 35.612), "S2": (104.606, 35.628), "S3": (104.63, 35.605)}
    frame = pd.DataFrame(
        rows, columns=["sample_id", "site_id", "site_type", "village_code", "sampled_on", "indicator", "value"]
    )
    frame["sampled_on"] = pd.to_datetime(frame["sampled_on"])
    frame["unit"] = None
    frame["site_name"] = frame["site_id"]
    xy = np.array([sites[s] for s in frame["site_id"]])
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4490)


def layers() -> dict[str, pd.DataFrame]:
    def points(table: pd.DataFrame, xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(*zip(*xy, strict=True)), crs=4490)

    roads = gpd.GeoDataFrame(
        {
            "road_id": ["R1", "R2"],
            "name": ["县道", "村道"],
            "road_class": ["county", "village"],
            "hardened": [True, False],
        },
        geometry=[shapely.LineString([W, E]), shapely.LineString([J, N])],  # R2 ends on R1's interior: a T-junction
        crs=4490,
    )
    facilities = points(
        pd.DataFrame(
            {
                "facility_id": ["F1", "F2", "F3"],
                "name": ["卫生室", "小学", "镇政府"],
                "kind": ["clinic", "school", "township_gov"],
                "capacity": None,
                "village_code": [V1, V2, V1],
            }
        ),
        [J, E, W],
    )
    hazards = gpd.GeoDataFrame(
        {"hazard_id": ["Z1", "Z2"], "kind": ["flood", "landslide"], "level": ["high", "medium"]},
        geometry=[shapely.box(104.613, 35.614, 104.617, 35.617), shapely.box(104.616, 35.636, 104.62, 35.64)],
        crs=4490,
    )
    housing = pd.DataFrame(
        {
            "case_id": ["C1", "C2", "C3", "C4"],
            "household_id": ["H1", "H3", "H2", "H8"],
            "grade": ["C", "D", "C", "C"],
            "appraised_on": pd.to_datetime(["2026-01-10"] * 4),
            "stage": ["started", "pending", "accepted", "completed"],
            "deadline": pd.to_datetime(["2026-05-31", "2026-10-31", "2026-05-31", "2026-04-30"]),
            "subsidy": [12000.0, 30000.0, 12000.0, 12000.0],
        }
    )
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "name": ["道路", "圈舍", "饮水"],
            "village_code": [V1, V1, V3],
            "category": "基础设施",
            "budget": [100000.0, 50000.0, 200000.0],
            "disbursed": [60000.0, 0.0, 150000.0],
            "status": ["started", "planned", "completed"],
            "as_of": pd.Timestamp(AS_OF),
        }
    )
    teams = pd.DataFrame(
        {
            "team_id": ["T1", "T2"],
            "village_code": [V1, V3],
            "unit": ["县财政局", "县教育局"],
            "leader": ["甲", "乙"],
            "members": [3, 3],
            "checkin_rate": [0.9, 1.0],
            "days_in_village": [100, 130],
            "last_inspected_on": pd.NaT,
            "monthly_score": [80.0, 95.0],
        }
    )
    inspections = pd.DataFrame(
        {
            "inspection_id": ["I1", "I2", "I3", "I4"],
            "date": pd.to_datetime(["2026-06-20", "2026-05-01", "2026-03-01", "2026-07-15"]),
            "inspector": "督查组",
            "team_id": ["T1", "T1", "T2", None],
            "village_code": [V1, V1, V3, V2],
            "household_id": None,
            "finding": ["驻村不住村", None, "工作日志不完整", "台账不全"],
            "rectified": [False, True, True, False],
            "rectified_on": pd.to_datetime([None, None, "2026-03-20", None]),
        }
    )
    return {
        "towns": town_frame(),
        "villages": village_frame(),
        "households": households(),
        "housing": housing,
        "water_tests": water_tests(),
        "roads": roads,
        "facilities": facilities,
        "hazards": hazards,
        "projects": projects,
        "teams": teams,
        "inspections": inspections,
    }


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {
        name: frame.set_index(frame.columns[0])
        for name, frame in compute_indicators(layers(), as_of=AS_OF, settings=Settings()).items()
    }


def d(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Straight-line km between two lon/lat points, measured in the GK zone."""
    (ax, bx), (ay, by) = _GK.transform([a[0], b[0]], [a[1], b[1]])
    return float(np.hypot(ax - bx, ay - by)) / 1000


HH = {h[0]: h[12] for h in HOUSEHOLDS}
DUE = 220 * 181 / 365  # days due by the end of 30 June (1 January to 30 June, both counted)


COUNTS = {  # village: households, persons, population, monitored, open, monitored persons, under line, edu gap,
    #          uninsured, C/D houses, unsafe water, in hazard, cases open, overdue, accepted, samples, failing
    V1: (3, 9, 820, 1, 1, 4, 1, 0, 1, 2, 1, 1, 2, 1, 1, 2, 1),
    # V2's H4 is marked eliminated with 2,500 yuan (under the 7,500 monitoring line) and an education gap:
    # its elimination is doubtful (消除存疑), so it stays open (1, was 0 before that rule).
    V2: (2, 6, 640, 1, 1, 5, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1),
    V3: (3, 11, 910, 1, 1, 6, 1, 0, 0, 0, 1, 1, 1, 0, 0, 2, 1),
    V4: (0, 0, 300, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
}
COUNT_COLUMNS = [
    "households", "persons", "population", "monitored_households", "monitored_open_households", "monitored_persons",
    "poverty_line_households", "education_gap_households", "uninsured_households", "cd_households",
    "water_unsafe_households", "hazard_households", "cd_cases_open", "cd_cases_overdue", "cd_cases_accepted",
    "water_samples", "water_failing_samples",
]  # fmt: skip


def test_village_counts(tables: dict) -> None:
    v = tables["village_indicators"]
    for code, expected in COUNTS.items():
        assert v.loc[code, COUNT_COLUMNS].astype(int).tolist() == list(expected), code


def test_village_rates_medians_and_flags(tables: dict) -> None:
    v = tables["village_indicators"]
    assert v.loc[V1, "monitored_rate"] == pytest.approx(1 / 3)
    # Incidence is taken over the registered population (户籍人口) where a village has one (it was over the
    # persons recorded: 4/9, 5/6, 6/11); V4 has no household records, so no incidence.
    assert v.loc[V1, "poverty_incidence"] == pytest.approx(4 / 820)
    assert v.loc[V2, "poverty_incidence"] == pytest.approx(5 / 640)
    assert v.loc[V3, "poverty_incidence"] == pytest.approx(6 / 910)
    assert v.loc[[V1, V2, V3], "poverty_incidence_base"].tolist() == ["population"] * 3
    assert np.isnan(v.loc[V4, "poverty_incidence"])
    assert v.loc[[V1, V2, V3], "income_median"].tolist() == [9000, 2750, 4000]
    assert v.loc[V2, "income_per_capita"] == pytest.approx((2500 * 5 + 3000) / 6)
    # 一高一低一无: V2 has 2,583 yuan per person and no collective income, but over its 640 registered people its
    # incidence is 0.8 %, not above 30 % (it was 83 % over the 6 persons recorded): no poor village now.
    assert v["poor_village_flag"].tolist() == [False, False, False, False]
    assert v.loc[V1, "water_fail_rate"] == 0.5
    assert v.loc[[V1, V2, V3], "water_worst_indicator"].tolist() == ["fluoride", "free_chlorine", "odour"]
    assert pd.isna(v.loc[V4, "water_worst_indicator"])
    assert v.loc[[V1, V2, V3], "sla_identify_ok_share"].tolist() == [1.0, 0.0, 1.0]
    assert v.loc[[V1, V2, V3], "sla_entry_ok_share"].tolist() == [0.0, 1.0, 1.0]
    assert np.isnan(v.loc[V4, "sla_identify_ok_share"])


def test_money_teams_and_inspections(tables: dict) -> None:
    v = tables["village_indicators"]
    assert v.loc[V1, ["budget", "disbursed"]].tolist() == [150000, 60000]
    assert v.loc[V1, "spend_rate"] == pytest.approx(0.4)
    assert v.loc[V3, "spend_rate"] == pytest.approx(0.75)
    assert np.isnan(v.loc[V2, "spend_rate"])
    assert (v["spend_target"] == 0.5).all()
    assert v.loc[V1, "team_checkin_rate"] == pytest.approx(0.9)
    assert v.loc[V1, "team_days_ratio"] == pytest.approx(100 / DUE)
    assert v.loc[V3, "team_days_ratio"] == pytest.approx(130 / DUE)
    assert np.isnan(v.loc[V2, "team_checkin_rate"])
    assert v.loc[V1, "days_since_inspection"] == 10
    assert v.loc[V3, "days_since_inspection"] == 121
    assert np.isnan(v.loc[V2, "days_since_inspection"])  # its only inspection is after the reference date
    assert v.loc[V1, "inspection_findings_open"] == 1


def test_roads_and_access_by_road(tables: dict) -> None:
    v = tables["village_indicators"]
    wj, je, jn = d(W, J), d(J, E), d(J, N)
    mid = (104.61, 35.62)  # where R2 crosses from V1 into V3
    hardened = d(W, (104.62, 35.61))  # lines straight in lon/lat bend slightly in GK: a 0.1 mm/km tolerance
    assert v.loc[V1, "road_hardened_share"] == pytest.approx(hardened / (hardened + d(J, mid)), rel=1e-4)
    assert v.loc[V2, "road_hardened_share"] == pytest.approx(1.0)
    assert v.loc[V3, "road_hardened_share"] == pytest.approx(0.0)
    clinic = {
        "H1": 0.0,
        "H2": d(HH["H2"], W) + wj,
        "H3": d(HH["H3"], J),
        "H4": d(HH["H4"], E) + je,
        "H5": d(HH["H5"], J),
        "H6": d(HH["H6"], N) + jn,
        "H7": d(HH["H7"], N) + jn,
        "H8": d(HH["H8"], N) + jn,
    }
    school = {h: c + je if h not in ("H4",) else d(HH["H4"], E) for h, c in clinic.items()}
    township = {h: c + wj if h != "H2" else d(HH["H2"], W) for h, c in clinic.items()}  # the only government is at W
    for code, members in ((V1, ["H1", "H2", "H3"]), (V2, ["H4", "H5"]), (V3, ["H6", "H7", "H8"])):
        assert v.loc[code, "km_to_clinic"] == pytest.approx(np.mean([clinic[h] for h in members]), rel=1e-6)
        assert v.loc[code, "km_to_school"] == pytest.approx(np.mean([school[h] for h in members]), rel=1e-6)
        assert v.loc[code, "km_to_township"] == pytest.approx(np.mean([township[h] for h in members]), rel=1e-6)
    # V4 has no households: measured from a point inside it, joining the road at the nearest node.
    inner = village_frame().set_index("village_code").loc[V4, "geometry"]
    p = tuple(
        np.array(
            Transformer.from_crs(4544, 4490, always_xy=True).transform(
                *shapely.get_coordinates(
                    shapely.transform(inner, lambda c: np.c_[_GK.transform(c[:, 0], c[:, 1])]).representative_point()
                )[0]
            )
        )
    )
    nearest = min((W, J, E, N), key=lambda node: d(p, node))
    to_j = {W: wj, J: 0.0, E: je, N: jn}[nearest]
    assert v.loc[V4, "km_to_clinic"] == pytest.approx(d(p, nearest) + to_j, rel=1e-6)


def test_rollups_are_sums_and_ratios_of_sums(tables: dict) -> None:
    v, t, c = tables["village_indicators"], tables["town_indicators"], tables["county_indicators"]
    for column in [*COUNT_COLUMNS, "budget", "disbursed", "teams", "poor_villages"]:
        by_town = v.groupby(v.index.str[:9])[column].sum()
        assert t[column].tolist() == by_town.loc[t.index].tolist(), column
        assert c.loc[COUNTY, column] == v[column].sum(), column
    # over registered population (it was over persons: 9/15 and 15/26); V4 has no records, so not in the base
    assert t.loc[T100, "poverty_incidence"] == pytest.approx((4 + 5) / (820 + 640))
    assert c.loc[COUNTY, "poverty_incidence"] == pytest.approx(15 / (820 + 640 + 910))  # not the mean of rates
    assert c.loc[COUNTY, "income_median"] == 3500  # median of all eight households, not of village medians
    assert t.loc[T100, "income_median"] == 3000
    assert c.loc[COUNTY, "team_days_ratio"] == pytest.approx(230 / (2 * DUE))
    assert c.loc[COUNTY, "team_checkin_rate"] == pytest.approx(0.95)
    assert c.loc[COUNTY, "water_fail_rate"] == pytest.approx(3 / 5)
    assert c.loc[COUNTY, "days_since_inspection"] == 10
    assert t.loc[T201, "days_since_inspection"] == 121
    assert not t.loc[T100, "poor_village_flag"] and not t.loc[T201, "poor_village_flag"]  # V2 no longer poor
    v_clinic = (v["km_to_clinic"] * v["households"]).sum() / v["households"].sum()
    assert c.loc[COUNTY, "km_to_clinic"] == pytest.approx(v_clinic)


def test_risk_index_is_the_weighted_mean_of_the_components_present(tables: dict) -> None:
    s = Settings()
    v = tables["village_indicators"]
    # 4 poor persons of 820 registered (was 4 of 9 recorded, past the 30 % full scale: 100)
    assert v.loc[V1, "risk_poverty"] == pytest.approx(4 / 820 / s.risk.full_scale["poverty"] * 100, abs=0.05)
    # its monitored household's elimination is doubtful (was 0.0 when counted as eliminated): open, 1 of 2 households
    assert v.loc[V2, "risk_monitoring"] == 100.0
    assert v.loc[V3, "risk_monitoring"] == pytest.approx(min(1 / 3 / s.risk.full_scale["monitoring"], 1) * 100)
    # V4 has nothing but a distance to a clinic: the index is that component alone.
    assert v.loc[V4, "risk_index"] == v.loc[V4, "risk_access"]
    components = [
        c.removeprefix("risk_")
        for c in v.columns
        if c.startswith("risk_") and c not in ("risk_index", "risk_red", "risk_top_component")
    ]
    assert set(components) == set(s.risk.weights)
    row = v.loc[V1]
    w = pd.Series(s.risk.weights)
    scores = pd.Series({k: row[f"risk_{k}"] for k in components})
    assert row["risk_index"] == pytest.approx((scores * w).sum() / w[scores.notna()].sum(), abs=0.1)
    assert v["risk_index"].between(0, 100).all()


def test_explain_returns_the_rows_counted(tables: dict) -> None:
    records = prepare_records(layers(), as_of=AS_OF, settings=Settings())
    assert explain(records, V1, "cd_cases_overdue")["id"].tolist() == ["C1"]
    assert sorted(explain(records, T100, "monitored_households")["id"]) == ["H1", "H4"]
    assert explain(records, V2, "water_failing_samples")["id"].tolist() == ["C1"]
    assert explain(records, COUNTY, "poverty_incidence")["id"].tolist() == ["H1", "H4", "H6"]
    assert explain(records, V1, "hazard_households")["id"].tolist() == ["H3"]
    assert sorted(explain(records, V2, "households")["id"]) == ["H4", "H5"]  # H5 on the border, counted once
    with pytest.raises(KeyError):
        explain(records, V1, "no_such_indicator")


REQUIRED = [
    "households",
    "persons",
    "population",
    "monitored_households",
    "monitored_open_households",
    "monitored_persons",
    "monitored_rate",
    "poverty_line_households",
    "poverty_incidence",
    "income_median",
    "education_gap_households",
    "uninsured_households",
    "cd_households",
    "water_unsafe_households",
    "hazard_households",
    "cd_cases_open",
    "cd_cases_overdue",
    "cd_cases_accepted",
    "water_samples",
    "water_failing_samples",
    "water_fail_rate",
    "water_worst_indicator",
    "road_hardened_share",
    "km_to_clinic",
    "km_to_school",
    "km_to_township",
    "budget",
    "disbursed",
    "spend_rate",
    "spend_target",
    "team_checkin_rate",
    "team_days_ratio",
    "days_since_inspection",
    "sla_identify_ok_share",
    "sla_entry_ok_share",
    "poor_village_flag",
    "risk_index",
    "computed_at",
    "as_of",
    "settings",
]


def test_every_required_column_at_every_level(tables: dict) -> None:
    for name, frame in tables.items():
        missing = [c for c in REQUIRED if c not in frame.columns]
        assert not missing, (name, missing)


def test_households_are_located_by_position_too(tables: dict) -> None:
    v = tables["village_indicators"]
    # H5 lies exactly on the V1/V2 border: in its coded village V2 as far as position goes, so not "elsewhere".
    assert v["located_elsewhere_households"].sum() == 0
    moved = layers()
    h = moved["households"]
    h.loc[h["household_id"] == "H7", "geometry"] = shapely.Point(104.63, 35.63)  # coded V3, lies in V4
    again = compute_indicators(moved, as_of=AS_OF, settings=Settings())["village_indicators"].set_index("village_code")
    assert again.loc[V3, "located_elsewhere_households"] == 1
    assert again.loc[V3, "households"] == 3  # still counted where the register puts it


def test_records_caches_stay_with_their_tables() -> None:
    """A copy of the records (one unit, a later inspection day) or a pickled one derives again from its own tables."""
    records = prepare_records(layers(), as_of=AS_OF, settings=Settings())
    known = records.known_counties("households", ("per_capita_income",))
    assert known == {V1[:6]}
    assert records.memo(("test", 1), lambda: "first") == "first"
    assert records.memo(("test", 1), lambda: "second") == "first"  # made once per records
    part = records.within(V1)
    assert part.memo(("test", 1), lambda: "part") == "part" and len(part["villages"]) == 1
    again = pickle.loads(pickle.dumps(records))
    assert again.memo(("test", 1), lambda: "unpickled") == "unpickled"
    assert again.unit_key("households", 9).equals(records.unit_key("households", 9))
