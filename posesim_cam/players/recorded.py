"""Several players in a recorded video: one pose sequence per player, cached like a target's.

The video is analysed as live (a strip estimator per player, ``players.regions``, and the
setup's assigner: split strips or tracked ids), at the targets' analysis rate, and each
player's poses are cached under the video's content hash, the backend and the player setup.
Imports ``pose``, ``sequence``, ``video``, ``targets`` (its cache) and the other players modules.
"""

from __future__ import annotations

from pathlib import Path

from posesim_cam.players.assign import PlayerSetup
from posesim_cam.players.regions import RegionEstimator
from posesim_cam.pose.auto import resolve_backend
from posesim_cam.pose.registry import create_backend
from posesim_cam.progress import ProgressFactory, start_bar
from posesim_cam.sequence import PoseSequence, extract_people
from posesim_cam.targets import ANALYSIS_FPS, TargetCache, content_hash
from posesim_cam.video import probe_video


def cache_key(backend: str, setup: PlayerSetup, player: int) -> str:
    """The cache's name for one player's poses: the backend, how players were told apart."""
    line = "centre" if setup.split_at is None else f"{setup.split_at:g}"
    return f"{backend}.players{setup.count}-{setup.mode.value}-{line}-p{player}"


def player_poses(
    video: Path,
    setup: PlayerSetup,
    cache: TargetCache,
    backend: str = "auto",
    progress: ProgressFactory | None = None,
) -> tuple[PoseSequence, ...]:
    """Each player's poses in ``video``, left to right (a player never seen: no poses found).

    Raises UserError for an unreadable video.
    """
    backend = resolve_backend(backend)
    info = probe_video(video)
    sha = content_hash(video)
    keys = [cache_key(backend, setup, player) for player in range(setup.count)]
    cached = [cache.load_poses(sha, key) for key in keys]
    if all(poses is not None for poses in cached):
        return tuple(poses for poses in cached if poses is not None)
    estimator = RegionEstimator(
        lambda threads: create_backend(backend, threads=threads), setup.count, setup.split_at
    )
    try:
        bar = start_bar(progress, f"Preparing {video.name} ({setup.count} players)",
                        info.frame_count)  # fmt: skip
        sequences = extract_people(
            video, estimator, setup.assigner(), setup.count, bar, max_fps=ANALYSIS_FPS
        )
    finally:
        estimator.close()
    for key, poses in zip(keys, sequences, strict=True):
        cache.save_poses(sha, key, poses)
    return sequences
