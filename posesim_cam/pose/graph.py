"""One MediaPipe Pose graph, its inference spread over the cores, and its start-up noise hushed.

MediaPipe's Python solution runs each TF Lite model on one XNNPACK thread (CPU time / wall time
of 1.0 here), leaving a second core idle. Its graph options let the inference calculators use
more: ``PoseGraph`` sets XNNPACK's thread count on both of its models (person detector and
landmarks) to ``pose_threads()``, which on two cores takes heavy from 28 to 17 ms a call and
full from 10.5 to 7.8 ms here (bench/live_bench.py). The graph, the models and their results are
MediaPipe's own, only computed on more threads. Imports ``errors`` and ``settings``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from posesim_cam.settings import Kind, Setting, from_environment

THREADS_ENV = "POSESIM_POSE_THREADS"
# XNNPACK gains little past a few threads on one 256 x 256 image, and each graph holds its own
# thread pool: more would only contend with the render thread.
MAX_AUTO_THREADS = 4


def pose_threads() -> int:
    """Threads each model call uses: ``POSESIM_POSE_THREADS`` if set, else the cores this
    process may run on, at most MAX_AUTO_THREADS.

    Raises:
        UserError: ``POSESIM_POSE_THREADS`` is not a whole number from 1 to 64.
    """
    threads = from_environment(
        Setting(THREADS_ENV, Kind.INTEGER, 1, 64,
                example=f"{THREADS_ENV}=2, or unset it to use {_available_cpus()} (the cores here)")
    )  # fmt: skip
    if threads is not None:
        return int(threads)
    return max(1, min(_available_cpus(), MAX_AUTO_THREADS))


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def set_inference_threads(config: Any, threads: int) -> int:
    """Set XNNPACK's thread count on every inference calculator of an expanded MediaPipe
    ``CalculatorGraphConfig``, in place; returns how many calculators were changed."""
    from mediapipe.calculators.tensor import inference_calculator_pb2

    options_type = inference_calculator_pb2.InferenceCalculatorOptions
    changed = 0
    for node in config.node:
        if not node.calculator.startswith("InferenceCalculator"):
            continue
        if node.node_options:
            for packed in node.node_options:
                if packed.type_url.endswith(options_type.DESCRIPTOR.full_name):
                    options = options_type.FromString(packed.value)
                    options.delegate.xnnpack.num_threads = threads
                    packed.value = options.SerializeToString()
                    changed += 1
        else:
            options = node.options.Extensions[options_type.ext]
            options.delegate.xnnpack.num_threads = threads
            changed += 1
    return changed


def _threaded_pose_class(threads: int) -> type:
    """mediapipe's Pose solution with XNNPACK on ``threads`` threads for every model."""
    from mediapipe.python.solutions import pose as mp_pose

    class ThreadedPose(mp_pose.Pose):
        # SolutionBase calls this on the expanded graph before building it: the one place
        # where the inference calculators' options can still be changed.
        def _modify_calculator_options(self, config: Any, params: Any) -> None:
            super()._modify_calculator_options(config, params)
            set_inference_threads(config, threads)

    return ThreadedPose


_QUIET_LOCK = threading.Lock()
_QUIET_DEPTH = 0
_SAVED_STDERR_FD: int | None = None


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration.

    MediaPipe's C++ code (absl logging, TF Lite) writes start-up notes straight to fd 2, where
    Python cannot filter them, and no environment variable turns them off. Used only around a
    graph's creation and its first calls (until it first finds somebody, a few dozen calls at
    most), so other threads' messages are hidden only then. POSESIM_MEDIAPIPE_LOGS=1 shows
    them. Nested and concurrent use is counted.
    """
    global _QUIET_DEPTH, _SAVED_STDERR_FD
    if os.environ.get("POSESIM_MEDIAPIPE_LOGS") == "1":
        yield
        return
    with _QUIET_LOCK:
        if _QUIET_DEPTH == 0:
            # Without a usable fd 2 (some embedded interpreters) there is nothing to quiet.
            with contextlib.suppress(OSError, ValueError, AttributeError):
                sys.stderr.flush()
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    _SAVED_STDERR_FD = os.dup(2)
                    os.dup2(devnull, 2)
                finally:
                    os.close(devnull)
        _QUIET_DEPTH += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET_DEPTH -= 1
            if _QUIET_DEPTH == 0 and _SAVED_STDERR_FD is not None:
                os.dup2(_SAVED_STDERR_FD, 2)
                os.close(_SAVED_STDERR_FD)
                _SAVED_STDERR_FD = None


class PoseGraph:
    """One MediaPipe Pose graph.

    Args:
        video: True for a video-mode graph (tracks between calls, smooths landmarks), False
            for still images (detector on every call).
        min_confidence: detection and tracking thresholds, in [0, 1].
        complexity: MediaPipe's model complexity: 1 (full, inside the wheel) or 2 (heavy,
            installed with ``posesim-cam models add``).
        threads: XNNPACK threads per model call (``pose_threads()``).
    """

    # Start-up lines come with the graph's first calls and its first landmarks; stay quiet
    # until it has found somebody, but not longer than this many calls.
    _QUIET_CALLS = 30

    def __init__(
        self, video: bool, min_confidence: float, complexity: int = 1, threads: int = 1
    ) -> None:
        # Imported here, not at module level: the import is slow, and its log lines belong in
        # the quiet block. (GLOG_minloglevel and TF_CPP_MIN_LOG_LEVEL were tried: mediapipe
        # 0.10.21 logs through absl and TF Lite's own logger, which ignore both.)
        with quiet_native_stderr():
            self._pose: Any = _threaded_pose_class(threads)(
                static_image_mode=not video,
                model_complexity=complexity,
                smooth_landmarks=video,
                enable_segmentation=False,
                min_detection_confidence=min_confidence,
                min_tracking_confidence=min_confidence,
            )
            # The graph loads its interpreters in the background, and they log as they come
            # up; one call on a tiny black image waits for that inside the quiet block and
            # leaves no track behind (there is nobody to find).
            self._pose.process(np.zeros((64, 64, 3), np.uint8))
        self.video = video
        self.holding = False  # a video graph found somebody on its last call (it tracks them)
        self._quiet_left = self._QUIET_CALLS

    def run(self, image_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """The person in ``image_rgb`` ((H, W, 3) uint8 RGB), or None.

        Returns (xy (33, 2) float32 normalised to the image: 0..1 inside it, visibility (33,)
        float32 in [0, 1]).
        """
        image = np.ascontiguousarray(image_rgb)
        if self._quiet_left > 0:
            with quiet_native_stderr():
                result = self._pose.process(image)
            self._quiet_left = 0 if result.pose_landmarks else self._quiet_left - 1
        else:
            result = self._pose.process(image)
        self.holding = self.video and bool(result.pose_landmarks)
        if not result.pose_landmarks:
            return None
        values = np.array(
            [(lm.x, lm.y, lm.visibility) for lm in result.pose_landmarks.landmark], np.float32
        )
        return values[:, :2], values[:, 2]

    def forget(self) -> None:
        """Make a video graph drop the person it tracks, without restarting it.

        MediaPipe's ``reset`` restarts the graph, after which the first call takes ~100 ms to
        rebuild the interpreters; one call on a small black image (the tracked person is not
        there, so it loses them) is one landmark pass, ~20 ms.
        """
        if self.holding:
            self.run(np.zeros((64, 64, 3), np.uint8))

    def close(self) -> None:
        with contextlib.suppress(ValueError):  # already closed
            self._pose.close()
