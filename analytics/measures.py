"""What every indicator counts: one table of definitions shared by computing and explaining.

A *count* is the number of rows of a record table where a flag is true; a *total* sums
a column; a *ratio* divides two of them. Because every level (village, township,
county) is a group-by of the same records, township and county figures are sums of
counts and ratios of sums — never means of village rates.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """``name`` = sum over ``table`` rows of ``column`` (a flag counts rows where it is true)."""

    name: str
    table: str
    column: str
    zh: str
    en: str
    integer: bool = True  # counts and persons are whole numbers; money, km and metres are not
    layer: str | None = None  # the optional input layer it needs, when not that of its table (SOURCE_LAYER)
    columns: tuple[str, ...] = ()  # optional input columns it is read from: unknown where a county has none of them
    keep_unknown: bool = False  # a unit none of whose rows has a value is unknown (NaN), not 0


@dataclass(frozen=True)
class Ratio:
    """``name`` = ``numerator`` ÷ ``denominator`` (two measures); explained by the numerator's rows."""

    name: str
    numerator: str
    denominator: str
    zh: str
    en: str


INCOME = ("per_capita_income",)
# What makes a household not monitored a suspected missed one: its income, the guarantees and a clue's date.
AT_RISK = (*INCOME, "food_ok", "clothing_ok", "education_ok", "medical_insured", "housing_grade", "water_safe")
ELIMINATED = ("risk_eliminated",)
GRADE = ("housing_grade",)

