"""Two players against one, in the same run; prints a table per backend.

    python bench/players_bench.py                          (blazepose)
    python bench/players_bench.py blazepose blazepose-heavy

Frames: dance_1person_30fps.mp4 beside squats_1person_5fps.mp4 (each frame held to 30 fps),
480 high (750x480), 4 s, played three times. Per backend, one player and two alternate
(one, two, one, two) and each figure is the mean of its two runs, since the machine drifts:

* pose alone: the backend's ``estimate`` on the whole frame, against ``RegionEstimator``
  (one estimator per strip, the two-player path) on the same frames.
* file -> file: ``posesim-cam run --source TWO.mp4 --output file:OUT.mp4 [--players 2]``
  through the real run command (every frame's pose, compose, mp4 encode).
* camera 30: the real session fed at a camera's 30 fps (newest frame wins): pictures out and
  poses per second.

The ratio is two players' rate over one's (the seed lost 10 %: 18 fps against 20).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.table import Table

from posesim_cam.commands.workspace import Workspace
from posesim_cam.encoder import load_encoder
from posesim_cam.hud import Compositor
from posesim_cam.outputs import NullOutput
from posesim_cam.players import PlayerSetup
from posesim_cam.players.regions import RegionEstimator
from posesim_cam.pose.base import PoseEstimator
from posesim_cam.pose.graph import pose_threads
from posesim_cam.pose.registry import create_backend
from posesim_cam.records import RecordStore, SessionSummary
from posesim_cam.session import LiveSession, LiveSettings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_bench import PacedSource, estimator_fps, run_file, write_video

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
REPEATS = 3
SPLIT = 0.64  # the dancer's strip is 480 wide of 750


def two_player_frames() -> list[np.ndarray]:
    def read(name: str) -> list[np.ndarray]:
        cap, frames = cv2.VideoCapture(str(TESTDATA / "video" / name)), []
        while True:
            ok, frame = cap.read()
            if not ok:
                return frames
            frames.append(cv2.resize(frame, (round(frame.shape[1] * 480 / frame.shape[0]), 480)))

    dance, squats = read("dance_1person_30fps.mp4"), read("squats_1person_5fps.mp4")
    return [np.hstack([f, squats[(i // 6) % len(squats)]]) for i, f in enumerate(dance)]


def estimator(backend: str, players: int) -> PoseEstimator:
    if players == 1:
        return create_backend(backend)
    return RegionEstimator(lambda threads: create_backend(backend, threads=threads), players, SPLIT)  # type: ignore[return-value]


def pose_alone(backend: str, players: int, images: list[np.ndarray]) -> float:
    return estimator_fps(estimator(backend, players), images)


def file_to_file(backend: str, players: int, source: Path, clip: Path, folder: Path) -> float:
    return run_file(backend, source, clip, folder, players=players, split_at=SPLIT)


def camera(backend: str, players: int, images: list[np.ndarray], clip: Path) -> SessionSummary:
    encoder = load_encoder()
    target = Workspace(backend=backend).load_target(str(clip), encoder)
    found = estimator(backend, players)
    height, width = images[0].shape[:2]
    session = LiveSession(
        PacedSource(images, 30.0),
        found,
        encoder,
        [NullOutput()],
        Compositor(width, height),
        lambda name: target,
        [],
        RecordStore(Path(tempfile.gettempdir()) / "posesim-bench-records"),
        LiveSettings(countdown=0.0, drop_frames=True, players=PlayerSetup(players, split_at=SPLIT)),
    )
    try:
        return session.run(first_target=str(clip))
    finally:
        found.close()


def bench(backend: str, console: Console) -> None:
    clip = TESTDATA / "video" / "dance_1person_30fps.mp4"
    images = two_player_frames() * REPEATS
    Workspace(backend=backend).load_target(str(clip), load_encoder())  # prepared up front
    rates: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "two.mp4"
        height, width = images[0].shape[:2]
        write_video(images, source)
        for players in (1, 2, 1, 2):
            rates.setdefault(("pose", players), []).append(pose_alone(backend, players, images))
            fps = file_to_file(backend, players, source, clip, Path(folder))
            rates.setdefault(("file", players), []).append(fps)
            live = camera(backend, players, images, clip)
            rates.setdefault(("out30", players), []).append(live.fps)
            rates.setdefault(("pose30", players), []).append(live.pose_fps)
    table = Table(title=f"two players against one, {backend}, {width}x{height}, "
                  f"{pose_threads()} pose threads")  # fmt: skip
    for column in ("measure", "one player", "two players", "two / one"):
        table.add_column(column, justify="right")
    names = {
        "pose": "pose alone (Hz)",
        "file": "file -> file (fps)",
        "out30": "camera 30: pictures out (fps)",
        "pose30": "camera 30: poses (Hz)",
    }
    for key, label in names.items():
        one, two = (float(np.mean(rates[(key, n)])) for n in (1, 2))
        table.add_row(label, f"{one:.1f}", f"{two:.1f}", f"{two / one:.2f}x")
    console.print(table)


def main(backends: list[str]) -> None:
    console = Console(width=120)
    for backend in backends or ["blazepose"]:
        bench(backend, console)
    console.print(f"{os.cpu_count()} cpus; the seed's two players ran at 0.90x of one")


if __name__ == "__main__":
    main(sys.argv[1:])
