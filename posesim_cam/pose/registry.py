"""The pose backend registry: backends by name, built-ins imported only when first created.

A backend is any callable returning a ``PoseEstimator``; its module does not import this one,
so no backend and registry import each other. ``auto`` is not a backend of its own: it names
one of the others (``pose.auto``) and is resolved before a backend is made. Imports
``registry``, ``pose.base`` and ``pose.auto`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posesim_cam.pose.auto import AUTO, resolve_backend
from posesim_cam.pose.base import PoseEstimator
from posesim_cam.registry import Registry

BackendFactory = Callable[..., PoseEstimator]

DEFAULT_BACKEND = AUTO  # heavy where it is installed and has two cores, else full
BACKENDS: Registry[BackendFactory] = Registry(
    "pose backend",
    # Imported lazily: each backend pulls a heavy runtime (mediapipe, torch).
    {
        "blazepose": "posesim_cam.pose.blazepose:BlazePoseEstimator",
        "blazepose-heavy": "posesim_cam.pose.blazepose:BlazePoseHeavyEstimator",
        # Needs checkpoint=PATH; the command line registers one per checkpoint instead
        # (pose.alphapose.register_alphapose).
        "alphapose": "posesim_cam.pose.alphapose:AlphaPoseEstimator",
    },
)


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make a backend available under ``name`` (a later registration replaces an earlier one)."""
    BACKENDS.register(name, factory)


def available_backends() -> list[str]:
    """The registered backends, and ``auto``."""
    return [*BACKENDS.names(), AUTO]


def create_backend(name: str = DEFAULT_BACKEND, **options: Any) -> PoseEstimator:
    """Build the backend registered as ``name``; ``options`` go to its factory.

    Common options: ``static_image`` (True for unrelated stills, False for a video stream).
    ``auto`` makes the backend it stands for here (``pose.auto.choose_backend``).
    """
    return BACKENDS.get(resolve_backend(name))(**options)
