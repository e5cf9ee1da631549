"""A live camera or stream: the newest frame wins, and it reconnects by itself.

A reader thread grabs frames into a single slot holding the newest one, never a queue, so a
slow consumer skips frames instead of falling further and further behind the room. Imports
``errors`` and ``capture.base``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np

from posesim_cam.capture.base import Frame, FrameSource
from posesim_cam.errors import UserError

CAMERA_REMEDY = (
    "plug in a camera, close other programs using it, or pick one with --camera N; "
    "`posesim-cam doctor` lists what it finds"
)

# OpenCV's log levels (cv2.setLogLevel): 1 keeps fatal messages only.
_OPENCV_LOG_FATAL = 1


class CaptureLike(Protocol):
    """The part of ``cv2.VideoCapture`` that CameraSource uses (tests inject fakes)."""

    def isOpened(self) -> bool: ...  # OpenCV spells it this way

    def read(self) -> tuple[bool, np.ndarray | None]: ...

    def get(self, prop_id: int) -> float: ...

    def release(self) -> None: ...


@contextlib.contextmanager
def _quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's warnings while probing devices.

    Probing a missing camera prints a warning per try; the reconnect loop would print one every
    second, and the UserError we raise already says what is wrong.
    """
    previous = cv2.getLogLevel()
    cv2.setLogLevel(_OPENCV_LOG_FATAL)
    try:
        yield
    finally:
        cv2.setLogLevel(previous)


def _open_capture(
    device: int | str, width: int | None, height: int | None, fps: float | None
) -> cv2.VideoCapture:
    """Open ``device`` (index, device path or URL) and ask for the given size and rate.

    The requests are hints: a camera picks its nearest mode, so the real size is read from
    the frames, not from these settings.
    """
    with _quiet_opencv():
        cap = cv2.VideoCapture(device)
        if cap.isOpened():
            if width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            if height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            if fps:
                cap.set(cv2.CAP_PROP_FPS, fps)
    return cap


def describe_device(device: int | str) -> str:
    """How to name ``device`` to a user: "camera 0", "camera /dev/video2", "stream rtsp://host/x".

    A password in a URL is left out, since the text ends up on screen and in logs.
    """
    if isinstance(device, int):
        return f"camera {device}"
    if "://" in device:
        parts = urlsplit(device)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        if parts.username:
            host = f"{parts.username}@{host}"
        return f"stream {urlunsplit(parts._replace(netloc=host))}"
    return f"camera {device}"


