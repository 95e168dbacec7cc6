"""Typed settings: every policy number with its documented default, overridable from TOML.

Functions take ``settings=None`` and fall back to :func:`get_settings` at call time, so
a test or a province can change a line or a threshold without touching code. A TOML
file is read from ``BATTLEMAP_SETTINGS`` when set, else ``battlemap.toml`` in the
working directory; its tables mirror the dataclasses below (``[poverty]``,
``[timeliness]``, ...). Unknown keys are refused so that a typo is not silently ignored.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geodata._errors import InputError


def _doc(default: Any, doc: str, **kw: Any) -> Any:
    """A dataclass field carrying its documentation (shown by ``battlemap settings``)."""
    if isinstance(default, (dict, list, tuple)):
        return field(default_factory=lambda: type(default)(default), metadata={"doc": doc}, **kw)
    return field(default=default, metadata={"doc": doc}, **kw)


@dataclass(frozen=True)
class PovertySettings:
    """Income lines (yuan per person per year); each province sets its own every year."""

    poverty_line: float = _doc(
        2875.0,
        "Poor household: per-capita net income below this (seed 004: the provincial standard, 2013 农民人均纯收入 "
        "2,875 yuan = 2,500 at 2010 prices).",
    )
    national_poverty_line: float = _doc(
        2736.0,
        "Second classification beside poverty_line: the national standard (seed 004: 国家扶贫标准 2,736 yuan = 2,300 "
        "at 2010 prices, 对国家扶贫标准以下的贫困户进行分类识别).",
    )
    monitoring_line: float = _doc(
        7500.0,
        "Monitoring income line (防返贫监测收入线, 当年监测范围), set by the province each year; 2024 examples 7,500 / "
        "8,500 / 8,800 (ECOSYSTEM.md). Seed 002 names it without a figure.",
    )
    poor_village_incidence: float = _doc(
        0.30, "一高: poverty incidence above this share marks a poor village (seed 004: 贫困发生率高于30%)."
    )
    poor_village_income: float = _doc(
        3902.0, "一低: village per-capita net income below this (yuan; seed 004: 村农民人均纯收入低于3902元)."
    )
    missing_collective_income_is_none: bool = _doc(
        False,
        "一无 (seed 004: 无集体经济收入) for a village without a collective-income figure: false = unknown, never "
        "flagged (unknown is not none); true = count a missing figure as no collective income.",
    )


@dataclass(frozen=True)
class MonitoringSettings:
    """防返贫动态监测: who may have been missed (应纳未纳) and when an elimination (风险消除) is in doubt."""

    deduct_rigid_spending: bool = _doc(
        True,
        "Judge income per person net of rigid spending (刚性支出 ÷ members): seed 002 has the sweep check income, "
        "三保障 and water, and 刚性支出 (large medical or schooling costs) to find 应纳未纳; a household above the "
        "line whose spending eats its income is at risk (突发严重困难户).",
    )
    guarantee_flags: tuple[str, ...] = _doc(
        ("food_gap", "clothing_gap", "education_gap", "uninsured", "housing_insecure", "water_unsafe"),
        "Failures of 两不愁三保障 and drinking water that make a household not monitored a 应纳未纳 candidate and an "
        "elimination doubtful (seed 002: risk is eliminated only when income is stably above the line and "
        "'三保障'及饮水安全持续巩固). Unknown (empty or absent) is never a failure.",
    )


@dataclass(frozen=True)
class TimelinessSettings:
    """Service-level limits of the monitoring procedure, in days."""

    identify_days: int = _doc(15, "Risk clue → identification (识别), at most this many days.")
    entry_days: int = _doc(10, "Identification → entry into the national system (录入), at most this many days.")


@dataclass(frozen=True)
class ImportSettings:
    """Limits the importers apply to incoming files."""

    max_members: int = _doc(30, "Largest plausible household size (家庭人口数).")
    max_income: float = _doc(
        1_000_000.0, "Largest plausible per-capita income (yuan/year); above is refused as a typo."
    )
    min_income: float = _doc(
        -50_000.0, "Smallest plausible per-capita net income (business losses can make it negative)."
    )
    outside_county_share_refuse: float = _doc(
        0.5, "Refuse a point file when more than this share of its points lies outside the county (wrong CRS)."
    )
    border_tolerance_m: float = _doc(
        30.0, "A household point this close to its coded village is accepted as inside it (digitising error)."
    )
    county_buffer_m: float = _doc(2000.0, "Points within this distance of the county outline count as inside it.")
    same_county_overlap: float = _doc(
        0.5,
        "Appended villages of a county already stored must cover at least this share of their area with the stored "
        "villages of that county; less means another county under the same code, refused.",
    )
    earliest_year: int = _doc(1990, "Dates before this year are refused as typos (0224-03-05 for 2024-03-05).")
    latest_years_ahead: int = _doc(
        5, "Dates more than this many years after today are refused as typos (deadlines may lie ahead)."
    )
    max_upload_bytes: int = _doc(
        200 * 1024 * 1024,
        "Largest file accepted for import (bytes); only accounts that may open /data may send a callback this large "
        "(in base64); other requests have the smaller [limits].",
    )
    max_unzipped_bytes: int = _doc(2 * 1024**3, "Largest total uncompressed size of a zipped shapefile (bytes).")
    upload_keep_hours: float = _doc(24.0, "Files uploaded on /data and not imported are deleted after this many hours.")
    crs_hint_gain: float = _doc(
        0.05,
        "Suggest GCJ-02 (or BD-09) when reading the points so raises the share lying in their own village by more "
        "than this (phone-map points sit several hundred metres off).",
    )
    report_rows_shown: int = _doc(5000, "Problems listed on /data; the Excel download holds every one.")
    max_zip_ratio: float = _doc(
        100.0, "A zip unpacking to more than this many times its packed size is refused (bomb)."
    )


@dataclass(frozen=True)
class QualitySettings:
    """The data-quality view on /data: what counts as a problem to fix in a village's records."""

    stale_days: int = _doc(
        60, "A village whose household records were not added to or changed by any import for this many days is stale."
    )
    monitored_dates: tuple[str, ...] = _doc(
        ("risk_found_on", "identified_on", "entered_on"),
        "Dates every monitored household (监测对象) must carry; a missing one is a problem.",
    )
    case_dates: tuple[str, ...] = _doc(
        ("appraised_on", "deadline"), "Dates every C/D case (危房台账) must carry; a missing one is a problem."
    )


