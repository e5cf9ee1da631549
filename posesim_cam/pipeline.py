"""The live session's plumbing: per-stage timings and the render thread.

``Renderer`` runs the second thread of a live session: it composes each ``RenderJob``'s
picture (the HUD over the camera frame, the target frame read here, off the processing
thread) and sends it to every output. For a camera the hand-off holds one job and the newest
wins (no latency creep); for a file every frame is rendered (nothing is dropped). Imports the
HUD, outputs, capture and video types; knows nothing of scoring or targets.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from posesim_cam.capture import Frame
from posesim_cam.hud import Compositor, HudState
from posesim_cam.outputs import Output
from posesim_cam.video import TargetVideo


@dataclass
class StageTimes:
    """Per-stage durations in seconds, last few hundred frames of each."""

    stages: dict[str, deque] = field(default_factory=dict)

    def add(self, stage: str, seconds: float) -> None:
        self.stages.setdefault(stage, deque(maxlen=600)).append(seconds)

    def percentile(self, stage: str, q: float) -> float | None:
        values = self.stages.get(stage)
        return float(np.percentile(np.array(values), q)) if values else None

    def line(self) -> str:
        parts = []
        for stage in ("capture_age", "pose", "scoring", "compose", "output", "latency"):
            p50 = self.percentile(stage, 50)
            if p50 is not None:
                parts.append(f"{stage} {p50 * 1000:.1f} ms")
        return "stats: " + ", ".join(parts)


@dataclass(frozen=True)
class RenderJob:
    """One picture to make: the camera frame (None: camera lost), what the HUD shows, and the
    target video frame to show in it (read by the render thread)."""

    frame: Frame | None
    hud: HudState
    target_video: TargetVideo | None = None
    target_index: int | None = None


class Renderer:
    """The render thread: jobs in, composed pictures out to every output.

    Args:
        compositor: draws the HUD.
        outputs: where each picture goes.
        times: gets the "compose", "output" and "latency" stages.
        newest_wins: hold one job and replace it (cameras); else queue a few (files).
    """

    def __init__(
        self, compositor: Compositor, outputs: list[Output], times: StageTimes, newest_wins: bool
    ) -> None:
        self.compositor = compositor
        self.outputs = outputs
        self.times = times
        self.newest_wins = newest_wins
        self._jobs: queue.Queue[RenderJob | None] = queue.Queue(maxsize=1 if newest_wins else 4)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start the thread (again, after ``stop``: a session may run more than once)."""
        self._error = None
        self._thread = threading.Thread(target=self._loop, name="render", daemon=True)
        self._thread.start()

    def submit(self, job: RenderJob) -> None:
        """Hand a job over; with ``newest_wins``, one the thread has not started is dropped.

        Raises what ended the render thread, rather than wait for it forever.
        """
        if self.newest_wins:
            with contextlib.suppress(queue.Empty):
                self._jobs.get_nowait()
        while True:
            try:
                self._jobs.put(job, timeout=0.5)
                return
            except queue.Full:
                self.raise_error()
                if self._thread is None or not self._thread.is_alive():
                    raise RuntimeError("the render thread ended") from None

    def raise_error(self) -> None:
        """Raise, in the calling thread, what ended the render thread (an output failing)."""
        if self._error is not None:
            raise self._error

    def stop(self, timeout: float = 10.0) -> None:
        """Render what is queued, then end the thread."""
        if self._thread is None:
            return
        if self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._jobs.put(None, timeout=timeout)
            self._thread.join(timeout=timeout)
        self._thread = None

    def _loop(self) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                hud = job.hud
                if job.target_video is not None and job.target_index is not None:
                    hud = replace(hud, target_frame=job.target_video.frame(job.target_index))
                t0 = time.perf_counter()
                picture = self.compositor.compose(job.frame.image if job.frame else None, hud)
                t1 = time.perf_counter()
                for output in self.outputs:
                    output.send(picture)
                t2 = time.perf_counter()
                self.times.add("compose", t1 - t0)
                self.times.add("output", t2 - t1)
                if job.frame is not None:
                    self.times.add("latency", time.monotonic() - job.frame.captured_at)
        except BaseException as error:  # surfaced to the processing thread
            self._error = error
