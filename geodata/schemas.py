"""Every layer's schema in one place: canonical columns, types, allowed values, Chinese aliases.

This module is the code form of ``DATA_MODEL.md``. Importers map a file's headers to
the canonical names through the aliases below (real county sheets use many variants,
and shapefile field names are cut to 10 bytes, which :mod:`geodata.io.columns` handles),
then coerce values by ``kind``. Limits that are policy numbers name a setting
(``"imports.max_members"``) instead of holding a literal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "code", "int", "float", "percent", "bool", "date", "enum", "list", "number_text"]
GeometryKind = Literal["polygon", "point", "line", "grid"] | None
Bound = float | str | None  # a number, or a dotted settings name such as "imports.max_members"
_UNIT_SUFFIX = re.compile(r"[\(（\[【][^\)）\]】]*[\)）\]】]$")
_SPACES = re.compile(r"[\s\u3000]+")


@dataclass(frozen=True, eq=False)
class Column:
    """One canonical column of a layer.

    ``choices`` maps each canonical value to the spellings found in sheets;
    ``digits`` fixes the length of a numeric code; ``pii`` marks personal data;
    ``scale`` multiplies the file's numbers into the stored unit when the header names
    no unit (a budget in 万元 is stored in yuan: 10,000). A ``percent`` column holds
    percentage points 0–100, and a cell written ``60%`` is 60.
    """

    name: str
    kind: Kind
    zh: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    pii: bool = False
    digits: int | None = None
    minimum: Bound = None
    maximum: Bound = None
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scale: float = 1.0

    @property
    def all_names(self) -> tuple[str, ...]:
        """The canonical name, its Chinese name and every alias."""
        return (self.name, self.zh, *self.aliases)


@dataclass(frozen=True, eq=False)
class LayerSchema:
    """A layer: its canonical name, Chinese name, geometry, key and columns."""

    name: str
    zh: str
    geometry: GeometryKind
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    coords: tuple[str, str] | None = None  # lon/lat columns that may carry point geometry
    village_column: str | None = None  # column checked against the villages layer
    geometry_optional: bool = False  # rows may come without geometry (a sheet of names)

    def column(self, name: str) -> Column:
        """The column called ``name``; KeyError names the layer's columns."""
        for col in self.columns:
            if col.name == name:
                return col
        msg = f"layer {self.name!r} has no column {name!r}; columns: {[c.name for c in self.columns]}"
        raise KeyError(msg)

    @property
    def required(self) -> list[str]:
        """Names of the columns a file must provide."""
        return [c.name for c in self.columns if c.required]

    @property
    def pii(self) -> list[str]:
        """Names of the columns holding personal data."""
        return [c.name for c in self.columns if c.pii]


def _c(name: str, kind: Kind, zh: str, *aliases: str, **kw: object) -> Column:
    """Shorthand constructor used by the tables below."""
    return Column(name, kind, zh, tuple(aliases), **kw)  # type: ignore[arg-type]


YES = ("是", "有", "y", "yes", "true", "1", "√", "✓", "t", "已", "参保", "已参保", "安全", "保障", "已消除", "已硬化")
NO = ("否", "无", "n", "no", "false", "0", "×", "✗", "f", "未", "未参保", "不安全", "未保障", "未消除", "未硬化")
YES += ("已完成", "完成", "已落实")  # 一户一法: 是否完成
NO += ("未完成", "未落实")

LON = _c("lon", "float", "经度", "东经", "x", "longitude", "lng", "坐标x", "经度坐标", "x坐标")
LAT = _c("lat", "float", "纬度", "北纬", "y", "latitude", "坐标y", "纬度坐标", "y坐标")
VILLAGE_CODE = _c(
    "village_code",
    "code",
    "村代码",
    "行政区划代码",
    "村级代码",
    "村编码",
    "村统计用区划代码",
    "统计用区划代码",
    "区划代码",
    "所属村代码",
    digits=12,
    required=True,
)

