"""The pose type every backend returns and the estimator protocol.

Imports only the skeleton: backends, the registry and everything above build on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from posesim_cam.skeleton import MIN_JOINT_SCORE, NUM_KEYPOINTS


@dataclass(frozen=True)
class Pose:
    """One person's COCO-17 pose in one image.

    Attributes:
        keypoints: (17, 2) float32, x and y in pixels of the full frame.
        scores: (17,) float32 in [0, 1], per-joint confidence (visibility).
        box: (4,) float32, x0, y0, x1, y1 in pixels: the person's bounding box.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    box: np.ndarray = field(default_factory=lambda: np.zeros(4, np.float32))

    def __post_init__(self) -> None:
        if self.keypoints.shape != (NUM_KEYPOINTS, 2) or self.scores.shape != (NUM_KEYPOINTS,):
            raise ValueError(
                f"Pose needs keypoints (17, 2) and scores (17,), got {self.keypoints.shape} "
                f"and {self.scores.shape}"
            )

    @classmethod
    def from_keypoints(cls, keypoints: np.ndarray, scores: np.ndarray) -> Pose:
        """A pose whose box is the extent of its confident keypoints (all, if none is)."""
        kp = np.asarray(keypoints, np.float32)
        sc = np.asarray(scores, np.float32)
        seen = sc >= MIN_JOINT_SCORE
        visible = kp[seen] if seen.any() else kp
        box = np.array([*visible.min(axis=0), *visible.max(axis=0)], np.float32)
        return cls(kp, sc, box)

    @property
    def score(self) -> float:
        """Mean joint confidence: how sure the backend is of this pose as a whole."""
        return float(self.scores.mean())

    @property
    def height(self) -> float:
        """Box height in pixels."""
        return float(self.box[3] - self.box[1])


@runtime_checkable
class PoseEstimator(Protocol):
    """Finds people in BGR frames.

    ``estimate`` returns the poses in one frame, the main person first. In stream mode a backend
    may use the previous frames (tracking), so feed it the frames of one video in order and call
    ``reset`` between videos.
    """

    name: str

    def estimate(self, frame_bgr: np.ndarray) -> list[Pose]: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...