class CameraSource(FrameSource):
    """A live camera or network stream, read by a thread; the newest frame wins.

    The thread overwrites a single slot with every frame it grabs, so ``read`` always returns the
    freshest picture and latency never creeps up when the consumer is slower than the camera.
    If reads keep failing (camera unplugged, stream dropped) the source reports ``lost``,
    releases the device, and tries to open it again every ``reconnect_interval`` seconds until
    frames flow again; the consumer just keeps calling ``read``.

    Args:
        device: camera index, device path (``/dev/video2``) or stream URL.
        width, height, fps: requested mode; None keeps the camera's default.
        opener: makes a new capture object; defaults to ``cv2.VideoCapture(device)`` with the
            requested mode. Tests inject fakes here.
        open_timeout: seconds to wait for the first frame before calling the camera busy.
        reconnect_interval: seconds between attempts to reopen a lost camera.
        failures_before_lost: consecutive failed reads that count as the camera being gone.
        stall_timeout: seconds without any frame after which ``lost`` is reported even if the
            driver is still blocking inside a read rather than failing.

    Raises:
        UserError: the camera cannot be opened, or opens but sends no frame in time.
    """

    def __init__(
        self,
        device: int | str = 0,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        *,
        opener: Callable[[], CaptureLike] | None = None,
        open_timeout: float = 5.0,
        reconnect_interval: float = 1.0,
        failures_before_lost: int = 10,
        stall_timeout: float = 2.0,
    ) -> None:
        self.device = device
        self.description = describe_device(device)
        self._opener = opener or partial(_open_capture, device, width, height, fps)
        self._reconnect_interval = reconnect_interval
        self._failures_before_lost = failures_before_lost
        self._stall_timeout = stall_timeout
        self._slot_changed = threading.Condition()
        self._latest: Frame | None = None  # the single slot; guarded by _slot_changed
        self._last_returned = -1
        self._lost = False
        self._closed = threading.Event()  # doubles as an interruptible sleep for the thread

        is_stream = isinstance(device, str) and "://" in device
        cap = self._opener()
        if not cap.isOpened():
            cap.release()
            raise UserError(
                f"No {self.description} could be opened",
                "check the address and that the stream is running" if is_stream else CAMERA_REMEDY,
            )
        reported_fps = cap.get(cv2.CAP_PROP_FPS)
        # Some drivers report 0 or nonsense such as 90000 (a stream's clock rate).
        self._fps = reported_fps if 0 < reported_fps < 1000 else float(fps or 30.0)
        self._opened_at = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, args=(cap,), name=f"capture {self.description}", daemon=True
        )
        self._thread.start()

        with self._slot_changed:
            got_frame = self._slot_changed.wait_for(
                lambda: self._latest is not None, timeout=open_timeout
            )
        if not got_frame:
            self.close()
            busy_remedy = (
                "close other programs using it (Zoom, OBS, a browser tab), or pick another "
                "with --camera N"
            )
            raise UserError(
                f"{self.description[0].upper()}{self.description[1:]} opened but sent no "
                f"picture within {open_timeout:g} s",
                "check that the stream is sending" if is_stream else busy_remedy,
            )

    # -- reader thread -------------------------------------------------------------------

    def _reopen(self) -> CaptureLike | None:
        """One attempt to open the device again; None if it is still missing."""
        try:
            cap = self._opener()
        except Exception:  # a broken driver must not kill the reader thread
            return None
        if cap.isOpened():
            return cap
        cap.release()
        return None

    def _run(self, cap: CaptureLike | None) -> None:
        failures = 0
        index = 0
        try:
            while not self._closed.is_set():
                if cap is None:
                    if self._closed.wait(self._reconnect_interval):
                        break
                    cap = self._reopen()
                    failures = 0
                    continue
                try:
                    ok, image = cap.read()
                except cv2.error:  # some backends raise instead of returning False
                    ok, image = False, None
                if ok and image is not None:
                    failures = 0
                    now = time.monotonic()
                    frame = Frame(image, now - self._opened_at, index, now)
                    index += 1
                    with self._slot_changed:
                        self._latest = frame
                        self._lost = False
                        self._slot_changed.notify_all()
                    continue
                failures += 1
                if failures >= self._failures_before_lost:
                    with self._slot_changed:
                        self._lost = True
                        self._slot_changed.notify_all()
                    cap.release()
                    cap = None
                else:
                    # A failing read often returns at once; a short pause avoids a busy spin.
                    self._closed.wait(0.01)
        finally:
            if cap is not None:
                cap.release()

    # -- FrameSource -----------------------------------------------------------------------

    def read(self, timeout: float | None = None) -> Frame | None:
        """The newest frame not returned before, waiting up to ``timeout`` s for one to arrive.

        Frames grabbed since the last call but already superseded are skipped, never queued.
        Returns None if no new frame came in time (e.g. while ``lost``) or the source is closed.
        """

        def fresh() -> bool:
            latest = self._latest
            return self._closed.is_set() or (
                latest is not None and latest.index > self._last_returned
            )

        with self._slot_changed:
            if not self._slot_changed.wait_for(fresh, timeout=timeout):
                return None
            if self._closed.is_set() or self._latest is None:
                return None
            frame = self._latest
            self._last_returned = frame.index
            return frame

    @property
    def lost(self) -> bool:
        """True while the camera gives no frames (failing reads, or none for a while)."""
        latest = self._latest
        stalled = latest is not None and time.monotonic() - latest.captured_at > self._stall_timeout
        return self._lost or stalled

    @property
    def ended(self) -> bool:
        return False

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the newest frame: what the camera really delivers."""
        latest = self._latest
        if latest is None:
            return (0, 0)
        height, width = latest.image.shape[:2]
        return (width, height)

    def close(self) -> None:
        self._closed.set()
        with self._slot_changed:
            self._slot_changed.notify_all()  # wake readers blocked in read()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            # A driver can block inside read(); the thread is a daemon, so don't wait forever.
            self._thread.join(timeout=2.0)


def list_cameras(max_index: int = 5) -> list[int]:
    """Camera indices below ``max_index`` that open (no frame is read, to stay quick)."""
    found = []
    with _quiet_opencv():
        for index in range(max_index):
            cap = cv2.VideoCapture(index)
            try:
                if cap.isOpened():
                    found.append(index)
            finally:
                cap.release()
    return found
