"""Perception: elevation mapping from depth, hazard layers and traversability costmaps."""

from ilrs_auto.perception.elevation import CameraPose, ElevationMap, FusionConfig, PinholeCamera
from ilrs_auto.perception.stereo import DepthResult, StereoCalibration, StereoConfig, StereoFrontEnd
from ilrs_auto.perception.traversability import HazardConfig, TraversabilityMap

__all__ = [
    "CameraPose",
    "DepthResult",
    "ElevationMap",
    "FusionConfig",
    "HazardConfig",
    "PinholeCamera",
    "StereoCalibration",
    "StereoConfig",
    "StereoFrontEnd",
    "TraversabilityMap",
]
