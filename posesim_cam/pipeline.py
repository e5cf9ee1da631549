"""The live session's plumbing: per-stage timings, the pose thread and the render thread.

``PoseWorker`` takes pose estimation off the picture's path: the session offers it every
captured frame, it estimates the newest one whenever it is free (older ones are skipped, so a
slow model lowers the pose rate, never the picture's), and the session collects the finished
poses, each with the frame it came from. ``Renderer`` composes each ``RenderJob``'s picture
(the HUD over the camera frame, the target frame read here, off the processing thread) and
sends it to every output. For a camera the hand-off holds one job and the newest wins (no
latency creep); for a file every frame is rendered (nothing is dropped). Imports the HUD,
outputs, capture, pose and video types; knows nothing of scoring or targets.
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
from posesim_cam.pose.base import Pose, PoseEstimator
from posesim_cam.video import TargetVideo

FPS_WINDOW = 30  # events the reported rates are measured over


class Rate:
    """Events per second over the last FPS_WINDOW events."""

    def __init__(self) -> None:
        self._times: deque[float] = deque(maxlen=FPS_WINDOW)

    def tick(self, at: float) -> None:
        self._times.append(at)

    @property
    def per_second(self) -> float:
        times = self._times
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return (len(times) - 1) / span if span > 0 else 0.0


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
        stages = ("capture_age", "pose", "pose_latency", "scoring", "compose", "output", "latency")
        for stage in stages:
            p50 = self.percentile(stage, 50)
            if p50 is not None:
                parts.append(f"{stage} {p50 * 1000:.1f} ms")
        return "stats: " + ", ".join(parts)


@dataclass(frozen=True)
class PoseResult:
    """The main person in one frame (None: nobody), and what finding them cost.

    Attributes:
        frame: the frame the pose was estimated on.
        pose: the main person, or None.
        poses: everybody found (a multi-person backend), the main person first.
        seconds: time spent in the estimator.
        done_at: ``time.monotonic()`` when the pose was ready.
    """

    frame: Frame
    pose: Pose | None
    seconds: float
    done_at: float
    poses: tuple[Pose, ...] = ()  # everybody found (several players), the main person first

    @property
    def latency(self) -> float:
        """Seconds from the frame's capture to its pose."""
        return max(self.done_at - self.frame.captured_at, 0.0)


def estimate(estimator: PoseEstimator, frame: Frame) -> PoseResult:
    """Run ``estimator`` on ``frame`` in the calling thread."""
    begin = time.perf_counter()
    poses = estimator.estimate(frame.image)
    seconds = time.perf_counter() - begin
    return PoseResult(frame, poses[0] if poses else None, seconds, time.monotonic(), tuple(poses))


class PoseWorker:
    """The pose thread: estimates the newest frame offered whenever it is free.

    Frames offered while it is busy replace each other (only the newest waits), so the
    estimator always works on the most recent picture and the caller never waits for it.
    Poses come out in frame order. The estimator must not be used by another thread meanwhile.

    Args:
        estimator: the pose backend, in stream mode.
    """

    def __init__(self, estimator: PoseEstimator) -> None:
        self.estimator = estimator
        self._wake = threading.Condition()
        self._pending: Frame | None = None
        self._done: deque[PoseResult] = deque()
        self._busy = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.skipped = 0  # frames replaced before the estimator got to them

    def start(self) -> None:
        """Start the thread (again, after ``stop``)."""
        with self._wake:
            self._stopping, self._error, self._pending = False, None, None
        self._thread = threading.Thread(target=self._loop, name="pose", daemon=True)
        self._thread.start()

    def offer(self, frame: Frame) -> None:
        """Give the thread a frame; one offered earlier and not started yet is dropped."""
        with self._wake:
            if self._pending is not None:
                self.skipped += 1
            self._pending = frame
            self._wake.notify()

    def take(self) -> list[PoseResult]:
        """The poses finished since the last call, oldest first.

        Raises what ended the pose thread (the estimator failing).
        """
        with self._wake:
            if self._error is not None:
                raise self._error
            done = list(self._done)
            self._done.clear()
        return done

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no frame is pending or being estimated; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._pending is not None or self._busy:
                left = deadline - time.monotonic()
                if left <= 0 or self._error is not None:
                    return False
                self._wake.wait(left)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread once the frame it is on is done; a pending frame is dropped."""
        if self._thread is None:
            return
        with self._wake:
            self._stopping = True
            self._pending = None
            self._wake.notify_all()
        self._thread.join(timeout=timeout)
        self._thread = None

    def _loop(self) -> None:
        while True:
            with self._wake:
                while self._pending is None and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                frame, self._pending = self._pending, None
                self._busy = True
            try:
                result = estimate(self.estimator, frame)
            except BaseException as error:  # surfaced to the session by take()
                with self._wake:
                    self._error, self._busy = error, False
                    self._wake.notify_all()
                return
            with self._wake:
                self._done.append(result)
                self._busy = False
                self._wake.notify_all()


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
        self.sent = 0  # pictures sent to the outputs

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
                self.sent += 1
                t2 = time.perf_counter()
                self.times.add("compose", t1 - t0)
                self.times.add("output", t2 - t1)
                if job.frame is not None:
                    self.times.add("latency", time.monotonic() - job.frame.captured_at)
        except BaseException as error:  # surfaced to the processing thread
            self._error = error
