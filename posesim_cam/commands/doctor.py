"""``posesim-cam doctor``: each part the live session needs, checked, with what to fix.

Imports capture, outputs, the pose registry and models, the OBS link and the workspace; never
the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from posesim_cam.capture import list_cameras, open_source
from posesim_cam.commands.workspace import Workspace
from posesim_cam.control.obs import ObsSettings, check_obs
from posesim_cam.errors import UserError
from posesim_cam.outputs import create_outputs
from posesim_cam.pose.auto import AUTO, choose_backend
from posesim_cam.pose.graph import pose_threads
from posesim_cam.pose.models import list_models
from posesim_cam.pose.registry import create_backend


@dataclass(frozen=True)
class Check:
    """One part checked: its name, whether it works, and what was found or is to be fixed."""

    name: str
    ok: bool
    detail: str


def doctor(
    camera: int | str = 0, workspace: Workspace | None = None, obs: ObsSettings | None = None
) -> Iterator[Check]:
    """Check each part the live session needs (and OBS, when ``obs`` says where it is); each
    failure says what to fix."""
    workspace = workspace or Workspace()
    backend = workspace.backend
    try:
        source = open_source(camera)
        with source:
            frame = source.read(timeout=3.0)
            yield Check(
                "camera",
                frame is not None,
                f"{camera}: {source.size[0]}x{source.size[1]} at {source.fps:.0f} fps"
                if frame is not None
                else f"{camera} opened but sent no frame",
            )
    except UserError as error:
        found = list_cameras()
        yield Check("camera", False, f"{error} Cameras that open: {found or 'none'}.")
    try:
        outputs = create_outputs("virtualcam", 640, 480, 30.0)
        device = getattr(outputs[0], "device", "")
        for output in outputs:
            output.close()
        yield Check("virtual camera", True, f"device {device}")
    except UserError as error:
        yield Check("virtual camera", False, str(error))
    try:
        label = f"{backend} ({pose_threads()} inference threads)"
        if backend == AUTO:
            choice = choose_backend()
            label = f"auto: {choice.name} ({choice.reason})"
        estimator = create_backend(backend, static_image=True)
        estimator.estimate(np.zeros((480, 640, 3), np.uint8))
        estimator.close()
        yield Check("pose backend", True, label)
    except UserError as error:
        yield Check("pose backend", False, str(error))
    except Exception as error:  # a broken install: say which part
        yield Check(
            "pose backend", False, f"{backend} failed to run ({error}); reinstall posesim-cam"
        )
    for status in list_models():
        model = status.model
        if status.path is not None:
            yield Check("heavy model", True, f"{model.name} in {status.path.parent}")
        elif backend != model.backend:  # optional: only the backend asked for needs it
            yield Check("heavy model", True, f"not installed (optional): {model.remedy}")
    try:
        encoder = workspace.encoder()
        yield Check("encoder", True, encoder.version)
    except UserError as error:
        yield Check("encoder", False, str(error))
    try:
        entries = workspace.library.entries()
        yield Check(
            "targets",
            bool(entries),
            f"{len(entries)} in the library"
            if entries
            else "the library is empty: posesim-cam targets add VIDEO",
        )
    except UserError as error:
        yield Check("targets", False, str(error))
    if obs is not None:
        try:
            yield Check("OBS link", True, check_obs(obs))
        except UserError as error:
            yield Check("OBS link", False, str(error))