MEASURES = [
    Measure("villages", "villages", "one", "行政村数", "villages"),
    Measure("population", "villages", "population", "户籍人口", "registered population", keep_unknown=True),
    Measure(
        "collective_income",
        "villages",
        "collective_income",
        "村集体经济收入",
        "collective income",
        integer=False,
        keep_unknown=True,
    ),
    Measure("incidence_base", "villages", "incidence_base", "贫困发生率分母人数", "persons incidence is taken over"),
    Measure(
        "incidence_population_villages",
        "villages",
        "base_population",
        "按户籍人口计发生率的村数",
        "villages with incidence over registered population",
    ),
    Measure(
        "incidence_persons_villages",
        "villages",
        "base_persons",
        "按记录人数计发生率的村数",
        "villages with incidence over persons recorded",
    ),
    Measure("households", "households", "one", "户数", "households"),
    Measure("persons", "households", "members", "人口数", "persons"),
    Measure("monitored_households", "households", "monitored", "监测对象户数", "monitored households"),
    Measure(
        "monitored_open_households",
        "households",
        "monitored_open",
        "风险未消除户数",
        "monitored, risk open (doubtful eliminations included)",
        columns=ELIMINATED,
    ),
    Measure(
        "monitored_eliminated_households",
        "households",
        "monitored_eliminated",
        "风险已消除户数",
        "monitored, risk eliminated with its conditions met",
        columns=ELIMINATED,
    ),
    Measure(
        "elimination_doubtful_households",
        "households",
        "elimination_doubtful",
        "消除存疑户数",
        "marked eliminated, but income below the line or a guarantee failing",
        columns=ELIMINATED,
    ),
    Measure(
        "monitored_without_helper_households",
        "households",
        "without_helper",
        "无帮扶责任人监测户数",
        "monitored, no helper",
        columns=("helper",),
    ),
    Measure("monitored_persons", "households", "monitored_persons", "监测对象人数", "monitored persons"),
    Measure(
        "poverty_line_households",
        "households",
        "poor",
        "低于贫困线户数",
        "households under the poverty line",
        columns=INCOME,
    ),
    Measure(
        "poverty_line_persons",
        "households",
        "poor_persons",
        "低于贫困线人数",
        "persons under the poverty line",
        columns=INCOME,
    ),
    Measure(
        "national_line_households",
        "households",
        "national_poor",
        "低于国家扶贫标准户数",
        "households under the national line",
        columns=INCOME,
    ),
    Measure(
        "national_line_persons",
        "households",
        "national_poor_persons",
        "低于国家扶贫标准人数",
        "persons under the national line",
        columns=INCOME,
    ),
    Measure(
        "unmonitored_at_risk_households",
        "households",
        "unmonitored_at_risk",
        "疑似应纳未纳户数",
        "not monitored, at risk (income net of rigid spending, guarantees) or clue overdue",
        columns=(*AT_RISK, "risk_found_on"),
    ),
    Measure(
        "clue_overdue_households",
        "households",
        "clue_overdue",
        "线索超期未识别户数",
        "risk clue not identified in time",
        columns=("risk_found_on",),
    ),
    Measure(
        "income_total",
        "households",
        "income_x_members",
        "纯收入合计",
        "net income total",
        integer=False,
        columns=INCOME,
    ),
    Measure(
        "income_persons",
        "households",
        "income_known_persons",
        "有收入记录人数",
        "persons with income",
        columns=INCOME,
    ),
    Measure(
        "food_gap_households",
        "households",
        "food_gap",
        "吃饭未保障户数",
        "food not secured",
        columns=("food_ok",),
    ),
    Measure(
        "clothing_gap_households",
        "households",
        "clothing_gap",
        "穿衣未保障户数",
        "clothing not secured",
        columns=("clothing_ok",),
    ),
    Measure(
        "education_gap_households",
        "households",
        "education_gap",
        "义务教育未保障户数",
        "education not secured",
        columns=("education_ok",),
    ),
    Measure(
        "uninsured_households",
        "households",
        "uninsured",
        "未参保户数",
        "without medical insurance",
        columns=("medical_insured",),
    ),
    Measure("cd_households", "households", "cd", "C/D级危房户数", "C/D-grade houses", columns=GRADE),
    Measure("no_house_households", "households", "no_house", "无房户数", "households without a house", columns=GRADE),
    Measure(
        "housing_insecure_households",
        "households",
        "housing_insecure",
        "住房安全未保障户数",
        "housing not secured (C/D or no house)",
        columns=GRADE,
    ),
    Measure(
        "water_unsafe_households",
        "households",
        "water_unsafe",
        "饮水不安全户数",
        "unsafe drinking water",
        columns=("water_safe",),
    ),
    Measure("hazard_households", "households", "in_hazard", "灾害隐患区内户数", "in hazard zones", layer="hazards"),
    Measure(
        "located_elsewhere_households",
        "households",
        "located_elsewhere",
        "坐标不在本村户数",
        "point outside own village",
    ),
    Measure(
        "hazard_high_households",
        "households",
        "hazard_high",
        "高风险隐患区内户数",
        "in high-level hazard zones",
        layer="hazards",
    ),
    Measure("sla_identify_checked", "households", "sla_identify_checked", "识别时效核查户数", "identification checked"),
    Measure("sla_identify_ok", "households", "sla_identify_ok", "识别及时户数", "identified in time"),
    Measure("sla_entry_checked", "households", "sla_entry_checked", "录入时效核查户数", "entry checked"),
    Measure("sla_entry_ok", "households", "sla_entry_ok", "录入及时户数", "entered in time"),
    Measure(
        "km_clinic_total",
        "households",
        "km_clinic",
        "到卫生室里程合计",
        "km to clinic, total",
        integer=False,
        keep_unknown=True,
    ),
    Measure(
        "km_school_total",
        "households",
        "km_school",
        "到学校里程合计",
        "km to school, total",
        integer=False,
        keep_unknown=True,
    ),
    Measure(
        "km_township_total",
        "households",
        "km_township",
        "到乡镇政府里程合计",
        "km to township, total",
        integer=False,
        keep_unknown=True,
    ),
    Measure("cd_cases", "cases", "one", "危房改造台账数", "C/D cases"),
    Measure("cd_cases_open", "cases", "open", "未销号危房", "C/D cases open"),
    Measure("cd_cases_overdue", "cases", "overdue", "逾期未完工危房", "C/D cases overdue"),
    Measure("cd_cases_accepted", "cases", "accepted", "已验收销号危房", "C/D cases accepted (and paid)"),
    Measure(
        "cd_cases_unpaid",
        "cases",
        "unpaid",
        "已验收未兑付危房",
        "C/D cases accepted, subsidy not paid",
        columns=("subsidy_paid",),
    ),
    Measure(
        "cd_cases_without_household",
        "cases",
        "without_household",
        "户不在农户库的危房",
        "C/D cases whose household is not in the register",
    ),
    Measure("water_samples", "samples", "in_window", "水样数", "water samples"),
    Measure("water_failing_samples", "samples", "failing_in_window", "不合格水样数", "failing water samples"),
    Measure("water_nuclide_checks", "samples", "nuclide_in_window", "需核素分析水样数", "needing nuclide analysis"),
    Measure("water_samples_complete", "samples", "complete_in_window", "指标完整水样数", "complete water samples"),
    Measure("road_m", "roads", "length_m", "道路里程(米)", "road length (m)", integer=False),
    Measure("road_hardened_m", "roads", "hardened_m", "硬化道路里程(米)", "hardened road length (m)", integer=False),
    Measure("projects", "projects", "one", "项目数", "projects"),
    Measure("budget", "projects", "budget", "项目资金(元)", "budget (yuan)", integer=False),
    Measure("disbursed", "projects", "disbursed", "已支出(元)", "disbursed (yuan)", integer=False),
    Measure("projects_started", "projects", "started", "已开工项目数", "projects started"),
    Measure("projects_completed", "projects", "completed", "已完工项目数", "projects completed"),
    Measure("projects_reimbursed", "projects", "reimbursed", "已报账项目数", "projects reimbursed"),
    Measure("reimbursed_amount", "projects", "reimbursed_amount", "已报账金额(元)", "reimbursed (yuan)", integer=False),
    Measure(
        "reimbursed_known_budget",
        "projects",
        "reimbursed_known_budget",
        "有报账金额的项目资金(元)",
        "budget of projects with a reimbursed amount (yuan)",
        integer=False,
    ),
    Measure("teams", "teams", "one", "驻村工作队数", "work teams"),
    Measure("teams_scored", "teams", "scored", "有月度考核得分的工作队", "teams with a monthly score"),
    Measure("teams_month_best", "teams", "month_best", "月度考核排名靠前工作队", "teams named best this month"),
    Measure("teams_month_worst", "teams", "month_worst", "月度考核排名靠后工作队", "teams named worst this month"),
    Measure("teams_year_scored", "teams", "year_scored", "有年度考核得分的工作队", "teams with a year-end score"),
    Measure("teams_grade_excellent", "teams", "grade_excellent", "年度考核优秀工作队", "teams graded excellent"),
    Measure("teams_grade_good", "teams", "grade_good", "年度考核良好工作队", "teams graded good"),
    Measure("teams_grade_fair", "teams", "grade_fair", "年度考核一般工作队", "teams graded fair"),
    Measure("teams_grade_poor", "teams", "grade_poor", "年度考核差工作队", "teams graded poor"),
    Measure(
        "team_checkin_total",
        "teams",
        "checkin_x_members",
        "有效打卡人数折算",
        "valid check-ins × members",
        integer=False,
    ),
    Measure(
        "team_checkin_members",
        "teams",
        "checkin_members",
        "打卡考核人数",
        "members with a check-in rate",
        integer=False,
    ),
    Measure("team_days", "teams", "days_in_village", "驻村天数", "days in village"),
    Measure("team_days_due", "teams", "days_due", "应驻村天数", "days due", integer=False),
    Measure("inspections", "inspections", "one", "暗访次数", "inspections"),
    Measure("inspection_findings_open", "inspections", "open_finding", "未整改问题", "open findings"),
    Measure("inspection_findings_overdue", "inspections", "overdue_finding", "逾期未整改问题", "findings overdue"),
    Measure(
        "inspection_findings_unverified",
        "inspections",
        "unverified_finding",
        "已整改待回访问题",
        "findings rectified, not yet verified",
    ),
    Measure("inspection_findings_step_open", "inspections", "finding_open", "待整改问题", "findings open, no step"),
    Measure("inspection_findings_rectifying", "inspections", "finding_rectifying", "整改中问题", "findings rectifying"),
    Measure("inspection_findings_verified", "inspections", "finding_verified", "已回访问题", "findings verified"),
    Measure("inspection_findings_closed", "inspections", "finding_closed", "已销号问题", "findings closed (销号)"),
    Measure("plan_tasks", "tasks", "active", "一村一策任务数", "village plan tasks (not cancelled)"),
    Measure("plan_tasks_done", "tasks", "done", "已完成任务数", "village plan tasks done"),
    Measure("plan_tasks_overdue", "tasks", "overdue", "逾期未完成任务数", "village plan tasks overdue"),
    Measure(
        "plan_progress_total",
        "tasks",
        "progress_x_weight",
        "任务进度×权重合计",
        "task progress × weight (budget), total",
        integer=False,
    ),
    Measure(
        "plan_progress_weight",
        "tasks",
        "progress_weight",
        "任务权重合计",
        "task weights (budget) with a known progress, total",
        integer=False,
    ),
    Measure("measures", "measures", "one", "一户一法措施数", "household measures"),
    Measure("measures_done", "measures", "done_then", "已落实措施数", "household measures done"),
    Measure("measures_overdue", "measures", "overdue", "逾期未落实措施数", "household measures overdue"),
]

