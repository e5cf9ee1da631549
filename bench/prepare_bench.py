"""Target preparation speed per backend, on one XNNPACK thread and on every core; a table.

    python bench/prepare_bench.py                        (blazepose and, if installed, heavy)
    python bench/prepare_bench.py blazepose-heavy

Targets: 30-second videos made by looping a test clip (re-encoded as MPEG-4 Part 2, as
scoring_bench.py does): dance_1person (576x576, 30 fps) and lab_dance_view1 (1080x1920, 60 fps;
a clip for evaluation only, used here for its size, nothing is tuned on it). Each is prepared
with an empty cache (decode, pose at 15 analysed frames a second, embedding), once with
POSESIM_POSE_THREADS=1 (MediaPipe as shipped) and once with the default (the cores here).
Speed = video duration / preparation time ("x real time").
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from scoring_bench import TESTDATA, looped

from posesim_cam.encoder import load_encoder
from posesim_cam.pose.graph import THREADS_ENV, pose_threads
from posesim_cam.pose.models import HEAVY, list_models
from posesim_cam.targets import TargetCache, prepare_video

SECONDS = 30.0


def prepare_seconds(video: Path, backend: str, threads: str | None) -> float:
    previous = os.environ.pop(THREADS_ENV, None)
    if threads is not None:
        os.environ[THREADS_ENV] = threads
    try:
        with tempfile.TemporaryDirectory() as cache:
            start = time.perf_counter()
            prepare_video(video, load_encoder(), TargetCache(Path(cache)), backend=backend)
            return time.perf_counter() - start
    finally:
        os.environ.pop(THREADS_ENV, None)
        if previous is not None:
            os.environ[THREADS_ENV] = previous


def main(backends: list[str]) -> None:
    if not backends:
        heavy = any(s.model == HEAVY and s.path for s in list_models())
        backends = ["blazepose"] + (["blazepose-heavy"] if heavy else [])
    table = Table(title=f"target preparation, {SECONDS:.0f}-second targets (x real time)")
    for column in ("backend", "target", "1 thread", f"{pose_threads()} threads", "gain"):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as work:
        videos = [
            looped(TESTDATA / "video" / name, SECONDS, Path(work))
            for name in ("dance_1person_30fps.mp4", "lab_dance_view1.mp4")
        ]
        for backend in backends:
            for video in videos:
                one = prepare_seconds(video, backend, "1")
                every = prepare_seconds(video, backend, None)
                table.add_row(
                    backend,
                    video.name,
                    f"{SECONDS / one:.2f}x",
                    f"{SECONDS / every:.2f}x",
                    f"{one / every:.2f}x",
                )
    Console(width=120).print(table)
    print(f"goal: heavy >= 2x real time; {os.cpu_count()} cpus")


if __name__ == "__main__":
    main(sys.argv[1:])
