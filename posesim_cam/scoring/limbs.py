"""Per-limb angle errors between the user's pose and the target's, for coaching. Pure numpy.

The whole-pose score says *how well* the user follows; these errors say *which limb* is off,
so the compositor can colour it. Each limb is compared by its direction in the image plane,
which ignores where the person stands and how big they appear on screen. Imports pose types and
the skeleton only.
"""

from __future__ import annotations

import numpy as np

from posesim_cam.pose.base import Pose
from posesim_cam.skeleton import FLIP_INDEX, LIMBS, MIN_JOINT_SCORE, NUM_KEYPOINTS

# Default angle above which a limb is flagged: large enough that keypoint jitter on a correct
# pose (a few degrees on forearms, more on short face limbs) does not light it up.
WARNING_DEGREES = 35.0

_LIMB_A = np.array([a for _, a, _ in LIMBS], dtype=np.intp)
_LIMB_B = np.array([b for _, _, b in LIMBS], dtype=np.intp)


def _limb_vectors(keypoints: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """(len(LIMBS), 2) float64 direction vectors (end b minus end a), NaN where an end is missing.

    Args:
        keypoints: (17, 2) pixels.
        scores: (17,) joint confidence in [0, 1].
    """
    kp = np.asarray(keypoints, np.float64)
    sc = np.asarray(scores, np.float64)
    if kp.shape != (NUM_KEYPOINTS, 2) or sc.shape != (NUM_KEYPOINTS,):
        raise ValueError(f"need keypoints (17, 2) and scores (17,), got {kp.shape}, {sc.shape}")
    vectors = kp[_LIMB_B] - kp[_LIMB_A]
    present = (sc[_LIMB_A] >= MIN_JOINT_SCORE) & (sc[_LIMB_B] >= MIN_JOINT_SCORE)
    # A limb whose ends coincide has no direction (a collapsed or degenerate detection).
    present &= np.hypot(vectors[:, 0], vectors[:, 1]) > 1e-6
    vectors[~present] = np.nan
    return vectors


def limb_angle_errors(
    user_keypoints: np.ndarray,
    user_scores: np.ndarray,
    target_keypoints: np.ndarray,
    target_scores: np.ndarray,
    mirrored: bool = False,
) -> np.ndarray:
    """Angle between each user limb and the matching target limb, in the image plane.

    Args:
        user_keypoints: (17, 2) pixels, COCO-17 order.
        user_scores: (17,) joint confidence; a joint below MIN_JOINT_SCORE counts as missing.
        target_keypoints: (17, 2) pixels (any frame size: only directions matter).
        target_scores: (17,) joint confidence.
        mirrored: the user mirrors the target (faces it like a mirror), so the target is
            reflected first: x negated and left/right joints swapped, so the user's left arm is
            compared with the target's right arm seen in a mirror.

    Returns:
        (len(LIMBS),) float32 degrees in [0, 180], in skeleton.LIMBS order; NaN where either
        pose lacks one of the limb's joints.
    """
    tk = np.asarray(target_keypoints, np.float64)
    ts = np.asarray(target_scores, np.float64)
    if mirrored:
        tk = tk[FLIP_INDEX] * np.array([-1.0, 1.0])
        ts = ts[FLIP_INDEX]
    user = _limb_vectors(user_keypoints, user_scores)
    target = _limb_vectors(tk, ts)
    # atan2(|cross|, dot) is accurate at all angles, unlike arccos of a normalised dot.
    cross = user[:, 0] * target[:, 1] - user[:, 1] * target[:, 0]
    dot = (user * target).sum(axis=1)
    return np.degrees(np.arctan2(np.abs(cross), dot)).astype(np.float32)


def limb_warnings(errors: np.ndarray, threshold_degrees: float = WARNING_DEGREES) -> np.ndarray:
    """(len(LIMBS),) bool: limbs whose angle error exceeds ``threshold_degrees``.

    Missing limbs (NaN errors) are never flagged: the user cannot fix what we cannot see.
    """
    # A comparison with NaN is False, which is what a missing limb should give.
    return np.asarray(errors, np.float64) > threshold_degrees


def pose_limb_warnings(user: Pose | None, target: Pose | None, mirrored: bool) -> np.ndarray | None:
    """Limb warnings of ``user`` against ``target`` (None if either pose is missing)."""
    if user is None or target is None:
        return None
    return limb_warnings(
        limb_angle_errors(user.keypoints, user.scores, target.keypoints, target.scores, mirrored)
    )
