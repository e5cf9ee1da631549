"""Property tests: the features ignore where the person is, how big, and in-plane rotation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from posesim_cam.features import (
    PAIR_FLIP_INDEX,
    PoseFeatures,
    mirror_keypoints,
    pairwise_distances,
    pose_features,
)
from posesim_cam.skeleton import FLIP_INDEX, INDEX, NUM_PAIRS, PAIRS

coords = st.floats(-500, 500, allow_nan=False, width=32)
poses = arrays(np.float32, (17, 2), elements=coords).filter(
    # the torso must have some length, or no scale exists
    lambda k: (
        np.linalg.norm(k[INDEX["left_shoulder"]] - k[INDEX["left_hip"]]) > 5
        and np.linalg.norm(k[INDEX["right_shoulder"]] - k[INDEX["right_hip"]]) > 5
    )
)


def rotate(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return points @ np.array([[c, -s], [s, c]], np.float32).T


@settings(max_examples=80, deadline=None)
@given(pose=poses, shift=arrays(np.float32, (2,), elements=coords))
def test_translation_invariant(pose: np.ndarray, shift: np.ndarray):
    a = pose_features(pose).distances
    b = pose_features(pose + shift).distances
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)


@settings(max_examples=80, deadline=None)
@given(pose=poses, factor=st.floats(0.1, 10))
def test_scale_invariant(pose: np.ndarray, factor: float):
    a = pose_features(pose).distances
    b = pose_features(pose * np.float32(factor)).distances
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)


@settings(max_examples=80, deadline=None)
@given(pose=poses, angle=st.floats(-np.pi, np.pi))
def test_in_plane_rotation_invariant(pose: np.ndarray, angle: float):
    a = pose_features(pose).distances
    b = pose_features(rotate(pose, angle)).distances
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)


@settings(max_examples=50, deadline=None)
@given(pose=poses, scores=arrays(np.float32, (17,), elements=st.floats(0, 1, width=32)))
def test_mirror_twice_is_identity(pose: np.ndarray, scores: np.ndarray):
    features = pose_features(pose, scores)
    twice = features.mirrored().mirrored()
    np.testing.assert_array_equal(twice.distances, features.distances)
    np.testing.assert_array_equal(twice.weights, features.weights)
    kp, sc = mirror_keypoints(*mirror_keypoints(pose, scores, 640), 640)
    np.testing.assert_allclose(kp, pose, atol=1e-3)
    np.testing.assert_array_equal(sc, scores)


@settings(max_examples=50, deadline=None)
@given(pose=poses)
def test_mirror_of_features_equals_features_of_mirrored_pose(pose: np.ndarray):
    scores = np.ones(17, np.float32)
    flipped, flipped_scores = mirror_keypoints(pose, scores, 640)
    np.testing.assert_allclose(
        pose_features(pose).mirrored().distances,
        pose_features(flipped, flipped_scores).distances,
        rtol=1e-3,
        atol=1e-3,
    )


def test_there_are_136_distances_with_the_right_values():
    pose = np.zeros((17, 2), np.float32)
    pose[:, 0] = np.arange(17)  # joints on a line, 1 apart
    d = pairwise_distances(pose)
    assert d.shape == (NUM_PAIRS,) == (136,)
    np.testing.assert_allclose(d, PAIRS[:, 1] - PAIRS[:, 0])


def test_pair_flip_is_a_involutive_permutation_matching_joint_flip():
    assert sorted(PAIR_FLIP_INDEX) == list(range(136))
    np.testing.assert_array_equal(PAIR_FLIP_INDEX[PAIR_FLIP_INDEX], np.arange(136))
    for k, (i, j) in enumerate(PAIRS):
        assert set(PAIRS[PAIR_FLIP_INDEX[k]]) == {FLIP_INDEX[i], FLIP_INDEX[j]}


def test_low_confidence_joints_are_masked_on_every_pair():
    pose = np.random.default_rng(0).uniform(0, 100, (17, 2)).astype(np.float32)
    scores = np.ones(17, np.float32)
    scores[INDEX["left_ankle"]] = 0.1
    features = pose_features(pose, scores)
    touching = (INDEX["left_ankle"] == PAIRS).any(axis=1)
    assert (features.weights[0, touching] == 0).all()
    assert (features.distances[0, touching] == 0).all()
    assert (features.weights[0, ~touching] == 1).all()


def test_scale_is_the_torso_so_missing_feet_do_not_change_upper_body_distances():
    pose = np.random.default_rng(1).uniform(0, 100, (17, 2)).astype(np.float32)
    full = pose_features(pose)
    scores = np.ones(17, np.float32)
    for name in ("left_ankle", "right_ankle", "left_knee", "right_knee"):
        scores[INDEX[name]] = 0.0
    upper = pose_features(pose, scores)
    kept = upper.weights[0] > 0
    np.testing.assert_allclose(upper.distances[0, kept], full.distances[0, kept], rtol=1e-5)


def test_concat_puts_the_poses_one_after_another():
    rng = np.random.default_rng(4)
    a = pose_features(rng.uniform(0, 400, (3, 17, 2)), rng.uniform(0, 1, (3, 17)))
    b = pose_features(rng.uniform(0, 400, (2, 17, 2)), rng.uniform(0, 1, (2, 17)))
    both = PoseFeatures.concat([a, b.mirrored()])
    assert len(both) == 5
    np.testing.assert_array_equal(both.select(np.arange(3)).distances, a.distances)
    np.testing.assert_array_equal(both.select(np.arange(3, 5)).weights, b.mirrored().weights)
    np.testing.assert_array_equal(both.joint_weights[3:], b.mirrored().joint_weights)
