"""Encoder evaluation: held-out mocap renders and the real test pairings, as one table.

Pure computation: functions here return numbers and rows; the CLI prints them.

(a) Held-out mocap (``mocap_data.HELD_OUT_CLIPS``), each clip rendered from several random
    cameras with another build per render and estimator-like errors (``render_clip``). Cut into
    1-second windows; a pair of windows is scored as the app scores a pair of videos
    (``compare.compare``: mirror-invariant, exact DTW, symmetric mean similarity along the
    path):
    - same view: the same window, the same camera, another build and noise;
    - cross view: the same window seen by two different cameras;
    - different: windows of clips of different movement kinds, any cameras.
    ROC AUC of "same movement" (same + cross view) against "different". Whole clips of the
    held-out repeated takes (``REPEATED_TAKES``) give "same movement, another take".
(b) The real pairings of SOURCES.md through the pose backend: each pair's DTW-aligned mean
    similarity and score, the same with the follower mirrored, smaller in the frame and slower,
    and the margin min(same) - max(different).

The score calibration (similarity -> 0-100) is fitted on held-out mocap renders only
(``calibrate_on_mocap``, its own camera seed), never on the real clips.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from posesim_cam.compare import compare
from posesim_cam.encoder import Encoder, EncoderConfig, ScoreCalibration
from posesim_cam.errors import UserError
from posesim_cam.features import mirror_keypoints, pose_features
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import FLIP_INDEX, INDEX, NUM_KEYPOINTS, NUM_PAIRS
from posesim_cam.training.augment import AugmentConfig, augment_sequence, vary_bone_lengths
from posesim_cam.training.mocap import facing_directions, random_cameras, render_views_with_scores
from posesim_cam.training.mocap_data import FPS, REPEATED_TAKES, MocapClip

# The seed method's reported numbers (DESIGN.md): mean cosine similarity.
SEED_SAME, SEED_DIFFERENT = 0.65, 0.33

EVAL_SEED = 20240
CALIBRATION_SEED = 7
WINDOW_SECONDS = 1.0

Progress = Callable[[str, int], Callable[[int], None]]


# ----------------------------------------------------------------------------- mocap renders


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
    """1-second window pairs of the renders (see the module docstring)."""
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


# ------------------------------------------------------------------------------ calibration

# Where the score map puts its ends: a same-movement window at the CALIBRATION_SAME quantile of
# the cross-view similarities scores SAME_SCORE; a different-movement window at the
# CALIBRATION_DIFFERENT quantile of the different similarities scores DIFFERENT_SCORE.
CALIBRATION_SAME = 0.25
CALIBRATION_DIFFERENT = 0.75
SAME_SCORE, DIFFERENT_SCORE = 90.0, 10.0


def fit_calibration(same: np.ndarray, different: np.ndarray) -> ScoreCalibration:
    """The linear map that scores the q25 same-movement window 90 and q75 different window 10.

    If the two quantiles are in the wrong order (an encoder that cannot separate), the map
    falls back to 0 at the different median and 100 at the same median (or a unit span).
    """
    s = float(np.nanquantile(same, CALIBRATION_SAME))
    d = float(np.nanquantile(different, CALIBRATION_DIFFERENT))
    if s - d > 1e-3:
        # score(x) = 100 (x - low) / (high - low); solve score(s) = 90, score(d) = 10.
        span = (s - d) * 100.0 / (SAME_SCORE - DIFFERENT_SCORE)
        low = d - span * DIFFERENT_SCORE / 100.0
        return ScoreCalibration(low=round(low, 6), high=round(low + span, 6))
    low, high = float(np.nanmedian(different)), float(np.nanmedian(same))
    if high - low < 1e-3:
        high = low + 1.0
    return ScoreCalibration(low=round(low, 6), high=round(high, 6))


def calibrate_on_mocap(
    encoder: Encoder,
    held_out: Sequence[MocapClip],
    seed: int = CALIBRATION_SEED,
    different: int = 800,
) -> tuple[ScoreCalibration, dict]:
    """Fit the score map on held-out mocap renders (own cameras; never the real clips)."""
    pairs = mocap_pairs(render_clips(held_out, seed), seed + 1, different=different)
    if not pairs.cross_view or not pairs.different:
        raise ValueError("calibration needs held-out clips of at least two movement kinds")
    same = similarities(pairs.cross_view, encoder)
    different = similarities(pairs.different, encoder)
    calibration = fit_calibration(same, different)
    facts = {
        "data": "held-out mocap renders, 1-s windows",
        "cross_view_mean": round(float(np.nanmean(same)), 4),
        "different_mean": round(float(np.nanmean(different)), 4),
        "cross_view_q25": round(float(np.nanquantile(same, CALIBRATION_SAME)), 4),
        "different_q75": round(float(np.nanquantile(different, CALIBRATION_DIFFERENT)), 4),
        "pairs": [int(np.isfinite(same).sum()), int(np.isfinite(different).sum())],
    }
    return calibration, facts


def with_calibration(
    encoder: Encoder, calibration: ScoreCalibration, info: dict | None = None
) -> Encoder:
    """The same network with another score calibration (and, if given, training info)."""
    return replace(encoder, calibration=calibration, info=encoder.info if info is None else info)


def no_encoder_baseline(encoder: Encoder) -> Encoder:
    """The standardised, mean-centred 136 distances themselves as the 'latent' (statistics of
    ``encoder``; its calibration is a placeholder to be refitted)."""
    select = np.hstack([np.eye(NUM_PAIRS), np.zeros((NUM_PAIRS, NUM_KEYPOINTS))]).astype(np.float32)
    return Encoder(
        EncoderConfig(hidden=(), latent_dim=NUM_PAIRS),
        [(select, np.zeros(NUM_PAIRS, np.float32))],
        encoder.feature_mean,
        encoder.feature_std,
        np.zeros(NUM_PAIRS, np.float32),
        ScoreCalibration(0.0, 1.0),
        {"name": "no-encoder"},
    )


# ----------------------------------------------------------------------------- real clips

SQUATS = "video/squats_1person_5fps.mp4"
DANCE = "video/dance_1person_30fps.mp4"
LAB = "video/lab_dance_view{}.mp4"
REAL_VIDEOS = (SQUATS, DANCE, *(LAB.format(v) for v in (1, 2, 3, 4)))


def clip_frames(sequence: PoseSequence, start: int, stop: int) -> PoseSequence:
    """Frames ``start`` to ``stop`` (exclusive) of ``sequence``."""
    return PoseSequence(
        sequence.keypoints[start:stop],
        sequence.scores[start:stop],
        sequence.fps,
        sequence.frame_size,
    )


def squat_reps(squats: PoseSequence) -> tuple[PoseSequence, PoseSequence]:
    """Rep 1 (frames 0-24) and rep 2 (frames 24-49) of the squats clip (SOURCES.md)."""
    return clip_frames(squats, 0, 25), clip_frames(squats, 24, 50)


def real_pairs(
    poses: dict[str, PoseSequence],
) -> dict[str, list[tuple[str, PoseSequence, PoseSequence]]]:
    """The pairings of SOURCES.md by kind: 'self', 'same' (same movement) and 'different'."""
    squats, dance, lab1 = poses[SQUATS], poses[DANCE], poses[LAB.format(1)]
    return {
        "self": [(f"{Path(k).stem} vs itself", s, s) for k, s in poses.items()],
        "same": [
            ("squat rep 1 vs rep 2", *squat_reps(squats)),
            *[(f"lab_dance view 1 vs view {v}", lab1, poses[LAB.format(v)]) for v in (2, 3, 4)],
        ],
        "different": [
            ("squats vs dance", squats, dance),
            ("dance vs squats", dance, squats),
            ("squats vs lab_dance", squats, lab1),
            ("lab_dance vs squats", lab1, squats),
            ("dance vs lab_dance", dance, lab1),
            ("lab_dance vs dance", lab1, dance),
        ],
    }


def mirrored(sequence: PoseSequence) -> PoseSequence:
    """The follower as a mirror image (a mirrored webcam picture)."""
    kp, sc = mirror_keypoints(sequence.keypoints, sequence.scores, sequence.frame_size[0])
    return PoseSequence(kp, np.asarray(sc, np.float32), sequence.fps, sequence.frame_size)


def smaller(sequence: PoseSequence, factor: float = 0.5) -> PoseSequence:
    """The follower smaller in the frame: keypoints scaled by ``factor`` about the centre."""
    centre = np.asarray(sequence.frame_size, np.float32) / 2
    kp = (centre + (sequence.keypoints - centre) * factor).astype(np.float32)
    return PoseSequence(kp, sequence.scores, sequence.fps, sequence.frame_size)


def slower(sequence: PoseSequence, factor: float = 1.5) -> PoseSequence:
    """The follower ``factor`` times slower: frames repeated, same frame rate."""
    index = np.floor(np.arange(0, len(sequence), 1.0 / factor)).astype(np.intp)
    return PoseSequence(
        sequence.keypoints[index], sequence.scores[index], sequence.fps, sequence.frame_size
    )


VARIANTS: dict[str, Callable[[PoseSequence], PoseSequence]] = {
    "mirrored": mirrored,
    "smaller": smaller,
    "slower": slower,
}


@dataclass(frozen=True)
class RealResult:
    kind: str
    label: str
    variant: str  # "" for the pair as filmed
    similarity: float
    score: float


def real_results(
    poses: dict[str, PoseSequence], encoder: Encoder, variants: bool = True
) -> list[RealResult]:
    """Every pairing (and, for same/different, its follower variants) through ``compare``."""
    out = []
    for kind, pairs in real_pairs(poses).items():
        for label, target, attempt in pairs:
            todo = [("", attempt)]
            if variants and kind != "self":
                todo += [(name, make(attempt)) for name, make in VARIANTS.items()]
            for variant, seq in todo:
                try:
                    result = compare(target, seq, encoder)
                    out.append(RealResult(kind, label, variant, result.similarity, result.score))
                except UserError:
                    out.append(RealResult(kind, label, variant, float("nan"), float("nan")))
    return out


def load_real_poses(
    testdata: Path, encoder: Encoder, cache, backend: str = "blazepose", progress=None
) -> dict[str, PoseSequence]:
    """Poses of the real test videos (via the target cache: estimated once per backend)."""
    from posesim_cam.targets import prepare_video

    out = {}
    for video in REAL_VIDEOS:
        path = Path(testdata) / video
        if not path.exists():
            raise UserError(
                f"The test video {path} does not exist",
                "point --data or POSESIM_TESTDATA at the shared testdata folder",
            )
        out[video] = prepare_video(path, encoder, cache, backend, progress=progress).poses
    return out


def embed_time_ms(encoder: Encoder, repeats: int = 2000) -> float:
    """Median wall time of ``encoder.embed`` on the features of one pose, in milliseconds."""
    rng = np.random.default_rng(0)
    features = pose_features(rng.uniform(0, 400, (1, NUM_KEYPOINTS, 2)))
    times = np.empty(repeats)
    for k in range(repeats):
        start = time.perf_counter()
        encoder.embed(features)
        times[k] = time.perf_counter() - start
    return float(np.median(times) * 1000.0)


# ---------------------------------------------------------------------------------- table


@dataclass
class Row:
    """One line of the evaluation table.

    Attributes:
        section: "mocap", "real", "summary" or "reference".
        item: what is measured.
        target: the goal, as text ("" if none).
        cells: model name -> text.
        values: model name -> number (similarity, AUC or score; NaN if absent).
    """

    section: str
    item: str
    target: str
    cells: dict[str, str] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)


@dataclass
class EvalReport:
    models: list[str]
    rows: list[Row]
    facts: dict


def _pair_cell(similarity: float, score: float) -> str:
    if np.isnan(similarity):
        return "cannot score"
    return f"{similarity:.3f} / {score:.0f}"


def _mocap_rows(
    names: list[str], models: dict[str, Encoder], metrics: dict[str, MocapMetrics]
) -> list[Row]:
    def row(item: str, target: str, values: dict[str, float], fmt: str = ".3f") -> Row:
        return Row("mocap", item, target, {n: format(v, fmt) for n, v in values.items()}, values)

    def mean(get: Callable[[MocapMetrics], np.ndarray]) -> dict[str, float]:
        return {n: float(np.nanmean(get(metrics[n]))) for n in names}

    scores = {
        n: (
            float(np.nanmean(models[n].calibration.score(metrics[n].cross_view))),
            float(np.nanmean(models[n].calibration.score(metrics[n].different))),
        )
        for n in names
    }
    score_row = Row(
        "mocap",
        "mean score, same movement cross view / different",
        "",
        {n: f"{a:.0f} / {b:.0f}" for n, (a, b) in scores.items()},
        {n: a for n, (a, _) in scores.items()},
    )
    return [
        row(
            "ROC AUC same vs different movement (1-s windows)",
            "≥ 0.95",
            {n: metrics[n].auc for n in names},
        ),
        row(
            "ROC AUC cross-view same vs different",
            "",
            {n: metrics[n].auc_cross_view for n in names},
        ),
        row("mean similarity, same movement, same view", "", mean(lambda m: m.same_view)),
        row("mean similarity, same movement, cross view", "", mean(lambda m: m.cross_view)),
        row(
            "mean similarity, same movement, another take (whole clips)",
            "",
            mean(lambda m: m.other_take),
        ),
        row("mean similarity, different movements", "", mean(lambda m: m.different)),
        row(
            "separation: q10 cross-view same − q90 different",
            "",
            {n: metrics[n].separation for n in names},
        ),
        score_row,
    ]


_REAL_TARGETS = {"self": "≥ 0.95 / ≥ 95", "same": "≥ 0.85 / ≥ 85", "different": "≤ 0.25 / ≤ 30"}


def _real_rows(names: list[str], results: dict[str, list[RealResult]]) -> list[Row]:
    rows = []
    for index, r in enumerate(results[names[0]]):
        label = r.label + (f" (follower {r.variant})" if r.variant else "")
        target = _REAL_TARGETS[r.kind]
        if r.kind == "same" and "squat" in r.label and not r.variant:
            target = "≥ 0.95 / ≥ 85"  # the same view
        picked = {n: results[n][index] for n in names}
        rows.append(
            Row(
                f"real: {r.kind}",
                label,
                target,
                {n: _pair_cell(x.similarity, x.score) for n, x in picked.items()},
                {n: x.similarity for n, x in picked.items()},
            )
        )
    for variants, title in ((False, "as filmed"), (True, "incl. follower variants")):

        def pick(n: str, kind: str, attribute: str, variants: bool = variants) -> np.ndarray:
            return np.array(
                [
                    getattr(r, attribute)
                    for r in results[n]
                    if r.kind == kind and (variants or not r.variant)
                ]
            )

        margin = {
            n: float(
                np.nanmin(pick(n, "same", "similarity"))
                - np.nanmax(pick(n, "different", "similarity"))
            )
            for n in names
        }
        rows.append(
            Row(
                "summary",
                f"margin min(same) − max(different) similarity, {title}",
                "" if variants else "≥ 0.6",
                {n: f"{v:.3f}" for n, v in margin.items()},
                margin,
            )
        )
        lowest = {n: float(np.nanmin(pick(n, "same", "score"))) for n in names}
        highest = {n: float(np.nanmax(pick(n, "different", "score"))) for n in names}
        rows.append(
            Row(
                "summary",
                f"min score same movement / max score different, {title}",
                "≥ 85 / ≤ 30",
                {n: f"{lowest[n]:.0f} / {highest[n]:.0f}" for n in names},
                lowest,
            )
        )
    return rows


def evaluate_models(
    models: dict[str, Encoder],
    held_out: Sequence[MocapClip],
    real_poses: dict[str, PoseSequence] | None,
    seed: int = EVAL_SEED,
    progress: Progress | None = None,
) -> EvalReport:
    """The evaluation table for several encoders (each with its own frozen calibration).

    ``real_poses`` (from ``load_real_poses``) None: the mocap section only.
    """
    names = list(models)
    pairs = mocap_pairs(render_clips(held_out, seed), seed + 1)
    height_pairs = camera_height_pairs(held_out, seed + 2)
    bar = progress("Evaluating", len(names)) if progress else None
    metrics: dict[str, MocapMetrics] = {}
    height: dict[str, MocapMetrics] = {}
    results: dict[str, list[RealResult]] = {}
    for k, name in enumerate(names):
        metrics[name] = mocap_metrics(pairs, models[name])
        height[name] = mocap_metrics(height_pairs, models[name])
        if real_poses is not None:
            results[name] = real_results(real_poses, models[name])
        if bar:
            bar(k + 1)
    rows = _mocap_rows(names, models, metrics)
    level, high = (f"{a:.0f}…{b:.0f}°" for a, b in (LEVEL_PITCH, HIGH_PITCH))
    rows += [
        Row(
            "mocap",
            f"camera {level} vs camera {high} above: mean cross-view similarity / separation",
            "",
            {
                n: f"{np.nanmean(height[n].cross_view):.3f} / {height[n].separation:.3f}"
                for n in names
            },
            {n: float(np.nanmean(height[n].cross_view)) for n in names},
        )
    ]
    speed = {n: embed_time_ms(models[n]) for n in names}
    rows.append(
        Row(
            "speed",
            "embedding one pose (numpy Encoder.embed, median), ms",
            "≤ 0.2",
            {n: f"{v:.3f}" for n, v in speed.items()},
            speed,
        )
    )
    facts: dict = {
        "seed": seed,
        "mocap_pairs": {
            "same_view": len(pairs.same_view),
            "cross_view": len(pairs.cross_view),
            "different": len(pairs.different),
            "other_take": len(pairs.other_take),
        },
        "mocap": {n: metrics[n].summary() for n in names},
        "mocap_camera_height": {n: height[n].summary() for n in names},
        "calibration": {
            n: [round(models[n].calibration.low, 4), round(models[n].calibration.high, 4)]
            for n in names
        },
    }
    if real_poses is not None:
        rows += _real_rows(names, results)
        facts["real"] = {
            n: [
                {
                    "kind": r.kind,
                    "pair": r.label,
                    "variant": r.variant,
                    "similarity": round(r.similarity, 4),
                    "score": round(r.score, 2),
                }
                for r in results[n]
            ]
            for n in names
        }
    rows.append(
        Row(
            "reference",
            "seed autoencoder as reported (DESIGN.md): mean similarity same / different movement",
            "",
            {
                n: (f"{SEED_SAME:.2f} / {SEED_DIFFERENT:.2f}" if k == 0 else "")
                for k, n in enumerate(names)
            },
        )
    )
    return EvalReport(names, rows, facts)


def markdown_table(report: EvalReport) -> str:
    """The report as a Markdown table (for docs/scores.md and the model card)."""
    header = ["section", "measure", "target", *report.models]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in report.rows:
        cells = [row.section, row.item, row.target, *(row.cells.get(m, "") for m in report.models)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
