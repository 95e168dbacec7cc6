"""The field tests' starting point: a saved one-day plan of the test inspector's on a demo county store."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from callbacks.route_page import make_plan
from callbacks.store_data import StoreData
from geodata.private.plan_store import PlanStore
from geodata.store import GeoPackageStore, Store
from harness.browser import login
from tests.test_route_phone import PHONE

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


def open_pack(
    browser: Any, url: str, store_path: Path, plan: dict, *, here: dict[str, float], errors: list[str]
) -> tuple[Any, Any]:
    """A 390 × 844 phone at ``here``, logged in as the test inspector, on the plan's field pack, offline-ready.

    Page errors are collected in ``errors``; returns the browser context (to set offline) and the page.
    """
    context = browser.new_context(**PHONE, geolocation=here, permissions=["geolocation"])
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, url, store_path, "inspector", then="/route")
    page.goto(f"{url}/field/{plan['plan_id']}/")
    page.wait_for_selector("body[data-offline-ready][data-unsent='0']", timeout=30_000)
    return context, page