RISK_CHOICES = {
    "illness": ("因病", "疾病", "因病致贫", "因病返贫"),
    "schooling": ("因学", "上学", "因学致贫"),
    "disability": ("因残", "残疾", "因残致贫"),
    "disaster": ("因自然灾害", "因灾", "自然灾害", "因灾致贫"),
    "accident": ("因意外事故", "意外事故", "因意外"),
    "business": ("因产业项目失败", "产业项目失败", "因产业"),
    "employment": ("因务工就业不稳", "务工就业不稳", "就业不稳", "因就业"),
    "labour": ("缺劳动力", "缺劳力", "因缺劳动力"),
    "other": ("其他", "其它"),
    "skills": ("缺技术",),
    "funds": ("缺资金",),
}

TOWNS = LayerSchema(
    "towns",
    "乡镇",
    "polygon",
    ("town_code",),
    (
        _c("town_code", "code", "乡镇代码", "乡镇编码", "乡镇区划代码", "街道代码", digits=9, required=True),
        _c("name", "str", "乡镇名称", "乡镇", "乡镇名", "乡镇(街道)", "乡镇街道", "名称", required=True),
    ),
)

VILLAGES = LayerSchema(
    "villages",
    "行政村",
    "polygon",
    ("village_code",),
    (
        VILLAGE_CODE,
        _c("name", "str", "村名称", "行政村", "村名", "行政村名称", "村委会", "村(社区)", "名称", required=True),
        _c("town_code", "code", "乡镇代码", "乡镇编码", digits=9),
        _c("town_name", "str", "乡镇名称", "所属乡镇", "乡镇", "乡镇(街道)"),
        _c("population", "int", "户籍人口", "户籍人口数", "人口", "总人口", minimum=0),
        _c("collective_income", "float", "村集体经济收入", "集体经济收入", "村集体收入", "集体收入", minimum=0),
        _c("former_poverty_village", "bool", "原贫困村", "是否原贫困村", "贫困村", "是否贫困村"),
    ),
)

