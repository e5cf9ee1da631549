"""Pose features: the 136 pairwise joint distances, normalised by body size, with joint weights.

Everything here is pure numpy on arrays of COCO-17 keypoints; shapes are in each docstring.
The distances do not change when the person moves, turns in the image plane or is reflected;
dividing by the torso length removes their size in the frame. Imports only the skeleton.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posesim_cam.skeleton import (
    FLIP_INDEX,
    INDEX,
    MIN_JOINT_SCORE,
    NUM_KEYPOINTS,
    NUM_PAIRS,
    PAIRS,
)

_PAIR_FLIP = np.empty(NUM_PAIRS, np.intp)
_pair_index = {(int(i), int(j)): k for k, (i, j) in enumerate(PAIRS)}
for _k, (_i, _j) in enumerate(PAIRS):
    _a, _b = sorted((int(FLIP_INDEX[_i]), int(FLIP_INDEX[_j])))
    _PAIR_FLIP[_k] = _pair_index[(_a, _b)]
# Index permutation of the 136 distances that swaps the person's left and right.
PAIR_FLIP_INDEX: np.ndarray = _PAIR_FLIP

# Positions in the 136 pairs of the two torso sides (shoulder to hip, left and right).
_TORSO_SIDE_PAIRS = np.array(
    [
        _pair_index[(INDEX["left_shoulder"], INDEX["left_hip"])],
        _pair_index[(INDEX["right_shoulder"], INDEX["right_hip"])],
    ]
)


@dataclass(frozen=True)
class PoseFeatures:
    """Normalised pairwise distances of a sequence of poses.

    Attributes:
        distances: (T, 136) float32, joint distances divided by the body scale; 0 where missing.
        weights: (T, 136) float32 in [0, 1], product of the two joints' weights; 0 = missing.
        joint_weights: (T, 17) float32 in [0, 1], per-joint weight (0 below MIN_JOINT_SCORE).
    """

    distances: np.ndarray
    weights: np.ndarray
    joint_weights: np.ndarray

    def __len__(self) -> int:
        return len(self.distances)

    def mirrored(self) -> PoseFeatures:
        """The same poses with the person's left and right swapped (a mirror image)."""
        return PoseFeatures(
            self.distances[:, PAIR_FLIP_INDEX],
            self.weights[:, PAIR_FLIP_INDEX],
            self.joint_weights[:, FLIP_INDEX],
        )

    @classmethod
    def concat(cls, parts: list[PoseFeatures]) -> PoseFeatures:
        """The poses of ``parts``, one after another."""
        return cls(
            np.concatenate([p.distances for p in parts]),
            np.concatenate([p.weights for p in parts]),
            np.concatenate([p.joint_weights for p in parts]),
        )

    def select(self, rows: np.ndarray) -> PoseFeatures:
        """The poses at ``rows`` (an index or boolean mask over T)."""
        return PoseFeatures(self.distances[rows], self.weights[rows], self.joint_weights[rows])

    def masked(self, joint_mask: np.ndarray) -> PoseFeatures:
        """Drop the joints where ``joint_mask`` (17,) bool is False from every pose."""
        joint_weights = self.joint_weights * joint_mask[None, :].astype(np.float32)
        return PoseFeatures.from_parts(self.distances, joint_weights)

    @classmethod
    def from_parts(cls, distances: np.ndarray, joint_weights: np.ndarray) -> PoseFeatures:
        weights = joint_weights[:, PAIRS[:, 0]] * joint_weights[:, PAIRS[:, 1]]
        return cls(
            np.where(weights > 0, distances, 0).astype(np.float32),
            weights.astype(np.float32),
            joint_weights.astype(np.float32),
        )


def joint_weights_from_scores(scores: np.ndarray, min_score: float = MIN_JOINT_SCORE) -> np.ndarray:
    """Per-joint weights (..., 17) from confidences: the score itself, 0 below ``min_score``."""
    scores = np.asarray(scores, np.float32)
    return np.where(scores >= min_score, scores, 0.0).astype(np.float32)


def pairwise_distances(keypoints: np.ndarray) -> np.ndarray:
    """The 136 Euclidean distances between the 17 joints: (..., 17, D) -> (..., 136)."""
    keypoints = np.asarray(keypoints, np.float32)
    diff = keypoints[..., PAIRS[:, 0], :] - keypoints[..., PAIRS[:, 1], :]
    return np.sqrt((diff * diff).sum(axis=-1))


def body_scale(distances: np.ndarray, joint_weights: np.ndarray) -> np.ndarray:
    """Length used to normalise distances, per pose: (T, 136), (T, 17) -> (T,).

    The mean length of the two torso sides (shoulder to hip): it changes little as a person
    turns away from the camera, unlike shoulder width. Where no torso side is visible, the
    root mean square of the visible distances stands in (scaled to the same typical size).
    """
    pair_valid = (joint_weights[:, PAIRS[:, 0]] > 0) & (joint_weights[:, PAIRS[:, 1]] > 0)
    sides = pair_valid[:, _TORSO_SIDE_PAIRS]
    count = sides.sum(axis=1)
    torso = (distances[:, _TORSO_SIDE_PAIRS] * sides).sum(axis=1) / np.maximum(count, 1)
    n = pair_valid.sum(axis=1)
    rms = np.sqrt((distances**2 * pair_valid).sum(axis=1) / np.maximum(n, 1))
    # Typical ratio of the RMS pair distance to the torso side for a standing adult.
    fallback = rms / 1.6
    scale = np.where((count > 0) & (torso > 1e-6), torso, fallback)
    return np.maximum(scale, 1e-6).astype(np.float32)


def pose_features(keypoints: np.ndarray, scores: np.ndarray | None = None) -> PoseFeatures:
    """Features of a sequence of poses.

    Args:
        keypoints: (T, 17, 2) (or (17, 2) for one pose) joint positions, any unit.
        scores: (T, 17) per-joint confidence in [0, 1]; all ones if omitted.

    Returns:
        PoseFeatures with T rows.
    """
    keypoints = np.asarray(keypoints, np.float32)
    if keypoints.ndim == 2:
        keypoints = keypoints[None]
    if keypoints.shape[1:2] != (NUM_KEYPOINTS,):
        raise ValueError(f"expected (T, 17, D) keypoints, got {keypoints.shape}")
    if scores is None:
        scores = np.ones(keypoints.shape[:2], np.float32)
    scores = np.asarray(scores, np.float32).reshape(keypoints.shape[:2])
    joint_weights = joint_weights_from_scores(scores)
    distances = pairwise_distances(keypoints)
    distances /= body_scale(distances, joint_weights)[:, None]
    return PoseFeatures.from_parts(distances, joint_weights)


def mirror_keypoints(
    keypoints: np.ndarray, scores: np.ndarray, width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Reflect poses in an image of ``width`` pixels and relabel left/right.

    (..., 17, 2), (..., 17) -> the same shapes. Applying it twice gives the input back.
    """
    flipped = np.array(keypoints, np.float32, copy=True)[..., FLIP_INDEX, :]
    flipped[..., 0] = width - flipped[..., 0]
    return flipped, np.asarray(scores)[..., FLIP_INDEX]
