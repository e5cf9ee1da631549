"""Per-limb angle errors, checked with hand-made poses."""

from __future__ import annotations

import numpy as np
import pytest

from posesim_cam.scoring.limbs import limb_angle_errors, limb_warnings
from posesim_cam.skeleton import FLIP_INDEX, INDEX, LIMBS

LIMB_INDEX = {name: k for k, (name, _, _) in enumerate(LIMBS)}


def standing_pose() -> tuple[np.ndarray, np.ndarray]:
    """A front-facing person (image coordinates, y down), every joint confident.

    Deliberately asymmetric (left arm raised sideways, right arm down), so mirroring matters.
    The person's left side is on the image's right, as when they face the camera.
    """
    points = {
        "nose": (100, 40),
        "left_eye": (105, 35),
        "right_eye": (95, 35),
        "left_ear": (112, 38),
        "right_ear": (88, 38),
        "left_shoulder": (125, 70),
        "right_shoulder": (75, 70),
        "left_elbow": (160, 70),
        "right_elbow": (70, 110),
        "left_wrist": (195, 70),
        "right_wrist": (68, 150),
        "left_hip": (115, 150),
        "right_hip": (85, 150),
        "left_knee": (118, 200),
        "right_knee": (82, 200),
        "left_ankle": (120, 250),
        "right_ankle": (80, 250),
    }
    keypoints = np.array([points[name] for name in INDEX], np.float32)
    return keypoints, np.ones(17, np.float32)


def rotate_about(points: np.ndarray, centre: np.ndarray, degrees: float) -> np.ndarray:
    angle = np.radians(degrees)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return (points - centre) @ rot.T + centre


def test_identical_poses_have_zero_error_everywhere() -> None:
    kp, sc = standing_pose()
    errors = limb_angle_errors(kp, sc, kp, sc, mirrored=False)
    assert errors.shape == (len(LIMBS),)
    assert errors.dtype == np.float32
    np.testing.assert_allclose(errors, 0.0, atol=1e-3)
    assert not limb_warnings(errors).any()


def test_translation_and_scale_do_not_matter() -> None:
    kp, sc = standing_pose()
    target = kp * 2.5 + np.array([300.0, -40.0], np.float32)
    np.testing.assert_allclose(limb_angle_errors(kp, sc, target, sc), 0.0, atol=1e-3)


def test_one_forearm_rotated_by_90_degrees() -> None:
    kp, sc = standing_pose()
    user = kp.copy()
    elbow = kp[INDEX["left_elbow"]]
    user[INDEX["left_wrist"]] = rotate_about(kp[INDEX["left_wrist"]][None], elbow, 90.0)[0]
    errors = limb_angle_errors(user, sc, kp, sc, mirrored=False)
    forearm = LIMB_INDEX["left_forearm"]
    assert errors[forearm] == pytest.approx(90.0, abs=1e-3)
    others = np.delete(errors, forearm)
    np.testing.assert_allclose(others, 0.0, atol=1e-3)
    warned = limb_warnings(errors)
    assert warned[forearm]
    assert warned.sum() == 1


def test_error_is_unsigned_and_reaches_180() -> None:
    kp, sc = standing_pose()
    user = kp.copy()
    elbow = kp[INDEX["right_elbow"]]
    user[INDEX["right_wrist"]] = rotate_about(kp[INDEX["right_wrist"]][None], elbow, -120.0)[0]
    assert limb_angle_errors(user, sc, kp, sc)[LIMB_INDEX["right_forearm"]] == pytest.approx(120.0)
    user[INDEX["right_wrist"]] = 2 * elbow - kp[INDEX["right_wrist"]]  # pointing the other way
    assert limb_angle_errors(user, sc, kp, sc)[LIMB_INDEX["right_forearm"]] == pytest.approx(180.0)


def test_mirrored_follower_matches_the_reflected_target() -> None:
    target, sc = standing_pose()
    # What a follower who mirrors the target looks like on camera: the image reflected.
    # Reflecting moves the target's raised left arm to the image's left, where the follower's
    # right arm is; the follower's joint labels stay anatomical, so relabel left <-> right.
    follower = target[FLIP_INDEX] * np.array([-1.0, 1.0], np.float32) + np.array([400.0, 0.0])
    mirrored = limb_angle_errors(follower, sc, target, sc, mirrored=True)
    np.testing.assert_allclose(mirrored, 0.0, atol=1e-3)
    # Compared without mirroring the raised arm is on the wrong side: both arms are far off.
    plain = limb_angle_errors(follower, sc, target, sc, mirrored=False)
    for limb in ("left_upper_arm", "right_upper_arm", "left_forearm", "right_forearm"):
        assert plain[LIMB_INDEX[limb]] > 45.0, limb


def test_mirrored_rotation_is_reported_on_the_users_own_limb() -> None:
    target, sc = standing_pose()
    follower = target[FLIP_INDEX] * np.array([-1.0, 1.0], np.float32)
    elbow = follower[INDEX["right_elbow"]]
    follower[INDEX["right_wrist"]] = rotate_about(
        follower[INDEX["right_wrist"]][None], elbow, 60.0
    )[0]
    errors = limb_angle_errors(follower, sc, target, sc, mirrored=True)
    assert errors[LIMB_INDEX["right_forearm"]] == pytest.approx(60.0, abs=1e-3)
    np.testing.assert_allclose(np.delete(errors, LIMB_INDEX["right_forearm"]), 0.0, atol=1e-3)


def test_missing_joints_give_nan_and_no_warning() -> None:
    kp, sc = standing_pose()
    user_scores = sc.copy()
    user_scores[INDEX["left_wrist"]] = 0.1  # below the 0.3 cut
    target_scores = sc.copy()
    target_scores[INDEX["right_knee"]] = 0.0
    errors = limb_angle_errors(kp, user_scores, kp, target_scores)
    nan_limbs = {name for name, k in LIMB_INDEX.items() if np.isnan(errors[k])}
    assert nan_limbs == {"left_forearm", "right_thigh", "right_shin"}
    assert not limb_warnings(errors).any()
    np.testing.assert_allclose(errors[~np.isnan(errors)], 0.0, atol=1e-3)


def test_mirroring_relabels_missing_joints_too() -> None:
    kp, sc = standing_pose()
    target_scores = sc.copy()
    target_scores[INDEX["left_ankle"]] = 0.0
    errors = limb_angle_errors(kp, sc, kp, target_scores, mirrored=True)
    # The target's left shin, mirrored, is compared with the user's right shin.
    assert np.isnan(errors[LIMB_INDEX["right_shin"]])
    assert not np.isnan(errors[LIMB_INDEX["left_shin"]])


def test_warning_threshold() -> None:
    errors = np.array([10.0, 34.9, 35.1, np.nan, 179.0] + [0.0] * (len(LIMBS) - 5), np.float32)
    warned = limb_warnings(errors)
    assert warned.dtype == bool
    assert warned.tolist()[:5] == [False, False, True, False, True]
    assert limb_warnings(errors, threshold_degrees=5.0).tolist()[:5] == [
        True,
        True,
        True,
        False,
        True,
    ]


def test_bad_shapes_are_rejected() -> None:
    kp, sc = standing_pose()
    with pytest.raises(ValueError):
        limb_angle_errors(kp[:16], sc[:16], kp, sc)
