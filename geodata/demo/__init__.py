"""The demo room: the synthetic county (塬川示范县) for demos, tests and benchmarks, and writing it into a store.

Belongs here: :mod:`~geodata.demo.county` (every layer, deterministic by seed), its private
building blocks (``_land``, ``_names``, ``_infra``, ``_people``, ``_water``) and
:mod:`~geodata.demo.store`. May import :mod:`geodata.io`, :mod:`geodata.store` and the
top-level modules (schemas, settings, water_limits, _errors); never :mod:`geodata.private`.
"""

from geodata.demo.county import AREA_KM2, COUNTY_CODE, COUNTY_NAME, DEMO_AS_OF, GK_EPSG, make_demo_county

__all__ = ["AREA_KM2", "COUNTY_CODE", "COUNTY_NAME", "DEMO_AS_OF", "GK_EPSG", "make_demo_county"]
