"""Map and chart builders: analytics results in, Plotly and Folium objects out."""

from layers import theme

theme.install()
