"""Excel templates for every layer: Chinese headers (required ones starred), one example row, instructions.

A template filled in and uploaded imports cleanly: the example row names a village of
the store it was made from (its code, a point inside it), so the example itself is a
valid record there. Layers with polygon or line geometry carry it as WKT text in a
``几何`` column (see :mod:`geodata.io.readers`); coordinates are CGCS2000 lon/lat.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import openpyxl
import shapely
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geodata.io.crs import from_cgcs2000, gk_zone_epsg, parse_crs
from geodata.io.idcard import check_char
from geodata.schemas import SCHEMAS, Column, LayerSchema, schema
from geodata.settings import get_settings
from geodata.store import Store

WKT_HEADER = "几何"
EXAMPLE_DATE = dt.date(2026, 3, 5)
REQUIRED_FILL = PatternFill("solid", fgColor="FFE8B0")
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
KIND_ZH = {
    "str": "文本",
    "code": "代码",
    "int": "整数",
    "float": "数值",
    "percent": "百分数",
    "bool": "是/否",
    "date": "日期",
    "enum": "选项",
    "list": "多选",
    "number_text": "检测值",
}

# Example values that the generic rules below would get wrong or make unreadable, by layer and column.
EXAMPLES: dict[str, dict[str, object]] = {
    "towns": {"name": "安定镇"},
    "villages": {"name": "红星村", "population": 820, "collective_income": 52000, "former_poverty_village": "是"},
    "households": {"head_name": "张三", "phone": "13800000000", "members": 4, "per_capita_income": 6800,
                   "status": "监测对象", "monitor_type": "边缘易致贫户", "risk_types": "因病、因学",
                   "risk_eliminated": "否", "housing_grade": "B", "helper": "李四",
                   "risk_found_on": EXAMPLE_DATE, "identified_on": dt.date(2026, 3, 12),
                   "entered_on": dt.date(2026, 3, 18)},
    "water_tests": {"sample_id": "S2026030501", "site_id": "W001", "site_name": "红星村末梢水", "site_type": "末梢水",
                    "indicator": "浑浊度", "value": "0.5", "unit": "NTU"},
    "housing": {"case_id": "CD2026001", "grade": "C级", "stage": "已开工", "deadline": dt.date(2026, 10, 31),
                "subsidy": 20000},
    "roads": {"road_id": "C001", "name": "红星村道", "road_class": "村道", "hardened": "是"},
    "facilities": {"facility_id": "F001", "name": "红星村卫生室", "kind": "村卫生室", "capacity": 1},
    "hazards": {"hazard_id": "H001", "kind": "滑坡", "level": "中"},
    "elevation": {"row": 0, "col": 0, "elev_m": 1850.0},
    "projects": {"project_id": "P2026001", "name": "红星村道路硬化", "category": "基础设施", "budget": 500000,
                 "disbursed": 150000, "reimbursed_amount": 100000, "status": "已开工", "year": 2026},
    "teams": {"team_id": "T001", "unit": "县农业农村局", "leader": "王五", "members": 3, "checkin_rate": 0.98,
              "days_in_village": 60, "monthly_score": 92, "year_score": 88},
    "inspections": {"inspection_id": "DC2026001", "inspector": "督查组", "team_id": "T001", "finding": "帮扶手册未更新",
                    "rectified": "否"},
    "tasks": {"task_id": "RW2026001", "title": "通组道路硬化", "category": "基础设施", "unit": "县交通运输局",
              "person": "李四", "start": EXAMPLE_DATE, "deadline": dt.date(2026, 10, 31), "progress": 40,
              "status": "推进中", "budget": 50},
    "household_measures": {"measure": "安排公益性岗位", "category": "就业", "helper": "李四",
                           "deadline": dt.date(2026, 10, 31), "done": "是", "done_on": dt.date(2026, 4, 20)},
    "regions": {"name": "示例市", "level": "市"},
}  # fmt: skip


@dataclass(frozen=True)
class ExamplePlace:
    """Where the example rows live: a stored village (code, a point inside it) and a stored household."""

    village_code: str = "621121100201"
    lon: float = 104.61
    lat: float = 35.61
    household_id: str | None = None
    project_id: str | None = None  # a stored project of the village, which the tasks example links to

    @property
    def town_code(self) -> str:
        """The township code (first nine digits)."""
        return self.village_code[:9]


def example_place(store: Store | None) -> ExamplePlace:
    """The first village of ``store`` (by code), its first household and project, or a generic example."""
    if store is None or not store.exists() or not store.has("villages"):
        return ExamplePlace()
    villages = store.read("villages").sort_values("village_code")
    first = villages.iloc[0]
    point = shapely.point_on_surface(first.geometry)
    household = None
    if store.has("households"):
        ids = store.read("households", columns=["household_id", "village_code"])
        mine = ids[ids["village_code"] == first["village_code"]]["household_id"].sort_values()
        household = str(mine.iloc[0]) if len(mine) else None
    project = None
    if store.has("projects"):
        projects = store.read("projects", columns=["project_id", "village_code"])
        own = projects[projects["village_code"] == first["village_code"]]["project_id"].sort_values()
        project = str(own.iloc[0]) if len(own) else None
    return ExamplePlace(str(first["village_code"]), round(point.x, 6), round(point.y, 6), household, project)


def example_row(layer: str, place: ExamplePlace) -> dict[str, object]:
    """The example record of ``layer`` as it appears in the template: column name → cell value."""
    spec = schema(layer)
    gk_x, gk_y = _gk(place) if spec.geometry == "grid" else (None, None)
    special: dict[str, object] = {
        "village_code": place.village_code,
        "town_code": place.town_code,
        "township_code": place.town_code,  # inspections: the responsible township
        "lon": place.lon,
        "lat": place.lat,
        "household_id": place.household_id or f"{place.village_code}0001",
        "id_number": _resident_id(place.village_code[:6]),
        "x": gk_x,
        "y": gk_y,
        "gk_epsg": gk_zone_epsg(place.lon),
        "project_id": place.project_id or "",  # empty without a stored project: a link to nothing is warned
        "code": place.village_code[:4],  # regions: the example village's city
    }
    if layer == "inspections":  # a category the import accepts: the first of the county's [findings] categories
        special["category"] = next(iter(get_settings().findings.categories), None)
    row = {c.name: _example_value(c, spec, special) for c in spec.columns}
    if spec.geometry in ("polygon", "line"):
        row[WKT_HEADER] = _example_wkt(spec, place)
    return row


def _example_value(col: Column, spec: LayerSchema, special: dict[str, object]) -> object:
    """One example cell: the table above, else the place, else by kind (enum: its first Chinese spelling)."""
    value = EXAMPLES.get(spec.name, {}).get(col.name, special.get(col.name))
    if value is not None:
        return value
    if col.choices:
        first = next(iter(col.choices.items()))
        return first[1][0] if first[1] else first[0]
    by_kind: dict[str, object] = {"bool": "是", "date": EXAMPLE_DATE, "int": 1, "float": 1.0, "number_text": "0"}
    return by_kind.get(col.kind, f"示例{col.zh}")


def _resident_id(county: str) -> str:
    """A resident ID with a valid check character, born 1980-01-01 in ``county``."""
    first17 = f"{county}19800101001"
    return first17 + check_char(first17)


def _gk(place: ExamplePlace) -> tuple[float, float]:
    """The example point in the county's Gauss-Krüger zone (the elevation grid's coordinates)."""
    x, y = from_cgcs2000(place.lon, place.lat, parse_crs(gk_zone_epsg(place.lon)))
    return round(float(x[0]), 1), round(float(y[0]), 1)


def _example_wkt(spec: LayerSchema, place: ExamplePlace) -> str:
    """A small square (polygon layers) or a short line (roads) around the example point."""
    d = 0.002
    x, y = place.lon, place.lat
    if spec.geometry == "line":
        return shapely.to_wkt(shapely.linestrings([[x - d, y], [x + d, y]]), rounding_precision=6)
    return shapely.to_wkt(shapely.box(x - d, y - d, x + d, y + d), rounding_precision=6)


def template_workbook(layer: str, *, store: Store | None = None) -> bytes:
    """The template of ``layer`` as xlsx bytes: headers and example row, then an instructions sheet."""
    spec = schema(layer)
    row = example_row(layer, example_place(store))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = spec.zh
    names = [c.name for c in spec.columns] + ([WKT_HEADER] if WKT_HEADER in row else [])
    for j, name in enumerate(names, start=1):
        col = spec.column(name) if name != WKT_HEADER else None
        cell = ws.cell(row=1, column=j, value=_header(col))
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if col is None or col.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        cell.comment = Comment(_help(col), "battlemap")
        value = row[name]
        target = ws.cell(row=2, column=j, value=value)
        if isinstance(value, dt.date):
            target.number_format = "yyyy-mm-dd"
        ws.column_dimensions[get_column_letter(j)].width = 60 if col is None else max(12, 2 * len(col.zh) + 6)
    ws.freeze_panes = "A2"
    _instructions(wb.create_sheet("填写说明"), spec)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _header(col: Column | None) -> str:
    """The header cell: the Chinese name, starred when required."""
    if col is None:
        return f"*{WKT_HEADER}"
    return f"*{col.zh}" if col.required else col.zh


def _help(col: Column | None) -> str:
    """A header cell's comment: canonical name, type, allowed values."""
    if col is None:
        return "geometry as WKT text, CGCS2000 lon/lat (EPSG:4490)"
    allowed = "; ".join(f"{v[0] if v else k} ({k})" for k, v in col.choices.items())
    text = f"{col.name} · {col.kind}{' · required 必填' if col.required else ''}"
    return f"{text}\n{allowed}" if allowed else text


