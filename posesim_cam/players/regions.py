"""Several people with a backend that finds one person per image: one estimator per strip.

The default backends (BlazePose) find the most prominent person in what they are given. So
``RegionEstimator`` gives each of them one vertical strip of the frame, widened by a margin so
that someone standing on a line is seen whole, and maps their poses back to the frame; a
person found by two neighbouring strips is kept once. This handles players who stay on their
own side (the seed's set-up); players who cross need a multi-person detector (the AlphaPose
backend's person detector), since a strip can hold only one of them. Imports ``pose`` and
``players.assign``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from posesim_cam.players.assign import pose_distance, split_regions
from posesim_cam.pose.base import Pose, PoseEstimator

# Each strip is widened by this share of its width on both sides.
STRIP_MARGIN = 0.15
# Two finds closer than this (in body sizes) are the same person.
SAME_PERSON = 0.3


class RegionEstimator:
    """Poses of up to ``players`` people, one single-person estimator per vertical strip.

    Args:
        make: builds one single-person estimator (called once per strip).
        players: how many strips (1..4).
        split_at: where the line between two strips is, as a fraction of the width.
    """

    def __init__(
        self, make: Callable[[], PoseEstimator], players: int, split_at: float | None = None
    ) -> None:
        self.players = players
        self.split_at = split_at
        self.estimators = [make() for _ in range(players)]
        self.name = f"{self.estimators[0].name} x{players}"

    def estimate(self, frame_bgr: np.ndarray) -> list[Pose]:
        """Every person found, in frame pixels, left to right (duplicates dropped)."""
        width = frame_bgr.shape[1]
        found: list[Pose] = []
        for estimator, (x0, x1) in zip(
            self.estimators, split_regions(width, self.players, self.split_at), strict=True
        ):
            margin = round((x1 - x0) * STRIP_MARGIN)
            left, right = max(x0 - margin, 0), min(x1 + margin, width)
            for pose in estimator.estimate(np.ascontiguousarray(frame_bgr[:, left:right])):
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
        for estimator in self.estimators:
            estimator.close()
