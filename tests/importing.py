"""Helpers for import tests: household rows and files written the way county staff write them."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import openpyxl

from battlemap_cli.main import main
from tests.conftest import resident_id

HEADER = [
    "序号",
    "户编号",
    "村代码",
    "户主姓名",
    "证件号码",
    "联系电话",
    "家庭人口数",
    "人均纯收入（元）",
    "户类型",
    "监测对象类别",
    "风险类型",
    "风险是否消除",
    "住房安全等级",
    "饮水安全",
    "识别日期",
    "经度",
    "纬度",
]


def household_rows(n: int = 8) -> list[list[object]]:
    """``n`` valid household rows spread over the mini county's four villages (points at their centres)."""
    villages = [
        ("621121100201", 104.61, 35.61),
        ("621121100202", 104.63, 35.61),
        ("621121201201", 104.61, 35.63),
        ("621121201202", 104.63, 35.63),
    ]
    rows = []
    for i in range(n):
        code, lon, lat = villages[i % 4]
        monitored = i % 3 == 0
        rows.append(
            [
                i + 1,
                f"{code}{i:04d}",
                code,
                f"王{'建国明华'[i % 4]}军",
                resident_id(i),
                f"1381234{i:04d}",
                1 + i % 5,
                6000 + 500 * i,
                "监测对象" if monitored else "一般户",
                "边缘易致贫户" if monitored else "",
                "因病；因学" if monitored else "",
                "否" if monitored else "",
                "B",
                "是",
                "2026-03-05" if monitored else "",
                lon + 0.001 * (i // 4),
                lat,
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list[object]], *, header: list[str] = HEADER, encoding: str = "gbk") -> Path:
    """Write a CSV the way Excel on a Chinese Windows saves it (GBK by default)."""
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(
    path: Path,
    rows: list[list[object]],
    *,
    header: list[str] = HEADER,
    title: str | None = None,
    sheet: str = "农户台账",
) -> Path:
    """Write a workbook with an optional merged title row above the header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def digest(path: Path) -> str:
    """SHA-256 of a file: the store must be byte-identical after a refused import."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(store: Path | str, *args: str) -> int:
    """Run the battlemap command line against ``store``."""
    return main(["--store", str(store), *args])


def two_sheet_workbook(path: Path) -> Path:
    """A summary sheet (汇总) first, the household ledger (明细) second, an empty third sheet."""
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append(["乡镇", "户数"])
    summary.append(["城关镇", 2])
    detail = wb.create_sheet("明细")
    detail.append(HEADER)
    for row in household_rows(2):
        detail.append(row)
    wb.create_sheet("空白")
    wb.save(path)
    return path
