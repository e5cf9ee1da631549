"""Augmentations of COCO-17 keypoint sequences, pure numpy, driven by a ``np.random.Generator``.

Rendered mocap is exact; a live pose estimator is not, and people differ in build. These
functions make training data look like estimator output of many people:

- 3-D, before projection: ``vary_bone_lengths`` (build differs between people).
- 2-D camera effects: ``tilt`` (camera roll), ``mirror`` (a mirrored webcam picture).
- 2-D estimator errors: ``jitter``, ``drop_joints``, ``cut_lower_body`` (feet out of frame),
  ``swap_left_right`` (the estimator confuses sides now and then).

Shapes: keypoints are (..., 17, D) with D = 2 (pixels, x right, y down) or D = 3 (cm, +Y up);
scores are (..., 17) in [0, 1]. The leading axes are usually (T,) for one sequence. Decisions
described as "per sequence" (a tilt angle, a cut line, a set of bone scales) are drawn once for
the whole array passed in, since a camera or a person does not change within a clip. Inputs are
never modified; outputs are new float32 arrays. Imports only the skeleton; never the CLI, the
commands, the session or the HUD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posesim_cam.skeleton import FLIP_INDEX, INDEX, NUM_KEYPOINTS

__all__ = [
    "BONE_GROUPS",
    "AugmentConfig",
    "augment_sequence",
    "body_size",
    "cut_lower_body",
    "drop_joints",
    "jitter",
    "mirror",
    "mirror_scores",
    "rotate_2d",
    "sample_bone_scales",
    "scale_bones",
    "swap_left_right",
    "tilt",
    "vary_bone_lengths",
]

# Segment groups whose lengths vary between people. Left and right share a factor (people are
# nearly symmetric); arms and legs are independent of each other.
BONE_GROUPS: tuple[str, ...] = (
    "upper_arm",
    "forearm",
    "thigh",
    "shin",
    "torso",
    "shoulder_width",
    "hip_width",
    "head",
)
_FACE = tuple(INDEX[n] for n in ("nose", "left_eye", "right_eye", "left_ear", "right_ear"))


def _side_permutation(names: tuple[str, ...]) -> np.ndarray:
    """(17,) index permutation that swaps left and right only for the named joint kinds."""
    perm = np.arange(NUM_KEYPOINTS)
    for kind in names:
        for side in ("left", "right"):
            j = INDEX[f"{side}_{kind}"]
            perm[j] = FLIP_INDEX[j]
    return perm


# Swaps a pose estimator makes: the whole body (a back view taken for a front view), or just
# the arms or the legs (crossed or overlapping limbs).
_SWAPS = np.stack(
    [
        FLIP_INDEX,
        _side_permutation(("elbow", "wrist")),
        _side_permutation(("knee", "ankle")),
    ]
)


def _as_float(points: np.ndarray) -> np.ndarray:
    return np.array(points, dtype=np.float32, copy=True)


def body_size(keypoints: np.ndarray, scores: np.ndarray | None = None) -> np.ndarray:
    """Per-frame body size: the larger side of the bounding box of the visible joints.

    Args:
        keypoints: (..., 17, D) points.
        scores: (..., 17) or None; joints with score <= 0 are ignored unless none is left.

    Returns:
        (...,) float32, in the units of ``keypoints``.
    """
    kp = np.asarray(keypoints, np.float64)
    if scores is not None:
        visible = np.asarray(scores) > 0
        # A frame with no visible joint falls back to all of them rather than giving NaN.
        visible = visible | ~visible.any(axis=-1, keepdims=True)
        lo = np.where(visible[..., None], kp, np.inf).min(axis=-2)
        hi = np.where(visible[..., None], kp, -np.inf).max(axis=-2)
    else:
        lo, hi = kp.min(axis=-2), kp.max(axis=-2)
    return (hi - lo).max(axis=-1).astype(np.float32)


def jitter(
    keypoints: np.ndarray,
    rng: np.random.Generator,
    sigma: float = 0.01,
    scores: np.ndarray | None = None,
) -> np.ndarray:
    """Gaussian noise on every joint, with standard deviation ``sigma`` x body size per frame.

    Args:
        keypoints: (..., 17, D).
        rng: random source.
        sigma: noise as a fraction of ``body_size`` (0.01 is ~2 cm on a standing adult).
        scores: (..., 17) or None, only used to measure the body size.

    Returns:
        (..., 17, D) float32.
    """
    size = body_size(keypoints, scores)[..., None, None]
    noise = rng.standard_normal(np.shape(keypoints)) * sigma * size
    return (np.asarray(keypoints, np.float64) + noise).astype(np.float32)


def drop_joints(
    keypoints: np.ndarray,
    scores: np.ndarray,
    rng: np.random.Generator,
    p: float = 0.05,
    randomise: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Lose each joint independently with probability ``p``, as an estimator misses joints.

    A dropped joint gets score 0. With ``randomise`` its position is also replaced by a uniform
    point in the frame's bounding box grown by 20 %, so nothing downstream can rely on a
    dropped joint's position.

    Args:
        keypoints: (..., 17, D).
        scores: (..., 17).
        rng: random source.
        p: drop probability per joint and frame.
        randomise: scramble the positions of dropped joints.

    Returns:
        keypoints (..., 17, D) float32 and scores (..., 17) float32.
    """
    kp = _as_float(keypoints)
    sc = _as_float(scores)
    dropped = rng.random(sc.shape) < p
    sc[dropped] = 0.0
    if randomise and dropped.any():
        lo = kp.min(axis=-2, keepdims=True)
        hi = kp.max(axis=-2, keepdims=True)
        pad = 0.2 * (hi - lo)
        random_points = lo - pad + rng.random(kp.shape) * (hi - lo + 2 * pad)
        kp = np.where(dropped[..., None], random_points, kp).astype(np.float32)
    return kp, sc