# The monitoring plan's routine indicators (limits-table codes): the 21 the seed county tests monthly at its 210
# sites, as the demo generates them (geodata/_demo_water.py ROUTINE); a disinfected supply adds a residual.
ROUTINE_INDICATORS = (
    "total_coliforms",
    "e_coli",
    "total_bacteria",
    "colour",
    "turbidity",
    "odour",
    "visible_matter",
    "ph",
    "permanganate_index",
    "ammonia",
    "fluoride",
    "nitrate",
    "arsenic",
    "iron",
    "manganese",
    "chloride",
    "sulfate",
    "tds",
    "hardness",
    "aluminium",
    "chromium_vi",
)
DISINFECTANT_RESIDUAL = "free_chlorine|total_chlorine|chlorine_dioxide|ozone"  # whichever the supply uses


@dataclass(frozen=True)
class WaterSettings:
    """How drinking-water test results are judged (limits themselves: ``geodata/data/gb5749_2022.csv``)."""

    window_days: int = _doc(90, "Samples taken in this many days up to --as-of count for the water indicators.")
    default_supply_type: str = _doc(
        "centralised",
        "Supply type (供水方式) of a result whose row gives none: centralised 集中式供水, small 小型集中式供水 "
        "(< 1 000 m³/d or < 10 000 people) or dispersed 分散式供水.",
    )
    default_supply_type_by_site_type: dict[str, str] = _doc(
        {"own_source": "dispersed"},
        "Supply type assumed by site type when the row gives none: own sources (自备水源) are usually dispersed "
        "supplies; map own_source to centralised to judge them by the strict limits.",
    )
    relaxed_supply_types: tuple[str, ...] = _doc(
        ("small", "dispersed"),
        "Supply types judged by the relaxed limit (small_max) where GB 5749-2022 Table 1 gives one for small "
        "centralised and dispersed supplies limited by source and treatment: total bacteria 500 CFU/mL, fluoride "
        "1.2 mg/L, nitrate (N) 20 mg/L, turbidity 3 NTU.",
    )
    plant_site_types: tuple[str, ...] = _doc(
        ("plant_outlet",),
        "Site types judged by the leaving-the-plant minimum of disinfectants (plant_min: free chlorine ≥ 0.3, "
        "total chlorine ≥ 0.5, chlorine dioxide ≥ 0.1 mg/L; ozone has none) instead of the tap minimum (出厂水).",
    )
    undisinfected_site_types: tuple[str, ...] = _doc(
        ("own_source",),
        "Site types whose water is not disinfected: never failed on a disinfectant minimum (未检出 free chlorine "
        "at a well); disinfectant maxima still apply. The water_tests layer has no disinfection column.",
    )
    window_days_by_site_type: dict[str, int] = _doc(
        {"own_source": 365},
        "Site types tested less often than monthly and the window their samples count in (分散式水源 yearly).",
    )
    sampling_months: int = _doc(
        1,
        "Monitoring plan: a site is sampled every this many calendar months (210 sites monthly); /data lists a "
        "site with no sample in the months up to --as-of.",
    )
    sampling_months_by_site_type: dict[str, int] = _doc(
        {"own_source": 12}, "Site types sampled less often and their interval in months (71 own sources yearly)."
    )
    plan_indicators_by_site_type: dict[str, list[str]] = _doc(
        {
            "plant_outlet": [*ROUTINE_INDICATORS, DISINFECTANT_RESIDUAL],
            "tap": [*ROUTINE_INDICATORS, DISINFECTANT_RESIDUAL],
            "own_source": list(ROUTINE_INDICATORS),
            "*": list(ROUTINE_INDICATORS),
        },
        "Monitoring plan: the indicators (codes of the limits table; a|b = either) every sample of a site type "
        "must carry to be complete (检测指标完整率); '*' for other or missing site types. Default: the 21 "
        "routine indicators tested monthly, plus a disinfectant residual where the water is disinfected. The 32- "
        "and 46-item full analyses (twice a year) are judged on every indicator they carry.",
    )
    limits_file: str = _doc("", "A replacement limits CSV (same columns as the shipped one); empty = shipped table.")


@dataclass(frozen=True)
class FundsSettings:
    """Expenditure schedule of 衔接资金 projects."""

    schedule: dict[str, float] = _doc(
        {"04-30": 0.30, "06-30": 0.50, "09-30": 0.75, "12-31": 1.00},
        "Cumulative share of the year's budget to be spent by each month-day (a step: the last date passed counts; "
        "seed 002, 旬邑县 2024: 4月底30%以上、6月底50%以上、9月底75%以上、12月底100%). Only projects of the "
        "--as-of year's funds (资金年度) count, so that a ledger of several years does not mix into the schedule.",
    )
    count_projects_without_year: bool = _doc(
        True,
        "Projects whose fund year (资金年度, the projects column year) is empty count as the --as-of year's (a "
        "ledger of one year often has no year column); false = only projects that name the year count.",
    )


@dataclass(frozen=True)
class HousingSettings:
    """Housing security (住房安全保障) and the C/D dangerous-house ledger (危房改造)."""

    insecure_grades: tuple[str, ...] = _doc(
        ("C", "D", "none"),
        "Household housing grades that lack housing security: C/D dangerous houses and none (无房户); seed 002: "
        "唯一住房经鉴定为C、D级或无房户 … 纳入农村危房改造计划.",
    )
    closed_stages: tuple[str, ...] = _doc(
        ("accepted",), "Stages that close a case (验收销号); with a subsidy_paid column the subsidy must be paid too."
    )
    built_stages: tuple[str, ...] = _doc(
        ("completed", "accepted"), "Stages that meet the construction deadline; other stages past it are overdue."
    )
    complete_by: str = _doc(
        "10-31",
        "Month-day by which a case without its own deadline must be built (seed 002: 10月底前全部竣工): in the "
        "year it was appraised, the next year when appraised after that day, the --as-of year without a date.",
    )
    accept_by: str = _doc(
        "11-30",
        "Month-day of the case's deadline year by which a built case must be accepted and its subsidy paid "
        "(seed 002: 11月底完成验收并兑付补助资金); later it is overdue too.",
    )


