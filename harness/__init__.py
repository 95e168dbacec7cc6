"""What the test suite and the benches share: serving the real app, driving Chromium, a PostGIS server.

Neither ``tests/`` nor ``bench/`` owns these helpers and neither imports the other; both
import from here. Not part of the installed package. May import everything the app is
made of (``app``, ``geodata`` …) and Playwright, psutil and the other test dependencies.
"""
