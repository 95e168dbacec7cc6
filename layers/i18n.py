"""One translation table for every label on every page: Chinese first (the default), English second.

``t("households", "en")`` → "Households". Indicator labels come from the analytics measure
definitions and the map catalog so that a name is written once.
"""

from __future__ import annotations

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

TEXT: dict[str, tuple[str, str]] = {
    "app_title": ("乡村振兴作战图", "Battlemap"),
    "map": ("地图", "Map"),
    "overview": ("概览", "Overview"),
    "county": ("全县", "County"),
    "township": ("乡镇", "Township"),
    "village": ("行政村", "Village"),
    "household": ("农户", "Household"),
    "layer": ("图层", "Layer"),
    "context_layers": ("底图要素", "Context layers"),
    "roads": ("道路", "Roads"),
    "facilities": ("设施", "Facilities"),
    "hazards": ("灾害隐患区", "Hazard zones"),
    "water_sites": ("水质检测点", "Water test sites"),
    "relocation_sites": ("安置点", "Relocation sites"),
    "legend": ("图例", "Legend"),
    "no_data": ("无数据", "no data"),
    "rank": ("排名", "rank"),
    "of": ("/", "of"),
    # the wall screen (作战图)
    "wall_title": ("乡村振兴作战图", "Rural revitalisation battle map"),
    "kpi_monitoring": ("监测户风险消除", "Monitored: risks eliminated"),
    "kpi_cd_closed": ("危房改造销号", "C/D houses closed"),
    "kpi_water_pass": ("水质合格率", "Water samples passing"),
    "kpi_water_unsafe": ("饮水不安全户", "Households, unsafe water"),
    "kpi_spend": ("衔接资金支出", "Funds spent"),
    "kpi_checkin": ("驻村打卡率", "Team check-in rate"),
    "kpi_inspections": ("本月暗访", "Inspections this month"),
    "kpi_timeliness": ("识别录入及时率", "Identified & entered in time"),
    "vs_last_month": ("较上月", "vs last month"),
    "open_findings": ("未整改问题", "open findings"),
    "close_by": ("销号时限", "close by"),
    "of_monitored": ("监测户", "monitored"),
    "red_list": ("重点关注村", "Villages most at risk"),
    "paused": ("已暂停轮播 · 点击继续", "Rotation paused · click to resume"),
    "stale": ("数据已过期", "data are stale"),
    "kiosk_refused": (
        "大屏链接无效或已撤销。请用 battlemap kiosk new 生成新链接。",
        "This wall-screen link is invalid or revoked. Create one with: battlemap kiosk new",
    ),
    "identify_short": ("识别", "identified"),
    "risk_open": ("风险未消除", "risks open"),
    "updated": ("更新于", "updated"),
    "entry_short": ("录入", "entered"),
    "risk_monitoring": ("监测风险", "monitoring"),
    "risk_poverty": ("贫困发生率", "poverty"),
    "risk_housing": ("危房", "housing"),
    "risk_water_quality": ("水质", "water quality"),
    "risk_water_supply": ("饮水", "water supply"),
    "risk_access": ("就医距离", "clinic access"),
    "risk_funds": ("资金进度", "funds"),
    "risk_team": ("驻村工作", "work team"),
    "risk_timeliness": ("时效", "timeliness"),
    "language": ("English", "中文"),
    "export_html": ("导出离线地图", "Export offline map"),
    "export_csv": ("导出名册", "Export CSV"),
    "households_table": ("农户名册", "Household register"),
    "household_card": ("户情卡", "Household card"),
    "click_household": ("点击地图上的农户或名册中的一行查看户情。", "Click a household on the map or in the register."),
    "indicators": ("主要指标", "Key indicators"),
    "target": ("目标", "Target"),
    "value": ("数值", "Value"),
    "by_status": ("农户类型", "Households by status"),
    "income_distribution": ("人均纯收入分布", "Income per person"),
    "cases_by_stage": ("危房改造进度", "C/D cases by stage"),
    "water_by_month": ("水质合格率（按月）", "Water pass rate by month"),
    "spend_vs_schedule": ("资金支出与进度要求", "Spending against schedule"),
    "poverty_line": ("贫困线", "poverty line"),
    "monitoring_line": ("监测线", "monitoring line"),
    "spent": ("已支出", "spent"),
    "schedule": ("进度要求", "schedule"),
    "pass_rate": ("合格率", "pass rate"),
    "status_normal": ("一般户", "ordinary"),
    "status_lifted": ("脱贫户", "lifted"),
    "status_monitored": ("监测对象", "monitored"),
    "status_monitored_open": ("监测对象（风险未消除）", "monitored, risk open"),
    "stage_pending": ("待改造", "pending"),
    "stage_started": ("已开工", "started"),
    "stage_completed": ("已竣工", "completed"),
    "stage_accepted": ("已验收销号", "accepted"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "ok": ("达标", "met"),
    "late": ("超时", "late"),
    "education_ok": ("义务教育保障", "Compulsory education"),
    "medical_insured": ("基本医疗保险", "Medical insurance"),
    "housing_grade": ("住房安全等级", "Housing grade"),
    "water_safe": ("饮水安全", "Safe drinking water"),
    "risk_types": ("风险类型", "Risk types"),
    "risk_eliminated": ("风险是否消除", "Risk eliminated"),
    "cd_stage": ("危房改造进度", "C/D case stage"),
    "helper": ("帮扶责任人", "Helper"),
    "risk_found_on": ("风险发现日期", "Risk found"),
    "identified_on": ("识别日期", "Identified"),
    "entered_on": ("录入日期", "Entered"),
    "sla_identify": ("识别时效（≤15天）", "Identified within 15 days"),
    "sla_entry": ("录入时效（≤10天）", "Entered within 10 days"),
    "members": ("家庭人口", "Members"),
    "income": ("人均纯收入（元）", "Income per person (yuan)"),
    "head_name": ("户主", "Head"),
    "id_number": ("证件号码", "ID number"),
    "phone": ("联系电话", "Phone"),
    "status": ("户类型", "Status"),
    "household_id": ("户编号", "Household ID"),
    "monitor_type": ("监测类别", "Monitoring type"),
    "in_hazard": ("位于隐患区", "In a hazard zone"),
    "none": ("无", "none"),
    "loading": ("加载中…", "Loading…"),
    "as_of": ("数据截至", "Data as of"),
    "sites": ("搬迁选址", "Relocation sites"),
    "sites_title": ("易地搬迁安置点选址", "Relocation site selection"),
    "weights": ("指标权重", "Criterion weights"),
    "constraints": ("限制条件", "Constraints"),
    "movers": ("搬迁对象", "Who moves"),
    "site_households": ("安置户数", "Households to house"),
    "top_k": ("候选数量", "Candidates"),
    "slope_limit": ("坡度上限（°）", "Slope limit (°)"),
    "hazard_buffer": ("隐患区避让距离（米）", "Hazard buffer (m)"),
    "add_villages": ("整村搬迁", "Add whole villages"),
    "drop_villages": ("不搬迁的村", "Leave out villages"),
    "ahp": ("层次分析法两两比较", "AHP pairwise comparison"),
    "ahp_apply": ("采用AHP权重", "Use AHP weights"),
    "ahp_help": (
        "每行比较左、右两项指标的相对重要性（1 同等，3 稍重要，5 明显重要，7 强烈重要，9 极端重要）。",
        "Each row: how much more important the left criterion is than the right (1 equal, 3 moderately, "
        "5 strongly, 7 very strongly, 9 extremely).",
    ),
    "consistency_ratio": ("一致性比率 CR", "Consistency ratio CR"),
    "cr_refused": (
        "CR > 0.1：判断不一致，未采用，请调整比较。",
        "CR > 0.1: judgements inconsistent, not applied; revise them.",
    ),
    "cr_ok": ("CR ≤ 0.1：一致性可接受，已采用。", "CR ≤ 0.1: consistent, applied."),
    "weight_share": ("权重占比：", "Weight shares: "),
    "ahp_worst": ("最不一致的一对", "least consistent pair"),
    "suitability": ("适宜性", "Suitability"),
    "excluded": ("禁止建设（隐患区、陡坡、水域）", "Excluded (hazards, steep, water)"),
    "candidate": ("候选安置点", "Candidate site"),
    "origin_villages": ("迁出村", "Origin villages"),
    "rank_col": ("排名", "Rank"),
    "score": ("综合得分", "Score"),
    "area_ha": ("面积（公顷）", "Area (ha)"),
    "capacity": ("可容纳户数", "Capacity (households)"),
    "located_in": ("所在村", "Village"),
    "travel_min": ("迁出村车程（分钟，均/最远）", "Drive from origins (min, mean/max)"),
    "reason": ("排名理由", "Why it ranks there"),
    "export_geojson": ("导出GeoJSON", "Export GeoJSON"),
    "export_sites_csv": ("导出CSV", "Export CSV"),
    "no_sites": (
        "没有符合条件的安置点：请放宽限制条件或减少户数。",
        "No site fits: relax the constraints or house fewer.",
    ),
    "movers_summary": (
        "{n} 户搬迁对象，来自 {v} 个村；需用地 {a:.1f} 公顷",
        "{n} households from {v} villages; {a:.1f} ha needed",
    ),
}

SITE_CRITERIA = {
    "road": ("距硬化路", "hardened-road access"),
    "township": ("距乡镇驻地", "township access"),
    "school": ("距学校", "school access"),
    "clinic": ("距卫生室/院", "clinic access"),
    "water": ("距水厂", "water-plant access"),
    "slope": ("坡度", "slope"),
    "origin": ("距迁出村", "nearness to origin"),
    "elevation": ("海拔落差", "elevation change"),
}

FACILITY_KINDS = {
    "township_gov": ("乡镇政府", "township government"),
    "school": ("学校", "school"),
    "clinic": ("村卫生室", "village clinic"),
    "health_center": ("乡镇卫生院", "health centre"),
    "water_plant": ("水厂", "water plant"),
    "relocation_site": ("安置点", "relocation site"),
    "market": ("集市", "market"),
}
ROAD_CLASSES = {
    "county": ("县道", "county road"),
    "township": ("乡道", "township road"),
    "village": ("村道", "village road"),
    "track": ("便道", "track"),
}
HAZARD_KINDS = {
    "flood": ("山洪", "flash flood"),
    "landslide": ("滑坡", "landslide"),
    "collapse": ("崩塌", "collapse"),
    "debris_flow": ("泥石流", "debris flow"),
    "other": ("其他", "other"),
}
RISK_TYPES = {
    "illness": ("因病", "illness"),
    "schooling": ("因学", "schooling"),
    "disability": ("因残", "disability"),
    "disaster": ("因灾", "disaster"),
    "accident": ("因意外事故", "accident"),
    "business": ("因产业项目失败", "failed business"),
    "employment": ("因务工就业不稳", "unstable work"),
    "labour": ("缺劳动力", "lack of labour"),
    "other": ("其他", "other"),
    "skills": ("缺技术", "lack of skills"),
    "funds": ("缺资金", "lack of funds"),
}


def lang_of(value: str | None) -> str:
    """A supported language code ('zh' unless 'en' is asked for)."""
    return value if value in LANGS else DEFAULT_LANG


def pick(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or English half of a label pair."""
    return pair[1] if lang == "en" else pair[0]


def t(key: str, lang: str = DEFAULT_LANG) -> str:
    """The label for ``key`` in ``lang``; an unknown key shows itself (so it is noticed, not hidden)."""
    pair = TEXT.get(key)
    return pick(pair, lang) if pair else key