@dataclass(frozen=True)
class TeamSettings:
    """Village work teams (驻村工作队)."""

    days_per_year: int = _doc(220, "Days a team must spend in its village per year; pro-rated to --as-of.")
    checkin_target: float = _doc(0.98, "Target share of valid check-ins (打卡率).")
    grade_excellent: float = _doc(
        90.0,
        "Year-end score (年度考核得分, teams column year_score) at or above which a team is excellent (优秀); seed "
        "004: 考核结果分为“优秀”(90分以上)、“良好”(71分-89分)、“一般”(60-70分)、“差”(60分以下)四个等次.",
    )
    grade_good: float = _doc(71.0, "Year-end score at or above which a team is good (良好: 71–89).")
    grade_fair: float = _doc(
        60.0, "Year-end score at or above which a team is fair (一般: 60–70); below it, poor (差)."
    )
    rank_share: float = _doc(
        0.05,
        "Share of the county's teams named best and worst by the monthly score (月度考核得分), each end (seed 000, "
        "庄浪县: 按驻村帮扶工作队、帮扶队员人数的5%确定好、差比例): round(share × teams scored), at least 1; teams "
        "tied with the last one named are named too.",
    )


@dataclass(frozen=True)
class RoadSettings:
    """The road graph used for access distances and inspection routes."""

    speeds_kmh: dict[str, float] = _doc(
        {"county": 60.0, "township": 40.0, "village": 25.0, "track": 10.0},
        "Travel speed by road class on a hardened road (km/h).",
    )
    unhardened_factor: float = _doc(0.6, "Speed multiplier on unhardened (gravel, earth) roads.")
    offroad_kmh: float = _doc(4.0, "Walking speed from a point to the nearest road node (km/h).")
    snap_m: float = _doc(5.0, "Road end points closer than this (metres) are joined into one node.")


@dataclass(frozen=True)
class InspectionSettings:
    """Whom unannounced inspections (四不两直暗访) visit: the risk-weighted random draw."""

    exclude_days: int = _doc(
        14, "A team, village or household inspected in this many days before the date is not drawn."
    )
    teams_per_month: int = _doc(
        30,
        "Distinct work teams the county's inspectors aim to visit a month (seed 000, 庄浪县: 县级总队长每月暗访督查约"
        "30支驻村帮扶工作队): the target of the wall's 本月暗访 tile and, with the number of teams, the length of the "
        "draw's cycle.",
    )
    cycle_months: int = _doc(
        0,
        "Every team is visited at least once per cycle of this many calendar months, counted from 1 January (the "
        "last cycle of a year may be shorter). 0 = derived: teams ÷ teams_per_month, rounded up (81 teams: 3 "
        "months, 196 teams: 7), so that the monthly target covers every team once a cycle; 1 = every team every "
        "month.",
    )
    cycle_days: int = _doc(
        0, "N > 0: cycles of N days from 1 January instead of calendar months (cycle_months is then not used)."
    )
    inspection_weekdays: tuple[int, ...] = _doc(
        (0, 1, 2, 3, 4, 5, 6),
        "Weekdays (0 = Monday) inspectors go out; the days left in a cycle are counted on these to spread the "
        "teams not yet visited over them.",
    )
    villages_without_team: bool = _doc(True, "Villages without a work team may be drawn too (then only households).")
    cluster_km: float = _doc(
        3.0,
        "A day's stops are drawn around one area so its route fits the day: after the first stop is drawn, every "
        "other candidate's weight is multiplied by exp(−d / cluster_km), d its straight-line distance (km) from "
        "that stop. The first stop is drawn county-wide, so every area stays possible. 0 = no clustering.",
    )
    base_weight: float = _doc(
        0.25, "Weight every candidate has before risk is added, so that no eligible stop is certain to be skipped."
    )
    weights: dict[str, float] = _doc(
        {
            "checkin": 1.0,
            "days": 1.0,
            "since_inspected": 1.0,
            "open_findings": 1.5,
            "overdue_findings": 2.0,
            "unverified_findings": 1.0,
            "monitored_open": 1.0,
            "cd_open": 0.8,
            "water_failing": 0.8,
        },
        "Weight of each risk component of a stop (each scaled 0–1): check-in shortfall against the target, days in "
        "village short of those due, time since the last inspection, open findings, findings past their "
        "rectification deadline and not rectified (overdue, [findings] deadline_days), findings reported rectified "
        "but not yet verified by a follow-up visit (回访), open monitored households, open C/D cases, failing water "
        "samples in the water window. An overdue finding counts as open too, so it weighs open + overdue.",
    )
    full_scale: dict[str, float] = _doc(
        {
            "checkin": 0.10,
            "days": 0.20,
            "since_inspected": 60.0,
            "open_findings": 2.0,
            "overdue_findings": 1.0,
            "unverified_findings": 1.0,
            "monitored_open": 10.0,
            "cd_open": 3.0,
            "water_failing": 2.0,
        },
        "Value at which a component reaches 1: check-in shortfall, days shortfall (share of days due), days since "
        "the last inspection (never = full), open findings, overdue findings, unverified findings, open monitored "
        "households, open C/D cases, failing samples.",
    )
    households_per_stop: int = _doc(1, "Households drawn for a home visit at each stop (0 = teams only).")
    household_base_weight: float = _doc(0.1, "Weight of a household before its risk flags are added.")
    household_weights: dict[str, float] = _doc(
        {"monitored_open": 3.0, "cd": 2.0, "water_unsafe": 1.5, "education_gap": 1.5, "uninsured": 1.0, "poor": 1.0},
        "Weight added by each flag of a household: open monitoring, C/D house, unsafe water, education gap, "
        "not insured, income below the poverty line.",
    )


@dataclass(frozen=True)
class FindingSettings:
    """Inspection findings (暗访发现问题): their check categories and rectification deadlines (整改时限)."""

    categories: dict[str, str] = _doc(
        {
            "两不愁三保障": "two no-worries and three guarantees",
            "饮水安全": "drinking water safety",
            "住房安全": "housing safety",
            "监测帮扶": "monitoring and assistance",
            "驻村工作队": "work team attendance",
            "十清零": "the 10 清零 checks",
        },
        "The checks the county's inspectors file findings under (seed 000: 两不愁三保障, 饮水安全, 住房安全, "
        "防返贫监测帮扶, 驻村工作队在岗, 问题清零台账10项): Chinese label = English label. A finding's category is one "
        "of these (the Chinese or the English label); add a county's own in the TOML table.",
    )
    deadline_days: dict[str, int] = _doc(
        {},
        'Rectification deadline (整改时限) per category in days after the visit, e.g. {"饮水安全" = 7}; a category '
        "not named here, or a finding without one, gets default_deadline_days. A deadline typed with the finding "
        "(--deadline) wins.",
    )
    default_deadline_days: int = _doc(
        15, "Rectification deadline in days after the visit for a category without its own deadline_days."
    )


