"""Every frame of a video file, in order, decoded ahead in a thread; paced or looped on request.

A file keeps every frame, in order, in a small bounded queue, because a file stands in for a
recording that must be scored completely. Imports ``errors``, ``video`` and ``capture.base``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from pathlib import Path
from typing import cast

import numpy as np

from posesim_cam.capture.base import Frame, FrameSource
from posesim_cam.video import iter_frames, probe_video

_END = object()  # queue marker: the file (or the last loop of it) is finished


class FileSource(FrameSource):
    """Every frame of a video file, in order; optionally paced at the file's rate or looped.

    A thread decodes ahead into a small bounded queue (``prefetch`` frames), so decoding overlaps
    the consumer's work without holding the whole video in memory.

    Args:
        path: the video file.
        realtime: hand frames out no faster than the file's fps, measured from the first
            ``read`` call, like a camera would. Frames are never dropped: a consumer that falls
            behind gets the overdue frames at once.
        loop: start again at the end, forever; timestamps and indices keep increasing.
        prefetch: frames decoded ahead.

    Raises:
        UserError: the file does not exist or is not a readable video (from posesim_cam.video).
    """

    def __init__(
        self, path: str | Path, realtime: bool = False, loop: bool = False, prefetch: int = 4
    ) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self.loop = loop
        self._info = probe_video(self.path)  # raises the clear UserError for a bad file
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, prefetch))
        self._stop = threading.Event()
        self._pending: tuple[int, np.ndarray] | None = None  # taken from the queue, not yet due
        self._started_at: float | None = None
        self._ended = False
        self._thread = threading.Thread(
            target=self._run, name=f"decode {self.path.name}", daemon=True
        )
        self._thread.start()

    def _put(self, item: object) -> bool:
        """Queue ``item``, waiting for room; False if the source was closed meanwhile."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        index = 0
        try:
            while not self._stop.is_set():
                first_index = index
                with contextlib.closing(iter_frames(self.path)) as frames:
                    for _, image in frames:
                        if not self._put((index, image)):
                            return
                        index += 1
                # A file that yields nothing would otherwise loop forever without a frame.
                if not self.loop or index == first_index:
                    break
        except Exception as error:  # e.g. the file was deleted before the next loop
            self._put(error)
            return
        self._put(_END)

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame in file order, waiting up to ``timeout`` s (None: until it is ready).

        Returns None if the next frame is not decoded (or, with ``realtime``, not yet due)
        within the timeout, and None with ``ended`` True once the file is finished.
        """
        if self._ended or self._stop.is_set():
            return None
        now = time.monotonic()
        deadline = None if timeout is None else now + max(0.0, timeout)
        if self._started_at is None:
            self._started_at = now
        if self._pending is None:
            try:
                item = self._queue.get(timeout=None if deadline is None else max(0.0, timeout))
            except queue.Empty:
                return None
            if item is _END:
                self._ended = True
                return None
            if isinstance(item, BaseException):
                self._ended = True
                raise item
            self._pending = cast(tuple[int, np.ndarray], item)
        index, image = self._pending
        timestamp = index / self._info.fps
        if self.realtime:
            due = self._started_at + timestamp
            wait = due - time.monotonic()
            if deadline is not None and due > deadline:
                # Not due within the timeout: keep the frame for the next call.
                self._stop.wait(max(0.0, deadline - time.monotonic()))
                return None
            if wait > 0 and self._stop.wait(wait):
                return None
        self._pending = None
        return Frame(image, timestamp, index, time.monotonic())

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def fps(self) -> float:
        return self._info.fps

    @property
    def size(self) -> tuple[int, int]:
        return (self._info.width, self._info.height)

    @property
    def frame_count(self) -> int:
        """Frames in one pass through the file (as the container reports it)."""
        return self._info.frame_count

    def close(self) -> None:
        self._stop.set()
        # Empty the queue so a decoder blocked on a full queue notices the stop at once.
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