HOUSEHOLDS = LayerSchema(
    "households",
    "农户",
    "point",
    ("household_id",),
    (
        _c("household_id", "str", "户编号", "户码", "户主编号", "农户编号", "家庭编号", required=True),
        VILLAGE_CODE,
        _c("head_name", "str", "户主姓名", "户主", "姓名", "户主名", pii=True),
        _c("id_number", "str", "证件号码", "身份证号", "身份证号码", "户主身份证号", "户主证件号码", pii=True),
        _c("phone", "str", "联系电话", "电话", "手机号", "手机号码", "联系方式", pii=True),
        _c(
            "members",
            "int",
            "家庭人口数",
            "家庭人口",
            "人口数",
            "户人口数",
            "人数",
            required=True,
            minimum=1,
            maximum="imports.max_members",
        ),
        _c(
            "per_capita_income",
            "float",
            "人均纯收入",
            "人均收入",
            "家庭人均纯收入",
            minimum="imports.min_income",
            maximum="imports.max_income",
        ),
        _c(  # 可支配收入 (the statistics bureau's measure) is not 纯收入 (net income, the poverty lines' measure)
            "disposable_income",
            "float",
            "人均可支配收入",
            "家庭人均可支配收入",
            "可支配收入",
            minimum="imports.min_income",
            maximum="imports.max_income",
        ),
        _c("rigid_spending", "float", "刚性支出", "家庭刚性支出", "年刚性支出", "刚性支出金额", minimum=0),
        _c(
            "status",
            "enum",
            "户类型",
            "户属性",
            "农户类型",
            "户类别",
            required=True,
            choices={
                "normal": ("一般户", "一般农户", "非贫困户", "普通户"),
                "lifted": ("脱贫户", "已脱贫户", "脱贫享受政策户", "脱贫不享受政策户"),
                "monitored": ("监测对象", "监测户", "防返贫监测对象", "监测对象户"),
            },
        ),
        _c(
            "monitor_type",
            "enum",
            "监测对象类别",
            "监测类型",
            "监测对象类型",
            choices={
                "unstable": ("脱贫不稳定户", "不稳定户"),
                "marginal": ("边缘易致贫户", "边缘户"),
                "sudden": ("突发严重困难户", "突发困难户"),
            },
        ),
        _c(
            "risk_types",
            "list",
            "风险类型",
            "致贫返贫风险",
            "主要风险",
            "风险类别",
            "返贫致贫风险",
            choices=RISK_CHOICES,
        ),
        _c("risk_eliminated", "bool", "风险是否消除", "是否消除风险", "风险消除", "是否风险消除"),
        _c("food_ok", "bool", "不愁吃", "吃不愁", "吃饭不愁", "不愁吃保障"),
        _c("clothing_ok", "bool", "不愁穿", "穿不愁", "穿衣不愁", "不愁穿保障"),
        _c("education_ok", "bool", "义务教育保障", "义务教育", "教育保障"),
        _c("medical_insured", "bool", "基本医疗保险参保", "医保参保", "参加医保", "基本医疗保险", "医疗保障"),
        _c(
            "housing_grade",
            "enum",
            "住房安全等级",
            "住房等级",
            "危房等级",
            "住房鉴定等级",
            choices={
                "A": ("a级", "a类"),
                "B": ("b级", "b类"),
                "C": ("c级", "c类", "c级危房"),
                "D": ("d级", "d类", "d级危房"),
                "none": ("无房", "无房户", "无住房"),
                # in a 危房等级 column 无 means "no dangerous house", never "no house"
                "safe": ("无", "无危房", "非危房", "安全住房"),
            },
        ),
        _c("water_safe", "bool", "饮水安全", "饮水是否安全", "饮水安全保障", "安全饮水"),
        _c("helper", "str", "帮扶责任人", "帮扶人", "结对帮扶人"),
        _c("risk_found_on", "date", "风险发现日期", "发现日期", "风险发现时间"),
        _c("identified_on", "date", "识别日期", "识别时间", "纳入监测日期", "识别纳入日期"),
        _c("entered_on", "date", "录入日期", "录入时间", "系统录入日期"),
        _c("eliminated_on", "date", "风险消除日期", "消除日期", "风险消除时间", "标注消除日期"),
        LON,
        LAT,
    ),
    coords=("lon", "lat"),
    village_column="village_code",
)

WATER_TESTS = LayerSchema(
    "water_tests",
    "水质检测",
    "point",
    ("sample_id", "indicator"),
    (
        _c("sample_id", "str", "样品编号", "样品号", "水样编号", required=True),
        _c("site_id", "str", "检测点编号", "监测点编号", "点位编号", required=True),
        _c("site_name", "str", "检测点名称", "监测点名称", "点位名称"),
        _c(
            "site_type",
            "enum",
            "水样类型",
            "水样类别",
            "采样点类型",
            choices={
                "plant_outlet": ("出厂水",),
                "tap": ("末梢水", "管网末梢水"),
                "own_source": ("自备水源", "分散式供水"),
            },
        ),
        _c(  # decides where GB 5749-2022's relaxed small-supply limits apply (settings [water])
            "supply_type",
            "enum",
            "供水方式",
            "供水类型",
            "供水工程类型",
            "供水模式",
            choices={
                "centralised": ("集中式供水", "集中供水", "集中式", "centralized"),
                "small": ("小型集中式供水", "小型集中供水", "小型集中式", "small_centralised", "small_centralized"),
                "dispersed": ("分散式供水", "分散供水", "分散式"),
            },
        ),
        _c("sampled_on", "date", "采样日期", "采样时间", "检测日期", required=True),
        _c("indicator", "str", "检测指标", "指标", "检测项目", "项目", required=True),
        _c("value", "number_text", "检测值", "检测结果", "结果", "测定值", required=True),
        _c("unit", "str", "单位", "计量单位"),
        _c("village_code", "code", "村代码", "行政区划代码", "所属村代码", digits=12),
        LON,
        LAT,
    ),
    coords=("lon", "lat"),
)

