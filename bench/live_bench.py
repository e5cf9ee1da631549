"""Live pipeline throughput and capture-to-output latency, beside bare MediaPipe; prints a table.

    python bench/live_bench.py            (POSESIM_TESTDATA picks the media folder)
    python bench/live_bench.py blazepose-heavy   (the heavy backend, against bare complexity 2)

Frames: dance_1person_30fps.mp4 letterboxed to 640x480 and 1280x720, decoded up front and fed
by an in-memory camera-like source as fast as the session takes them (unpaced). The session is
the real one (blazepose backend, encoder, online DTW, compositor, a null output) in camera mode
(newest frame wins). Bare MediaPipe = mp.solutions.pose.Pose(model_complexity=1).process on the
same frames, one after another, in the same run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from posesim_cam.capture import Frame, FrameSource
from posesim_cam.commands.workspace import Workspace
from posesim_cam.encoder import load_encoder
from posesim_cam.hud import Compositor
from posesim_cam.outputs import NullOutput
from posesim_cam.pose.registry import create_backend
from posesim_cam.records import RecordStore
from posesim_cam.session import LiveSession, LiveSettings

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
REPEATS = 4  # the 4-second clip is played this many times per size


class MemorySource(FrameSource):
    """Pre-decoded frames handed out as fast as they are asked for (a camera with no wait)."""

    def __init__(self, images: list[np.ndarray], fps: float) -> None:
        self.images, self._fps, self.index = images, fps, 0

    def read(self, timeout: float | None = None) -> Frame | None:
        if self.index >= len(self.images):
            return None
        image = self.images[self.index]
        self.index += 1
        # Timestamps at the clip's rate drive the target clock as a real camera would.
        return Frame(image, self.index / self._fps, self.index, time.monotonic())

    @property
    def ended(self) -> bool:
        return self.index >= len(self.images)

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        return self.images[0].shape[1], self.images[0].shape[0]

    def close(self) -> None:
        pass


def letterbox(image: np.ndarray, width: int, height: int) -> np.ndarray:
    scale = min(width / image.shape[1], height / image.shape[0])
    w, h = int(image.shape[1] * scale), int(image.shape[0] * scale)
    canvas = np.zeros((height, width, 3), np.uint8)
    x, y = (width - w) // 2, (height - h) // 2
    canvas[y : y + h, x : x + w] = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    return canvas


def bare_mediapipe_fps(images: list[np.ndarray], complexity: int = 1) -> float:
    import mediapipe as mp

    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=complexity) as pose:
        pose.process(cv2.cvtColor(images[0], cv2.COLOR_BGR2RGB))  # warm-up
        start = time.perf_counter()
        for image in images:
            pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        return len(images) / (time.perf_counter() - start)


def main(backend: str = "blazepose") -> None:
    cv2.setNumThreads(1)  # as `posesim-cam run` does
    clip = TESTDATA / "video" / "dance_1person_30fps.mp4"
    encoder = load_encoder()
    target = Workspace(backend=backend).load_target(str(clip), encoder)
    raw = []
    cap = cv2.VideoCapture(str(clip))
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        raw.append(frame)
    table = Table(title=f"posesim-cam live pipeline, {backend} (unpaced, camera mode, null output)")
    for column in (
        "size",
        "bare MediaPipe fps",
        "session fps",
        "ratio",
        "latency p50",
        "latency p95",
        "pose p50",
        "compose p50",
    ):
        table.add_column(column, justify="right")
    for width, height in ((640, 480), (1280, 720)):
        images = [letterbox(f, width, height) for f in raw] * REPEATS
        complexity = estimator_complexity(backend)
        before = bare_mediapipe_fps(images, complexity)
        session = LiveSession(
            MemorySource(images, 30.0),
            create_backend(backend),
            encoder,
            [NullOutput()],
            Compositor(width, height),
            lambda name: target,
            [],
            RecordStore(Path(os.environ.get("TMPDIR", "/tmp")) / "posesim-bench-records"),
            LiveSettings(countdown=0.0, drop_frames=True),
        )
        summary = session.run(first_target=str(clip))
        times = session.times
        # Bare MediaPipe before and after the session, averaged: the machine drifts.
        bare = (before + bare_mediapipe_fps(images, complexity)) / 2
        table.add_row(
            f"{width}x{height}",
            f"{bare:.1f}",
            f"{summary.fps:.1f}",
            f"{summary.fps / bare:.2f}x",
            f"{times.percentile('latency', 50) * 1000:.1f} ms",
            f"{times.percentile('latency', 95) * 1000:.1f} ms",
            f"{times.percentile('pose', 50) * 1000:.1f} ms",
            f"{times.percentile('compose', 50) * 1000:.1f} ms",
        )
    Console(width=150).print(table)
    print(f"goals: ratio >= 0.9x bare MediaPipe, latency p95 <= 60 ms; {os.cpu_count()} cpus")


def estimator_complexity(backend: str) -> int:
    """MediaPipe's model complexity behind a BlazePose backend (what bare MediaPipe runs)."""
    from posesim_cam.pose.registry import BACKENDS

    return int(getattr(BACKENDS.get(backend), "complexity", 1))


if __name__ == "__main__":
    main(*sys.argv[1:2])
