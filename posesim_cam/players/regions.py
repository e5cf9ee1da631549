"""Several people with a backend that finds one person per image: one estimator per strip.

The default backends (BlazePose) find the most prominent person in what they are given. So
``RegionEstimator`` gives each of them one vertical strip of the frame, widened by a margin so
that someone standing on a line is seen whole, and maps their poses back to the frame; a
person found by two neighbouring strips is kept once. This handles players who stay on their
own side (the seed's set-up); players who cross need a multi-person detector (the AlphaPose
backend's person detector), since a strip can hold only one of them.

The strips are estimated at once, one thread each, with the pose threads shared out among them
(``pose.graph.pose_threads``): two MediaPipe graphs one after the other on two cores run at a
third of one graph's rate (each one's idle XNNPACK workers spin against the other), side by
side on a core each at 0.6 of it (docs/benchmarks.md, "Two players"). Imports ``pose`` and
``players.assign``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from posesim_cam.players.assign import pose_distance, split_regions
from posesim_cam.pose.base import Pose, PoseEstimator
from posesim_cam.pose.graph import pose_threads

# Each strip is widened by this share of its width on both sides.
STRIP_MARGIN = 0.15
# Two finds closer than this (in body sizes) are the same person.
SAME_PERSON = 0.3


class RegionEstimator:
    """Poses of up to ``players`` people, one single-person estimator per vertical strip.

    Args:
        make: builds one single-person estimator given the inference threads it may use
            (called once per strip), e.g. ``lambda threads: create_backend(name,
            threads=threads)``.
        players: how many strips (1..4).
        split_at: where the line between two strips is, as a fraction of the width.
        threads: the pose threads to share among the strips; None: ``pose_threads()``.
    """

    def __init__(
        self,
        make: Callable[[int], PoseEstimator],
        players: int,
        split_at: float | None = None,
        threads: int | None = None,
    ) -> None:
        self.players = players
        self.split_at = split_at
        total = pose_threads() if threads is None else max(1, threads)
        workers = max(1, min(players, total))
        self.estimators = [make(max(1, total // workers)) for _ in range(players)]
        self.name = f"{self.estimators[0].name} x{players}"
        self._pool = ThreadPoolExecutor(workers, "posesim-strip") if workers > 1 else None

    def estimate(self, frame_bgr: np.ndarray) -> list[Pose]:
        """Every person found, in frame pixels, left to right (duplicates dropped)."""
        width = frame_bgr.shape[1]
        strips = []
        for x0, x1 in split_regions(width, self.players, self.split_at):
            margin = round((x1 - x0) * STRIP_MARGIN)
            strips.append((max(x0 - margin, 0), min(x1 + margin, width)))

        def run(estimator: PoseEstimator, left: int, right: int) -> list[Pose]:
            return estimator.estimate(np.ascontiguousarray(frame_bgr[:, left:right]))

        jobs = list(zip(self.estimators, strips, strict=True))
        if self._pool is None:
            results = [run(estimator, *strip) for estimator, strip in jobs]
        else:
            futures = [self._pool.submit(run, estimator, *strip) for estimator, strip in jobs]
            results = [future.result() for future in futures]
        found: list[Pose] = []
        for poses, (left, _) in zip(results, strips, strict=True):
            for pose in poses:
                shift = np.array([left, 0.0], np.float32)
                moved = Pose(
                    pose.keypoints + shift,
                    pose.scores,
                    pose.box + np.array([left, 0, left, 0], np.float32),
                )
                if all(pose_distance(moved, other) > SAME_PERSON for other in found):
                    found.append(moved)
        return sorted(found, key=lambda p: float(p.box[0] + p.box[2]))

    def reset(self) -> None:
        for estimator in self.estimators:
            estimator.reset()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for estimator in self.estimators:
            estimator.close()
