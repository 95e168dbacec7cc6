"""Recording on a 390 × 844 phone with no network, then sending: exactly one finding and one photo arrive.

The pack is opened online, then the browser context is set offline (the page stays; its
fetches fail) while the inspector records an arrival and a finding with a photo; the unsent
count shows them queued. Back online the queue is sent by itself. The first answer to the
finding is lost on the way back (the request reached the server, a proxy answered 502 Bad
Gateway), so the finding stays queued and the phone sends it again: the server still holds
one finding and one photo, and another tap on "Send" changes nothing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from geodata.private.field_records import FieldRecords
from geodata.store import GeoPackageStore
from harness.browser import SCREENSHOTS, chromium, serving
from tests.field_plans import demo_with_plan, open_pack
from tests.test_route_phone import PHONE, TOUCH_PX

TEXT = "自来水停水三天未报修"  # the importer folds full-width punctuation (NFKC): none here
PICK = "#stop-1 .fp-findings :is(button, select, textarea, label.fp-tick, label.fp-file), #fp-sync"
CONTROLS = (
    """() => [...document.querySelectorAll('"""
    + PICK
    + """')].filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect(); return {text: (e.textContent || e.name || '').trim().slice(0, 20),
              height: r.height, width: r.width, left: r.left, right: r.right}; })"""
)


def photo_file() -> dict[str, Any]:
    """A 2000 × 1500 JPEG as the phone's camera gives it (the page makes it smaller)."""
    out = io.BytesIO()
    Image.new("RGB", (2000, 1500), (90, 140, 60)).save(out, "JPEG", quality=95)
    return {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


@pytest.mark.browser
def test_a_finding_recorded_offline_arrives_once_with_its_photo(demo_store_path: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "county.gpkg"
    store, plan = demo_with_plan(demo_store_path, store_path)
    stop = plan["stops"][0]
    here = {"latitude": stop["lat"], "longitude": stop["lon"], "accuracy": 15}
    before = len(store.read("inspections"))
    errors: list[str] = []
    lost: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with serving(store_path) as url, chromium() as browser:
        context, page = open_pack(browser, url, store_path, plan, here=here, errors=errors)
        assert "未发送：0条" in page.text_content("#fp-unsent")

        _record_offline(page, context, here)
        assert len(store.read("inspections")) == before  # nothing has left the phone
        _assert_fits(page)
        page.locator("#stop-1 .fp-findings").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "field_record_offline.png"))

        def lose_first_answer(route: Any) -> None:  # the server stores the finding, a proxy answers 502
            if not lost and '"kind":"finding"' in (route.request.post_data or ""):
                route.fetch()
                lost.append(route.request.url)
                route.fulfill(status=502, body="Bad Gateway")  # kept queued, not refused
                return
            route.continue_()

        page.route("**/sync", lose_first_answer)
        context.set_offline(False)  # the 'online' event sends the queue: the finding's answer is lost
        page.wait_for_function("() => document.body.dataset.synced && document.body.dataset.unsent === '2'")
        assert lost and len(store.read("inspections")) == before + 1
        page.tap("#fp-sync")  # the phone sends the finding again, then its photo
        page.wait_for_selector("body[data-unsent='0']")
        page.tap("#fp-sync")  # and once more: nothing left to send, nothing new stored
        page.wait_for_timeout(500)
        assert "已全部发送" in page.text_content("#fp-sync-status")
        assert page.locator("#stop-1 .fp-saved li.sent").count() == 3
        page.locator("#stop-1 .fp-findings").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "field_record_sent.png"))
        context.close()
    _assert_arrived_once(store, plan, before)
    assert not errors, errors


def _assert_fits(page: Any) -> None:
    """No sideways scrolling; the recording controls tall and wide enough for a finger, inside the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    controls = page.evaluate(CONTROLS)
    assert len(controls) >= 5, controls
    small = [c for c in controls if c["height"] < TOUCH_PX or c["width"] < TOUCH_PX]
    assert not small, small
    outside = [c for c in controls if c["left"] < 0 or c["right"] > PHONE["viewport"]["width"]]
    assert not outside, outside


def _assert_arrived_once(store: GeoPackageStore, plan: dict[str, Any], before: int) -> None:
    """One arrival and one finding (open, in the stop's village), one photo of it, resized on the phone."""
    stop = plan["stops"][0]
    records, photos = FieldRecords.beside(store).records(plan["plan_id"])
    assert sorted(records["kind"]) == ["arrival", "finding"] and not records["flagged"].any()
    rows = store.read("inspections")
    found = rows[rows["inspection_id"] == records["inspection_id"].dropna().iloc[0]]
    assert len(rows) == before + 1 and list(found["finding"]) == [TEXT]
    assert found["status"].iloc[0] == "open" and found["village_code"].iloc[0] == stop["village_code"]
    assert len(photos) == 1 and photos["inspection_id"].iloc[0] == found["inspection_id"].iloc[0]
    side = max(
        Image.open(
            io.BytesIO(FieldRecords.beside(store).photo(store, plan["plan_id"], photos["uuid"].iloc[0], who="test")[0])
        ).size
    )
    assert side == 1600  # [field_pack] photo_max_side_px: resized on the phone


def _record_offline(page: Any, context: Any, here: dict[str, float]) -> None:
    """With no network: tap Arrived at stop 1, save a finding with a photo; all three wait on the phone."""
    context.set_offline(True)
    context.set_geolocation(here)
    page.locator("#stop-1 button[data-act='arrival']").tap()
    page.wait_for_selector("body[data-unsent='1']")
    form = page.locator("#stop-1 form.fp-finding")
    form.locator("select[name='category']").select_option("饮水安全")
    form.locator("textarea[name='text']").fill(TEXT)
    form.locator("input[name='photo']").set_input_files(photo_file())
    form.locator("button[type='submit']").tap()
    page.wait_for_selector("body[data-unsent='3']")  # the arrival, the finding and its photo, on the phone
    assert "未发送：3条" in page.text_content("#fp-unsent") and page.is_visible(".fp-warn")
    assert "已到达" in page.text_content("#stop-1 .fp-arrived")
    assert page.locator("#stop-1 .fp-saved li.queued").count() == 3