@dataclass(frozen=True)
class RouteSettings:
    """The day route of an inspection: road travel, time at each stop, the day's budget, the solver."""

    stops: int = _doc(8, "Stops drawn when --stops is not given (about what one day of road travel allows).")
    day_hours: float = _doc(8.0, "Time budget of one day (h): travel and service from leaving the start to the end.")
    day_start: str = _doc("08:30", "Clock time the inspector leaves the start (HH:MM); arrival times count from it.")
    return_to_start: bool = _doc(True, "The day ends back at the start (the budget includes the way back).")
    team_service_min: float = _doc(20.0, "Minutes at a stop with a work team (the 问题清零台账10项指标 checks).")
    village_service_min: float = _doc(15.0, "Minutes at a stop without a work team (village records).")
    household_service_min: float = _doc(10.0, "Minutes per household home visit at a stop.")
    max_days: int = _doc(7, "Most days one plan may span (--days).")
    road_margin_km: float = _doc(
        5.0,
        "In a store of several counties a county's plans use the roads and facilities within this distance of "
        "its villages' bounding box (km): a road just across the county line still counts, and one county's road "
        "graph is not built from the whole city or province.",
    )
    max_stops: int = _doc(120, "Most stops one plan may draw (--stops).")
    start_lonlat: str = _doc(
        "", "Default start as 'lon,lat' (CGCS2000); empty = the county seat's township government (see seat_town)."
    )
    seat_town: str = _doc(
        "",
        "Town code of the county seat (县城); empty = the lowest town code (城关镇 or a 街道 comes first). Its "
        "township government facility is the default start.",
    )
    time_limit_s: float = _doc(
        1.0, "Longest the OR-Tools guided local search of a plan may run (s); most plans stop earlier (patience_s)."
    )
    patience_s: float = _doc(
        0.05,
        "The route search stops once it has found nothing better for this long (s), before time_limit_s. "
        "bench/bench_route.py measures plan time and the gap to LKH-3 against it.",
    )
    polish_min_stops: int = _doc(
        12,
        "A day of at least this many stops has its order searched again from a second start (Christofides), "
        "with the same patience; the shorter order is kept. One-day plans of about 8 stops are already at the "
        "best known tour; long days and tours gain (bench/bench_route.py). Days of 3 × this many stops also try "
        "savings and local cheapest insertion starts.",
    )
    overnight_rounds: int = _doc(
        2,
        "Overnight trips (--overnight): how many times the nights' township seats are chosen again from the days "
        "just routed and the days routed again from and to them; the best round is kept.",
    )
    unreachable_kmh: float = _doc(
        2.0, "Speed charged between places the road graph does not connect (straight line): effectively 'do not go'."
    )


@dataclass(frozen=True)
class FieldSettings:
    """The field pack (/field/<plan_id>/): the offline page and map an inspector carries on the phone for a trip."""

    margin_km: float = _doc(
        3.0, "Roads and village outlines this far beyond the box of a plan's stops and paths go into its field pack."
    )
    simplify_m: float = _doc(
        10.0, "Roads in the field pack are simplified to this tolerance (m): smaller packs, the same road network."
    )
    network_wait_s: float = _doc(
        4.0,
        "On a weak signal the field pack waits this long (s) for the server before it shows the copy kept on the "
        "phone (a fresh copy still replaces it when the server answers later).",
    )
    arrival_tolerance_m: float = _doc(
        500.0,
        "An arrival (到达) recorded on the phone farther than this (m) from the stop's village outline is kept and "
        "flagged (位置偏离), never refused: the phone's position may be poor, or the team met elsewhere.",
    )
    photo_max_side_px: int = _doc(
        1600, "Photos taken in the field pack are resized on the phone to at most this many pixels on the long side."
    )
    photo_quality: float = _doc(
        0.8, "JPEG quality (0–1) of the photos resized on the phone; with photo_max_side_px it sets their size."
    )


@dataclass(frozen=True)
class RiskSettings:
    """The composite village risk index (0–100): weighted mean of components, each scaled 0–100."""

    weights: dict[str, float] = _doc(
        {
            "monitoring": 0.20,
            "poverty": 0.15,
            "housing": 0.15,
            "water_quality": 0.10,
            "water_supply": 0.10,
            "access": 0.10,
            "funds": 0.08,
            "team": 0.07,
            "timeliness": 0.05,
            "plans": 0.0,
        },
        "Weight of each component; components a unit lacks (no team, no samples) are left out, weights renormalised. "
        "plans (overdue 一村一策 tasks) weighs 0 by default, so the index stays as it was before the plans layer; "
        "give it a weight to let villages behind on their plans rise in risk. A component of weight 0 is shown "
        "but never counted, nor named a unit's top component.",
    )
    full_scale: dict[str, float] = _doc(
        {
            "monitoring": 0.10,
            "poverty": 0.30,
            "housing": 0.02,
            "water_quality": 0.30,
            "water_supply": 0.05,
            "access": 15.0,
            "funds": 0.30,
            "team": 0.30,
            "timeliness": 0.30,
            "plans": 0.30,
        },
        "Value at which a component reaches 100: open monitored share, poverty incidence, (C/D or no house + "
        "overdue cases) per household, failing-sample rate, unsafe-water share, km to clinic, spend shortfall against "
        "schedule, team shortfall (check-in or days), share of late identification/entry, share of active 一村一策 "
        "tasks overdue.",
    )
    red_threshold: float = _doc(60.0, "Units with a risk index at or above this are red on the wall screen.")


@dataclass(frozen=True)
class PlanSettings:
    """一村一策 and 一户一法: how plan progress is summed up."""

    panel_tasks: int = _doc(
        30, "Tasks listed in the /map panel: a village's tasks (overdue first), or a township's overdue ones."
    )
    weight_by_budget: bool = _doc(
        True,
        "Plan progress (plan_progress) is the mean of the active tasks' progress weighted by their budget (资金); "
        "a task without a budget weighs the median budget of its county's budgeted tasks, and a county with no "
        "budgets at all takes the plain mean. False = every task weighs the same.",
    )