HOUSING = LayerSchema(
    "housing",
    "危房台账",
    None,
    ("case_id",),
    (
        _c("case_id", "str", "台账编号", "编号", "危房编号", required=True),
        _c("household_id", "str", "户编号", "户码", "农户编号", required=True),
        _c(
            "grade",
            "enum",
            "鉴定等级",
            "危房等级",
            "等级",
            required=True,
            choices={
                "C": ("c级", "c类", "局部危房"),
                "D": ("d级", "d类", "整幢危房"),
            },
        ),
        _c("appraised_on", "date", "鉴定日期", "鉴定时间"),
        _c(
            "stage",
            "enum",
            "改造进度",
            "进度",
            "改造状态",
            required=True,
            choices={
                "pending": ("待改造", "未开工", "待开工"),
                "started": ("已开工", "在建"),
                "completed": ("已竣工", "竣工"),
                "accepted": ("已验收", "验收", "已销号"),
            },
        ),
        _c("deadline", "date", "完成时限", "时限", "计划完成日期"),
        _c("started_on", "date", "开工日期", "开工时间"),
        _c("completed_on", "date", "竣工日期", "竣工时间"),
        _c("accepted_on", "date", "验收日期", "验收时间"),
        _c("subsidy", "float", "补助资金", "补助金额", "补助", minimum=0),
        _c("subsidy_paid", "bool", "补助资金是否兑付", "是否兑付", "兑付", "补助已兑付", "资金兑付"),
    ),
)

ROADS = LayerSchema(
    "roads",
    "道路",
    "line",
    ("road_id",),
    (
        _c("road_id", "str", "道路编号", "路线编号", "编号", required=True),
        _c("name", "str", "道路名称", "路线名称", "名称"),
        _c(
            "road_class",
            "enum",
            "道路等级",
            "公路等级",
            "行政等级",
            required=True,
            choices={
                "county": ("县道",),
                "township": ("乡道",),
                "village": ("村道",),
                "track": ("便道", "机耕路", "土路"),
            },
        ),
        _c("hardened", "bool", "是否硬化", "硬化", "路面硬化"),
    ),
)

FACILITIES = LayerSchema(
    "facilities",
    "设施",
    "point",
    ("facility_id",),
    (
        _c("facility_id", "str", "设施编号", "编号", required=True),
        _c("name", "str", "设施名称", "名称"),
        _c(
            "kind",
            "enum",
            "设施类型",
            "类型",
            "类别",
            required=True,
            choices={
                "township_gov": ("乡镇政府", "乡镇人民政府"),
                "school": ("学校", "小学", "中学"),
                "clinic": ("村卫生室", "卫生室"),
                "health_center": ("乡镇卫生院", "卫生院"),
                "water_plant": ("水厂", "供水站"),
                "relocation_site": ("安置点", "易地搬迁安置点"),
                "market": ("集市", "市场"),
            },
        ),
        _c("capacity", "float", "容量", "规模", minimum=0),
        _c("village_code", "code", "村代码", "所属村代码", digits=12),
        LON,
        LAT,
    ),
    coords=("lon", "lat"),
)

HAZARDS = LayerSchema(
    "hazards",
    "灾害隐患区",
    "polygon",
    ("hazard_id",),
    (
        _c("hazard_id", "str", "隐患点编号", "编号", "隐患编号", required=True),
        _c(
            "kind",
            "enum",
            "灾害类型",
            "类型",
            "隐患类型",
            required=True,
            choices={
                "flood": ("山洪", "洪水", "山洪沟道"),
                "landslide": ("滑坡",),
                "collapse": ("崩塌",),
                "debris_flow": ("泥石流",),
                "other": ("其他", "其它"),
            },
        ),
        _c(
            "level",
            "enum",
            "风险等级",
            "等级",
            "险情等级",
            required=True,
            choices={
                "high": ("高", "高风险", "极高", "极高风险"),
                "medium": ("中", "中风险"),
                "low": ("低", "低风险"),
            },
        ),
    ),
)

