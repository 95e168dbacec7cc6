"""The field tests' starting point: a saved one-day plan of the test inspector's on a demo county store."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from callbacks.route_page import make_plan
from callbacks.store_data import StoreData
from geodata.private.plan_store import PlanStore
from geodata.store import GeoPackageStore, Store

PLAN_DATE = dt.date(2026, 12, 1)


def saved_plan(store: Store, stops: int = 3) -> dict:
    """A one-day plan of ``stops`` stops on 2026-12-01 (seed 4, back home) saved as the test inspector's."""
    plan = make_plan(StoreData(store), date=PLAN_DATE, stops=stops, days=1, hours=8.0, start=None, seed=4, back=True)
    return PlanStore.beside(store).save(plan, owner="test-inspector")


def demo_with_plan(demo_store_path: Path, path: Path, stops: int = 3) -> tuple[GeoPackageStore, dict]:
    """A copy of the demo county at ``path`` and its :func:`saved_plan`."""
    shutil.copyfile(demo_store_path, path)
    store = GeoPackageStore(path)
    return store, saved_plan(store, stops)