@dataclass(frozen=True)
class MapSettings:
    """Basemaps, and the class breaks of the map indicators classed by fixed lines (the others use quantiles).

    The default basemap draws only the project's own layers, so it works with no internet. A
    ``breaks_<indicator>`` list holds upper bounds of classes in the indicator's own unit; where a
    policy line exists (一高, the check-in target, the red risk threshold) it is always one more
    break, taken from its own setting, so that moving the line moves the map's classes too.
    """

    basemap: str = _doc(
        "none",
        "none (offline: own vector layers on a plain background), tianditu (needs tianditu_key), osm, or amap "
        "(GCJ-02 tiles: every layer is shifted to GCJ-02 so that it lines up).",
    )
    tianditu_key: str = _doc("", "Tianditu browser key (tk); tiles are fetched by the user's browser.")
    tianditu_layer: str = _doc("vec", "Tianditu layer: vec (vector), img (imagery) or ter (terrain).")
    tile_urls: dict[str, str] = _doc(
        {
            "tianditu": "https://t{s}.tianditu.gov.cn/DataServer?T={layer}_w&x={x}&y={y}&l={z}&tk={key}",
            "osm": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "amap": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=7&x={x}&y={y}&z={z}",
        },
        "Tile URL templates; {s} is replaced by each server number, {layer} and {key} from the settings above.",
    )
    breaks_risk_index: tuple[float, ...] = _doc(
        (20.0, 40.0, 80.0), "Class breaks of the composite risk index (points 0–100), besides [risk] red_threshold."
    )
    breaks_poverty_incidence: tuple[float, ...] = _doc(
        (0.01, 0.03, 0.10),
        "Class breaks of poverty incidence (share of persons), besides [poverty] poor_village_incidence (一高).",
    )
    breaks_spend_gap: tuple[float, ...] = _doc(
        (0.0, 0.05, 0.10, 0.20),
        "Class breaks of spending behind schedule (share of the budget: 0.05 = 5 points behind; ≤ 0 is on time).",
    )
    breaks_team_checkin_rate: tuple[float, ...] = _doc(
        (0.85, 0.90, 0.95), "Class breaks of the work teams' check-in rate (share), besides [teams] checkin_target."
    )


@dataclass(frozen=True)
class WallSettings:
    """The wall-screen battle map (作战图): rotation, refresh, staleness and the targets its tiles show."""

    rotation_seconds: int = _doc(20, "Seconds each indicator stays on the wall before the next one (0 = no rotation).")
    refresh_seconds: int = _doc(30, "How often the wall checks the store for new data (seconds).")
    stale_days: int = _doc(7, "Data whose last import or build is older than this many days are flagged stale.")
    indicators: tuple[str, ...] = _doc(
        (
            "risk_index",
            "monitored_open_households",
            "cd_cases_overdue",
            "water_fail_rate",
            "water_unsafe_households",
            "spend_gap",
            "team_checkin_rate",
        ),
        "Map indicators the wall rotates through (keys of the /map layer catalog).",
    )
    aliases: dict[str, str] = _doc(
        {
            "risk": "risk_index",
            "monitoring": "monitored_open_households",
            "housing": "cd_cases_overdue",
            "water": "water_fail_rate",
            "water_supply": "water_unsafe_households",
            "funds": "spend_gap",
            "teams": "team_checkin_rate",
            "poor": "poor_villages",
        },
        "Short names accepted in the URL (/wall?indicator=water) for catalog keys.",
    )
    level: str = _doc("village", "Units of the wall map: village or town.")
    red_list_length: int = _doc(10, "Villages on the red list (most at risk first).")
    compare_days: int = _doc(
        30,
        "The teams-inspected tile compares this month so far with the same span this many days earlier (the "
        "other tiles compare with the end of the previous month).",
    )
    sparkline_months: int = _doc(12, "Month-end snapshots each tile's trend line shows (the newest ones).")
    water_pass_target: float = _doc(0.95, "Target share of water samples passing GB 5749-2022 in the window.")
    cd_plan: int = _doc(0, "C/D houses to close (销号) this year; 0 = every case whose deadline falls in the year.")
    cd_close_by: str = _doc("11-30", "Month-day by which this year's C/D cases are to be accepted and closed.")
    warn_share: float = _doc(0.9, "A tile is amber (not red) when its progress reaches this share of the target.")


@dataclass(frozen=True)
class AuthSettings:
    """Accounts and sessions: password rules, login throttling, session length, reveals of personal data."""

    min_password_length: int = _doc(12, "Shortest password accepted by `battlemap users add/reset`.")
    max_failures_per_address: int = _doc(20, "Failed logins from one IP address within the window before it is paused.")
    failure_window_minutes: int = _doc(15, "Window (minutes) over which failed logins are counted; also the pause.")
    delay_free_failures: int = _doc(
        3, "Failed logins for one account from one address before each further attempt must wait (typos are free)."
    )
    delay_first_s: float = _doc(
        2.0, "The first wait (seconds) after the free failures; it doubles with every further failure."
    )
    delay_max_minutes: float = _doc(
        15.0, "The longest wait between attempts for one account from one address (minutes); never a hard lock."
    )
    delay_forget_hours: float = _doc(
        24.0, "An account and address with no failed login for this long start again without a wait (hours)."
    )
    refusal_name_chars: int = _doc(
        32, "Refused logins are counted per name prefix of this many characters (longer names are cut)."
    )
    refusal_window_minutes: int = _doc(
        15, "Refused logins are counted per name prefix, address and window of this many minutes (one row each)."
    )
    refusal_keep_days: int = _doc(180, "Counts of refused logins older than this many days are deleted.")
    attack_failures: int = _doc(
        20, "/audit warns that an account is under attack at this many refused logins within the failure window…"
    )
    attack_addresses: int = _doc(
        3, "/audit warns of an attack on an account only when its refused logins come from this many addresses."
    )
    session_hours: float = _doc(12.0, "A login lasts this long (one working day), then the user logs in again.")
    session_idle_minutes: float = _doc(
        60.0, "A login with no request for this long ends (minutes); the wall's refresh keeps a wall login alive."
    )
    session_touch_s: int = _doc(
        60, "A session's last-request time is written at most this often (seconds): the idle limit's precision."
    )
    kiosk_idle_hours: float = _doc(
        12.0, "A wall screen's kiosk session with no request for this long ends (hours); its link opens a new one."
    )
    argon2_time_cost: int = _doc(3, "Argon2id passes over memory (argon2-cffi default; RFC 9106 low-memory profile).")
    argon2_memory_kib: int = _doc(65536, "Argon2id memory per hash in KiB (64 MiB).")
    min_reason_length: int = _doc(4, "Shortest reason an admin must state to reveal a household's personal data.")
    audit_page_rows: int = _doc(500, "Newest audit entries shown on /audit.")
    trusted_proxies: int = _doc(
        0, "Reverse proxies in front of the app (nginx = 1): their X-Forwarded-For/-Proto are believed, others not."
    )


