"""Where the composited picture goes: virtual camera, preview window, video file, nowhere.

Outputs are chosen by a spec string such as ``"virtualcam,preview,file:OUT.mp4"``: names
separated by commas, each with an optional ``:argument`` (the path for ``file``, the device for
``virtualcam``). Adding an output is a class and one ``register_output`` call, the way
pyvirtualcam registers its backends.

None of the outputs paces itself: the live loop decides when a frame is sent. Imports ``errors``
and ``registry``; knows nothing of the HUD, scoring or the session.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import pyvirtualcam

from posesim_cam.errors import UserError
from posesim_cam.registry import Registry

PREVIEW_TITLE = "posesim-cam"
_QUIT_KEYS = {ord("q"), ord("Q"), 27}  # 27: Esc


def output_size(source_size: tuple[int, int]) -> tuple[int, int]:
    """Standard webcam sizes that video-call apps accept: 1280x720 for HD sources, else 640x480."""
    return (1280, 720) if source_size[1] >= 720 else (640, 480)


class Output(Protocol):
    """A sink for finished frames."""

    name: str

    def send(self, frame_bgr: np.ndarray) -> None:
        """Deliver one (H, W, 3) uint8 BGR frame; frames of another size are resized."""
        ...

    def close(self) -> None:
        """Release the device, window or file; safe to call twice."""
        ...


OutputFactory = Callable[..., Output]
"""Called as ``factory(argument, width=, height=, fps=, **options)``.

