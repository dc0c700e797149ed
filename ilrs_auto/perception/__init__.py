"""Perception: elevation mapping from depth, hazard layers and traversability costmaps."""

from ilrs_auto.perception.elevation import CameraPose, ElevationMap, FusionConfig, PinholeCamera
from ilrs_auto.perception.traversability import HazardConfig, TraversabilityMap

__all__ = [
    "CameraPose",
    "ElevationMap",
    "FusionConfig",
    "HazardConfig",
    "PinholeCamera",
    "TraversabilityMap",
]
