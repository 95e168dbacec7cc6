"""Importing an inspections file: a finding's category must be one of ``[findings] categories``.

An unknown category refuses the file with one problem per bad row naming the file, the
row, the column as headed in the file, the value and the allowed values; an English
label (any case) is stored as its Chinese label. Nothing is written on a refusal.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geodata._errors import InputError
from geodata.io.importer import import_layer
from geodata.store import Store
from tests.conftest import snapshot

V1 = "621121100201"


def _sheet(tmp_path: Path, categories: list[str | None]) -> Path:
    path = tmp_path / "暗访记录.csv"
    pd.DataFrame(
        {
            "暗访编号": [f"DC{i:05d}" for i in range(1, len(categories) + 1)],
            "暗访日期": ["2026-06-01"] * len(categories),
            "村代码": [V1] * len(categories),
            "发现问题": ["饮水设施损坏"] * len(categories),
            "问题类别": categories,
        }
    ).to_csv(path, index=False)
    return path


def test_an_unknown_category_refuses_the_file_saying_where_and_what_is_allowed(gpkg: Store, tmp_path: Path) -> None:
    path = _sheet(tmp_path, ["饮水安全", "卫生", None, "住房"])
    before = snapshot(gpkg)
    with pytest.raises(InputError) as refused:
        import_layer("inspections", path, store=gpkg)
    report = refused.value.report
    bad = [(p.file, p.row, p.column, p.value) for p in report.errors]
    assert bad == [(str(path), 3, "问题类别", "卫生"), (str(path), 5, "问题类别", "住房")]
    assert all(
        "饮水安全 (drinking water safety)" in p.reason and "[findings] categories" in p.reason for p in report.errors
    )
    assert snapshot(gpkg) == before


def test_english_labels_are_stored_as_the_chinese_category(gpkg: Store, tmp_path: Path) -> None:
    import_layer("inspections", _sheet(tmp_path, ["Housing Safety", "饮水安全", None]), store=gpkg)
    stored = pd.DataFrame(gpkg.read("inspections")).sort_values("inspection_id")
    assert stored["category"].tolist()[:2] == ["住房安全", "饮水安全"] and pd.isna(stored["category"].iloc[2])
