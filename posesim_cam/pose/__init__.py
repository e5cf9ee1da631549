"""Pose estimation backends behind one interface, chosen by name.

``base`` holds the ``Pose`` type and the ``PoseEstimator`` protocol, ``registry`` the backends
by name; each backend module (``blazepose``) imports ``base`` and knows nothing above it.
"""

from posesim_cam.pose.base import Pose, PoseEstimator
from posesim_cam.pose.registry import available_backends, create_backend, register_backend

__all__ = ["Pose", "PoseEstimator", "available_backends", "create_backend", "register_backend"]
