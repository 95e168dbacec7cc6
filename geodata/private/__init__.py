"""The private room: records that must not travel with the layers, kept in files only the server's user may open.

Belongs here: the private SQLite file and its append-only audit log (``db``), owner-only files (``files``),
accounts, kiosk tokens, route plans, inspection findings, uploads and background jobs.
May import :mod:`geodata.store`, :mod:`geodata.io`, settings and _errors; never demo.
"""