ELEVATION = LayerSchema(
    "elevation",
    "高程",
    "grid",
    ("row", "col"),
    (
        _c("row", "int", "行", required=True, minimum=0),
        _c("col", "int", "列", required=True, minimum=0),
        _c("x", "float", "格网x", required=True),
        _c("y", "float", "格网y", required=True),
        _c("elev_m", "float", "高程", "海拔", required=True),
        _c("gk_epsg", "int", "投影代码", required=True),
    ),
)

PROJECTS = LayerSchema(
    "projects",
    "衔接资金项目",
    None,
    ("project_id",),
    (
        _c("project_id", "str", "项目编号", "编号", required=True),
        _c("name", "str", "项目名称", "名称"),
        VILLAGE_CODE,
        _c("category", "str", "项目类别", "类别", "项目类型"),
        _c("budget", "float", "计划投资", "预算", "资金规模", "衔接资金", required=True, minimum=0),
        _c("disbursed", "float", "已支付", "支出", "已拨付", "已支出资金", minimum=0),
        _c(  # 报账率 by money: reimbursed / budget (without it, by the count of projects whose status is reimbursed)
            "reimbursed_amount",
            "float",
            "已报账金额",
            "报账金额",
            "已报账资金",
            "报账资金",
            minimum=0,
        ),
        _c(
            "status",
            "enum",
            "项目状态",
            "状态",
            choices={
                "planned": ("计划", "未开工"),
                "started": ("已开工", "开工"),
                "completed": ("已完工", "完工"),
                "reimbursed": ("已报账", "报账"),
            },
        ),
        _c("year", "int", "资金年度", "年度", "项目年度", "资金年份", minimum="imports.earliest_year"),
        _c("as_of", "date", "统计日期", "截至日期"),
    ),
    village_column="village_code",
)

TEAMS = LayerSchema(
    "teams",
    "驻村工作队",
    None,
    ("team_id",),
    (
        _c("team_id", "str", "工作队编号", "编号", required=True),
        VILLAGE_CODE,
        _c("unit", "str", "派出单位", "选派单位"),
        _c("leader", "str", "第一书记", "队长", pii=True),
        _c("members", "int", "队员人数", "人数", minimum=0, maximum=50),
        _c("checkin_rate", "float", "打卡率", "有效打卡率", minimum=0, maximum=1),
        _c("days_in_village", "int", "驻村天数", "在岗天数", minimum=0, maximum=366),
        _c("last_inspected_on", "date", "最近暗访日期", "上次检查日期"),
        _c("monthly_score", "float", "月度考核得分", "考核得分", "得分", minimum=0, maximum=100),
        _c("year_score", "float", "年度考核得分", "年度得分", "年终考核得分", "年度考核分数", minimum=0, maximum=100),
    ),
    village_column="village_code",
)

