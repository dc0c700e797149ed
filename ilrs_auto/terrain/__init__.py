"""Terrain: elevation models of the lunar surface."""

from ilrs_auto.terrain.geotiff import Dem, DemError, parse_dem, read_dem

__all__ = ["Dem", "DemError", "parse_dem", "read_dem"]
