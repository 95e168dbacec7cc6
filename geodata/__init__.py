"""Data at rest: reading, checking and storing county data, in rooms that import one way.

- ``io/``: reading and checking county files, and the import (may import store and the top level).
- ``store/``: the store API, GeoPackage, PostGIS and ``open_store`` (may import the top level only).
- ``demo/``: the synthetic demo county (may import io, store and the top level).
- ``private/``: accounts, kiosk, plans, findings, audit, uploads, jobs (may import io, store, the top level).
- top level: ``schemas``, ``settings``, ``water_limits``, ``_errors`` and ``data/`` (import no room;
  ``_errors`` names ``io.report.Report`` for type checking only).
"""
