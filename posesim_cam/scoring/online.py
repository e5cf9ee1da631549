"""Scoring a live stream against a playing target, one frame at a time. No I/O, no threads.

Each user frame is embedded as it is and mirrored, and each orientation runs its own online
DTW (``OnlineAligner``) against the target latents near the playhead, tolerating the lag of a
follower. The orientation with the higher mean similarity over the attempt so far counts, as in
the offline comparison. Joints the user keeps out of view (feet below the frame) are masked on
both sides, and the target's latents are recomputed when that set changes.

The displayed score follows the user side alone (each user frame against its aligned target
frame), so it answers at once. The attempt's similarity (the summary, and the choice of
orientation) also counts the target side, as the offline comparison does: the mean over the
target frames the online path has matched of their mean similarity with the user frames
matched to them (``OnlineAligner.target_coverage``), so that holding one easy pose does not
stand in for a routine.

Latents are smoothed in time as offline (``temporal``), but with the past half of
the window only, the same filter on both sides, since the live loop cannot wait for the
frames after the current one. The rules shared with the offline comparison (joints, frame
weights, broken tracks, the mirror choice) are in ``rules``; the displayed score's smoothing
and the timeline in ``outcome``. No I/O, no threads; imports no video, session or HUD.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from posesim_cam.encoder import Encoder
from posesim_cam.features import PoseFeatures, joint_weights_from_scores, pose_features
from posesim_cam.pose.base import Pose
from posesim_cam.scoring.align import OnlineAligner
from posesim_cam.scoring.limbs import pose_limb_warnings
from posesim_cam.scoring.outcome import SCORE_SMOOTHING, Outcome, ScoreSmoother, timeline
from posesim_cam.scoring.rules import (
    DISTINCTIVE_POWER,
    MIN_SHARED_JOINTS,
    MIN_VISIBLE_SHARE,
    frame_weights,
    is_broken_track,
    plausible_frames,
    prefer_mirrored,
    visible_joints,
)
from posesim_cam.scoring.temporal import LATENT_SMOOTHING, CausalSmoother, smooth_latents
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import FLIP_INDEX


@dataclass(frozen=True)
class LiveScore:
    """The score after one user frame.

    Attributes:
        similarity: this frame's cosine similarity with its aligned target frame, or None.
        score: smoothed 0-100 score, or None before anything could be scored.
        target_index: the target frame this user frame was aligned to, or None.
        mirrored: whether the mirrored orientation is the one counting.
        limb_warnings: (len(LIMBS),) bool, limbs far off the aligned target pose, or None.
    """

    similarity: float | None
    score: float | None
    target_index: int | None
    mirrored: bool
    limb_warnings: np.ndarray | None


class LiveScorer:
    """Online scoring of one attempt at one target.

    Args:
        poses: the target's poses (every frame).
        encoder: the encoder that embeds both sides.
        mirror: accept the mirror image of the target (a follower facing the screen).
        max_lag: seconds the user may trail the target.
        max_lead: seconds the user may be ahead of it.
        smoothing: time constant of the displayed score, seconds.
        latent_smoothing: s.d. of the (causal) Gaussian smoothing of latents in time, seconds.
        distinctive_power: frames count in the attempt's similarity with their pose's
            distinctiveness to this power, as offline (``rules.frame_weights``).
    """

    def __init__(
        self,
        poses: PoseSequence,
        encoder: Encoder,
        mirror: bool = True,
        max_lag: float = 2.0,
        max_lead: float = 0.5,
        smoothing: float = SCORE_SMOOTHING,
        recent_frames: int = 30,
        latent_smoothing: float = LATENT_SMOOTHING,
        distinctive_power: float = DISTINCTIVE_POWER,
    ) -> None:
        self.poses = poses
        self.encoder = encoder
        self.mirror = mirror
        self._score = ScoreSmoother(smoothing)
        self._target_features = poses.features()
        # Target frames with nobody or with keypoints that form no body take no part.
        self._target_valid = plausible_frames(self._target_features, poses.found, encoder)
        self._target_joints = visible_joints(self._target_features.select(self._target_valid))
        lag, lead = round(max_lag * poses.fps), round(max_lead * poses.fps)
        orientations = 2 if mirror else 1
        self._aligners = [
            OnlineAligner(np.zeros((len(poses), encoder.config.latent_dim)), lag, lead)
            for _ in range(orientations)
        ]
        self._masks: list[np.ndarray | None] = [None] * orientations
        self.latent_smoothing = latent_smoothing
        self.distinctive_power = distinctive_power
        self._smoothers = [CausalSmoother(latent_smoothing) for _ in range(orientations)]
        self._recent = deque(maxlen=recent_frames)
        self.reset()

    @property
    def smoothing(self) -> float:
        """Time constant of the displayed score, seconds."""
        return self._score.time_constant

    def reset(self) -> None:
        """Start a new attempt (restart)."""
        for aligner in self._aligners:
            aligner.reset()
        for smoother in self._smoothers:
            smoother.reset()
        self._recent.clear()
        self._times: list[float] = []
        self._sims: list[list[float]] = [[] for _ in self._aligners]
        self._sums = [0.0 for _ in self._aligners]  # weighted similarity of the user side
        self._weights = [0.0 for _ in self._aligners]
        self._counts = [0 for _ in self._aligners]
        self._with_person = 0  # frames with a pose
        self._implausible = 0  # of those, poses that formed no body
        self._score.reset()

    def _target_latents(self, orientation: int, user_joints: np.ndarray) -> np.ndarray | None:
        """Target latents masked to the joints both sides show; None if too few are shared."""
        joints = self._target_joints & (
            user_joints if orientation == 0 else user_joints[FLIP_INDEX]
        )
        if joints.sum() < MIN_SHARED_JOINTS:
            return None
        mask = self._masks[orientation]
        if mask is None or not np.array_equal(mask, joints):
            aligner = self._aligners[orientation]
            latents = np.zeros_like(aligner.target)
            weights = np.zeros(len(latents))
            valid = self._target_valid
            masked = self._target_features.select(valid).masked(joints)
            embedded, distinct = self.encoder.embed_with_distinctiveness(masked)
            latents[valid] = smooth_latents(
                embedded, self.poses.timestamps[valid], self.latent_smoothing, causal=True
            )
            weights[valid] = frame_weights(distinct, self.distinctive_power)
            aligner.target, aligner.target_weights = latents, weights
            self._masks[orientation] = joints
            # The user's recent latents were made with the old joints: start their window anew.
            self._smoothers[orientation].reset()
        return self._aligners[orientation].target

    def _mask(self, orientation: int) -> np.ndarray:
        mask = self._masks[orientation]
        assert mask is not None, "the target latents of this orientation are not made yet"
        return mask

    def step(self, pose: Pose | None, playhead: int, time: float) -> LiveScore:
        """Score the user's pose at target frame ``playhead``; ``time`` is target seconds."""
        self._times.append(time)
        features = None if pose is None else pose_features(pose.keypoints, pose.scores)
        if features is not None:
            self._with_person += 1
            if not self.encoder.plausible(features)[0]:
                self._implausible += 1
                features = None
        if pose is None or features is None:
            # Nobody, or keypoints that are no body (a broken track): not scored.
            for sims in self._sims:
                sims.append(np.nan)
            return LiveScore(None, self._score.value, None, self.mirrored, None)
        self._recent.append(joint_weights_from_scores(pose.scores) > 0)
        user_joints = np.mean(self._recent, axis=0) >= MIN_VISIBLE_SHARE
        active = [
            o
            for o in range(len(self._aligners))
            if self._target_latents(o, user_joints) is not None
        ]
        results: list[tuple[int, float] | None] = [None] * len(self._aligners)
        for orientation in range(len(self._aligners)):
            if orientation not in active:
                self._sims[orientation].append(np.nan)
        if active:
            views = [
                (features if o == 0 else features.mirrored()).masked(self._mask(o)) for o in active
            ]
            # Both orientations in one call: the network costs about the same for one row or two.
            latents, distinct = self.encoder.embed_with_distinctiveness(PoseFeatures.concat(views))
            weights = frame_weights(distinct, self.distinctive_power)
            for orientation, latent, weight in zip(active, latents, weights, strict=True):
                latent = self._smoothers[orientation].push(latent, time)
                index, similarity = self._aligners[orientation].step(latent, playhead)
                results[orientation] = (index, similarity)
                self._sims[orientation].append(similarity)
                self._sums[orientation] += similarity * float(weight)
                self._weights[orientation] += float(weight)
                self._counts[orientation] += 1
        chosen = 1 if self.mirrored else 0
        result = results[chosen]
        if result is None:
            return LiveScore(None, self._score.value, None, self.mirrored, None)
        index, similarity = result
        shown = self._score.push(float(self.encoder.calibration.score(similarity)), time)
        warnings = pose_limb_warnings(pose, self.poses.pose(index), self.mirrored)
        return LiveScore(similarity, shown, index, self.mirrored, warnings)

    @property
    def broken_track(self) -> bool:
        """Too few of the frames with a person held a plausible pose (``rules.is_broken_track``):
        the attempt cannot be scored fairly (as ``compare`` refuses it offline)."""
        return is_broken_track(self._with_person - self._implausible, self._with_person)

    def attempt_similarity(self, orientation: int) -> float | None:
        """The attempt so far in one orientation: the mean of the user side (each scored user
        frame) and the target side (each target frame reached), each frame weighted by its
        pose's distinctiveness as offline; None before any frame scored."""
        if self._counts[orientation] == 0:
            return None
        user = self._sums[orientation] / max(self._weights[orientation], 1e-12)
        target = self._aligners[orientation].target_coverage()
        return user if target is None else (user + target) / 2

    @property
    def mirrored(self) -> bool:
        if len(self._aligners) < 2:
            return False
        return prefer_mirrored(self.attempt_similarity(0), self.attempt_similarity(1))

    def summary(self) -> Outcome:
        """The attempt so far: overall score and a timeline by second of target time."""
        chosen = 1 if self.mirrored else 0
        sims = np.array(self._sims[chosen], np.float64)
        valid = np.isfinite(sims)
        similarity = self.attempt_similarity(chosen) or 0.0
        calibration = self.encoder.calibration
        points = timeline(sims, np.array(self._times, np.float64), valid, calibration.score)
        return Outcome(
            score=float(calibration.score(similarity)) if valid.any() else 0.0,
            similarity=similarity,
            frames=len(sims),
            scored_frames=int(valid.sum()),
            mirrored=self.mirrored,
            timeline=points,
        )