INSPECTIONS = LayerSchema(
    "inspections",
    "暗访记录",
    None,
    ("inspection_id",),
    (
        _c("inspection_id", "str", "暗访编号", "编号", required=True),
        _c("date", "date", "暗访日期", "日期", "检查日期", required=True),
        _c("inspector", "str", "暗访人", "检查人", "督查人"),
        _c("team_id", "str", "工作队编号"),
        VILLAGE_CODE,
        _c("household_id", "str", "户编号"),
        _c("finding", "str", "发现问题", "问题", "存在问题"),
        _c("rectified", "bool", "是否整改", "整改完成", "已整改"),
        _c("rectified_on", "date", "整改日期", "销号日期", "整改完成日期"),
        # The rectification steps (geodata/finding_steps.py); files with only rectified/rectified_on still load.
        _c("category", "str", "问题类别", "检查类别", "问题类型"),
        _c("township_code", "code", "责任乡镇代码", "责任乡镇", digits=9),
        _c("deadline", "date", "整改时限", "整改期限", "整改截止日期"),
        _c(
            "status",
            "enum",
            "整改状态",
            "销号状态",
            choices={
                "open": ("待整改", "未整改"),
                "rectifying": ("整改中", "正在整改"),
                "rectified": ("已整改", "整改完成待回访"),
                "verified": ("已回访", "回访通过"),
                "closed": ("已销号", "销号"),
            },
        ),
        _c("rectifying_on", "date", "开始整改日期"),
        _c("verified_on", "date", "回访日期"),
        _c("closed_on", "date", "销号完成日期", "销号时间"),
        # The UUID the field pack's phone made for a finding (empty when typed at a desk): a sync stores it once.
        _c("record_uuid", "str", "现场记录编号", "记录编号"),
    ),
    village_column="village_code",
)

RELOCATED_HOUSEHOLDS = LayerSchema(
    "relocated_households",
    "搬迁户后续扶持",
    None,
    ("household_id",),
    (
        _c("household_id", "str", "户编号", "户码", "农户编号", "搬迁户编号", required=True),
        _c("site", "str", "安置点", "安置点名称", "安置点编号", "集中安置点", required=True),
        _c("moved_on", "date", "搬迁日期", "搬迁入住日期", "入住日期"),
        _c(
            "employed_members",
            "int",
            "就业人数",
            "务工就业人数",
            "家庭就业人数",
            "劳动力就业人数",
            minimum=0,
            maximum="imports.max_members",
        ),
        _c("income_before", "float", "搬迁前人均纯收入", "搬迁前人均收入", "搬迁前收入", minimum=0),
        _c("income_after", "float", "搬迁后人均纯收入", "搬迁后人均收入", "当前人均纯收入", "搬迁后收入", minimum=0),
        _c("subsidies", "float", "后续扶持资金", "补助资金", "扶持资金", "补助", minimum=0),
    ),
)

PLAN_CATEGORIES = {  # 一村一策 / 一户一法 measures, by the field they work in
    "industry": ("产业", "产业发展", "产业帮扶"),
    "employment": ("就业", "就业帮扶", "务工就业"),
    "infrastructure": ("基础设施", "基础设施建设", "道路", "交通"),
    "housing": ("住房", "住房安全", "危房改造"),
    "water": ("饮水", "饮水安全", "供水"),
    "education": ("教育", "教育帮扶"),
    "medical": ("医疗", "健康", "医疗保障", "健康帮扶"),
    "environment": ("人居环境", "环境整治", "人居环境整治"),
    "collective": ("集体经济", "村集体经济", "壮大集体经济"),
    "other": ("其他", "其它"),
}
PLAN_CATEGORY = _c("category", "enum", "类别", "措施类别", "任务类别", "项目类别", "类型", choices=PLAN_CATEGORIES)

