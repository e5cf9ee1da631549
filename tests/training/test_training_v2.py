"""Encoder v2 training data and loop: split, views, determinism, a loadable model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from posesim_cam.encoder import load_encoder
from posesim_cam.features import PAIR_FLIP_INDEX, pose_features
from posesim_cam.skeleton import FLIP_INDEX
from posesim_cam.training.augment import BONE_GROUPS, scale_bones
from posesim_cam.training.mocap_data import (
    HELD_OUT_CLIPS,
    REPEATED_TAKES,
    MocapSampler,
    PoseBank3D,
    ViewSettings,
    clean_distances,
    load_mocap,
    movement_of,
    render_batch,
    sample_bone_factors,
    scale_bones_batch,
    split_clips,
)
from posesim_cam.training.train_v2 import V2Settings, train_v2

pytestmark = pytest.mark.torch


@pytest.fixture(scope="module")
def clips(testdata: Path, tmp_path_factory: pytest.TempPathFactory):
    return load_mocap(testdata / "mocap", tmp_path_factory.mktemp("mocap-cache"))


def test_movement_kinds_from_descriptions():
    assert movement_of("walk on uneven terrain") == "walk"
    assert movement_of("slow walk") == "walk"
    assert movement_of("dance - glissade devant, attitude/arabesque") == "dance"
    assert movement_of("basketball - forward dribble") == "basketball"
    assert movement_of("jump, balance") == "jump"


def test_clips_load_at_30_fps_and_the_split_is_fixed(clips):
    assert len(clips) == 61
    train, held = split_clips(clips)
    assert {c.name for c in held} == set(HELD_OUT_CLIPS)
    assert not {c.name for c in train} & set(HELD_OUT_CLIPS)
    for a, b in REPEATED_TAKES:
        assert a in HELD_OUT_CLIPS and b in HELD_OUT_CLIPS
    # Most held-out movement kinds also occur in training (another take, not the same clip).
    assert {c.movement for c in held} - {c.movement for c in train} <= {"jump"}
    dance = next(c for c in clips if c.name == "005_09")
    assert dance.points.shape == (286, 17, 3) and dance.movement == "dance"


def test_the_mocap_cache_gives_the_same_points(testdata: Path, tmp_path: Path, clips):
    first = load_mocap(testdata / "mocap", tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    again = load_mocap(testdata / "mocap", tmp_path)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a.points, b.points)


def test_per_sample_bone_scaling_matches_scale_bones(clips):
    points = clips[0].points[:3]
    rng = np.random.default_rng(0)
    factors = rng.uniform(0.8, 1.2, (3, len(BONE_GROUPS)))
    batch = scale_bones_batch(points, factors)
    for k in range(3):
        expected = scale_bones(points[k], dict(zip(BONE_GROUPS, factors[k], strict=True)))
        np.testing.assert_allclose(batch[k], expected, atol=1e-3)


def test_views_are_valid_and_flips_relabel_the_3d_target(clips):
    bank = PoseBank3D.from_clips(clips[:3])
    rng = np.random.default_rng(1)
    batch = render_batch(bank.points[:200], bank.heights[:200], rng, ViewSettings(mirror_p=0.5))
    assert batch.keypoints.shape == (200, 17, 2) and batch.scores.shape == (200, 17)
    assert np.isfinite(batch.keypoints).all()
    assert 0.3 < batch.flipped.mean() < 0.8  # mirror positives plus back views
    # Without noise, a flipped view's 2-D distances relate to the 3-D pose relabelled.
    d3 = pose_features(batch.points3d).distances
    target = clean_distances(batch, symmetric=False)
    np.testing.assert_allclose(target[batch.flipped], d3[batch.flipped][:, PAIR_FLIP_INDEX])
    np.testing.assert_allclose(target[~batch.flipped], d3[~batch.flipped])
    symmetric = clean_distances(batch, symmetric=True)
    np.testing.assert_allclose(symmetric, symmetric[:, PAIR_FLIP_INDEX], atol=1e-6)
    # The clean projection of a flipped view is the relabelled projection.
    flipped_back = batch.clean_keypoints[batch.flipped][:, FLIP_INDEX]
    assert np.isfinite(flipped_back).all()


def test_sampler_gives_two_views_of_the_same_poses(clips):
    bank = PoseBank3D.from_clips(clips[:2])
    mean, std = np.zeros(136, np.float32), np.ones(136, np.float32)
    sampler = MocapSampler(bank, mean, std, ViewSettings(mirror_p=0.5), pose_distances=True)
    batch = sampler(np.random.default_rng(0), 32)
    assert batch.view_a.shape == batch.view_b.shape == (32, 153)
    assert batch.clean.shape == batch.clean_b.shape == (32, 136)
    assert not np.array_equal(batch.view_a, batch.view_b)
    # Symmetrised 3-D targets do not depend on the camera or the relabelling, only the build.
    assert np.abs(batch.clean - batch.clean_b).mean() < 0.1 * np.abs(batch.clean).mean() + 0.5
    # The pose distances of the kernel term: zero for a pose and itself, positive otherwise
    # (two picks of the same frame aside), the same both ways.
    d = batch.pose_distance
    assert d is not None and d.shape == (32, 32)
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-5)
    np.testing.assert_allclose(d, d.T, atol=1e-6)
    assert np.median(d[~np.eye(32, dtype=bool)]) > 0.02
    assert (
        MocapSampler(bank, mean, std, ViewSettings())(np.random.default_rng(0), 8).pose_distance
        is None
    )


TINY = replace(
    V2Settings(),
    steps=30,
    batch_size=64,
    hidden=(32, 16),
    latent_dim=8,
    statistics_views=2000,
    calibration_pairs=50,
)


def test_short_training_is_deterministic_and_loadable(clips, tmp_path: Path):
    few = [c for c in clips if c.name in ("005_09", "007_02", "002_03")]
    held = ("002_03", "007_02")  # a run and a walk: two movement kinds to calibrate on
    first = train_v2(few, seed=3, settings=TINY, held_out=held)
    second = train_v2(few, seed=3, settings=TINY, held_out=held)
    for (wa, ba), (wb, bb) in zip(first.layers, second.layers, strict=True):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)
    assert first.version == second.version
    assert first.calibration == second.calibration
    other = train_v2(few, seed=4, settings=TINY, held_out=held, calibrate=False)
    assert other.version != first.version
    assert first.info["name"] == "encoder_v2"
    assert first.info["held_out_clips"] == ["002_03", "007_02"]
    assert first.info["training_clips"] == ["005_09"]
    assert first.calibration.low < first.calibration.high
    path = tmp_path / "v2.npz"
    first.save(path)
    loaded = load_encoder(path)
    assert loaded.version == first.version
    features = pose_features(np.random.default_rng(0).uniform(0, 400, (5, 17, 2)))
    np.testing.assert_array_equal(loaded.embed(features), first.embed(features))
    assert torch.get_num_threads() >= 1


def test_the_pose_kernel_term_takes_part_when_asked(clips):
    few = [c for c in clips if c.name in ("005_09", "007_02", "002_03")]
    held = ("002_03", "007_02")
    plain = train_v2(few, seed=3, settings=TINY, held_out=held, calibrate=False)
    kernel = replace(TINY, kernel_weight=1.0)
    with_kernel = train_v2(few, seed=3, settings=kernel, held_out=held, calibrate=False)
    assert with_kernel.version != plain.version
    again = train_v2(few, seed=3, settings=kernel, held_out=held, calibrate=False)
    assert again.version == with_kernel.version


def test_leg_scale_shortens_thighs_and_shins_only_and_costs_no_draw_when_off():
    no_spread = ViewSettings(limb_range=0.0, height_range=0.0, leg_scale=(0.8, 0.8))
    factors = sample_bone_factors(np.random.default_rng(0), 5, no_spread)
    legs = [BONE_GROUPS.index("thigh"), BONE_GROUPS.index("shin")]
    others = [k for k in range(len(BONE_GROUPS)) if k not in legs]
    np.testing.assert_allclose(factors[:, legs], 0.8)
    np.testing.assert_allclose(factors[:, others], 1.0)
    # Off (the default), the random stream is what it was before the setting existed, so
    # `posesim-cam train` still reproduces the shipped weights.
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    sample_bone_factors(rng_a, 5, ViewSettings())
    rng_b.uniform(0.92, 1.08, (5, 1))
    rng_b.uniform(-0.12, 0.12, (5, len(BONE_GROUPS)))
    assert rng_a.random() == rng_b.random()


def test_ignored_joints_are_never_rendered_as_found(clips):
    bank = PoseBank3D.from_clips(clips[:2])
    views = replace(ViewSettings(), ignored_joints=(1, 2, 3, 4))
    batch = render_batch(bank.points[:100], bank.heights[:100], np.random.default_rng(0), views)
    assert (batch.scores[:, 1:5] == 0).all() and (batch.scores[:, [0, 5, 6]] > 0).mean() > 0.8
    settings = V2Settings(ignored_joints=("left_eye", "right_eye", "left_ear", "right_ear"))
    assert settings.config.ignored_joints == (1, 2, 3, 4)
    assert settings.view_settings.ignored_joints == (1, 2, 3, 4)


def test_training_without_some_joints_keeps_their_statistics_and_ignores_them(clips):
    few = [c for c in clips if c.name in ("005_09", "007_02", "002_03")]
    held = ("002_03", "007_02")
    face = ("left_eye", "right_eye", "left_ear", "right_ear")
    plain = train_v2(few, seed=3, settings=TINY, held_out=held, calibrate=False)
    no_face = train_v2(
        few, seed=3, settings=replace(TINY, ignored_joints=face), held_out=held, calibrate=False
    )
    assert no_face.config.ignored_joints == (1, 2, 3, 4)
    # The decoder's 3-D targets include the face pairs, standardised by these statistics: they
    # must describe real distances, not the floor left by pairs never seen.
    np.testing.assert_allclose(no_face.feature_std, plain.feature_std)
    keypoints = np.random.default_rng(0).uniform(0, 400, (5, 17, 2))
    moved = keypoints.copy()
    moved[:, 1:5] += 30.0
    np.testing.assert_array_equal(
        no_face.embed(pose_features(moved)), no_face.embed(pose_features(keypoints))
    )


def test_the_unseen_activity_of_subject_6_is_basketball(clips):
    from posesim_cam.training.ablation import unseen_activity_clips

    unseen = unseen_activity_clips(clips, 6)
    assert len(unseen) >= 10 and {c.movement for c in unseen} == {"basketball"}
    assert all(c.subject == 6 for c in unseen)