``argument`` is the text after ``name:`` in the spec (None if absent); ``options`` are the
keyword arguments given to ``create_outputs``, and each factory takes the ones it knows.
"""

OUTPUTS: Registry[OutputFactory] = Registry(
    "output", remedy="use one or more of {names}, separated by commas"
)


def register_output(name: str, factory: OutputFactory, usage: str | None = None) -> None:
    """Make ``name`` usable in output specs; a later registration replaces an earlier one.

    ``usage`` is how error messages show it, e.g. ``"file:PATH"`` (default: the name).
    """
    OUTPUTS.register(name, factory, usage)


def output_names() -> list[str]:
    """The registered output names, sorted."""
    return OUTPUTS.names()


def _parse_spec(spec: str) -> list[tuple[str, str | None]]:
    """``"virtualcam,file:a.mp4"`` → ``[("virtualcam", None), ("file", "a.mp4")]``.

    Only the first colon splits, so Windows paths (``file:C:\\out.mp4``) survive.
    """
    parts = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, colon, argument = item.partition(":")
        parts.append((name.strip().lower(), argument.strip() if colon else None))
    return parts


def _close_all(outputs: list[Output]) -> None:
    for output in outputs:
        with contextlib.suppress(Exception):  # closing is best effort while already failing
            output.close()


def create_outputs(
    spec: str,
    width: int,
    height: int,
    fps: float,
    warn: Callable[[str], None] | None = None,
    **options: Any,
) -> list[Output]:
    """Create every output named in ``spec`` for frames of ``width`` x ``height`` at ``fps``.

    Options known to the built-in outputs: ``device`` and ``backend`` (virtualcam),
    ``title`` (preview). If one output cannot be created, those created before it are closed
    again and the UserError is raised; with ``warn``, an output that cannot be created beside
    others is told to ``warn`` and left out instead (no virtual-camera device: the preview and
    the file go on), and only when none can be created is the first error raised.

    Raises:
        UserError: an unknown name, an empty spec, or an output that cannot be created.
    """
    parts = _parse_spec(spec)
    if not parts:
        raise UserError("No output was given", OUTPUTS.remedy.format(names=OUTPUTS.usages()))
    factories = [OUTPUTS.get(name) for name, _ in parts]  # every name checked before opening
    outputs: list[Output] = []
    failed: list[UserError] = []
    try:
        for factory, (name, argument) in zip(factories, parts, strict=True):
            try:
                outputs.append(factory(argument, width=width, height=height, fps=fps, **options))
            except UserError as error:
                if warn is None or len(parts) == 1:
                    raise
                failed.append(error)
                warn(f"{error} The session goes on without the {name} output")
    except BaseException:
        _close_all(outputs)
        raise
    if not outputs:
        raise failed[0]
    return outputs


def _resize_to(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """``frame`` at (height, width), resized only when it differs (area filter to shrink)."""
    if frame.shape[1] == width and frame.shape[0] == height:
        return frame
    shrinking = frame.shape[1] > width or frame.shape[0] > height
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=interpolation)


def virtualcam_remedy(platform: str = sys.platform) -> str:
    """What to do when no virtual camera can be started on ``platform`` (a sys.platform value)."""
    if platform.startswith("linux"):
        # Chrome and Zoom only list a v4l2loopback device created with exclusive_caps=1.
        return (
            "load v4l2loopback: sudo modprobe v4l2loopback devices=1 exclusive_caps=1 "
            "card_label=posesim-cam (exclusive_caps=1 is what Chrome and Zoom need), "
            "or leave virtualcam out of --output"
        )
    return (
        "install OBS Studio and start its Virtual Camera once, or leave virtualcam out of --output"
    )


def _first_backend_reason(message: str) -> str:
    """The gist of pyvirtualcam's error: its first line and sentence, without the backend name.

    pyvirtualcam joins one "'name' backend: reason. Advice." line per backend it tried.
    """
    line = message.strip().splitlines()[0] if message.strip() else "no device was found"
    _, _, reason = line.partition("backend: ")
    sentence = (reason or line).split(". ")[0].rstrip(".")
    return sentence[:1].lower() + sentence[1:]


class VirtualCamOutput:
    """Frames to a virtual camera through pyvirtualcam (v4l2loopback on Linux, OBS elsewhere).

    Args:
        width, height: the camera's picture size in pixels; other frame sizes are resized.
        fps: the rate announced to apps reading the camera; sending is paced by the caller.
        device: a particular device (``/dev/video4``, ``OBS Virtual Camera``); None: any free one.
        backend: a pyvirtualcam backend name; None tries each one.

    Raises:
        UserError: no virtual camera device is available, with the remedy for this platform.
    """

    name = "virtualcam"

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        device: str | None = None,
        backend: str | None = None,
    ) -> None:
        self.width = width
        self.height = height
        if backend is not None and backend not in pyvirtualcam.camera.BACKENDS:
            known = ", ".join(sorted(pyvirtualcam.camera.BACKENDS)) or "none"
            raise UserError(
                f"There is no virtual camera backend called '{backend}'",
                f"leave the backend unset or use one of: {known}",
            )
        try:
            self._camera: pyvirtualcam.Camera | None = pyvirtualcam.Camera(
                width=width,
                height=height,
                fps=fps,
                fmt=pyvirtualcam.PixelFormat.BGR,
                device=device,
                backend=backend,
            )
        except RuntimeError as error:
            reason = _first_backend_reason(str(error))
            raise UserError(
                f"No virtual camera could be started ({reason})", virtualcam_remedy()
            ) from error
        self.device: str = self._camera.device
        """The device name pyvirtualcam reports (e.g. /dev/video4), for display."""

    def send(self, frame_bgr: np.ndarray) -> None:
        """Send one (H, W, 3) uint8 BGR frame, resized to the camera's size if needed."""
        if self._camera is None:
            raise RuntimeError("VirtualCamOutput.send after close")
        self._camera.send(_resize_to(frame_bgr, self.width, self.height))

    def close(self) -> None:
        if self._camera is not None:
            self._camera.close()
            self._camera = None


class PreviewOutput:
    """An OpenCV window on the desktop; q or Esc in it (or closing it) sets ``quit_requested``.

    OpenCV's HighGUI must be driven from one thread (the main thread on macOS), so send from
    the same thread every time.

    Raises:
        UserError: there is no display to open a window on.
    """

    name = "preview"

    def __init__(self, title: str = PREVIEW_TITLE) -> None:
        self.title = title
        self.quit_requested = False
        no_display_remedy = "run it on a desktop session, or leave preview out of --output"
        # Without a display OpenCV's Qt backend can abort the whole process instead of raising,
        # so check first rather than rely on cv2.error.
        if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
            raise UserError("No display is available for the preview window", no_display_remedy)
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        except cv2.error as error:
            raise UserError("The preview window could not be opened", no_display_remedy) from error
        self._open = True

    def send(self, frame_bgr: np.ndarray) -> None:
        """Show one (H, W, 3) uint8 BGR frame and handle the window's key presses."""
        if not self._open:
            return
        cv2.imshow(self.title, frame_bgr)
        key = cv2.waitKey(1)
        if key >= 0 and key & 0xFF in _QUIT_KEYS:
            self.quit_requested = True
        with contextlib.suppress(cv2.error):  # not every HighGUI backend knows this property
            if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
                self.quit_requested = True

    def close(self) -> None:
        if self._open:
            self._open = False
            with contextlib.suppress(cv2.error):
                cv2.destroyWindow(self.title)
                cv2.waitKey(1)  # let the GUI loop actually remove the window


