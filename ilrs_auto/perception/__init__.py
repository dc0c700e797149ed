"""Perception: elevation mapping from depth, hazard layers and traversability costmaps, 3D
occupancy (voxels) for pits and lava tubes."""

from ilrs_auto.perception.elevation import CameraPose, ElevationMap, FusionConfig, PinholeCamera
from ilrs_auto.perception.stereo import DepthResult, StereoCalibration, StereoConfig, StereoFrontEnd
from ilrs_auto.perception.traversability import HazardConfig, TraversabilityMap
from ilrs_auto.perception.voxels import VoxelGrid, VoxelMap

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
    "VoxelGrid",
    "VoxelMap",
]
