"""Scoring cost per live frame and target preparation speed; prints a table.

    python bench/scoring_bench.py            (POSESIM_TESTDATA picks the media folder)

Per-frame scoring = features of one pose + encoder + one online-DTW step, for both
orientations (normal and mirrored), as the live loop does it. Beside it, in the same run:
fastdtw (the seed's aligner, as the registry installs it: pure Python) re-aligning the
user's recent 2-second window against the target window per frame, and the exact offline DTW
against fastdtw on whole sequences. Preparation speed = video duration / preparation time,
with an empty cache.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from posesim_cam.align import OnlineAligner, align_exact, align_fastdtw
from posesim_cam.encoder import load_encoder
from posesim_cam.features import pose_features
from posesim_cam.targets import TargetCache, prepare_video
from posesim_cam.video import probe_video

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> None:
    console = Console()
    encoder = load_encoder()
    rows: list[tuple[str, str, str, str]] = []

    # Target preparation, empty cache each time.
    prepared = {}
    for clip in (
        "dance_1person_30fps.mp4",
        "squats_1person_5fps.mp4",
        "lab_dance_view1.mp4",
        "lab_dance_view2.mp4",
    ):
        path = TESTDATA / "video" / clip
        info = probe_video(path)
        with tempfile.TemporaryDirectory() as cache_dir:
            start = time.perf_counter()
            target = prepare_video(path, encoder, TargetCache(Path(cache_dir)))
            seconds = time.perf_counter() - start
        prepared[clip] = target
        rows.append(
            (
                f"prepare {clip} ({info.width}x{info.height}, "
                f"{info.fps:.0f} fps, {info.duration:.1f} s)",
                f"{seconds / len(target.poses) * 1000:.1f} ms/frame",
                f"{info.duration / seconds:.2f}x real time",
                "goal >= 2x",
            )
        )

    # Live scoring step per frame: user = lab_dance view 2, target = view 1.
    target = prepared["lab_dance_view1.mp4"]
    user = prepared["lab_dance_view2.mp4"].poses
    window = round(2.0 * target.fps)
    aligners = [
        OnlineAligner(target.latents, max_lag=window, max_lead=window // 4) for _ in range(2)
    ]
    step_times: list[float] = []
    repeats = 20
    for _ in range(repeats):
        for aligner in aligners:
            aligner.reset()
        for i in range(len(user)):
            start = time.perf_counter()
            features = pose_features(user.keypoints[i], user.scores[i])
            for aligner, f in zip(aligners, (features, features.mirrored()), strict=True):
                aligner.step(encoder.embed(f)[0], playhead=i)
            step_times.append(time.perf_counter() - start)

    # The seed's way: fastdtw over the recent window, per frame.
    user_latents = encoder.embed(user.features())
    fast_times: list[float] = []
    for i in range(window, len(user)):
        start = time.perf_counter()
        align_fastdtw(user_latents[i - window : i + 1], target.latents[max(0, i - window) : i + 1])
        fast_times.append(time.perf_counter() - start)
    ours_p50, ours_p99 = percentile(step_times, 50) * 1e3, percentile(step_times, 99) * 1e3
    fast_p50 = percentile(fast_times, 50) * 1e3
    rows.append(
        (
            "live step: features+encoder+online DTW, x2 orientations",
            f"p50 {ours_p50:.3f} ms",
            f"p99 {ours_p99:.3f} ms",
            "goal p99 <= 1 ms",
        )
    )
    rows.append(
        (
            "fastdtw on the recent 2 s window, per frame (seed)",
            f"p50 {fast_p50:.2f} ms",
            f"{fast_p50 / ours_p50:.0f}x slower than ours",
            "goal >= 20x",
        )
    )

    # Offline: exact DTW vs fastdtw on whole sequences.
    t_lat = target.latents[target.poses.found]
    for name, fn in (("exact (ours)", align_exact), ("fastdtw radius 1", align_fastdtw)):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            result = fn(user_latents, t_lat)
            times.append(time.perf_counter() - start)
        rows.append(
            (
                f"offline DTW {len(user_latents)}x{len(t_lat)}: {name}",
                f"{statistics.median(times) * 1e3:.2f} ms",
                f"cost {result.cost:.2f}",
                "",
            )
        )

    table = Table(title="posesim-cam scoring benchmark")
    for column in ("what", "time", "result", "goal"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
