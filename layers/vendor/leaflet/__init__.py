"""Leaflet 1.9.4, inlined into exported HTML maps (BSD-2-Clause)."""
