"""The household register's server side: filter, sort and slice like AG Grid's infinite row model asks."""

from __future__ import annotations

import pandas as pd

from callbacks.register import answer

TABLE = pd.DataFrame(
    {
        "household_id": [f"H{i}" for i in range(6)],
        "head_name": ["张*明", "李*", "王*华", "张*", "赵*军", "张*丽"],
        "members": [4, 2, 6, 1, 3, 5],
        "per_capita_income": [2000.0, 9000.0, 12000.0, 3000.0, None, 7000.0],
    }
)


def test_block_and_count() -> None:
    out = answer(TABLE, {"startRow": 2, "endRow": 4})
    assert out["rowCount"] == 6
    assert [r["household_id"] for r in out["rowData"]] == ["H2", "H3"]


def test_sort_then_filter() -> None:
    request = {
        "startRow": 0,
        "endRow": 100,
        "sortModel": [{"colId": "members", "sort": "desc"}],
        "filterModel": {"head_name": {"filterType": "text", "type": "startsWith", "filter": "张"}},
    }
    out = answer(TABLE, request)
    assert [r["household_id"] for r in out["rowData"]] == ["H5", "H0", "H3"]
    assert out["rowCount"] == 3


def test_number_filters_and_missing_values() -> None:
    greater = {"per_capita_income": {"filterType": "number", "type": "greaterThan", "filter": 5000}}
    assert answer(TABLE, {"filterModel": greater})["rowCount"] == 3
    between = {"members": {"filterType": "number", "type": "inRange", "filter": 2, "filterTo": 4}}
    assert [r["household_id"] for r in answer(TABLE, {"filterModel": between})["rowData"]] == ["H0", "H1", "H4"]
    row = answer(TABLE, {"startRow": 4, "endRow": 5})["rowData"][0]
    assert row["per_capita_income"] is None  # NaN must not reach the browser as NaN (invalid JSON)
