"""Scoring cost per live frame and target preparation speed; prints a table.

    python bench/scoring_bench.py            (POSESIM_TESTDATA picks the media folder)

Per-frame scoring = features of one pose + encoder + causal latent smoothing + one online-DTW
step, for both orientations (normal and mirrored), as the live loop does it. Beside it, in the
same run: fastdtw (the seed's aligner, as the registry installs it: pure Python) re-aligning the
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

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from posesim_cam.encoder import load_encoder
from posesim_cam.features import PoseFeatures, pose_features
from posesim_cam.scoring.align import OnlineAligner, align_exact, align_fastdtw
from posesim_cam.scoring.rules import frame_weights
from posesim_cam.scoring.temporal import LATENT_SMOOTHING, CausalSmoother
from posesim_cam.targets import TargetCache, prepare_video
from posesim_cam.video import iter_frames, probe_video

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def looped(clip: Path, seconds: float, folder: Path) -> Path:
    """Write ``clip`` repeated to ``seconds`` long into ``folder``; returns the new file."""
    info = probe_video(clip)
    out = folder / f"{clip.stem}_looped_{seconds:.0f}s.mp4"
    writer = cv2.VideoWriter(
        str(out), cv2.VideoWriter_fourcc(*"mp4v"), info.fps, (info.width, info.height)
    )
    frames = [frame for _, frame in iter_frames(clip)]
    for index in range(round(seconds * info.fps)):
        writer.write(frames[index % len(frames)])
    writer.release()
    return out


def main() -> None:
    console = Console(width=150)
    encoder = load_encoder()
    rows: list[tuple[str, str, str, str]] = []

    # Target preparation, empty cache each time: the short test clips as they are (start-up
    # costs dominate: loading MediaPipe, finding the person), and 30-second targets made by
    # looping a clip (what a real target looks like; re-encoded as MPEG-4 Part 2).
    prepared = {}
    with tempfile.TemporaryDirectory() as work:
        clips = [
            TESTDATA / "video" / c
            for c in (
                "dance_1person_30fps.mp4",
                "squats_1person_5fps.mp4",
                "lab_dance_view1.mp4",
                "lab_dance_view2.mp4",
            )
        ]
        clips += [
            looped(TESTDATA / "video" / "dance_1person_30fps.mp4", 30.0, Path(work)),
            looped(TESTDATA / "video" / "lab_dance_view1.mp4", 30.0, Path(work)),
        ]
        for path in clips:
            info = probe_video(path)
            with tempfile.TemporaryDirectory() as cache_dir:
                start = time.perf_counter()
                target = prepare_video(path, encoder, TargetCache(Path(cache_dir)))
                seconds = time.perf_counter() - start
            prepared[path.name] = target
            rows.append(
                (
                    f"prepare {path.name} ({info.width}x{info.height}, "
                    f"{info.fps:.0f} fps, {info.duration:.1f} s)",
                    f"{seconds / len(target.poses) * 1000:.1f} ms/frame",
                    f"{info.duration / seconds:.2f}x real time",
                    "goal >= 2x",
                )
            )

    # Live scoring step per frame: user and target = the 4-second dance clip (30 fps), so a
    # 2-second window fits; the cost does not depend on what the poses are.
    target = prepared["dance_1person_30fps.mp4"]
    user = target.poses
    window = round(2.0 * target.fps)
    repeats = 20

    def live_steps(orientations: int) -> list[float]:
        aligners = [
            OnlineAligner(target.latents, max_lag=window, max_lead=window // 4)
            for _ in range(orientations)
        ]
        smoothers = [CausalSmoother(LATENT_SMOOTHING) for _ in range(orientations)]
        times: list[float] = []
        for _ in range(repeats):
            for aligner, smoother in zip(aligners, smoothers, strict=True):
                aligner.reset()
                smoother.reset()
            for i in range(len(user)):
                start = time.perf_counter()
                features = pose_features(user.keypoints[i], user.scores[i])
                encoder.plausible(features)  # the broken-track check, as LiveScorer does
                views = [features, features.mirrored()][:orientations]
                # One call for both orientations, and the frame weights, as LiveScorer does.
                latents, distinct = encoder.embed_with_distinctiveness(PoseFeatures.concat(views))
                frame_weights(distinct)
                for aligner, smoother, latent in zip(aligners, smoothers, latents, strict=True):
                    aligner.step(smoother.push(latent, i / target.fps), playhead=i)
                times.append(time.perf_counter() - start)
        return times

    # The seed's way: features + encoder per frame, then fastdtw over the recent window.
    seed_times: list[float] = []
    for i in range(window, len(user)):
        start = time.perf_counter()
        features = pose_features(
            user.keypoints[max(0, i - window) : i + 1], user.scores[max(0, i - window) : i + 1]
        )
        latents = encoder.embed(features)
        align_fastdtw(latents, target.latents[max(0, i - window) : i + 1])
        seed_times.append(time.perf_counter() - start)
    one, both = live_steps(1), live_steps(2)
    seed_p50 = percentile(seed_times, 50) * 1e3
    for label, times in (("one orientation", one), ("both orientations (as run live)", both)):
        p50, p99 = percentile(times, 50) * 1e3, percentile(times, 99) * 1e3
        rows.append(
            (
                f"live step, {label}",
                f"p50 {p50:.3f} ms",
                f"p99 {p99:.3f} ms; seed / ours {seed_p50 / p50:.0f}x",
                "p99 <= 1 ms; >= 20x",
            )
        )
    rows.append(
        (
            "seed: features + encoder + fastdtw on the recent 2 s window, per frame",
            f"p50 {seed_p50:.2f} ms",
            f"p99 {percentile(seed_times, 99) * 1e3:.2f} ms",
            "",
        )
    )

    # Offline: exact DTW vs fastdtw on whole sequences (lab_dance view 2 against view 1).
    target = prepared["lab_dance_view1.mp4"]
    user_latents = encoder.embed(prepared["lab_dance_view2.mp4"].poses.features())
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
