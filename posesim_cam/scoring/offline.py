"""Offline comparison of an attempt with a target: poses -> features -> latents -> DTW -> score.

No I/O: both sides arrive as PoseSequence, the result is a ScoreResult. The rules it shares
with the live scorer are in ``rules``; imports no video, session or HUD.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posesim_cam.encoder import Encoder
from posesim_cam.errors import CannotScoreError, NoPersonError, UserError
from posesim_cam.features import PoseFeatures
from posesim_cam.scoring.align import Alignment, get_aligner
from posesim_cam.scoring.outcome import Outcome, timeline
from posesim_cam.scoring.rules import (
    DISTINCTIVE_POWER,
    MIN_SHARED_JOINTS,
    frame_weights,
    is_broken_track,
    plausible_frames,
    prefer_mirrored,
    visible_joints,
)
from posesim_cam.scoring.temporal import LATENT_SMOOTHING, smooth_latents
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import FLIP_INDEX


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


def usable_frames(
    features: PoseFeatures, found: np.ndarray, encoder: Encoder, side: str, remedy: str
) -> np.ndarray:
    """``plausible_frames``, or CannotScoreError when the track is broken (``is_broken_track``)."""
    usable = plausible_frames(features, found, encoder)
    if is_broken_track(int(usable.sum()), int(found.sum())):
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

    orientations = [(False, attempt_features)]
    if mirror:
        orientations.append((True, attempt_features.mirrored()))
    aligned = {
        mirrored: _aligned(
            target_side,
            _Side(features, attempt_times),
            encoder,
            aligner,
            smoothing,
            distinctive_power,
        )
        for mirrored, features in orientations
    }
    similarities = {mirrored: result.similarity() for mirrored, result in aligned.items()}
    mirrored = prefer_mirrored(similarities[False], similarities.get(True))
    similarity = similarities[mirrored]
    alignment, joints = aligned[mirrored].alignment, aligned[mirrored].joints

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
    seconds = np.arange(n) / attempt.fps
    points = timeline(np.nan_to_num(per_frame), seconds, attempt_valid, calibration.score)
    return ScoreResult(
        score=float(calibration.score(similarity)),
        similarity=similarity,
        frames=n,
        scored_frames=int(attempt_valid.sum()),
        mirrored=mirrored,
        timeline=points,
        per_frame_similarity=per_frame,
        matched_target=matched,
        joints_used=joints,
    )