@dataclass(frozen=True)
class ServerSettings:
    """The production web server (gunicorn): processes, threads, time limits and the cache its workers share."""

    workers: int = _doc(
        2, "Worker processes under gunicorn; callbacks are CPU-bound Python, so about one per core is right."
    )
    threads: int = _doc(
        8, "Threads per worker (gthread): requests waiting for the disk, the database or the shared cache's lock."
    )
    timeout_s: int = _doc(
        120, "A worker silent this long is restarted; above the slowest first-time computation (site model, build)."
    )
    graceful_timeout_s: int = _doc(30, "On restart or stop, requests in flight get this long to finish (seconds).")
    keepalive_s: int = _doc(
        75,
        "An idle browser connection stays open this long (seconds); longer than the wall's 30 s refresh and a "
        "user's pause between clicks, else a request can meet a connection the server is just closing.",
    )
    solver_processes: int = _doc(
        1,
        "Processes per server worker that run the route solver: OR-Tools holds Python's lock while it searches, "
        "which in a request thread stalls the worker's other requests (0 = search in the request thread).",
    )
    shared_cache: bool = _doc(
        True, "Workers share computed layers (indicators, records, map views) through an on-disk cache."
    )
    shared_cache_dir: str = _doc(
        "",
        "Directory of the shared cache, writable only by the server's user (entries are pickles); "
        "empty = the store's sidecar NAME.cache (beside a GeoPackage; in [store] state_dir for PostGIS).",
    )
    shared_cache_mb: int = _doc(
        4096,
        "Size limit of the shared cache (MB); entries of older store versions are dropped first, then the least "
        "recently stored. A city of 12 counties filled 1 GB (month series and snapshots alone 0.6 GB) and its "
        "record tables were dropped first.",
    )
    warm_views: int = _doc(
        4000,
        "/map views (with their unit panels) built in the background once the server answers (the top view is "
        "built before), then the counties, townships and villages in code order; a larger store builds the rest "
        "on their first click. A city's ~3,500 villages fit (about 0.45 s of CPU and 80 kB of shared cache each: "
        "half an hour at nice 10, 300 MB); a province's 16,000 would take hours.",
    )
    warm_wall_screens: int = _doc(
        4,
        "`battlemap warm` also builds the wall of every rotation indicator for the last this many map sizes and "
        "languages the wall screens reported (a wall is built for the pixel size of its screen); 0 = none.",
    )
    rewarm_quiet_seconds: int = _doc(
        120,
        "A production server builds its views again in the background after the store's version changes (an "
        "import, a build, midnight: ageing measures move with the date) once it has stayed the same this long "
        "(seconds; an import's indicator rebuild finishes first); 0 = warm once at start only.",
    )


@dataclass(frozen=True)
class SiteSettings:
    """Relocation site selection (易地搬迁安置点选址): who moves, how big a site is, criteria, constraints.

    Each criterion's value function is a linear ramp from 1 (at or below ``full``) to 0
    (at or beyond ``zero``) of its measure; ``value_ramps`` holds (full, zero) per criterion.
    """

    cell_m: float = _doc(100.0, "Side of a suitability grid cell (metres, in the county's Gauss-Krüger zone).")
    housing_m2_per_person: float = _doc(
        25.0,
        "Housing land per relocated person (m²): the cap of 25 m² per person for relocated 建档立卡 households "
        "(《全国“十三五”易地扶贫搬迁规划》, 2016: 人均住房建设面积不超过25平方米); a household's plot is its members "
        "times this.",
    )
    public_share: float = _doc(
        0.4, "Extra land for roads, squares and public buildings, as a share of the households' plots (公共配套)."
    )
    slope_limit_deg: float = _doc(25.0, "Ground steeper than this (degrees) is never suitable (坡度上限).")
    hazard_buffer_m: float = _doc(200.0, "Cells closer than this to a hazard zone are never suitable (避让距离).")
    hazard_levels: tuple[str, ...] = _doc(
        ("high", "medium", "low"), "Hazard levels whose zones (plus the buffer) exclude a site."
    )
    weights: dict[str, float] = _doc(
        {
            "road": 0.20,
            "township": 0.10,
            "school": 0.15,
            "clinic": 0.15,
            "water": 0.10,
            "slope": 0.15,
            "origin": 0.10,
            "elevation": 0.05,
        },
        "Default weight of each criterion (normalised to sum 1): road distance to a hardened road, to the nearest "
        "township seat, school, clinic/health centre and water plant; slope; households-weighted road "
        "distance from the origin villages; elevation change from the origin.",
    )
    value_ramps: dict[str, list[float]] = _doc(
        {
            "road": [0.2, 3.0],
            "township": [2.0, 25.0],
            "school": [1.0, 12.0],
            "clinic": [0.5, 8.0],
            "water": [2.0, 20.0],
            "slope": [5.0, 25.0],
            "origin": [3.0, 30.0],
            "elevation": [50.0, 400.0],
        },
        "Value function of each criterion as [full, zero]: value 1 at or below full, 0 at or beyond zero, linear "
        "between. Units: road km for the five distances and origin, degrees for slope, metres for elevation change.",
    )
    top_k: int = _doc(5, "Number of candidate sites proposed.")
    max_top_k: int = _doc(10, "Most candidate sites the /sites page lets a planner ask for (its map has a slot each).")
    ahp_cr_limit: float = _doc(
        0.1, "Largest AHP consistency ratio accepted for pairwise judgements (Saaty's 0.1); above it they are refused."
    )
    page_households: int = _doc(
        120, "Households the /sites page starts with (the rule's first N by priority); the planner changes it there."
    )
    compactness: float = _doc(
        0.05,
        "How much suitability (0–1) a site gives up per site-width from its centre as it grows over the best "
        "cells: higher gives rounder sites, 0 lets a site snake along a ridge of good cells.",
    )
    gap_m: float = _doc(
        1000.0, "Least distance between two candidate sites (metres), so that they are real alternatives."
    )
    move_hazard_levels: tuple[str, ...] = _doc(
        ("high",), "Rule: households inside hazard zones of these levels are proposed for relocation."
    )
    move_service_km: float = _doc(
        10.0, "Rule: households farther than this by road from the nearest clinic or school are proposed (km)."
    )
    move_statuses: tuple[str, ...] = _doc(
        ("lifted", "monitored"),
        "Rule: households of these statuses (脱贫户, 监测对象) are proposed for their house (move_housing_grades); "
        "empty = any status.",
    )
    move_housing_grades: tuple[str, ...] = _doc(
        ("D", "none"),
        "Rule: households of move_statuses with no house (none, 无房户) or a house of these grades that cannot be "
        "rebuilt in place are proposed.",
    )
    unrebuildable_slope_deg: float = _doc(
        25.0, "A house cannot be rebuilt in place when it stands in any hazard zone or on ground steeper than this."
    )
    sensitivity_method: str = _doc(
        "dirichlet",
        "How rank robustness draws weights around the chosen ones: 'dirichlet' (default; weights drawn from a "
        "Dirichlet centred on them, spread by sensitivity_spread; works for slider weights) or 'saaty' (every AHP "
        "pairwise judgement moved one step down, none or up on Saaty's 1-9 scale, weights the principal eigenvector).",
    )
    sensitivity_spread: float = _doc(
        0.2,
        "Dirichlet draws: one standard deviation of a weight of average size (1/number of criteria), as a share of "
        "it (0.2 = ±20 %).",
    )
    sensitivity_draws: int = _doc(
        500, "Weight vectors drawn for rank robustness on /sites (the command's --sensitivity N)."
    )
    max_sensitivity_draws: int = _doc(20000, "Most weight vectors a robustness run may draw (page and command).")
    sensitivity_pool: int = _doc(
        20,
        "Candidate areas ranked in every robustness draw: the sites shown plus further non-overlapping alternatives "
        "on the same surface, so that a site outside the shown ones can take first place.",
    )
    sensitivity_seed: int = _doc(2024, "Seed of the robustness draws (the same weights give the same shares).")
    assignment_margin: float = _doc(
        0.25,
        "With K sites chosen together, each candidate is sized for (1 + margin) × movers / K households, so that "
        "the assignment has room to keep whole villages together.",
    )
    assignment_time_limit_s: float = _doc(
        10.0, "Longest the CP-SAT solver may search for the assignment of movers to sites (seconds)."
    )