RATIOS = [
    Ratio("monitored_rate", "monitored_households", "households", "监测户占比", "monitored share"),
    Ratio("poverty_incidence", "poverty_line_persons", "incidence_base", "贫困发生率", "poverty incidence"),
    Ratio(
        "national_poverty_incidence",
        "national_line_persons",
        "incidence_base",
        "贫困发生率(国家标准)",
        "poverty incidence (national line)",
    ),
    Ratio("income_per_capita", "income_total", "income_persons", "人均纯收入", "net income per person"),
    Ratio("water_fail_rate", "water_failing_samples", "water_samples", "水质不合格率", "water fail rate"),
    Ratio("water_complete_rate", "water_samples_complete", "water_samples", "检测指标完整率", "samples complete"),
    Ratio("road_hardened_share", "road_hardened_m", "road_m", "道路硬化率", "hardened road share"),
    Ratio("spend_rate", "disbursed", "budget", "资金支出进度", "spend rate"),
    Ratio("project_start_rate", "projects_started", "projects", "开工率", "projects started"),
    Ratio("project_completion_rate", "projects_completed", "projects", "完工率", "projects completed"),
    Ratio("project_reimbursed_rate", "projects_reimbursed", "projects", "报账率(按项目数)", "reimbursed (by count)"),
    Ratio(
        "reimbursed_money_rate",
        "reimbursed_amount",
        "reimbursed_known_budget",
        "报账率(按金额)",
        "reimbursed share of the budget (by money)",
    ),
    Ratio("team_checkin_rate", "team_checkin_total", "team_checkin_members", "打卡率", "check-in rate (by members)"),
    Ratio("team_days_ratio", "team_days", "team_days_due", "驻村天数达标率", "days in village vs due"),
    Ratio(
        "sla_identify_ok_share",
        "sla_identify_ok",
        "sla_identify_checked",
        "识别及时率",
        "identified ≤ {timeliness.identify_days} days",
    ),
    Ratio(
        "sla_entry_ok_share",
        "sla_entry_ok",
        "sla_entry_checked",
        "录入及时率",
        "entered ≤ {timeliness.entry_days} days",
    ),
    Ratio("plan_done_rate", "plan_tasks_done", "plan_tasks", "一村一策完成率", "village plan tasks done (share)"),
    Ratio(
        "plan_progress",
        "plan_progress_total",
        "plan_progress_weight",
        "一村一策进度",
        "village plan progress (mean weighted by budget)",
    ),
    Ratio("km_to_clinic", "km_clinic_total", "households", "到卫生室距离(km)", "km to clinic by road"),
    Ratio("km_to_school", "km_school_total", "households", "到学校距离(km)", "km to school by road"),
    Ratio("km_to_township", "km_township_total", "households", "到乡镇距离(km)", "km to township seat by road"),
]

# The optional input layer behind each record table; without it the table's measures are unknown, not 0.
SOURCE_LAYER = {
    "cases": "housing",
    "samples": "water_tests",
    "roads": "roads",
    "projects": "projects",
    "teams": "teams",
    "inspections": "inspections",
    "tasks": "tasks",
    "measures": "household_measures",
}

MEASURE_BY_NAME = {m.name: m for m in MEASURES}
RATIO_BY_NAME = {r.name: r for r in RATIOS}


def source_layer(measure: Measure) -> str | None:
    """The optional input layer ``measure`` cannot be known without (None: only required layers)."""
    return measure.layer or SOURCE_LAYER.get(measure.table)


def missing_source(name: str, absent: frozenset[str]) -> bool:
    """Whether the measure or ratio ``name`` has no data because a layer it needs is in ``absent``."""
    if name in RATIO_BY_NAME:
        ratio = RATIO_BY_NAME[name]
        return missing_source(ratio.numerator, absent) or missing_source(ratio.denominator, absent)
    measure = MEASURE_BY_NAME.get(name)
    return measure is not None and source_layer(measure) in absent
