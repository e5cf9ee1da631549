"""Pose estimation backends behind one interface, chosen by name."""

from posesim_cam.pose.base import (
    Pose,
    PoseEstimator,
    available_backends,
    create_backend,
    register_backend,
)

__all__ = ["Pose", "PoseEstimator", "available_backends", "create_backend", "register_backend"]
