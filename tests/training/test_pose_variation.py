"""New training poses from recorded ones: limbs turned, upper body leant, bones kept."""

from __future__ import annotations

import numpy as np

from posesim_cam.skeleton import INDEX, LIMBS
from posesim_cam.training.pose_variation import (
    PoseVariation,
    mix_limbs,
    random_rotations,
    torso_frames,
    vary_poses,
)


def _poses(n: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    return (rng.normal(0.0, 30.0, (n, 17, 3)) + np.array([0.0, 100.0, 0.0])).astype(np.float32)


def _bone_lengths(points: np.ndarray) -> np.ndarray:
    # Every bone but the flanks (shoulder to hip), which a lean of the spine bends.
    limb_joints = [(i, j) for name, i, j in LIMBS if "flank" not in name]
    return np.stack(
        [np.linalg.norm(points[:, i] - points[:, j], axis=1) for i, j in limb_joints], 1
    )


def test_rotations_are_rotations_with_the_asked_spread():
    r = random_rotations(np.random.default_rng(0), 4000, 20.0)
    np.testing.assert_allclose(
        r @ r.transpose(0, 2, 1), np.broadcast_to(np.eye(3), r.shape), atol=1e-9
    )
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-9)
    angle = np.degrees(np.arccos(np.clip((np.trace(r, axis1=1, axis2=2) - 1) / 2, -1, 1)))
    # |N(0, 20)| has mean 20 * sqrt(2 / pi) = 15.96 degrees.
    assert abs(angle.mean() - 15.96) < 0.6


def test_no_variation_changes_nothing_and_draws_nothing():
    points = _poses(8)
    rng = np.random.default_rng(5)
    out = vary_poses(points, rng, PoseVariation(p=0.0))
    np.testing.assert_array_equal(out, points)
    assert rng.random() == np.random.default_rng(5).random()


def test_varied_poses_keep_bones_hips_and_the_unchosen_poses():
    points = _poses(200)
    out = vary_poses(points, np.random.default_rng(2), PoseVariation(p=0.5))
    np.testing.assert_allclose(_bone_lengths(out), _bone_lengths(points), rtol=1e-4, atol=1e-3)
    hips = [INDEX["left_hip"], INDEX["right_hip"]]
    np.testing.assert_allclose(out[:, hips], points[:, hips], atol=1e-4)
    moved = np.abs(out - points).max(axis=(1, 2)) > 1e-3
    assert 0.35 < moved.mean() < 0.65  # about half the poses varied
    wrist = INDEX["left_wrist"]
    shift = np.linalg.norm(out[moved, wrist] - points[moved, wrist], axis=1)
    assert np.median(shift) > 5.0  # centimetres: a visible change of pose


def _limb_direction_in_body(points: np.ndarray, a: str, b: str) -> np.ndarray:
    d = points[:, INDEX[b]] - points[:, INDEX[a]]
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return np.einsum("nij,nj->ni", torso_frames(points), d)


def test_mixed_limbs_take_the_donors_direction_and_keep_their_own_lengths():
    points, donors = _poses(400).astype(np.float64), _poses(401)[1:].astype(np.float64)
    chosen = np.arange(400) < 300
    out = mix_limbs(points, donors, chosen, np.random.default_rng(3))
    np.testing.assert_allclose(_bone_lengths(out), _bone_lengths(points), rtol=1e-9)
    torso = [INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
    np.testing.assert_array_equal(out[:, torso], points[:, torso])
    np.testing.assert_array_equal(out[~chosen], points[~chosen])
    for a, b, c in (
        ("left_shoulder", "left_elbow", "left_wrist"),
        ("right_hip", "right_knee", "right_ankle"),
    ):
        taken = np.any(out[:, INDEX[c]] != points[:, INDEX[c]], axis=1)
        assert 0.35 < taken[chosen].mean() < 0.65  # each limb with probability 1/2
        for x, y in ((a, b), (b, c)):
            np.testing.assert_allclose(
                _limb_direction_in_body(out, x, y)[taken],
                _limb_direction_in_body(donors, x, y)[taken],
                atol=1e-9,
            )


def test_a_pose_mixed_with_itself_is_unchanged():
    points = _poses(20).astype(np.float64)
    out = mix_limbs(points, points, np.ones(20, bool), np.random.default_rng(0))
    np.testing.assert_allclose(out, points, atol=1e-9)
