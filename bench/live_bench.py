"""Live pipeline rates beside bare MediaPipe in the same run; prints a table per backend.

    python bench/live_bench.py                    (blazepose; POSESIM_TESTDATA picks the media)
    python bench/live_bench.py blazepose-heavy    (heavy, against bare model complexity 2)
    python bench/live_bench.py blazepose blazepose-heavy

Frames: dance_1person_30fps.mp4 letterboxed to 640x480 and 1280x720. Per backend and size:

* bare: MediaPipe's own solution, ``mp.solutions.pose.Pose(model_complexity=C).process`` on
  the decoded frames one after another (one XNNPACK thread, as shipped); before and after the
  rest, averaged, since the machine drifts.
* pose alone: the backend's ``estimate`` on the same frames (its threads, its crops).
* file -> file: ``posesim-cam run --source CLIP --output file:OUT.mp4`` through the real run
  command (decode thread, every frame's pose, compose, mp4 encode); fps over the run loop.
* camera 30 / 60: the real session fed by a camera-like source paced at 30 or 60 fps (newest
  frame wins when the session is late): pictures out per second, poses per second, latency.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from posesim_cam.capture import Frame, FrameSource
from posesim_cam.commands import run as run_command
from posesim_cam.commands.workspace import Workspace
from posesim_cam.encoder import load_encoder
from posesim_cam.hud import Compositor
from posesim_cam.outputs import NullOutput
from posesim_cam.pose.base import PoseEstimator
from posesim_cam.pose.graph import pose_threads
from posesim_cam.pose.registry import BACKENDS, create_backend
from posesim_cam.records import RecordStore, SessionSummary
from posesim_cam.session import LiveSession, LiveSettings

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
REPEATS = 3  # the 4-second clip is played this many times per measure
SIZES = ((640, 480), (1280, 720))


class PacedSource(FrameSource):
    """Pre-decoded frames at a camera's rate: the newest due frame, older ones dropped."""

    def __init__(self, images: list[np.ndarray], fps: float) -> None:
        self.images, self._fps = images, fps
        self._start: float | None = None
        self._last = -1

    def read(self, timeout: float | None = None) -> Frame | None:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = int((now - self._start) * self._fps)
        if due <= self._last:  # wait for the next frame, as a camera read does
            time.sleep((self._last + 1) / self._fps - (now - self._start))
            due = self._last + 1
        if due >= len(self.images):
            self._last = len(self.images)
            return None
        self._last = due
        return Frame(self.images[due], due / self._fps, due, time.monotonic())

    @property
    def ended(self) -> bool:
        return self._last >= len(self.images)

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


def bare_mediapipe_fps(images: list[np.ndarray], complexity: int) -> float:
    import mediapipe as mp

    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=complexity) as pose:
        pose.process(cv2.cvtColor(images[0], cv2.COLOR_BGR2RGB))  # warm-up
        start = time.perf_counter()
        for image in images:
            pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        return len(images) / (time.perf_counter() - start)


def pose_alone_fps(backend: str, images: list[np.ndarray]) -> float:
    return estimator_fps(create_backend(backend), images)


def estimator_fps(estimator: PoseEstimator, images: list[np.ndarray]) -> float:
    """Frames per second of ``estimator`` on ``images``, one after another (closes it)."""
    try:
        estimator.estimate(images[0])
        start = time.perf_counter()
        for image in images:
            estimator.estimate(image)
        return len(images) / (time.perf_counter() - start)
    finally:
        estimator.close()


def file_to_file(backend: str, images: list[np.ndarray], clip: Path, folder: Path) -> float:
    source = folder / "source.mp4"
    write_video(images, source)
    return run_file(backend, source, clip, folder)


def write_video(images: list[np.ndarray], path: Path) -> None:
    height, width = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (width, height))
    for image in images:
        writer.write(image)
    writer.release()


def run_file(backend: str, source: Path, clip: Path, folder: Path, **options: object) -> float:
    """fps of ``posesim-cam run --source SOURCE --target CLIP --output file:OUT.mp4`` (and
    ``options``, e.g. players) through the real run command."""
    run_options = run_command.RunOptions(
        source=str(source),
        target=str(clip),
        output=f"file:{folder / 'out.mp4'}",
        backend=backend,
        control_port=0,
        **options,  # type: ignore[arg-type]
    )
    return run_command.run(run_options).fps


def camera(backend: str, images: list[np.ndarray], fps: float, clip: Path) -> SessionSummary:
    encoder = load_encoder()
    target = Workspace(backend=backend).load_target(str(clip), encoder)
    estimator = create_backend(backend)
    height, width = images[0].shape[:2]
    session = LiveSession(
        PacedSource(images, fps),
        estimator,
        encoder,
        [NullOutput()],
        Compositor(width, height),
        lambda name: target,
        [],
        RecordStore(Path(tempfile.gettempdir()) / "posesim-bench-records"),
        LiveSettings(countdown=0.0, drop_frames=True),
    )
    try:
        return session.run(first_target=str(clip))
    finally:
        estimator.close()


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def bench(backend: str, console: Console) -> None:
    clip = TESTDATA / "video" / "dance_1person_30fps.mp4"
    complexity = int(getattr(BACKENDS.get(backend), "complexity", 1))
    raw = []
    cap = cv2.VideoCapture(str(clip))
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        raw.append(frame)
    Workspace(backend=backend).load_target(str(clip), load_encoder())  # prepared up front
    table = Table(title=f"posesim-cam live pipeline, {backend}, {pose_threads()} pose threads")
    columns = (
        "size",
        "bare fps",
        "pose alone",
        "file->file fps",
        "camera 30: out / pose fps",
        "camera 60: out / pose fps",
        "latency p95 (30)",
        "pose latency p95 (30)",
    )
    for column in columns:
        table.add_column(column, justify="right")
    for width, height in SIZES:
        images = [letterbox(f, width, height) for f in raw] * REPEATS
        before = bare_mediapipe_fps(images, complexity)
        alone = pose_alone_fps(backend, images)
        with tempfile.TemporaryDirectory() as folder:
            file_fps = file_to_file(backend, images, clip, Path(folder))
        live30 = camera(backend, images, 30.0, clip)
        live60 = camera(backend, images * 2, 60.0, clip)
        bare = (before + bare_mediapipe_fps(images, complexity)) / 2
        table.add_row(
            f"{width}x{height}",
            f"{bare:.1f}",
            f"{alone:.1f} ({alone / bare:.2f}x)",
            f"{file_fps:.1f} ({file_fps / bare:.2f}x)",
            f"{live30.fps:.1f} / {live30.pose_fps:.1f} ({live30.pose_fps / min(30, bare):.2f}x)",
            f"{live60.fps:.1f} / {live60.pose_fps:.1f} ({live60.pose_fps / min(60, bare):.2f}x)",
            ms(live30.latency_p95_ms),
            ms(live30.pose_latency_p95_ms),
        )
    console.print(table)


def main(backends: list[str]) -> None:
    console = Console(width=170)
    for backend in backends or ["blazepose"]:
        bench(backend, console)
    console.print(
        "ratios: against bare MediaPipe; camera pose rates against what bare MediaPipe could "
        "give at that camera rate (min(camera, bare)). goals: file->file >= 0.8x, camera "
        f">= 0.9x, heavy pose >= 25 Hz at 640x480; {os.cpu_count()} cpus"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
