"""Reading, checking and storing county data: schemas, readers, coordinates, validation, the store."""