@dataclass(frozen=True)
class PrintSettings:
    """Printed documents: the wall poster (挂图) and the monthly bulletin (月通报).

    PDFs embed the Chinese font named here (a CFF-outline OpenType collection such as Debian's
    fonts-noto-cjk works: fpdf2 embeds it as CIDFontType0C); PNGs are the PDF page rasterised.
    """

    font_regular: str = _doc(
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "Font file of the documents' text (.ttc/.otf/.ttf with Chinese glyphs; Debian package fonts-noto-cjk).",
    )
    font_bold: str = _doc(
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "Font file of titles and township labels."
    )
    font_face: str = _doc(
        "Noto Sans CJK SC", "Face taken from a font collection (.ttc): simplified-Chinese glyph forms."
    )
    county_name: str = _doc(
        "", "The county's name on titles; empty = the name in the regions layer, else the county code."
    )
    issuer: str = _doc("乡村振兴领导小组办公室", "Who issues the bulletin (after the county name in its title block).")
    document_number: str = _doc(
        "〔{year}〕第　　号",
        "Document-number placeholder (文号) of the bulletin; {year} is filled, the office types the rest.",
    )
    png_dpi: int = _doc(300, "Resolution of a PNG poster (dots per inch).")
    image_dpi: int = _doc(200, "Resolution of the maps inserted into the Word bulletin (dots per inch).")
    rank_list_length: int = _doc(
        3,
        "Townships named at each end of the bulletin's 红黑榜 (best by lowest composite risk index, worst by highest).",
    )
    rectify_days: int = _doc(
        30,
        "Rectification deadline (整改时限) of an inspection finding, in days after the visit, where none is recorded.",
    )
    page_paper: str = _doc("A1", "Paper of the poster downloaded from /map (A0–A3; the command takes --paper).")
    bulletin_layer: str = _doc(
        "risk_index", "Indicator of the bulletin's county map and change map (a key of the /map layer catalog)."
    )


@dataclass(frozen=True)
class LimitSettings:
    """Sizes the web app accepts before doing any work: request bodies, JSON nesting, typed text, cache entries.

    A body over its limit is answered 413 before it is read; text over its limit is refused
    with a message where it would be stored (never cut short); the in-memory caches keyed by
    what a browser asks for keep only their most recently used entries.
    """

    callback_body_bytes: int = _doc(
        2 * 1024 * 1024, "Largest body of a Dash callback request (bytes); uploads on /data are allowed more."
    )
    login_body_bytes: int = _doc(16 * 1024, "Largest body of a login or logout form (bytes).")
    other_body_bytes: int = _doc(64 * 1024, "Largest body of any other request (bytes).")
    json_depth: int = _doc(
        100, "Deepest nesting of brackets in a callback's JSON body; deeper is refused (400) before it is parsed."
    )
    short_text_chars: int = _doc(200, "Longest one-line text box (route start point, audit filters), in characters.")
    finding_chars: int = _doc(2000, "Longest inspection finding (暗访发现问题) typed in on /route, in characters.")
    reason_chars: int = _doc(500, "Longest reason an admin gives to reveal a household's personal data (characters).")
    task_note_chars: int = _doc(
        1000, "Longest note on a 一村一策 task's progress report typed in on /map (characters)."
    )
    step_note_chars: int = _doc(
        2000, "Longest note on a finding's rectification step (what the township did, 整改情况), in characters."
    )
    photo_bytes: int = _doc(
        1024 * 1024,
        "Largest photo attached to a task's progress report or a finding's rectification step (bytes, JPEG or "
        "PNG); it travels base64-encoded in a "
        "callback body, so it stays under callback_body_bytes.",
    )
    label_chars: int = _doc(100, "Longest label of a kiosk token (the wall screen's name), in characters.")
    household_ids_chars: int = _doc(
        4000, "Longest list of household IDs typed into the add/drop boxes on /sites, in characters."
    )
    site_capacities_chars: int = _doc(500, "Longest list of site capacities (S1=80, …) typed on /sites, in characters.")
    wall_cache_entries: int = _doc(
        64, "Wall pages (indicator, language, screen size) kept in memory; the least recently used go first."
    )
    view_cache_entries: int = _doc(
        2000, "/map views and unit panels kept in memory (the county's villages fit); the least recently used go first."
    )


