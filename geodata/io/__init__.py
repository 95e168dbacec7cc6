"""The io room: reading and checking county files, up to the import that writes them into the store.

Belongs here: readers (xlsx, csv, shapefile), column mapping, coercion, CRS (GCJ-02/BD-09),
validation, village location, preview, the problem report, diffs, the import, templates,
ID-card checks and masking. May import the top-level modules (schemas, settings, water_limits,
_errors) and :mod:`geodata.store`; never demo or private (one exception, see ``importer.write_layer``).
"""