class FileOutput:
    """An mp4 (mp4v) file, written under a temporary name beside ``path`` and renamed on close.

    An interrupted run therefore never leaves a half-written file under the target name.
    If no frame was sent, nothing is left behind at all.

    Args:
        path: the video file to write; its folder must exist.
        width, height: frame size in pixels; other frame sizes are resized.
        fps: frames per second recorded in the file.

    Raises:
        UserError: the file cannot be created (missing or unwritable folder), at creation time.
    """

    name = "file"

    def __init__(self, path: str | Path, width: int, height: int, fps: float) -> None:
        self.path = Path(path)
        self.width = width
        self.height = height
        self.frames_written = 0
        if self.path.is_dir() or str(path).endswith(("/", "\\")):
            raise UserError(
                f"The file output {self.path} is a folder",
                f"give a file path in it, e.g. file:{self.path / 'session.mp4'}",
            )
        if self.path.suffix.lower() not in VIDEO_SUFFIXES:
            raise UserError(
                f"The file output {self.path} does not end in a video extension",
                f"end it in one of {', '.join(sorted(VIDEO_SUFFIXES))}, e.g. file:session.mp4",
            )
        # Keep the suffix: OpenCV picks the container from it.
        self._temp_path = self.path.with_name(
            f".{self.path.stem}.{uuid.uuid4().hex[:8]}.partial{self.path.suffix or '.mp4'}"
        )
        cannot_write = UserError(
            f"Cannot write the video file {self.path}",
            "pick a path in an existing folder you can write to",
        )
        try:
            # Creating the file ourselves gives a clear OSError for a bad folder (OpenCV only
            # says "not opened") and normal permissions once it is renamed into place.
            with open(self._temp_path, "xb"):
                pass
        except OSError as error:
            raise cannot_write from error
        self._writer: cv2.VideoWriter | None = cv2.VideoWriter(
            str(self._temp_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height)
        )
        if not self._writer.isOpened():
            self._writer = None
            self._temp_path.unlink(missing_ok=True)
            raise cannot_write

    def send(self, frame_bgr: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 BGR frame, resized to the file's size if needed."""
        if self._writer is None:
            raise RuntimeError("FileOutput.send after close")
        self._writer.write(_resize_to(frame_bgr, self.width, self.height))
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file and rename it into place (or remove it if it holds no frame)."""
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        if self.frames_written:
            os.replace(self._temp_path, self.path)
        else:
            self._temp_path.unlink(missing_ok=True)

    def discard(self) -> None:
        """Stop and delete what was written (a render that failed half way)."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        self._temp_path.unlink(missing_ok=True)


VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv"})


class NullOutput:
    """Discards frames, counting them (benchmarks and tests)."""

    name = "null"

    def __init__(self) -> None:
        self.frames_sent = 0

    def send(self, frame_bgr: np.ndarray) -> None:
        self.frames_sent += 1

    def close(self) -> None:
        pass


def _make_virtualcam(
    argument: str | None,
    *,
    width: int,
    height: int,
    fps: float,
    device: str | None = None,
    backend: str | None = None,
    **_: Any,
) -> Output:
    return VirtualCamOutput(width, height, fps, device=argument or device, backend=backend)


def _make_preview(argument: str | None, *, title: str = PREVIEW_TITLE, **_: Any) -> Output:
    return PreviewOutput(argument or title)


def _make_file(argument: str | None, *, width: int, height: int, fps: float, **_: Any) -> Output:
    if not argument:
        raise UserError("The file output needs a path", "write it as file:OUT.mp4")
    return FileOutput(argument, width, height, fps)


def _make_null(argument: str | None, **_: Any) -> Output:
    return NullOutput()


register_output("virtualcam", _make_virtualcam)
register_output("preview", _make_preview)
register_output("file", _make_file, usage="file:PATH")
register_output("null", _make_null)