def cut_lower_body(
    keypoints: np.ndarray,
    scores: np.ndarray,
    rng: np.random.Generator,
    p: float = 0.2,
    cut_range: tuple[float, float] = (0.2, 0.95),
) -> tuple[np.ndarray, np.ndarray]:
    """With probability ``p`` per sequence, hide everything below a horizontal image line.

    As when a webcam shows the user from the knees or shins up: the line is fixed in the image
    for the whole sequence, at a fraction drawn from ``cut_range`` of the way from the median
    hip height down to the median ankle height. Joints below it (image y larger, y pointing
    down) get score 0; positions are kept, as the score is what marks them missing.

    Args:
        keypoints: (..., 17, 2) pixels, y down.
        scores: (..., 17).
        rng: random source.
        p: probability that this sequence is cut.
        cut_range: where the line falls between hips (0) and ankles (1).

    Returns:
        keypoints (..., 17, 2) float32 (unchanged values) and scores (..., 17) float32.
    """
    kp = _as_float(keypoints)
    sc = _as_float(scores)
    if rng.random() >= p:
        return kp, sc
    hip_y = np.median(kp[..., [INDEX["left_hip"], INDEX["right_hip"]], 1])
    ankle_y = np.median(kp[..., [INDEX["left_ankle"], INDEX["right_ankle"]], 1])
    cut_y = hip_y + rng.uniform(*cut_range) * (ankle_y - hip_y)
    sc[kp[..., 1] > cut_y] = 0.0
    return kp, sc


