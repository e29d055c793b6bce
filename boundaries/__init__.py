"""Footprints data layer: sources, download and cache, loading, validation, units."""
