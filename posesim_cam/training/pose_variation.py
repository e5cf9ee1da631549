"""New 3-D poses from motion-capture poses: limbs turned about their joints, the upper body
leant, limbs taken from other poses.

Pure numpy. Sixty-one clips hold a few kinds of movement; people following a video do poses that
none of them holds. Turning each limb segment about its parent joint (shoulder, elbow, hip, knee)
and leaning the upper body about the pelvis makes poses between and beyond the recorded ones,
with the actor's limb lengths unchanged (a lean bends the flanks, as a spine does). Both views
of a training pair see the same varied pose, so it stays a positive pair.

Limbs can also be swapped in from another pose of the batch (``mix_p``): an arm or leg keeps its
direction relative to the other pose's torso and is re-attached, with this actor's limb lengths,
to this pose's shoulder or hip. Recorded clips tie each arm movement to the legs of the same
activity; a dancer's arms over a walker's legs is a pose no clip holds. Imports only the
skeleton; never the CLI, the commands, the session or the HUD.
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
        mix_p: share of poses whose limbs may be taken from another pose (``mix_limbs``).
    """

    p: float = 0.0
    limb_deg: float = 25.0
    lean_deg: float = 12.0
    mix_p: float = 0.0


# Each limb's chain: (root, middle, end) joints.
_LIMBS: tuple[tuple[int, int, int], ...] = tuple(
    (INDEX[f"{side}_{a}"], INDEX[f"{side}_{b}"], INDEX[f"{side}_{c}"])
    for side in ("left", "right")
    for a, b, c in (("shoulder", "elbow", "wrist"), ("hip", "knee", "ankle"))
)


def torso_frames(points: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations whose rows are each pose's body axes in world coordinates: to the
    person's left (right-to-left across hips and shoulders), up the spine, and forwards."""
    p = np.asarray(points, np.float64)
    j = INDEX
    across = (p[:, j["left_hip"]] - p[:, j["right_hip"]]) + (
        p[:, j["left_shoulder"]] - p[:, j["right_shoulder"]]
    )
    up = (p[:, j["left_shoulder"]] + p[:, j["right_shoulder"]]) - (
        p[:, j["left_hip"]] + p[:, j["right_hip"]]
    )
    x = across / np.maximum(np.linalg.norm(across, axis=1, keepdims=True), 1e-9)
    y = up - (up * x).sum(axis=1, keepdims=True) * x
    y /= np.maximum(np.linalg.norm(y, axis=1, keepdims=True), 1e-9)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def mix_limbs(
    points: np.ndarray, donors: np.ndarray, chosen: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """(N, 17, 3): for the poses ``chosen``, each limb with probability 1/2 takes the direction
    of its segments, relative to the torso, from the same limb of ``donors`` (N, 17, 3); this
    pose's segment lengths are kept."""
    out = np.array(points, np.float64, copy=True)
    donors = np.asarray(donors, np.float64)
    # World -> donor body -> this body: R_self^T R_donor.
    transfer = np.einsum("nki,nkj->nij", torso_frames(out), torso_frames(donors))
    for root, middle, end in _LIMBS:
        take = chosen & (rng.random(len(out)) < 0.5)
        if not take.any():
            continue
        own, donor, rotate = out[take], donors[take], transfer[take]
        upper = np.linalg.norm(own[:, middle] - own[:, root], axis=1, keepdims=True)
        lower = np.linalg.norm(own[:, end] - own[:, middle], axis=1, keepdims=True)
        mid = own[:, root] + upper * _turned(rotate, donor[:, middle] - donor[:, root])
        out[take, middle] = mid
        out[take, end] = mid + lower * _turned(rotate, donor[:, end] - donor[:, middle])
    return out


def _turned(rotation: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """(N, 3) unit directions of ``segment`` (N, 3) turned by ``rotation`` (N, 3, 3)."""
    direction = segment / np.maximum(np.linalg.norm(segment, axis=1, keepdims=True), 1e-9)
    return np.einsum("nij,nj->ni", rotation, direction)


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
    """(N, 17, 3) poses with a share ``variation.mix_p`` given limbs of other poses of the
    batch, then a share ``variation.p`` turned and leant; limb lengths are kept."""
    out = np.array(points, np.float64, copy=True)
    n = len(out)
    if variation.mix_p > 0 and n > 1:
        donors = out[rng.permutation(n)]
        out = mix_limbs(out, donors, rng.random(n) < variation.mix_p, rng)
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
