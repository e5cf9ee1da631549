"""Frame sources: a live camera (newest frame wins, reconnects by itself) or a video file.

Both run a reader thread so that grabbing or decoding overlaps the pose work (``camera``,
``file``); ``base`` holds the ``Frame`` they hand out and the ``FrameSource`` protocol, and
``open_source`` here opens what the user asked for. Imports ``errors`` and ``video``.
"""

from __future__ import annotations

from pathlib import Path

from posesim_cam.capture.base import Frame, FrameSource
from posesim_cam.capture.camera import CAMERA_REMEDY, CameraSource, describe_device, list_cameras
from posesim_cam.capture.file import FileSource

__all__ = [
    "CAMERA_REMEDY",
    "CameraSource",
    "FileSource",
    "Frame",
    "FrameSource",
    "describe_device",
    "list_cameras",
    "open_source",
]


def open_source(
    camera: int | str | None = None,
    source: str | None = None,
    width: int | None = None,
    height: int | None = None,
    fps: float | None = None,
    realtime: bool = False,
    loop: bool = False,
) -> FrameSource:
    """Open what the user asked for: ``source`` if given, else ``camera`` (default 0).

    ``source`` may be a URL (anything with "://": a live stream, read like a camera), a video
    file, or a camera index / device path. ``width``, ``height`` and ``fps`` are requests to a
    camera; ``realtime`` and ``loop`` apply to files.
    """
    device: int | str = 0 if camera is None else camera
    if source is not None:
        path = Path(source)
        if "://" in source:
            return CameraSource(source, width, height, fps)
        if path.is_file():
            return FileSource(path, realtime=realtime, loop=loop)
        if source.strip().isdigit() or source.startswith("/dev/") or path.is_char_device():
            device = source
        else:
            # Not a camera either: FileSource raises the clear "does not exist" error.
            return FileSource(path, realtime=realtime, loop=loop)
    if isinstance(device, str) and device.strip().isdigit():
        device = int(device)
    return CameraSource(device, width, height, fps)
