"""The Chinese headers a county's household ledger carries, as tests and benches write demo ledgers with them."""

from __future__ import annotations

HEADERS = {
    "household_id": "户编号",
    "village_code": "村代码",
    "head_name": "户主姓名",
    "id_number": "证件号码",
    "phone": "联系电话",
    "members": "家庭人口数",
    "per_capita_income": "人均纯收入",
    "status": "户类型",
    "monitor_type": "监测对象类别",
    "risk_types": "风险类型",
    "risk_eliminated": "风险是否消除",
    "education_ok": "义务教育保障",
    "medical_insured": "基本医疗保险参保",
    "housing_grade": "住房安全等级",
    "water_safe": "饮水安全",
    "helper": "帮扶责任人",
    "risk_found_on": "风险发现日期",
    "identified_on": "识别日期",
    "entered_on": "录入日期",
    "lon": "经度",
    "lat": "纬度",
}
