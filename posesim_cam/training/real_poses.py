"""Encoder v1: trained on real poses (squats and dance clips) with 2-D geometric augmentation.

The lab_dance_view* clips are never read here: they are kept for evaluation. Imports the
numerics, offline scoring and ``training.model``; never the CLI, the commands, the session or
the HUD.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from posesim_cam.encoder import Encoder, EncoderConfig, ScoreCalibration, network_input
from posesim_cam.features import pose_features
from posesim_cam.scoring.offline import compare
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import INDEX
from posesim_cam.training.batch import Batch
from posesim_cam.training.model import TrainSettings, to_encoder, train_autoencoder

TRAINING_CLIPS = ("video/squats_1person_5fps.mp4", "video/dance_1person_30fps.mp4")

# Kinematic chains (parent, child) from the torso out; scaling a bone moves its descendants.
_CHAINS: tuple[tuple[str, ...], ...] = (
    ("left_shoulder", "left_elbow", "left_wrist"),
    ("right_shoulder", "right_elbow", "right_wrist"),
    ("left_hip", "left_knee", "left_ankle"),
    ("right_hip", "right_knee", "right_ankle"),
)
_LOWER_BODY = [INDEX[n] for n in ("left_knee", "right_knee", "left_ankle", "right_ankle")]
_HIPS = [INDEX["left_hip"], INDEX["right_hip"]]


@dataclass(frozen=True)
class AugmentSettings:
    """Ranges of the random corruptions applied to each view of a pose."""

    horizontal_squash: tuple[float, float] = (0.55, 1.0)  # turning away from the camera
    vertical_squash: tuple[float, float] = (0.85, 1.0)  # camera above or below
    bone_scale: tuple[float, float] = (0.88, 1.12)  # another person's proportions
    jitter: float = 0.03  # keypoint noise, in torso lengths
    drop_joint: float = 0.05  # chance that each joint goes missing
    cut_lower_body: float = 0.15  # chance that knees and ankles are out of frame


def augment_poses(
    keypoints: np.ndarray, scores: np.ndarray, rng: np.random.Generator, s: AugmentSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Corrupt a batch of poses (B, 17, 2), (B, 17) the way real estimators and people do."""
    kp = keypoints.astype(np.float32).copy()
    sc = scores.astype(np.float32).copy()
    b = len(kp)
    hips = kp[:, _HIPS].mean(axis=1, keepdims=True)
    torso = np.linalg.norm(
        kp[:, [INDEX["left_shoulder"], INDEX["right_shoulder"]]].mean(axis=1) - hips[:, 0], axis=1
    )
    # Bone lengths first, in the body's own frame.
    for chain in _CHAINS:
        idx = [INDEX[n] for n in chain]
        for k in range(1, len(idx)):
            factor = rng.uniform(*s.bone_scale, size=(b, 1)).astype(np.float32)
            offset = (kp[:, idx[k]] - kp[:, idx[k - 1]]) * (factor - 1.0)
            for child in idx[k:]:
                kp[:, child] += offset
    # Viewpoint: squash about the hip centre.
    fx = rng.uniform(*s.horizontal_squash, size=(b, 1, 1)).astype(np.float32)
    fy = rng.uniform(*s.vertical_squash, size=(b, 1, 1)).astype(np.float32)
    kp = hips + (kp - hips) * np.concatenate([fx, fy], axis=2)
    kp += rng.normal(size=kp.shape).astype(np.float32) * (s.jitter * torso)[:, None, None]
    sc[rng.random(sc.shape) < s.drop_joint] = 0.0
    cut = rng.random(b) < s.cut_lower_body
    sc[np.ix_(cut, _LOWER_BODY)] = 0.0
    return kp, sc


@dataclass(frozen=True)
class PoseBank:
    """Real training poses: keypoints (N, 17, 2), scores (N, 17), and their clip of origin."""

    keypoints: np.ndarray
    scores: np.ndarray
    sequences: tuple[PoseSequence, ...]

    @classmethod
    def from_sequences(cls, sequences: list[PoseSequence]) -> PoseBank:
        kps = [s.keypoints[s.found] for s in sequences]
        scs = [s.scores[s.found] for s in sequences]
        return cls(np.concatenate(kps), np.concatenate(scs), tuple(sequences))