TASKS = LayerSchema(
    "tasks",
    "一村一策",
    None,
    ("task_id",),
    (
        _c("task_id", "str", "任务编号", "措施编号", "编号", "任务id"),  # generated when absent (geodata.io.plan_rules)
        VILLAGE_CODE,
        _c("title", "str", "措施名称", "任务名称", "措施", "具体措施", "措施内容", "任务内容", required=True),
        PLAN_CATEGORY,
        _c("unit", "str", "责任单位", "牵头单位", "责任部门", "实施单位"),
        _c("person", "str", "责任人", "负责人", "包抓责任人", "具体责任人", pii=True),
        _c("start", "date", "开始日期", "开始时间", "启动时间", "开工日期", "计划开始时间"),
        _c("deadline", "date", "完成时限", "完成时间", "计划完成时间", "截止日期", "时限"),
        _c("progress", "percent", "进度(%)", "进度", "完成进度", "推进进度", "完成比例", minimum=0, maximum=100),
        _c(
            "status",
            "enum",
            "状态",
            "任务状态",
            "推进状态",
            "进展情况",
            "完成情况",
            choices={
                "not_started": ("未开始", "未启动", "未开工"),
                "in_progress": ("推进中", "进行中", "实施中", "在建", "已开工"),
                "done": ("已完成", "完成", "已销号"),
                "cancelled": ("已取消", "取消", "已终止", "终止"),
            },
        ),
        _c(  # in 万元 unless the header says 元; stored in yuan
            "budget",
            "float",
            "资金(万元)",
            "预算",
            "资金",
            "投资",
            "计划投资",
            "资金规模",
            "预算资金",
            "投入资金",
            minimum=0,
            scale=10_000.0,
        ),
        _c("project_id", "str", "项目编号", "关联项目编号", "衔接资金项目编号"),
    ),
    village_column="village_code",
)

HOUSEHOLD_MEASURES = LayerSchema(
    "household_measures",
    "一户一法",
    None,
    ("household_id", "measure"),
    (
        _c("household_id", "str", "户编号", "户码", "农户编号", required=True),
        _c("measure", "str", "帮扶措施", "措施", "措施名称", "具体措施", "措施内容", "一户一法措施", required=True),
        PLAN_CATEGORY,
        _c("helper", "str", "帮扶责任人", "帮扶人", "结对帮扶人", "责任人", pii=True),
        _c("deadline", "date", "完成时限", "完成时间", "计划完成时间", "截止日期", "时限"),
        _c("done", "bool", "是否完成", "完成", "已完成", "落实情况"),
        _c("done_on", "date", "完成日期", "实际完成日期", "落实日期", "销号日期"),
    ),
)

# Names (and outlines, when given) of the units above the township: provinces (2 digits), cities (4), counties (6).
REGIONS = LayerSchema(
    "regions",
    "行政区划",
    "polygon",
    ("code",),
    (
        _c(
            "code",
            "code",
            "区划代码(省市县)",
            "省市县代码",
            "市州代码",
            "县区代码",
            "地区代码",
            "区域代码",
            required=True,
        ),
        _c("name", "str", "区划名称", "省市县名称", "市州名称", "县区名称", "地区名称", "区域名称", required=True),
        _c(
            "level",
            "enum",
            "区划级别",
            "级别",
            "层级",
            required=True,
            choices={
                "province": ("省", "省级", "自治区", "直辖市"),
                "city": ("市", "市级", "州", "市州", "地级"),
                "county": ("县", "县级", "区", "县区", "县(区)"),
            },
        ),
    ),
    geometry_optional=True,
)

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        TOWNS,
        VILLAGES,
        HOUSEHOLDS,
        WATER_TESTS,
        HOUSING,
        ROADS,
        FACILITIES,
        HAZARDS,
        ELEVATION,
        PROJECTS,
        TEAMS,
        INSPECTIONS,
        RELOCATED_HOUSEHOLDS,
        TASKS,
        HOUSEHOLD_MEASURES,
        REGIONS,
    )
}

# Columns the importer adds to what the file gave.
DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "households": ("location_estimated", "location_mismatch", "id_checksum_ok"),
}


def schema(layer: str) -> LayerSchema:
    """The schema of ``layer``; an unknown name lists the known layers."""
    try:
        return SCHEMAS[layer]
    except KeyError:
        msg = f"unknown layer {layer!r}; layers are: {', '.join(SCHEMAS)}"
        raise KeyError(msg) from None


def normalise_header(text: object) -> str:
    """Header text in a comparable form: NFKC, no spaces or star marks, no trailing unit, lower case."""
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = _SPACES.sub("", s).strip("*※")
    while True:
        cut = _UNIT_SUFFIX.sub("", s)
        if cut == s or not cut:
            break
        s = cut
    return s.lower()
