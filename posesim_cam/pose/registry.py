"""The pose backend registry: backends by name, built-ins imported only when first created.

A backend is any callable returning a ``PoseEstimator``; its module does not import this one,
so no backend and registry import each other. Imports ``registry`` and ``pose.base`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posesim_cam.pose.base import PoseEstimator
from posesim_cam.registry import Registry

BackendFactory = Callable[..., PoseEstimator]

DEFAULT_BACKEND = "blazepose"
BACKENDS: Registry[BackendFactory] = Registry(
    "pose backend",
    # Imported lazily: each backend pulls a heavy runtime (mediapipe, torch).
    {
        "blazepose": "posesim_cam.pose.blazepose:BlazePoseEstimator",
        "blazepose-heavy": "posesim_cam.pose.blazepose:BlazePoseHeavyEstimator",
    },
)


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make a backend available under ``name`` (a later registration replaces an earlier one)."""
    BACKENDS.register(name, factory)


def available_backends() -> list[str]:
    return BACKENDS.names()


def create_backend(name: str = DEFAULT_BACKEND, **options: Any) -> PoseEstimator:
    """Build the backend registered as ``name``; ``options`` go to its factory.

    Common options: ``static_image`` (True for unrelated stills, False for a video stream).
    """
    return BACKENDS.get(name)(**options)
