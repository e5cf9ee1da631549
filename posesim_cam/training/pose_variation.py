"""New 3-D poses from motion-capture poses: limbs turned about their joints, the upper body leant.

Pure numpy. Sixty-one clips hold a few kinds of movement; people following a video do poses that
none of them holds. Turning each limb segment about its parent joint (shoulder, elbow, hip, knee)
and leaning the upper body about the pelvis makes poses between and beyond the recorded ones,
with the actor's limb lengths unchanged (a lean bends the flanks, as a spine does). Both views
of a training pair see the same varied pose, so it stays a positive pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posesim_cam.skeleton import INDEX, KEYPOINT_NAMES

# Everything above the hips: the head, shoulders and arms.
_UPPER_BODY = [
    i for i, name in enumerate(KEYPOINT_NAMES) if not name.endswith(("hip", "knee", "ankle"))
]
# (joint turned about, the joints that move with it), parents before children.
_SEGMENTS: tuple[tuple[int, tuple[int, ...]], ...] = tuple(
    (INDEX[f"{side}_{parent}"], tuple(INDEX[f"{side}_{c}"] for c in children))
    for side in ("left", "right")
    for parent, children in (
        ("shoulder", ("elbow", "wrist")),
        ("elbow", ("wrist",)),
        ("hip", ("knee", "ankle")),
        ("knee", ("ankle",)),
    )
)


@dataclass(frozen=True)
class PoseVariation:
    """How much a pose is varied.

    Attributes:
        p: share of poses varied (the rest stay as recorded).
        limb_deg: s.d. of each limb segment's turn about its parent joint, degrees.
        lean_deg: s.d. of the upper body's lean about the pelvis, degrees.
    """

    p: float = 0.0
    limb_deg: float = 25.0
    lean_deg: float = 12.0


def random_rotations(rng: np.random.Generator, n: int, sd_deg: float) -> np.ndarray:
    """(n, 3, 3) rotations about uniformly random axes by normal angles of ``sd_deg`` s.d."""
    axis = rng.standard_normal((n, 3))
    axis /= np.maximum(np.linalg.norm(axis, axis=1, keepdims=True), 1e-12)
    angle = np.deg2rad(rng.normal(0.0, sd_deg, n))
    k = np.zeros((n, 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(0, 2, 1)
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)  # Rodrigues


def _turn_about(
    points: np.ndarray, pivot: np.ndarray, moved: list[int], rotation: np.ndarray
) -> None:
    """Turn the joints ``moved`` of each pose (N, 17, 3) about ``pivot`` (N, 1, 3), in place."""
    points[:, moved] = pivot + np.einsum("nij,nkj->nki", rotation, points[:, moved] - pivot)


def vary_poses(
    points: np.ndarray, rng: np.random.Generator, variation: PoseVariation
) -> np.ndarray:
    """(N, 17, 3) poses with a share ``variation.p`` varied; limb lengths are kept."""
    out = np.array(points, np.float64, copy=True)
    n = len(out)
    if variation.p <= 0 or n == 0:
        return out.astype(np.float32)
    chosen = rng.random(n) < variation.p

    def rotations(sd_deg: float) -> np.ndarray:
        turns = random_rotations(rng, n, sd_deg)
        turns[~chosen] = np.eye(3)
        return turns

    pelvis = (out[:, INDEX["left_hip"]] + out[:, INDEX["right_hip"]]) / 2
    _turn_about(out, pelvis[:, None], _UPPER_BODY, rotations(variation.lean_deg))
    for centre, children in _SEGMENTS:
        pivot = out[:, centre : centre + 1].copy()
        _turn_about(out, pivot, list(children), rotations(variation.limb_deg))
    return out.astype(np.float32)
