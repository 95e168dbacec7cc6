"""Data files shipped with Battlemap (read through importlib.resources)."""