@dataclass(frozen=True)
class StoreSettings:
    """Where a PostGIS store keeps what stays in local files."""

    state_dir: str = _doc(
        "data/state",
        "Folder for the local files of a PostGIS store: the private SQLite file (accounts, route plans, "
        "audit log), job status and uploads. A GeoPackage store keeps them beside its file instead.",
    )


@dataclass(frozen=True)
class ClusterSettings:
    """How `battlemap build --engine dask --scheduler ADDRESS` waits for a dask cluster on other machines."""

    connect_timeout_s: float = _doc(
        20.0, "Seconds to reach the dask scheduler at --scheduler before the build stops with an error (exit 2)."
    )
    worker_wait_s: float = _doc(
        60.0,
        "Seconds to wait for the first `dask worker` to join the scheduler before the build stops with an error "
        "(a scheduler without workers would wait forever).",
    )
    context_margin_km: float = _doc(
        30.0,
        "Kilometres around a county's villages within which a dask worker reads roads, facilities and hazards: "
        "the nearest school or clinic, and the road to it, may lie in the next county, as the whole-store build "
        "sees them.",
    )


@dataclass(frozen=True)
class Settings:
    """All settings; see each group for the policy numbers it holds."""

    poverty: PovertySettings = field(default_factory=PovertySettings)
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)
    timeliness: TimelinessSettings = field(default_factory=TimelinessSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    water: WaterSettings = field(default_factory=WaterSettings)
    funds: FundsSettings = field(default_factory=FundsSettings)
    housing: HousingSettings = field(default_factory=HousingSettings)
    teams: TeamSettings = field(default_factory=TeamSettings)
    roads: RoadSettings = field(default_factory=RoadSettings)
    risk: RiskSettings = field(default_factory=RiskSettings)
    plans: PlanSettings = field(default_factory=PlanSettings)
    inspection: InspectionSettings = field(default_factory=InspectionSettings)
    findings: FindingSettings = field(default_factory=FindingSettings)
    route: RouteSettings = field(default_factory=RouteSettings)
    field_pack: FieldSettings = field(default_factory=FieldSettings)
    map: MapSettings = field(default_factory=MapSettings)
    wall: WallSettings = field(default_factory=WallSettings)
    sites: SiteSettings = field(default_factory=SiteSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    cluster: ClusterSettings = field(default_factory=ClusterSettings)
    print: PrintSettings = field(default_factory=PrintSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    default_store: str = _doc("data/battlemap.gpkg", "Store used when neither --store nor BATTLEMAP_STORE is given.")
    demo_seed: int = _doc(2026, "Seed of the demo county written on first run.")
    demo_history_months: int = _doc(
        12, "Month-end snapshots (`battlemap history`) written with the demo county: the months before its date."
    )

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with top-level fields or whole groups replaced."""
        return dataclasses.replace(self, **changes)


_PINNED: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("battlemap_settings", default=None)


def pin_settings() -> None:
    """Read the settings once for the rest of this thread's work (a web request) until :func:`unpin_settings`.

    A request asks for them dozens of times; each look at the file is a system call that
    gives up the interpreter lock, and under load getting it back waits for other threads.
    """
    _PINNED.set(None)
    _PINNED.set(get_settings())


def unpin_settings() -> None:
    """Look at the settings file again on every :func:`get_settings` (the request is over)."""
    _PINNED.set(None)


def get_settings() -> Settings:
    """Current settings: defaults overlaid with the TOML file, re-read when the file changes.

    The file is looked at with one ``stat`` call, and not at all while a request pinned them.
    """
    pinned = _PINNED.get()
    if pinned is not None:
        return pinned
    named = os.environ.get("BATTLEMAP_SETTINGS")
    name = named or "battlemap.toml"
    try:
        mtime = os.stat(name).st_mtime_ns
    except OSError:  # no local file: the defaults; a named file that is missing: load_settings says so
        return _load_cached(named, 0)
    return _load_cached(name, mtime)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str | None, _mtime: int) -> Settings:
    """Settings for a (path, modification time) pair; a changed file gives a new key."""
    return load_settings(path)


def load_settings(path: str | Path | None) -> Settings:
    """Read a TOML file into :class:`Settings`; ``None`` gives the defaults."""
    if path is None:
        return Settings()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"settings file {path} cannot be read: {exc}"
        raise InputError(msg) from exc
    return _from_mapping(Settings, raw, where=str(path))


def settings_from_json(text: str) -> Settings:
    """The settings a stored table was computed with (its ``settings`` column) back as :class:`Settings`.

    Raises :class:`geodata._errors.InputError` when they name a setting this version no longer has.
    """
    return _from_mapping(Settings, json.loads(text), where="the stored settings")


def _from_mapping(cls: type, raw: dict[str, Any], *, where: str) -> Any:
    """Build dataclass ``cls`` from a TOML table, refusing unknown keys and wrong types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        msg = f"{where}: unknown setting(s) {unknown}; known: {sorted(fields)}"
        raise InputError(msg)
    values: dict[str, Any] = {}
    for name, value in raw.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            values[name] = _from_mapping(type(default), value, where=f"{where} [{name}]")
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                msg = f"{where}: setting {name!r} must be a table, got {value!r}"
                raise InputError(msg)
            values[name] = {**default, **value}  # a TOML table overrides single entries
        elif isinstance(default, tuple):
            values[name] = tuple(value) if isinstance(value, list) else (value,)
        elif isinstance(default, (int, float)) and not isinstance(value, (int, float)):
            msg = f"{where}: setting {name!r} must be a number, got {value!r}"
            raise InputError(msg)
        else:
            values[name] = type(default)(value) if isinstance(default, (int, float, str)) else value
    return cls(**values)


def describe_settings(settings: Settings | None = None) -> list[tuple[str, Any, str]]:
    """Every setting as (dotted name, current value, documentation), for docs and the CLI."""
    settings = settings or get_settings()
    rows: list[tuple[str, Any, str]] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
            else:
                rows.append((prefix + f.name, value, f.metadata.get("doc", "")))

    walk(settings, "")
    return rows
