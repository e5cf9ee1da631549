"""Use cases behind `posesim-cam run` and `posesim-cam doctor`: build a LiveSession from options."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np

from posesim_cam import app
from posesim_cam.capture import FileSource, list_cameras, open_source
from posesim_cam.compose import Compositor
from posesim_cam.config import data_dir
from posesim_cam.encoder import load_encoder
from posesim_cam.errors import UserError
from posesim_cam.live import LiveSession, LiveSettings
from posesim_cam.outputs import create_outputs
from posesim_cam.pose.base import create_backend
from posesim_cam.records import RecordStore
from posesim_cam.targets import ProgressFactory


@dataclass(frozen=True)
class RunOptions:
    camera: int | str | None = None
    source: str | None = None
    target: str | None = None
    output: str = "virtualcam"
    backend: str = "blazepose"
    library_dir: Path | None = None
    model_path: Path | None = None
    countdown: float | None = None  # None: 3 s for cameras, 0 for files
    mirror: bool = True
    mirror_display: bool = False
    size: tuple[int, int] | None = None  # output size; None: 1280x720 or 640x480
    camera_size: tuple[int, int] | None = None
    camera_fps: float | None = None
    realtime: bool = False
    loop: bool = False
    stats: bool = False
    device: str | None = None
    virtualcam_backend: str | None = None

    @classmethod
    def from_settings(cls, settings: dict[str, Any], source: str = "settings") -> RunOptions:
        """Options from a dict such as the config file's [run] table, checked name by name.

        Sizes may be written "1280x720"; paths as strings.
        """
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in settings.items():
            if name not in known:
                raise UserError(
                    f"Unknown setting {name!r} in {source}",
                    f"use one of: {', '.join(sorted(known))}",
                )
            if name in ("size", "camera_size") and isinstance(value, str):
                value = parse_size(value)
            elif name in ("library_dir", "model_path") and isinstance(value, str):
                value = Path(value).expanduser()
            values[name] = value
        return cls(**values)


def parse_size(text: str) -> tuple[int, int]:
    """ "1280x720" -> (1280, 720)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UserError(f"{text!r} is not a size", "write it like 1280x720") from None
    if width < 160 or height < 120:
        raise UserError(f"{text!r} is too small", "use at least 160x120")
    return width, height


def output_size(source_size: tuple[int, int]) -> tuple[int, int]:
    """Standard webcam sizes that video-call apps accept: 1280x720 for HD sources, else 640x480."""
    return (1280, 720) if source_size[1] >= 720 else (640, 480)


def run(
    options: RunOptions, progress: ProgressFactory | None = None, log: TextIO | None = None
) -> dict:
    """Run the live session until the source ends, the preview closes, or Ctrl-C."""
    encoder = load_encoder(options.model_path)
    library = app.library(options.library_dir)
    names = [entry.name for entry in library.entries()]
    first = options.target or (names[0] if names else None)
    if first is not None:
        # Prepared before the camera opens, so the camera is not held during a long preparation.
        app.load_target(first, options.library_dir, options.backend, encoder, progress)

    def load(name: str):  # type: ignore[no-untyped-def]
        return app.load_target(name, options.library_dir, options.backend, encoder)

    # OpenCV's own thread pool would compete with MediaPipe for the cores: the render thread
    # already runs OpenCV beside inference.
    cv2.setNumThreads(1)
    with contextlib.ExitStack() as stack:
        source = open_source(
            options.camera,
            options.source,
            *(options.camera_size or (None, None)),
            options.camera_fps,
            realtime=options.realtime,
            loop=options.loop,
        )
        stack.callback(source.close)
        is_file = isinstance(source, FileSource)
        width, height = options.size or output_size(source.size)
        estimator = create_backend(options.backend)
        stack.callback(estimator.close)
        outputs = create_outputs(
            options.output,
            width,
            height,
            source.fps or 30.0,
            device=options.device,
            backend=options.virtualcam_backend,
        )
        for output in outputs:
            stack.callback(output.close)
        countdown = (
            options.countdown if options.countdown is not None else (0.0 if is_file else 3.0)
        )
        settings = LiveSettings(
            countdown=countdown,
            mirror=options.mirror,
            stats_every=5.0 if options.stats else 0.0,
            drop_frames=not is_file,
        )
        session = LiveSession(
            source,
            estimator,
            encoder,
            outputs,
            Compositor(width, height, options.mirror_display),
            load,
            names,
            RecordStore(data_dir()),
            settings,
            log or sys.stderr,
        )
        if threading.current_thread() is threading.main_thread():
            # A background process is stopped with SIGTERM: end as cleanly as Ctrl-C does.
            previous = signal.signal(signal.SIGTERM, lambda *_: session.stop())
            stack.callback(signal.signal, signal.SIGTERM, previous)
        return session.run(first)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def doctor(
    camera: int | str = 0,
    model_path: Path | None = None,
    backend: str = "blazepose",
    library_dir: Path | None = None,
) -> Iterator[Check]:
    """Check each part the live session needs; each failure says what to fix."""
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
        estimator = create_backend(backend, static_image=True)
        estimator.estimate(np.zeros((480, 640, 3), np.uint8))
        estimator.close()
        yield Check("pose backend", True, backend)
    except UserError as error:
        yield Check("pose backend", False, str(error))
    except Exception as error:  # a broken install: say which part
        yield Check(
            "pose backend", False, f"{backend} failed to run ({error}); reinstall posesim-cam"
        )
    try:
        encoder = load_encoder(model_path)
        yield Check("encoder", True, encoder.version)
    except UserError as error:
        yield Check("encoder", False, str(error))
    try:
        entries = app.library(library_dir).entries()
        yield Check(
            "targets",
            bool(entries),
            f"{len(entries)} in the library"
            if entries
            else "the library is empty: posesim-cam targets add VIDEO",
        )
    except UserError as error:
        yield Check("targets", False, str(error))


def format_summary(summary: dict) -> str:
    head = f"{summary['frames']} frames at {summary['fps']:.1f} fps"
    if summary.get("cannot_score"):
        reason = summary["cannot_score"]
        return f"Session ended: {summary['target']}: cannot score: {reason} ({head})."
    if summary.get("score") is None:
        return f"Session ended: {head}; nothing was scored."
    text = (
        f"Session ended: {summary['target']}: score {summary['score']:.0f}/100 "
        f"{summary['grade']} ({head})"
    )
    last = summary["attempts"][-1] if summary.get("attempts") else {}
    if last.get("record"):
        text += f"\nRecord: {last['record']}"
    return text
