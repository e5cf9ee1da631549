"""Held-out mocap evaluation: renders of unseen clips, window pairs, similarities and ROC AUC.

This module measures an encoder on motion capture it never trained on
(``mocap_data.HELD_OUT_CLIPS``): each clip is rendered from several random cameras with
another build per render and estimator-like errors (``render_clip``), cut into 1-second
windows, and pairs of windows are scored as the app scores a pair of videos
(``scoring.offline.compare``); ``MocapMetrics`` holds the similarities by kind of pair and the
ROC AUC of same movement against different. It is pure computation (numbers, no printing), used
by the report (``evaluate``), the score calibration (``calibration``) and the ablations. Like
every training module it may import the package's numerics (encoder, features, sequence,
skeleton, scoring) and the other training modules, never the CLI, the commands, the session or
the HUD.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from posesim_cam.encoder import Encoder
from posesim_cam.errors import UserError
from posesim_cam.scoring.offline import compare
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import FLIP_INDEX, INDEX
from posesim_cam.training.augment import AugmentConfig, augment_sequence, vary_bone_lengths
from posesim_cam.training.mocap import facing_directions, random_cameras, render_views_with_scores
from posesim_cam.training.mocap_data import FPS, REPEATED_TAKES, MocapClip

# The cameras of the evaluation renders (and their window pairs: seed + 1; the camera-height
# pairs: seed + 2).
EVAL_SEED = 20240
WINDOW_SECONDS = 1.0


@dataclass(frozen=True)
class Render:
    """A held-out clip as a pose estimator would report it from one camera."""

    clip: str
    movement: str
    camera: int
    body: int
    sequence: PoseSequence


# Estimator errors of an evaluation render: augment_sequence's defaults (tilt, mirror image
# half the time, lower body cut 20 % of the time, 1 % jitter, 2 % swaps, 5 % dropped joints).
EVAL_AUGMENT = AugmentConfig()
# Chance that the "estimator" of a render labels a person seen from behind as facing it.
BACK_SWAP_P = 0.5


# The evaluation cameras' elevation (degrees, positive from above): the range the issue names.
EVAL_PITCH = (-20.0, 30.0)
# A camera at the user's height (a laptop on a desk) against a high one (a studio or gym camera
# on a shelf), for the camera-height rows of the table.
LEVEL_PITCH, HIGH_PITCH = (-10.0, 10.0), (35.0, 50.0)


def render_clip(
    clip: MocapClip,
    rng: np.random.Generator,
    cameras: int = 4,
    same_view_bodies: int = 2,
    augment: AugmentConfig = EVAL_AUGMENT,
    pitch: tuple[float, float] = EVAL_PITCH,
) -> list[Render]:
    """Renders of one clip: ``cameras`` random cameras; camera 0 also with more bodies."""
    out = []
    for k, camera in enumerate(random_cameras(rng, cameras, clip.points, pitch_range=pitch)):
        for body in range(same_view_bodies if k == 0 else 1):
            points = vary_bone_lengths(clip.points, rng)
            kp, sc = render_views_with_scores(points, [camera], follow=True)
            kp, sc = kp[0], sc[0]
            if rng.random() < BACK_SWAP_P:
                hips = (points[:, INDEX["left_hip"]] + points[:, INDEX["right_hip"]]) / 2
                to_camera = camera.position - hips
                behind = (facing_directions(points) * to_camera).sum(axis=1) < 0
                kp = np.where(behind[:, None, None], kp[:, FLIP_INDEX], kp)
                sc = np.where(behind[:, None], sc[:, FLIP_INDEX], sc)
            kp, sc = augment_sequence(kp, sc, rng, augment)
            sequence = PoseSequence(kp, sc, FPS, (camera.width, camera.height))
            out.append(Render(clip.name, clip.movement, k, body, sequence))
    return out


def render_clips(clips: Sequence[MocapClip], seed: int, cameras: int = 4) -> list[Render]:
    rng = np.random.default_rng(seed)
    return [r for clip in clips for r in render_clip(clip, rng, cameras)]


def camera_height_pairs(clips: Sequence[MocapClip], seed: int, different: int = 600) -> MocapPairs:
    """Window pairs of each clip seen by a level camera and by a high one (cross view), and
    different-movement windows from either; no same-view or other-take pairs."""
    rng = np.random.default_rng(seed)
    renders = []
    for clip in clips:
        for camera, pitch in enumerate((LEVEL_PITCH, HIGH_PITCH)):
            (render,) = render_clip(clip, rng, cameras=1, same_view_bodies=1, pitch=pitch)
            renders.append(replace(render, camera=camera))
    return mocap_pairs(renders, seed + 1, different=different)


def _window(sequence: PoseSequence, start: int, length: int) -> PoseSequence:
    return PoseSequence(
        sequence.keypoints[start : start + length],
        sequence.scores[start : start + length],
        sequence.fps,
        sequence.frame_size,
    )


@dataclass(frozen=True)
class MocapPairs:
    """Pairs (target, attempt) of pose sequences by kind."""

    same_view: list[tuple[PoseSequence, PoseSequence]]
    cross_view: list[tuple[PoseSequence, PoseSequence]]
    different: list[tuple[PoseSequence, PoseSequence]]
    other_take: list[tuple[PoseSequence, PoseSequence]]


def mocap_pairs(
    renders: Sequence[Render],
    seed: int,
    different: int = 1500,
    window_seconds: float = WINDOW_SECONDS,
) -> MocapPairs:
    """1-second window pairs of the renders, by kind:

    - same view: the same window, the same camera, another build and noise;
    - cross view: the same window seen by two different cameras;
    - different: ``different`` random windows of clips of different movement kinds, any
      cameras;
    - other take: whole clips of the held-out repeated takes (``REPEATED_TAKES``), two
      different cameras: "same movement, another take".
    """
    rng = np.random.default_rng(seed)
    length = round(window_seconds * FPS)
    by_clip: dict[str, list[Render]] = {}
    for r in renders:
        by_clip.setdefault(r.clip, []).append(r)
    windows: list[tuple[Render, int]] = []  # body-0 renders, window start
    same_view, cross_view = [], []
    for views in by_clip.values():
        starts = range(0, len(views[0].sequence) - length + 1, length)
        main = [v for v in views if v.body == 0]
        second = [v for v in views if v.body == 1]
        for start in starts:
            for v in main:
                windows.append((v, start))
            for v in second:
                first = next(m for m in main if m.camera == v.camera)
                same_view.append(
                    (_window(first.sequence, start, length), _window(v.sequence, start, length))
                )
            for i in range(len(main)):
                for j in range(i + 1, len(main)):
                    a = _window(main[i].sequence, start, length)
                    cross_view.append((a, _window(main[j].sequence, start, length)))
    different_pairs = []
    if len({r.movement for r, _ in windows}) > 1:
        while len(different_pairs) < different:
            a, b = rng.integers(len(windows), size=2)
            (ra, sa), (rb, sb) = windows[a], windows[b]
            if ra.movement != rb.movement:
                wa, wb = _window(ra.sequence, sa, length), _window(rb.sequence, sb, length)
                different_pairs.append((wa, wb))
    other_take = []
    for name_a, name_b in REPEATED_TAKES:
        views_a = [v for v in by_clip.get(name_a, []) if v.body == 0]
        views_b = [v for v in by_clip.get(name_b, []) if v.body == 0]
        for va in views_a:
            for vb in views_b:
                if va.camera != vb.camera:
                    other_take.append((va.sequence, vb.sequence))
    return MocapPairs(same_view, cross_view, different_pairs, other_take)


def similarities(
    pairs: Sequence[tuple[PoseSequence, PoseSequence]], encoder: Encoder
) -> np.ndarray:
    """(len(pairs),) DTW-aligned mean similarity of each pair, as ``compare`` scores it.

    A pair that cannot be scored (too few joints visible on both sides) gives NaN.
    """
    out = np.full(len(pairs), np.nan)
    for k, (target, attempt) in enumerate(pairs):
        with contextlib.suppress(UserError):
            out[k] = compare(target, attempt, encoder).similarity
    return out


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """Area under the ROC curve: P(a positive scores above a negative), ties counting half.

    NaNs are ignored. Mann-Whitney U statistic with mid-ranks for ties.
    """
    pos = np.asarray(positive, np.float64)
    neg = np.asarray(negative, np.float64)
    pos, neg = pos[~np.isnan(pos)], neg[~np.isnan(neg)]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    values = np.concatenate([pos, neg])
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    # Mid-ranks: every run of equal values gets the mean of its ranks (1-based).
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or sorted_values[end] != sorted_values[start]:
            ranks[order[start:end]] = (start + end + 1) / 2.0
            start = end
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


@dataclass(frozen=True)
class MocapMetrics:
    """Similarities of the held-out mocap pairs for one encoder (NaN: could not score)."""

    same_view: np.ndarray
    cross_view: np.ndarray
    different: np.ndarray
    other_take: np.ndarray

    @property
    def auc(self) -> float:
        """ROC AUC, same movement (same and cross view windows) against different."""
        return roc_auc(np.concatenate([self.same_view, self.cross_view]), self.different)

    @property
    def auc_cross_view(self) -> float:
        return roc_auc(self.cross_view, self.different)

    @property
    def separation(self) -> float:
        """10th percentile of cross-view same-movement windows minus the 90th percentile of
        different-movement windows: a robust mocap analogue of the real margin
        min(same) - max(different). The criterion settings were chosen by."""
        return float(np.nanquantile(self.cross_view, 0.1) - np.nanquantile(self.different, 0.9))

    def summary(self) -> dict[str, float]:
        return {
            "auc": round(self.auc, 4),
            "auc_cross_view": round(self.auc_cross_view, 4),
            "separation": round(self.separation, 4),
            "same_view": round(_mean(self.same_view), 4),
            "cross_view": round(_mean(self.cross_view), 4),
            "other_take": round(_mean(self.other_take), 4),
            "different": round(_mean(self.different), 4),
        }


def _mean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN when there are none (a kind of pair left out)."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def mocap_metrics(pairs: MocapPairs, encoder: Encoder) -> MocapMetrics:
    return MocapMetrics(
        similarities(pairs.same_view, encoder),
        similarities(pairs.cross_view, encoder),
        similarities(pairs.different, encoder),
        similarities(pairs.other_take, encoder),
    )
