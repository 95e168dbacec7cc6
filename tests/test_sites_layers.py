"""Site maps and words without a browser: the PNG surface, reasons, the figure's fixed slots, escaped exports."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pandas as pd
import pytest

from analytics.sites import CRITERIA, Selection, plan_movers, rank_sites
from callbacks.sites_page import PAIRS, Controls, _matrix, comparison_table
from geodata.settings import Settings
from layers.site_map import SiteView, origins_lonlat, png_bytes, sites_figure, sites_html
from layers.site_text import reasons
from layers.unit_map import Context
from tests import sites_landscape as ls


@pytest.fixture(scope="module")
def view() -> SiteView:
    s = Settings()
    model = ls.model(s, facilities=[ls.GOOD, ls.FLOODED], flood=True)
    plan = plan_movers(model, Selection())
    result = rank_sites(model, plan)
    return SiteView(result, model.land.grid, model.land.inside, origins_lonlat(plan.origins.table, ls.EPSG), "zh")


def test_png_is_a_valid_rgba_image() -> None:
    rgba = np.zeros((3, 2, 4), np.uint8)
    rgba[1, 0] = (10, 20, 30, 255)
    data = png_bytes(rgba)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (2, 3)
    idat = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[idat - 4 : idat])
    raw = zlib.decompress(data[idat + 4 : idat + 4 + length])
    assert raw[9] == 0 and raw[10:14] == bytes((10, 20, 30, 255))  # row 1 (9 bytes a row): filter, pixel 0


def test_reasons_name_what_separates_neighbours() -> None:
    points = {f"points_{c}": 5.0 for c in CRITERIA}
    values = {f"value_{c}": 80.0 for c in CRITERIA}
    rows = pd.DataFrame(
        [
            {"site_id": "S1", **points, **values, "points_clinic": 9.0},
            {"site_id": "S2", **points, **values, "points_slope": 7.0, "value_water": 10.0},
        ]
    )
    zh, en = reasons(rows, "zh"), reasons(rows, "en")
    assert zh[0].startswith("第1名：领先S2主要在于距卫生室/院（+4.0分）")
    assert "behind S1 on clinic access (−4.0 pts)" in en[1] and "weakest: water-plant access 10/100" in en[1]


def test_figure_has_the_image_and_fixed_result_slots(view: SiteView) -> None:
    fig, surface = sites_figure(view, context=Context(), slots=10)
    assert len(fig.data) == 1 + 2 * 10  # origins, then outline + marker per slot
    assert sum(len(tr.lon) == 1 for tr in fig.data if tr.meta == "candidates") == len(view.result.candidates)
    layer = fig.layout.map.layers[-1]
    assert layer.sourcetype == "image" and layer.source.startswith("data:image/png;base64,")
    assert surface.low < surface.high <= 100


def test_exported_html_escapes_names(view: SiteView) -> None:
    cands = view.result.candidates.copy()
    cands["village_name"] = "<script>alert(1)</script>"
    hostile = SiteView(
        type(view.result)(**{**view.result.__dict__, "candidates": cands}),
        view.grid,
        view.inside,
        view.origins.assign(name="<img src=x onerror=alert(1)>"),
        "en",
    )
    page = sites_html(hostile, title="<b>t</b>")
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)" in page


def test_page_controls_table_and_ahp_matrix(view: SiteView) -> None:
    controls = Controls.parse(
        [[0.2] * len(CRITERIA), None, 300, 99, None, ["621199100201"], None, "H001，H002, H001", None]
    )
    assert controls.top_k == 10 and controls.hazard_buffer == 300
    assert controls.slope_limit == Settings().sites.slope_limit_deg
    assert controls.selection == Selection(
        households=Settings().sites.page_households, add_villages=("621199100201",), add_households=("H001", "H002")
    )
    table = comparison_table(view.result, "zh")
    assert table.id == "sites-comparison"
    assert len(table.children[1].children) == 2 * len(view.result.candidates)  # a row and its reason per site
    m = _matrix(["1/3" if i == 0 else "1" for i in range(len(PAIRS))])
    assert m[0, 1] == pytest.approx(1 / 3) and m[1, 0] == pytest.approx(3)
