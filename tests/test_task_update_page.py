"""/map in a real browser: a township leader reports a task's progress in the village panel; history and audit follow.

A 已完成 without a note is refused on the page and stores nothing; with a note the task
list shows the task done at once, the store holds the change and its history, and the
audit log names the leader. Another township's village shows the list without the form.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from geodata.private.db import PrivateDB
from geodata.private.task_updates import task_history
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, login, serving


def choose(page: object, dropdown: str, text: str) -> None:
    """Pick the option showing ``text`` in the Dash dropdown ``dropdown``."""
    page.locator(dropdown).click()  # type: ignore[attr-defined]
    page.locator(".dash-dropdown-option", has_text=text).first.click()  # type: ignore[attr-defined]


@pytest.mark.browser
def test_a_township_leader_reports_progress_in_the_village_panel(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    shutil.copyfile(demo_store_path, store_path)
    store = GeoPackageStore(store_path)
    tasks = pd.DataFrame(store.read("tasks"))
    open_tasks = tasks[tasks["status"] == "in_progress"].sort_values("task_id")
    task = open_tasks.iloc[0]
    village, town = str(task["village_code"]), str(task["village_code"])[:9]
    other = tasks[tasks["village_code"].str[:9] != town]["village_code"].iloc[0]
    errors: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(store_path) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        leader = login(page, url, store_path, "leader", township=town)
        page.goto(f"{url}/map?town={town}&village={village}")
        page.wait_for_selector("#task-save", timeout=60_000)
        assert page.locator(f"#task-row-{task['task_id']}").count() == 1

        choose(page, "#task-pick", str(task["title"]))
        page.fill("#task-progress", "100")
        choose(page, "#task-status", "已完成")
        page.click("#task-save")
        page.wait_for_function("() => document.querySelector('#task-message').textContent.includes('进展说明')")
        assert task_history(store).empty, "refused: nothing stored"

        page.fill("#task-note", "已完工并验收")
        page.click("#task-save")
        page.wait_for_function("() => document.querySelector('#task-message').textContent.includes('已保存')")
        row = page.locator(f"#task-row-{task['task_id']}")
        assert "已完成" in (row.text_content() or "") and "100%" in (row.text_content() or "")
        page.screenshot(path=str(SCREENSHOTS / "map_task_update.png"))

        page.goto(f"{url}/map?town={other[:9]}&village={other}")  # outside the leader's township: no form
        page.wait_for_timeout(3000)
        assert page.locator("#task-save").count() == 0

    stored = pd.DataFrame(store.read("tasks")).set_index("task_id").loc[task["task_id"]]
    assert (stored["status"], stored["progress"]) == ("done", 100)
    history = task_history(store, str(task["task_id"]))
    assert list(history["who"]) == [leader] and list(history["note"]) == ["已完工并验收"]
    audit = PrivateDB.beside(store).audit_log(action="task:update")
    assert list(audit["who"]) == [leader] and list(audit["target"]) == [task["task_id"]]
    assert not errors, errors
