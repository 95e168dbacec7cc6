"""Site maps and words without a browser: the PNG surface, reasons, the figure's fixed slots, escaped exports."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pandas as pd
import pytest

from analytics.sites import CRITERIA, Selection, plan_movers, rank_sites
from callbacks.sites_page import (
    PAIRS,
    Controls,
    assignment_panel,
    comparison_table,
    compute_extras,
    judgement_matrix,
    robustness_panel,
)
from geodata.settings import Settings
from layers.site_charts import tornado_figure
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
    assert len(fig.data) == 10 + 1 + 2 * 10  # flows per slot, origins, then outline + marker per slot
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


MORE = [None, "monte", 2, "S1=30，S2=20"]  # draws (settings), an unknown method (settings), sites, capacities


def test_page_controls_table_and_ahp_matrix(view: SiteView) -> None:
    controls = Controls.parse(
        [[0.2] * len(CRITERIA), None, 300, 99, None, ["621199100201"], None, "H001，H002, H001", None, *MORE]
    )
    assert controls.draws == Settings().sites.sensitivity_draws and controls.method == "dirichlet"
    assert controls.sites == 2 and controls.capacity == ("S1=30", "S2=20")
    assert controls.top_k == 10 and controls.hazard_buffer == 300
    assert controls.slope_limit == Settings().sites.slope_limit_deg
    assert controls.selection == Selection(
        households=Settings().sites.page_households, add_villages=("621199100201",), add_households=("H001", "H002")
    )
    table = comparison_table(view.result, "zh")
    assert table.id == "sites-comparison"
    assert len(table.children[1].children) == 2 * len(view.result.candidates)  # a row and its reason per site
    m = judgement_matrix(["1/3" if i == 0 else "1" for i in range(len(PAIRS))])
    assert m[0, 1] == pytest.approx(1 / 3) and m[1, 0] == pytest.approx(3)


def test_robustness_panel_tornado_and_flows() -> None:
    s = Settings()
    model = ls.model(s, facilities=[ls.GOOD, ls.FLOODED], flood=True)
    plan = plan_movers(model, Selection(drop_households=("H000",)))
    result = rank_sites(model, plan, sites=2)
    controls = Controls.parse(
        [[0.2] * len(CRITERIA), None, None, 5, None, None, None, None, None, 200, "saaty", 2, "S1=20 S2=20 S3=20"]
    )
    extras = compute_extras(model, plan, result, controls)
    assert extras.refused is None and extras.robustness is not None and extras.robustness.method == "saaty"
    panel = robustness_panel(extras.robustness, "en")
    table = next(c for c in panel if getattr(c, "id", None) == "sites-robustness")
    assert len(table.children[1].children) >= len(result.candidates)
    tornado = tornado_figure(extras.robustness, "zh")
    assert len(tornado.data[0].y) == len(CRITERIA) and tornado.layout.xaxis.range == (0, 1)
    assert (np.asarray(tornado.data[0].base) <= np.asarray(tornado.data[1].x) + 1e-9).all()  # bar spans the weight
    assignment = assignment_panel(extras, "zh")
    rows = next(c for c in assignment if getattr(c, "id", None) == "sites-assignment").children[1].children
    assert sum(int(r.children[1].children) for r in rows) == 39
    view = SiteView(
        result,
        model.land.grid,
        model.land.inside,
        origins_lonlat(plan.origins.table, ls.EPSG),
        "zh",
        flows=extras.assignment.flows,
    )
    flows = [tr for tr in sites_figure(view, context=Context(), slots=10)[0].data if tr.meta == "flows"]
    assert len(flows) == 10 and sum(len(tr.lon) > 0 for tr in flows) == extras.assignment.sites.shape[0]
    refused = compute_extras(model, plan, result, Controls.parse([*controls_values(), 0, None, 2, "S1=-3"]))
    assert refused.robustness is None and "below zero" in refused.refused
    assert "S1=-3" in str(assignment_panel(refused, "en"))


def controls_values() -> list:
    return [[0.2] * len(CRITERIA), None, None, 5, None, None, None, None, None]
