"""The wall screen's parts without a browser: KPI targets and status, kiosk tokens, the red list."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from analytics.kpis import wall_kpis
from analytics.records import Records
from battlemap_cli.main import main
from geodata._errors import InputError
from geodata.private.kiosk import create_token, digest, is_valid, revoke_token, tokens
from geodata.settings import Settings, WallSettings
from geodata.store import GeoPackageStore, Store
from layers.wall import red_list, tile_text

AS_OF = dt.date(2026, 7, 15)


def county_row(**values: float) -> pd.Series:
    base = {
        "households": 1000,
        "monitored_households": 100,
        "monitored_open_households": 20,
        "water_fail_rate": 0.04,
        "water_samples": 200,
        "water_unsafe_households": 10,
        "spend_rate": 0.40,
        "team_checkin_rate": 0.99,
        "teams": 20,
        "inspection_findings_open": 3,
        "sla_identify_ok_share": 0.9,
        "sla_entry_ok_share": 1.0,
        "cd_cases_overdue": 2,
    }
    return pd.Series({**base, **values}, dtype=float)


def records(cases: pd.DataFrame | None = None, inspections: list[tuple[str, str]] = ()) -> Records:
    """Records with C/D ``cases`` and ``inspections`` as (date, team id)."""
    visits = pd.DataFrame(list(inspections), columns=["date", "team_id"])
    tables = {
        "cases": cases if cases is not None else pd.DataFrame(columns=["case_id", "deadline", "accepted"]),
        "inspections": visits.assign(date=pd.to_datetime(visits["date"]), village_code="621121100201"),
    }
    return Records(as_of=AS_OF, settings=Settings(), tables=tables)


def by_key(kpis: list) -> dict:
    return {k.key: k for k in kpis}


def test_kpis_against_targets_and_last_month() -> None:
    cases = pd.DataFrame(
        {
            "case_id": ["a", "b", "c", "d"],
            "deadline": pd.to_datetime(["2026-10-31", "2026-10-31", "2026-05-01", "2025-10-31"]),
            "accepted": [True, False, True, True],
        }
    )
    rec = records(
        cases, inspections=[("2026-07-01", "T1"), ("2026-07-10", "T2"), ("2026-06-05", "T1"), ("2026-05-30", "T3")]
    )
    kpis = by_key(
        wall_kpis(
            county_row(),
            county_row(monitored_open_households=30, spend_rate=0.2),
            rec,
            as_of=AS_OF,
            settings=Settings(),
        )
    )

    monitoring = kpis["kpi_monitoring"]
    assert (monitoring.value, monitoring.target, monitoring.delta) == (80, 100, 10)  # 10 more eliminated
    assert monitoring.progress == pytest.approx(0.8) and monitoring.status == "bad"

    closed = kpis["kpi_cd_closed"]  # this year's deadlines: a, b, c; closed: a, c
    assert (closed.value, closed.target) == (2, 3) and closed.extra["close_by"] == "2026-11-30"

    water = kpis["kpi_water_pass"]
    assert water.value == pytest.approx(0.96) and water.target == 0.95 and water.status == "ok"

    spend = kpis["kpi_spend"]  # 50 % due by end of June; 40 % spent is 80 % of it
    assert spend.target == 0.5 and spend.delta == pytest.approx(0.2) and spend.status == "bad"

    inspections = kpis["kpi_inspections"]  # teams inspected 1–15 July: 2; 1–15 June: 1; target 30 teams × 15/31
    assert (inspections.value, inspections.delta, inspections.target) == (2, 1, round(30 * 15 / 31))

    timely = kpis["kpi_timeliness"]
    assert timely.value == pytest.approx(0.9) and timely.status == "warn"  # ≥ 0.9 of the target: amber
    assert kpis["kpi_checkin"].status == "ok"


def test_kpi_targets_are_settings() -> None:
    settings = Settings().replace(wall=WallSettings(water_pass_target=0.99, cd_plan=10, warn_share=0.5))
    kpis = by_key(wall_kpis(county_row(), None, records(), as_of=AS_OF, settings=settings))
    assert kpis["kpi_water_pass"].target == 0.99 and kpis["kpi_water_pass"].status == "warn"
    assert kpis["kpi_cd_closed"].target == 10
    assert kpis["kpi_water_pass"].delta is None  # nothing to compare with


def test_tile_text_writes_shares_counts_and_changes() -> None:
    kpis = by_key(
        wall_kpis(county_row(), county_row(water_fail_rate=0.10), records(), as_of=AS_OF, settings=Settings())
    )
    water = tile_text(kpis["kpi_water_pass"], "zh")
    assert (water.value, water.target, water.mark) == ("96.0%", "目标 95.0%", "✓")
    assert water.delta == "较上月 +6.0个百分点"
    monitoring = tile_text(kpis["kpi_monitoring"], "en")
    assert (monitoring.value, monitoring.suffix) == ("80", " / 100") and "risks open 20" in monitoring.detail


def test_red_list_names_the_heaviest_problems() -> None:
    villages = pd.DataFrame(
        {
            "name": ["<b>甲村</b>", "乙村", "丙村"],
            "risk_index": [40.0, 75.0, None],
            "risk_red": [False, True, False],
            "risk_water_quality": [80.0, 10.0, None],
            "risk_access": [5.0, 90.0, None],
            "risk_funds": [0.0, 60.0, None],
        },
        index=["621199101201", "621199102201", "621199102202"],
    )
    raw = pd.DataFrame(
        {"water_quality": [0.4, 0.05, None], "access": [1.0, 12.34, None], "funds": [0, 0.3, None]},
        index=villages.index,
    )
    entries = red_list(villages, raw, {"621199102": "二乡"}, "zh", length=10)
    assert [e.code for e in entries] == ["621199102201", "621199101201"]  # no score, no place on the list
    assert entries[0].reason == "就医距离 12.3公里 · 资金进度 30%" and entries[0].red and entries[0].town == "二乡"
    assert entries[1].name == "<b>甲村</b>"  # plain text: Dash escapes it on the page (once)


def test_kiosk_tokens_are_stored_as_digests_and_revocable(store: Store, capsys: pytest.CaptureFixture) -> None:
    token_id, token = create_token(store, "指挥中心")
    table = tokens(store)
    assert len(token) >= 40 and token not in table.to_string() and table["token_sha256"].iloc[0] == digest(token)
    assert is_valid(table, token) and not is_valid(table, token[:-1] + "x") and not is_valid(table, None)
    revoke_token(store, token_id)
    assert not is_valid(tokens(store), token)
    with pytest.raises(InputError, match="already revoked"):
        revoke_token(store, token_id)

    assert main(["--store", store.target, "kiosk", "new", "--label", "大屏2"]) == 0
    url = capsys.readouterr().out.strip().splitlines()[-1]
    assert is_valid(tokens(store), url.split("kiosk=")[1])
    assert main(["--store", store.target, "kiosk", "revoke", "k999"]) == 2
    assert main(["--store", store.target, "kiosk", "list"]) == 0
    listing = capsys.readouterr().out
    assert "k001  指挥中心" in listing and "revoked" in listing and "k002  大屏2" in listing and "active" in listing


def test_kiosk_changes_at_once_lose_nothing(store: Store) -> None:
    """Tokens created and revoked from two terminals at the same moment: every one kept, the revocation too."""
    first, _ = create_token(store, "大屏0")
    start = threading.Barrier(4)

    def work(n: int) -> str | None:
        start.wait()
        if n == 0:
            revoke_token(store, first)
            return None
        return create_token(store, f"大屏{n}")[0]

    with ThreadPoolExecutor(4) as pool:
        made = [i for i in pool.map(work, range(4)) if i]
    table = tokens(store).set_index("token_id")
    assert len(set(made)) == 3 and set(made) <= set(table.index) and len(table) == 4
    assert pd.notna(table.loc[first, "revoked_at"])


def test_quantiles_with_many_ties_merge_classes_quietly() -> None:
    import warnings

    from layers.catalog import BY_KEY
    from layers.classify import classify

    values = pd.Series([0.0] * 40 + [0.1, 0.2, 0.5])  # most villages have no failing sample
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        classes = classify(values, BY_KEY["water_fail_rate"], Settings(), "zh")
    assert (
        1 < len(classes.colours) < 5
        and classes.index.iloc[0] == 0
        and classes.index.iloc[-1] == len(classes.colours) - 1
    )


def test_last_month_comes_from_the_snapshot_or_the_same_computation(tmp_path: Path) -> None:
    from callbacks.store_data import StoreData
    from tests.test_indicators_mini import layers

    store = GeoPackageStore(tmp_path / "s.gpkg")
    with store.transaction() as tx:
        for name, frame in layers().items():
            tx.write(name, frame)
    assert main(["--store", str(store.path), "build", "--as-of", "2026-06-10"]) == 0
    computed = StoreData(store).county_last_month()  # no snapshots yet: computed as of 2026-05-31
    assert pd.Timestamp(computed["as_of"]).date() == dt.date(2026, 5, 31)
    assert main(["--store", str(store.path), "history", "--from", "2026-04", "--to", "2026-05"]) == 0
    data = StoreData(store)
    before = data.county_last_month()
    assert pd.Timestamp(before["as_of"]).date() == dt.date(2026, 5, 31)
    assert before["households"] == computed["households"]
    assert before["monitored_households"] == computed["monitored_households"]


def test_a_request_never_computes_last_month_itself(tmp_path: Path) -> None:
    """Without last month's snapshot the wall gets no 较上月 at once; the figures are computed in the background."""
    import threading

    from callbacks.store_data import StoreData
    from tests.test_indicators_mini import layers

    store = GeoPackageStore(tmp_path / "s.gpkg")
    with store.transaction() as tx:
        for name, frame in layers().items():
            tx.write(name, frame)
    assert main(["--store", str(store.path), "build", "--as-of", "2026-06-10"]) == 0
    data = StoreData(store)
    assert not data.last_month_ready()
    assert data.county_last_month(wait=False) is None  # unknown, never 0 (the tiles say so)
    assert data.villages_last_month(wait=False) is None
    for thread in [t for t in threading.enumerate() if t.name.startswith("later-indicators@")]:
        thread.join(timeout=60)
    assert data.last_month_ready()
    before = data.county_last_month(wait=False)
    assert before is not None
    assert pd.Timestamp(before["as_of"]).date() == dt.date(2026, 5, 31)
    assert before["households"] == StoreData(store).county_last_month()["households"]  # type: ignore[index]