def _instructions(ws: openpyxl.worksheet.worksheet.Worksheet, spec: LayerSchema) -> None:
    """One line per column: Chinese name, field, required, type, allowed values, other accepted headers."""
    ws.append(
        ["列名 Column", "字段 Field", "必填 Required", "类型 Type", "可选值 Allowed values", "其他写法 Also accepted"]
    )
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for col in spec.columns:
        allowed = "、".join(v[0] if v else k for k, v in col.choices.items())
        if col.digits:
            allowed = f"{col.digits} 位数字 digits"
        ws.append(
            [
                col.zh,
                col.name,
                "是" if col.required else "",
                f"{KIND_ZH[col.kind]} {col.kind}",
                allowed,
                "、".join(col.aliases),
            ]
        )
    if spec.geometry in ("polygon", "line"):
        ws.append([WKT_HEADER, "geometry", "是", "WKT", "CGCS2000 经纬度 lon/lat (EPSG:4490)", "wkt、geometry"])
    if spec.coords:
        ws.append(["", "", "", "", "经纬度请用 CGCS2000；手机地图坐标(GCJ-02)在导入页选择坐标系", ""])
    for letter, width in zip("ABCDEF", (16, 20, 10, 14, 48, 48), strict=True):
        ws.column_dimensions[letter].width = width


def template_layers() -> list[str]:
    """Every layer that has a template (all of them)."""
    return list(SCHEMAS)