def feature_statistics(bank: PoseBank) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std (136,) of the clean training distances over the joints present."""
    f = pose_features(bank.keypoints, bank.scores)
    w = (f.weights > 0).astype(np.float64)
    count = np.maximum(w.sum(axis=0), 1)
    mean = (f.distances * w).sum(axis=0) / count
    var = (((f.distances - mean) ** 2) * w).sum(axis=0) / count
    return mean.astype(np.float32), np.sqrt(var + 1e-4).astype(np.float32)


def make_sampler(
    bank: PoseBank, mean: np.ndarray, std: np.ndarray, augment: AugmentSettings
) -> Callable[[np.random.Generator, int], Batch]:
    def sample(rng: np.random.Generator, batch_size: int) -> Batch:
        pick = rng.integers(0, len(bank.keypoints), batch_size)
        kp, sc = bank.keypoints[pick], bank.scores[pick]
        views = [
            network_input(pose_features(*augment_poses(kp, sc, rng, augment)), mean, std)
            for _ in range(2)
        ]
        clean = pose_features(kp, sc)
        standard = np.where(clean.weights > 0, (clean.distances - mean) / std, 0.0)
        return Batch(
            views[0], views[1], standard.astype(np.float32), (clean.weights > 0).astype(np.float32)
        )

    return sample


def _augmented_sequence(
    sequence: PoseSequence, rng: np.random.Generator, augment: AugmentSettings
) -> PoseSequence:
    """A plausible 'other person, other camera, other speed' copy of a clip for calibration."""
    found = sequence.found
    kp, sc = sequence.keypoints[found], sequence.scores[found]
    # One viewpoint and one body for the whole copy, fresh noise in every frame.
    fixed = AugmentSettings(
        horizontal_squash=(f := float(rng.uniform(*augment.horizontal_squash)),) * 2,
        vertical_squash=(g := float(rng.uniform(*augment.vertical_squash)),) * 2,
        bone_scale=(1.0, 1.0),
        jitter=augment.jitter,
        drop_joint=augment.drop_joint,
        cut_lower_body=0.0,
    )
    del f, g
    kp, sc = augment_poses(kp, sc, rng, fixed)
    speed = rng.uniform(0.75, 1.33)
    index = np.clip(np.round(np.arange(0, len(kp), speed)).astype(int), 0, len(kp) - 1)
    return PoseSequence(kp[index], sc[index], sequence.fps, sequence.frame_size)


def _chunks(sequence: PoseSequence, seconds: float) -> list[PoseSequence]:
    n = max(round(seconds * sequence.fps), 4)
    found = np.flatnonzero(sequence.found)
    kp, sc = sequence.keypoints[found], sequence.scores[found]
    return [
        PoseSequence(kp[a : a + n], sc[a : a + n], sequence.fps, sequence.frame_size)
        for a in range(0, len(kp) - n + 1, max(n // 2, 1))
    ]


def calibrate(
    encoder: Encoder, bank: PoseBank, rng: np.random.Generator, augment: AugmentSettings
) -> tuple[ScoreCalibration, dict]:
    """Fit the score map on training clips only.

    ``high``: mean similarity of 2-second chunks against an augmented copy of themselves (same
    movement, another body, camera and speed). ``low``: mean similarity between chunks of
    different clips (different movements). Both with mirror invariance, as scoring uses it.
    """
    chunk_sets = [_chunks(s, 2.0) for s in bank.sequences]
    same = [
        compare(chunk, _augmented_sequence(chunk, rng, augment), encoder).similarity
        for chunks in chunk_sets
        for chunk in chunks
    ]
    different = [
        compare(a, b, encoder).similarity
        for i, chunks_a in enumerate(chunk_sets)
        for j, chunks_b in enumerate(chunk_sets)
        if i != j
        for a in chunks_a
        for b in chunks_b
    ]
    low, high = float(np.mean(different)), float(np.mean(same))
    facts = {
        "same_movement_mean": round(high, 4),
        "different_movement_mean": round(low, 4),
        "same_pairs": len(same),
        "different_pairs": len(different),
    }
    return ScoreCalibration(low=low, high=high), facts


def train_v1(
    sequences: list[PoseSequence],
    seed: int = 0,
    settings: TrainSettings | None = None,
    config: EncoderConfig | None = None,
    augment: AugmentSettings | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> Encoder:
    """Train encoder v1 on the given real pose sequences and calibrate its score map."""
    settings = settings or TrainSettings()
    config = config or EncoderConfig()
    augment = augment or AugmentSettings()
    bank = PoseBank.from_sequences(sequences)
    mean, std = feature_statistics(bank)
    sampler = make_sampler(bank, mean, std, augment)
    model = train_autoencoder(sampler, config, settings, seed, progress)
    inputs = network_input(pose_features(bank.keypoints, bank.scores), mean, std)
    info = {
        "name": "encoder_v1",
        "seed": seed,
        "steps": settings.steps,
        "training_clips": list(TRAINING_CLIPS),
        "training_poses": len(bank.keypoints),
    }
    encoder = to_encoder(model, mean, std, inputs, info)
    calibration, facts = calibrate(encoder, bank, np.random.default_rng(seed + 1), augment)
    info = {**info, "calibration": facts}
    return replace(encoder, calibration=calibration, info=info)


def training_clip_paths(testdata: Path) -> list[Path]:
    return [testdata / clip for clip in TRAINING_CLIPS]
