"""The 3-D pose distance that the encoder's pose-kernel term is trained towards."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posesim_cam.skeleton import FLIP_INDEX
from posesim_cam.training.model import pose_kernel_loss
from posesim_cam.training.pose_distance import normalised_poses, pose_distance_matrix

pytestmark = pytest.mark.torch


def _poses(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 30.0, (n, 17, 3)) + np.array([0.0, 100.0, 0.0])


def _turn(points: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return points @ rotation.T


def test_turning_moving_and_resizing_the_person_changes_nothing():
    points = _poses(6)
    heights = np.full(6, 170.0)
    moved = _turn(points, 2.3) * 1.2 + np.array([50.0, 0.0, -80.0])
    d = pose_distance_matrix(
        normalised_poses(points, heights), normalised_poses(moved, heights * 1.2)
    )
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-6)
    assert d[~np.eye(6, dtype=bool)].min() > 0.05  # other poses stay apart


def test_distance_is_the_rms_joint_distance_in_statures():
    p = np.zeros((1, 17, 3))
    q = p.copy()
    q[0, 0, 1] = 34.0  # one joint 34 cm higher (vertical: no turn can take it back)
    d = pose_distance_matrix(normalised_poses(p, [170.0]), normalised_poses(q, [170.0]))
    # The pelvis (mean of the hips) does not move; 34 cm of 170 is 0.2 over 1 of 17 joints.
    assert np.isclose(d[0, 0], np.sqrt(0.2**2 / 17))


def test_tilt_is_part_of_the_pose():
    points = _poses(1)
    c, s = np.cos(0.5), np.sin(0.5)
    leaned = points @ np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]).T
    d = pose_distance_matrix(normalised_poses(points, [170.0]), normalised_poses(leaned, [170.0]))
    assert d[0, 0] > 0.02


def test_mirror_images_match_only_when_asked():
    points = _poses(4)
    mirrored = (points * np.array([-1.0, 1.0, 1.0]))[:, FLIP_INDEX]
    p = normalised_poses(points, np.full(4, 170.0))
    q = normalised_poses(mirrored, np.full(4, 170.0))
    np.testing.assert_allclose(np.diag(pose_distance_matrix(p, q, mirror=True)), 0.0, atol=1e-6)
    assert np.diag(pose_distance_matrix(p, q)).min() > 0.05


def test_matrix_is_symmetric_with_a_zero_diagonal():
    p = normalised_poses(_poses(5), np.full(5, 170.0))
    d = pose_distance_matrix(p, mirror=True)
    np.testing.assert_allclose(d, d.T, atol=1e-9)
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-6)


def test_pose_kernel_loss_is_zero_when_cosines_equal_the_kernel():
    # Orthogonal latents of different poses, identical latents of the same pose.
    za = torch.eye(3)
    zb = torch.eye(3) * 2.0
    far = torch.full((3, 3), 10.0).fill_diagonal_(0.0)
    assert float(pose_kernel_loss(za, zb, far, 0.07)) < 1e-8
    # Two identical poses (distance 0) should have cosine 1, not 0: that pair costs 1 each way.
    near = far.clone()
    near[0, 1] = near[1, 0] = 0.0
    assert np.isclose(float(pose_kernel_loss(za, zb, near, 0.07)), 2.0 / 9.0)
