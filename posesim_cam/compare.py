"""Offline comparison of an attempt with a target: poses -> features -> latents -> DTW -> score.

No I/O: both sides arrive as PoseSequence, the result is a ScoreResult.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posesim_cam.align import Alignment, get_aligner
from posesim_cam.encoder import Encoder
from posesim_cam.errors import CannotScoreError, NoPersonError, UserError
from posesim_cam.features import PoseFeatures
from posesim_cam.scoring import Outcome, TimelinePoint, per_second
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import FLIP_INDEX
from posesim_cam.temporal import LATENT_SMOOTHING, smooth_latents

# A joint takes part in a comparison when it is visible in at least this share of frames on
# both sides; so an attempt filmed from the waist up is scored on the upper body alone.
MIN_VISIBLE_SHARE = 0.5
MIN_SHARED_JOINTS = 6
# At least this share of the frames with a person must hold a plausible pose to be scored.
MIN_USABLE_SHARE = 0.5
# Each frame counts in the similarity with its pose's distinctiveness (``Encoder.
# embed_with_distinctiveness``) to this power: poses near the average one (standing) count
# less, so two different movements that both start and end standing are not alike for it.
# Chosen on held-out mocap and the trainable clips (models/MODEL_CARD.md); 0 weighs every
# frame alike.
DISTINCTIVE_POWER = 2.0


def frame_weights(distinctiveness: np.ndarray, power: float = DISTINCTIVE_POWER) -> np.ndarray:
    """(T,) float64 weights of frames in the similarity, from their distinctiveness (T,)."""
    return np.power(np.maximum(np.asarray(distinctiveness, np.float64), 0.0), power)


@dataclass(frozen=True)
class ScoreResult(Outcome):
    """An offline comparison: the Outcome plus what each attempt frame was matched with.

    Attributes:
        per_frame_similarity: (frames,) float32, NaN where nobody was found.
        matched_target: (frames,) int, the target frame each attempt frame was aligned to
            (-1 where nobody was found).
        joints_used: (17,) bool, the joints that took part.
    """

    per_frame_similarity: np.ndarray = field(repr=False)
    matched_target: np.ndarray = field(repr=False)
    joints_used: np.ndarray = field(repr=False)


def visible_joints(sequence_features: PoseFeatures) -> np.ndarray:
    """(17,) bool: joints present in at least MIN_VISIBLE_SHARE of the frames given."""
    if len(sequence_features) == 0:
        return np.zeros(sequence_features.joint_weights.shape[1], bool)
    share = (sequence_features.joint_weights > 0).mean(axis=0)
    return share >= MIN_VISIBLE_SHARE


def plausible_frames(features: PoseFeatures, found: np.ndarray, encoder: Encoder) -> np.ndarray:
    """(T,) bool: frames with a person (``found``) whose pose is plausible
    (``Encoder.plausible``); ``features`` are those of every frame of the sequence."""
    usable = found.copy()
    usable[found] = encoder.plausible(features.select(found))
    return usable


def usable_frames(
    features: PoseFeatures, found: np.ndarray, encoder: Encoder, side: str, remedy: str
) -> np.ndarray:
    """``plausible_frames``, or CannotScoreError when fewer than MIN_USABLE_SHARE of the frames
    with a person are usable: a broken track gets "cannot score", not a low score that reads as
    "different"."""
    usable = plausible_frames(features, found, encoder)
    if usable.sum() < MIN_USABLE_SHARE * found.sum():
        broken = 1.0 - usable.sum() / found.sum()
        raise CannotScoreError(
            f"Cannot score the {side}: in {broken:.0%} of the frames with a person, the "
            "keypoints do not form a plausible body (a broken pose track)",
            remedy,
        )
    return usable


@dataclass(frozen=True)
class _Side:
    """The usable frames of one side: their features and their times (seconds)."""

    features: PoseFeatures
    times: np.ndarray


@dataclass(frozen=True)
class _Aligned:
    alignment: Alignment
    joints: np.ndarray
    target_weights: np.ndarray
    attempt_weights: np.ndarray

    def similarity(self) -> float:
        n_attempt, n_target = len(self.attempt_weights), len(self.target_weights)
        return self.alignment.symmetric_similarity(
            n_attempt, n_target, self.attempt_weights, self.target_weights
        )


def _aligned(
    target: _Side,
    attempt: _Side,
    encoder: Encoder,
    aligner: str,
    smoothing: float,
    distinctive_power: float,
) -> _Aligned:
    joints = visible_joints(target.features) & visible_joints(attempt.features)
    if joints.sum() < MIN_SHARED_JOINTS:
        raise UserError(
            f"Only {int(joints.sum())} joints are visible in both the target and the attempt",
            "film more of the body (at least head, shoulders, arms and hips)",
        )
    target_latents, target_distinct = encoder.embed_with_distinctiveness(
        target.features.masked(joints)
    )
    attempt_latents, attempt_distinct = encoder.embed_with_distinctiveness(
        attempt.features.masked(joints)
    )
    alignment = get_aligner(aligner)(
        smooth_latents(attempt_latents, attempt.times, smoothing),
        smooth_latents(target_latents, target.times, smoothing),
    )
    return _Aligned(
        alignment,
        joints,
        frame_weights(target_distinct, distinctive_power),
        frame_weights(attempt_distinct, distinctive_power),
    )


def compare(
    target: PoseSequence,
    attempt: PoseSequence,
    encoder: Encoder,
    mirror: bool = True,
    aligner: str = "exact",
    smoothing: float = LATENT_SMOOTHING,
    distinctive_power: float = DISTINCTIVE_POWER,
) -> ScoreResult:
    """Score ``attempt`` against ``target``.

    The similarity is the DTW-aligned mean cosine similarity with every frame of both sides
    counting once (``Alignment.symmetric_similarity``): the attempt has to match the target's
    poses, and the target's poses have to be matched. With ``mirror`` (the default), the
    attempt is also compared as a mirror image (a follower facing the screen mirrors the
    target) and the better of the two orientations counts.

    Each side's latents are smoothed in time first (``temporal.smooth_latents``, a Gaussian of
    s.d. ``smoothing`` seconds), and each frame counts in its side's mean with its pose's
    distinctiveness to the power ``distinctive_power`` (``frame_weights``). 0 turns either off.
    """
    if not attempt.found.any():
        raise NoPersonError("No person was found in the attempt", "film the whole body, well lit")
    if not target.found.any():
        raise NoPersonError("No person was found in the target", "choose another target video")
    target_all, attempt_all = target.features(), attempt.features()
    target_valid = usable_frames(
        target_all, target.found, encoder, "target", "choose another target video"
    )
    attempt_valid = usable_frames(
        attempt_all, attempt.found, encoder, "attempt", "film one person, whole body, in good light"
    )
    target_side = _Side(target_all.select(target_valid), target.timestamps[target_valid])
    attempt_features = attempt_all.select(attempt_valid)
    attempt_times = attempt.timestamps[attempt_valid]

    candidates = [(False, attempt_features)]
    if mirror:
        candidates.append((True, attempt_features.mirrored()))
    best: tuple[float, bool, Alignment, np.ndarray] | None = None
    for mirrored, features in candidates:
        attempt_side = _Side(features, attempt_times)
        aligned = _aligned(
            target_side, attempt_side, encoder, aligner, smoothing, distinctive_power
        )
        mean = aligned.similarity()
        if best is None or mean > best[0] + 1e-9:
            best = (mean, mirrored, aligned.alignment, aligned.joints)
    assert best is not None
    similarity, mirrored, alignment, joints = best

    n = len(attempt)
    per_frame = np.full(n, np.nan, np.float32)
    valid_index = np.flatnonzero(attempt_valid)
    per_frame[valid_index] = alignment.per_user_frame(len(valid_index))
    matched = np.full(n, -1, np.intp)
    target_index = np.flatnonzero(target_valid)
    matched[valid_index] = target_index[alignment.matched_target(len(valid_index))]
    if mirrored:
        joints = joints[FLIP_INDEX]  # report the joints in the attempt's own labels

    calibration = encoder.calibration
    timeline = [
        TimelinePoint(
            second,
            value,
            None if value is None else float(calibration.score(value)),
        )
        for second, value in per_second(np.nan_to_num(per_frame), attempt_valid, attempt.fps)
    ]
    return ScoreResult(
        score=float(calibration.score(similarity)),
        similarity=similarity,
        frames=n,
        scored_frames=int(attempt_valid.sum()),
        mirrored=mirrored,
        timeline=timeline,
        per_frame_similarity=per_frame,
        matched_target=matched,
        joints_used=joints,
    )
