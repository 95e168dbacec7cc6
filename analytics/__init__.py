"""Pure analytics: indicators, roll-ups, risk, site suitability, inspection routes (GeoDataFrames in, frames out)."""
