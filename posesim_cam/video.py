"""Reading video files and still images, with clear errors for unreadable input.

Decoding lives here: probing, frame iteration with timestamps, stills, and ``TargetVideo``
(target frames by index, for the picture-in-picture). Imports only ``errors``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np

from posesim_cam.errors import UserError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds: frame size in pixels, frames per second, frame count."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frame_count / self.fps if self.fps > 0 else 0.0


def _open(path: Path) -> cv2.VideoCapture:
    if not path.exists():
        raise UserError(f"{path} does not exist", "check the path and try again")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a video", "give the path of a video file")
    cap = cv2.VideoCapture(str(path))
    ok, _ = cap.read() if cap.isOpened() else (False, None)
    if not ok:
        cap.release()
        raise UserError(
            f"{path} cannot be read as a video",
            "give an mp4, mov, avi, mkv or webm file that plays in a video player",
        )
    # Open it again rather than seek back to frame 0: the seek fails on a one-frame video (or
    # an image), which then read as no frames at all.
    cap.release()
    return cv2.VideoCapture(str(path))


def probe_video(path: str | Path) -> VideoInfo:
    """Open ``path`` once to read its size and rate; raises UserError if it is not a video."""
    path = Path(path)
    cap = _open(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        return VideoInfo(
            path=path,
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=fps if 0 < fps < 1000 else 30.0,
            frame_count=max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0),
        )
    finally:
        cap.release()


def iter_frames(path: str | Path, every: int = 1) -> Iterator[tuple[float, np.ndarray | None]]:
    """Yield (timestamp in seconds, BGR frame) for every frame of the video at ``path``.

    With ``every`` > 1 only every ``every``-th frame is converted to an image; the others are
    decoded but yielded as None (cheaper), so the caller still sees every timestamp.
    """
    info = probe_video(path)
    cap = _open(Path(path))
    try:
        index = 0
        while True:
            wanted = index % every == 0
            ok, frame = cap.read() if wanted else (cap.grab(), None)
            if not ok:
                break
            yield index / info.fps, frame
            index += 1
    finally:
        cap.release()


def read_image(path: str | Path) -> np.ndarray:
    """Read a still image as BGR; raises UserError if it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} does not exist", "check the path and try again")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise UserError(f"{path} cannot be read as an image", "give a jpg or png file")
    return image


def is_image_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


T = TypeVar("T")
_DONE = object()


def prefetched(items: Iterator[T], depth: int = 4) -> Iterator[T]:
    """Run ``items`` in a background thread, ``depth`` ahead of the consumer.

    Video decoding releases the GIL, so decoding the next frames overlaps with pose inference
    on the other core. Exceptions from ``items`` are re-raised in the consumer.
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(_DONE)
        except BaseException as error:  # handed to the consumer
            slots.put(error)

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


# TargetVideo: a request this many frames before the frame shown gets the frame shown; a jump
# back, or forward by more than SEEK_FRAMES, seeks instead of decoding every frame between.
HOLD_FRAMES = 8
SEEK_FRAMES = 60


class TargetVideo:
    """Frames of a target video by index, read forward (reopened to go back).

    Safe across threads: the session closes a target's video when it switches targets while
    the render thread may still be reading it for a queued picture; after ``close`` a read
    gives None instead of reopening the file (or decoding a released capture).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cap: cv2.VideoCapture | None = None
        self._next = 0
        self._frame: np.ndarray | None = None
        self._lock = threading.Lock()
        self._closed = False

    def frame(self, index: int) -> np.ndarray | None:
        with self._lock:
            if self._closed:
                return None
            shown = self._next - 1
            if self._frame is not None and shown - HOLD_FRAMES <= index <= shown:
                # The frame shown, or one a moment before it (a followed player's clock
                # corrected backwards): hold it rather than decode from a keyframe again.
                return self._frame
            if self._cap is None:
                self._cap = cv2.VideoCapture(str(self.path))
                self._next = 0
            if index < self._next or index - self._next > SEEK_FRAMES:
                self._cap.set(cv2.CAP_PROP_POS_FRAMES, index)
                self._next = index
            while self._next < index:  # skip without converting the frames in between
                if not self._cap.grab():
                    return self._frame
                self._next += 1
            ok, image = self._cap.read()
            if ok:
                self._frame = image
                self._next += 1
            return self._frame

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
        self._cap = None
        self._frame = None

    def close(self) -> None:
        """Release the file; later reads give None. Safe to call twice, from any thread."""
        with self._lock:
            self._closed = True
            self._release()