def rotate_2d(keypoints: np.ndarray, degrees: float, center: np.ndarray) -> np.ndarray:
    """Rotate 2-D points by ``degrees`` about ``center`` (2,): (..., 17, 2) float32.

    Positive angles turn from +x towards +y, i.e. clockwise on screen since image y points down.
    """
    a = np.deg2rad(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    c = np.asarray(center, np.float64)
    return ((np.asarray(keypoints, np.float64) - c) @ rot.T + c).astype(np.float32)


def tilt(keypoints: np.ndarray, rng: np.random.Generator, max_degrees: float = 8.0) -> np.ndarray:
    """Camera roll: rotate the whole sequence by one angle in [-max, max] degrees.

    The centre is the mean of all points, so the person stays where they were in the image.

    Args:
        keypoints: (..., 17, 2).
        rng: random source.
        max_degrees: largest roll.

    Returns:
        (..., 17, 2) float32.
    """
    kp = np.asarray(keypoints, np.float64)
    center = kp.reshape(-1, 2).mean(axis=0)
    return rotate_2d(kp, rng.uniform(-max_degrees, max_degrees), center)


def swap_left_right(
    keypoints: np.ndarray,
    scores: np.ndarray,
    rng: np.random.Generator,
    p: float = 0.02,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimator error: in a fraction ``p`` of frames, swap the left and right labels.

    Each affected frame swaps, with equal chance, the whole body (``skeleton.FLIP_INDEX``), the
    arms only (elbows and wrists) or the legs only (knees and ankles). Positions stay put;
    only the labels move, which is what an estimator's side confusion looks like.

    Args:
        keypoints: (..., 17, D).
        scores: (..., 17).
        rng: random source.
        p: probability per frame.

    Returns:
        keypoints (..., 17, D) float32 and scores (..., 17) float32.
    """
    kp = np.asarray(keypoints)
    sc = np.asarray(scores)
    lead = sc.shape[:-1]
    swapped = rng.random(lead) < p
    kind = rng.integers(len(_SWAPS), size=lead)
    perm = np.where(swapped[..., None], _SWAPS[kind], np.arange(NUM_KEYPOINTS))
    kp_out = np.take_along_axis(kp, perm[..., None], axis=-2)
    sc_out = np.take_along_axis(sc, perm, axis=-1)
    return kp_out.astype(np.float32), sc_out.astype(np.float32)


def mirror(points: np.ndarray, center_x: float = 0.0) -> np.ndarray:
    """Mirror image: x -> 2 * center_x - x, and left/right labels swapped (``FLIP_INDEX``).

    A mirrored person's left arm is the original's right arm reflected, so both the coordinate
    and the labels change. ``mirror(mirror(p, c), c) == p``.

    Args:
        points: (..., 17, D), D >= 1; only the first coordinate (x) is reflected. Works for
            pixels (``center_x`` = image centre or person centre) and for 3-D points.
        center_x: x of the mirror line.

    Returns:
        (..., 17, D) float32.
    """
    out = np.asarray(points, np.float64)[..., FLIP_INDEX, :].copy()
    out[..., 0] = 2.0 * center_x - out[..., 0]
    return out.astype(np.float32)


def mirror_scores(scores: np.ndarray) -> np.ndarray:
    """Scores (..., 17) relabelled to match ``mirror``: (..., 17) float32."""
    return np.asarray(scores)[..., FLIP_INDEX].astype(np.float32)


def sample_bone_scales(
    rng: np.random.Generator, limb_range: float = 0.12, height_range: float = 0.08
) -> dict[str, float]:
    """One person's build: a length factor per bone group (``BONE_GROUPS``).

    Each factor is ``overall * (1 + u)`` with ``overall`` uniform in [1 - height_range,
    1 + height_range] (shared: taller people have longer everything) and ``u`` uniform in
    [-limb_range, limb_range], independently per group. So every factor lies in
    [(1 - height_range) * (1 - limb_range), (1 + height_range) * (1 + limb_range)].
    """
    overall = rng.uniform(1.0 - height_range, 1.0 + height_range)
    return {
        group: float(overall * (1.0 + rng.uniform(-limb_range, limb_range)))
        for group in BONE_GROUPS
    }


def scale_bones(points: np.ndarray, scales: dict[str, float]) -> np.ndarray:
    """Rebuild a COCO-17 skeleton with each segment scaled relative to its parent joint.

    The tree is rooted at the pelvis centre (mid hips), which stays put: hips hang off it
    ("hip_width"), the shoulder centre ("torso") and from it the shoulders
    ("shoulder_width") and the face points ("head", scaled as one rigid piece); then
    shoulder -> elbow -> wrist ("upper_arm", "forearm") and hip -> knee -> ankle ("thigh",
    "shin"). Directions are unchanged, so the pose is the same with a different build.

    Args:
        points: (..., 17, D), usually 3-D cm before projection (D = 2 also works).
        scales: factor per name in ``BONE_GROUPS``; a missing group keeps factor 1.

    Returns:
        (..., 17, D) float32.
    """
    p = np.asarray(points, np.float64)
    s = {group: float(scales.get(group, 1.0)) for group in BONE_GROUPS}
    out = np.empty_like(p)
    pelvis = (p[..., INDEX["left_hip"], :] + p[..., INDEX["right_hip"], :]) / 2
    neck = (p[..., INDEX["left_shoulder"], :] + p[..., INDEX["right_shoulder"], :]) / 2
    new_neck = pelvis + s["torso"] * (neck - pelvis)

    def put(child: str, parent_new: np.ndarray, parent_old: np.ndarray, group: str) -> None:
        out[..., INDEX[child], :] = parent_new + s[group] * (p[..., INDEX[child], :] - parent_old)

    for side in ("left", "right"):
        put(f"{side}_hip", pelvis, pelvis, "hip_width")
        put(f"{side}_shoulder", new_neck, neck, "shoulder_width")
    for side in ("left", "right"):
        chains = (
            (("shoulder", "elbow", "upper_arm"), ("elbow", "wrist", "forearm")),
            (("hip", "knee", "thigh"), ("knee", "ankle", "shin")),
        )
        for chain in chains:
            for parent, child, group in chain:
                put(
                    f"{side}_{child}",
                    out[..., INDEX[f"{side}_{parent}"], :],
                    p[..., INDEX[f"{side}_{parent}"], :],
                    group,
                )
    for j in _FACE:
        out[..., j, :] = new_neck + s["head"] * (p[..., j, :] - neck)
    return out.astype(np.float32)


def vary_bone_lengths(
    points: np.ndarray,
    rng: np.random.Generator,
    limb_range: float = 0.12,
    height_range: float = 0.08,
) -> np.ndarray:
    """Another person's build doing the same movement: (..., 17, D) -> (..., 17, D) float32.

    ``scale_bones`` with factors from ``sample_bone_scales``, drawn once for the whole sequence.
    Apply in 3-D before projecting, so foreshortening stays consistent with the camera.
    """
    return scale_bones(points, sample_bone_scales(rng, limb_range, height_range))


@dataclass(frozen=True)
class AugmentConfig:
    """Strength of each 2-D augmentation in ``augment_sequence``; 0 turns one off."""

    tilt_degrees: float = 8.0
    mirror_p: float = 0.5
    jitter_sigma: float = 0.01
    swap_p: float = 0.02
    drop_p: float = 0.05
    drop_randomise: bool = True
    cut_p: float = 0.2


def augment_sequence(
    keypoints: np.ndarray,
    scores: np.ndarray,
    rng: np.random.Generator,
    config: AugmentConfig | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """All 2-D augmentations in a realistic order: camera effects, then estimator errors.

    Order: tilt, mirror (about the sequence's mean x), cut_lower_body (it needs the true
    hips and ankles), jitter, swap_left_right, drop_joints.

    Args:
        keypoints: (T, 17, 2) pixels, y down.
        scores: (T, 17).
        rng: random source.
        config: strengths; defaults to ``AugmentConfig()``.

    Returns:
        keypoints (T, 17, 2) float32 and scores (T, 17) float32.
    """
    cfg = config or AugmentConfig()
    kp = _as_float(keypoints)
    sc = _as_float(scores)
    if cfg.tilt_degrees > 0:
        kp = tilt(kp, rng, cfg.tilt_degrees)
    if rng.random() < cfg.mirror_p:
        kp = mirror(kp, center_x=float(kp[..., 0].mean()))
        sc = mirror_scores(sc)
    if cfg.cut_p > 0:
        kp, sc = cut_lower_body(kp, sc, rng, cfg.cut_p)
    if cfg.jitter_sigma > 0:
        kp = jitter(kp, rng, cfg.jitter_sigma, sc)
    if cfg.swap_p > 0:
        kp, sc = swap_left_right(kp, sc, rng, cfg.swap_p)
    if cfg.drop_p > 0:
        kp, sc = drop_joints(kp, sc, rng, cfg.drop_p, cfg.drop_randomise)
    return kp, sc
