"""The unit panel's income chart: the poverty and monitoring lines drawn with their labels."""

import pandas as pd

from geodata.settings import get_settings
from layers import panel
from layers.i18n import t
from layers.panel import CHART_LAYOUT, income_chart


def test_income_chart_draws_both_lines_with_their_labels() -> None:
    settings = get_settings()
    households = pd.DataFrame({"per_capita_income": [3000.0, 5000.0, 9000.0, 20000.0, None]})
    layout = income_chart(households, settings, "zh").to_plotly_json()["layout"]
    lines = [(s["x0"], s["x1"], s["yref"], s["line"]["dash"]) for s in layout["shapes"]]
    assert lines == [
        (settings.poverty.poverty_line, settings.poverty.poverty_line, "y domain", "dash"),
        (settings.poverty.monitoring_line, settings.poverty.monitoring_line, "y domain", "dash"),
    ]
    texts = [a["text"] for a in layout["annotations"]]
    assert texts[0].endswith(f"{settings.poverty.poverty_line:,.0f}") and len(texts) == 2
    assert texts[1].endswith(f"{settings.poverty.monitoring_line:,.0f}")


def test_every_chart_has_the_panel_layout_its_title_and_axes() -> None:
    """The five charts and the "no data" chart: the shared layout, each its title, height and axis ranges."""
    households = pd.DataFrame(
        {
            "status": ["normal", "lifted", "monitored", "monitored"],
            "monitored_open": [False, False, True, False],
            "per_capita_income": [9000.0, 12000.0, 5000.0, 7000.0],
        }
    )
    cases = pd.DataFrame({"stage": ["pending", "completed", "pending"], "overdue": [True, False, False]})
    samples = pd.DataFrame({"sampled_on": ["2026-09-03", "2026-10-05", "2026-10-20"], "failing": [False, True, False]})
    charts = {
        "by_status": (panel.status_chart(households, "zh"), 190),
        "income_distribution": (panel.income_chart(households, get_settings(), "zh"), 190),
        "cases_by_stage": (panel.cases_chart(cases, "zh"), 190),
        "water_by_month": (panel.water_chart(samples, "zh"), 190),
        "spend_vs_schedule": (panel.spend_chart(pd.Series({"spend_rate": 0.4, "spend_target": 0.6}), "zh"), 130),
    }
    for key, (fig, height) in charts.items():
        layout = fig.to_plotly_json()["layout"]
        assert layout["title"]["text"] == t(key, "zh"), key
        assert (layout["height"], layout["showlegend"], layout["margin"]) == (height, False, CHART_LAYOUT["margin"])
    assert charts["cases_by_stage"][0].layout.barmode == "stack"
    assert [int(v) for v in charts["cases_by_stage"][0].data[1].y] == [1, 0, 0, 0]  # the overdue pending case
    assert charts["water_by_month"][0].layout.yaxis.range == (0, 105)
    assert charts["spend_vs_schedule"][0].layout.xaxis.range == (0, 100)
    empty = panel.spend_chart(pd.Series({"spend_rate": float("nan"), "spend_target": 0.6}), "en").to_plotly_json()
    assert empty["layout"]["annotations"][0]["text"] == t("no_data", "en")
    assert empty["layout"]["xaxis"]["visible"] is False and empty["layout"]["height"] == 130
    assert not empty["data"]
