"""Every problem a validation report can hold has a name and a fix in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from geodata.io.report import Report
from layers.data_views import report_columns, report_rows
from layers.i18n import PROBLEM_FIXES, PROBLEM_KINDS

KIND = re.compile(
    r"""(?:add|flag|warn|error)\(\s*"([a-z_]+)",|"([a-z_]+)",\s*"(?:error|warning)\"|\bkind="([a-z_]+)",\s*(?:reason|severity)="""
)


def raised_kinds() -> set[str]:
    """Problem kinds named where geodata reports them (report.add, sink.flag and friends, kind=...)."""
    found: set[str] = set()
    for path in Path("geodata").rglob("[!_]*.py"):  # not the demo generator's _land, _people...
        for a, b, c in KIND.findall(path.read_text("utf-8")):
            found.add(a or b or c)
    return found - {"error", "warning"}


def test_every_raised_kind_has_a_label_and_a_fix() -> None:
    kinds = raised_kinds()
    assert {"bad_value", "missing_column", "outside_county", "unreadable"} <= kinds
    assert kinds <= set(PROBLEM_KINDS), kinds - set(PROBLEM_KINDS)
    assert set(PROBLEM_FIXES) == set(PROBLEM_KINDS)


def test_the_report_grid_says_what_to_do_in_the_page_language() -> None:
    report = Report(file="户.xlsx", layer="households", rows=3)
    report.add("id_checksum", "error", "check digit should be 7", row=3, column="id_number", value="610102199001011234")
    zh = report_rows(report, layer="households", mapping={"身份证号": "id_number"}, lang="zh", limit=10)[0]
    en = report_rows(report, layer="households", mapping={"身份证号": "id_number"}, lang="en", limit=10)[0]
    assert zh["fix"].startswith("核对身份证号") and en["fix"].startswith("check the ID number")
    assert zh["column"] == "身份证号" and zh["value"] == "6101**********1234"  # the ID stays masked
    assert [c["headerName"] for c in report_columns("zh")][4] == "修改建议"
