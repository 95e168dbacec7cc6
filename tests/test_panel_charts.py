"""The unit panel's income chart: the poverty and monitoring lines drawn with their labels."""

import pandas as pd

from geodata.settings import get_settings
from layers.panel import income_chart


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
