"""Mocap training data: BVH parsing and FK, COCO-17 mapping, rendering, augmentation."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from posesim_cam.errors import UserError
from posesim_cam.skeleton import FLIP_INDEX, INDEX, LIMBS, NUM_KEYPOINTS
from posesim_cam.training import augment
from posesim_cam.training.bvh import BVHFormatError, Motion, euler_to_matrix, load_bvh, parse_bvh
from posesim_cam.training.mocap import (
    BODY_JOINTS,
    FRONT,
    HEAD_JOINT,
    HEAD_PITCH_DEG,
    HEAD_POINTS_LOCAL,
    coco3d_from_motion,
    face_points_local,
    facing_directions,
    first_frame_is_tpose,
    look_at,
    random_cameras,
    render_views,
    render_views_with_scores,
    stature,
)

HIP_L, HIP_R = INDEX["left_hip"], INDEX["right_hip"]
SH_L, SH_R = INDEX["left_shoulder"], INDEX["right_shoulder"]


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def mocap_dir(testdata: Path) -> Path:
    return testdata / "mocap"


@pytest.fixture(scope="module")
def dance(mocap_dir: Path) -> Motion:
    """005_09: modern dance, root CC_Base_Hip, no T-pose frame."""
    return load_bvh(mocap_dir / "005_09.bvh")


@pytest.fixture(scope="module")
def walk(mocap_dir: Path) -> Motion:
    """002_01: a walk; this file's root is RL_BoneRoot (Z-up, rotated -90 deg about X)."""
    return load_bvh(mocap_dir / "002_01.bvh")


@pytest.fixture(scope="module")
def tpose_clip(mocap_dir: Path) -> Motion:
    """007_03: a walk that starts with a rest T-pose frame at the origin."""
    return load_bvh(mocap_dir / "007_03.bvh")


@pytest.fixture(scope="module")
def tpose_points(tpose_clip: Motion) -> np.ndarray:
    """(17, 3) COCO points of the T-pose frame, cm."""
    return coco3d_from_motion(tpose_clip, fps=tpose_clip.fps, skip_tpose=False)[0]


@pytest.fixture(scope="module")
def walk_points(walk: Motion) -> np.ndarray:
    return coco3d_from_motion(walk, fps=30.0)


def _header(path: Path) -> tuple[int, float, list[list[str]]]:
    text = path.read_text()
    frames = int(re.search(r"Frames:\s*(\d+)", text).group(1))
    frame_time = float(re.search(r"Frame Time:\s*([\d.eE+-]+)", text).group(1))
    channels = [line.split()[2:] for line in text.splitlines() if "CHANNELS" in line]
    return frames, frame_time, channels


def _bone_lengths(motion: Motion, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, J-1) distances child-parent from FK, and (J-1,) offset norms."""
    child = np.flatnonzero(motion.parents >= 0)
    parent = motion.parents[child]
    lengths = np.linalg.norm(positions[:, child] - positions[:, parent], axis=-1)
    return lengths, np.linalg.norm(motion.offsets[child], axis=-1)


# ------------------------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("name", "root", "root_offset_y"),
    [("005_09", "CC_Base_Hip", 105.214226), ("002_01", "RL_BoneRoot", 0.0)],
)
def test_bvh_header_matches_file(
    mocap_dir: Path, name: str, root: str, root_offset_y: float
) -> None:
    path = mocap_dir / f"{name}.bvh"
    motion = load_bvh(path)
    frames, frame_time, channels = _header(path)
    assert motion.num_frames == frames
    assert motion.frame_time == pytest.approx(frame_time)
    assert motion.frame_time == pytest.approx(1 / 60, rel=1e-4)
    assert motion.names[0] == root
    assert motion.offsets[0, 1] == pytest.approx(root_offset_y)
    assert motion.channels[0] == (
        "Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation",
    )  # fmt: skip
    declared = [c for c in motion.channels if c]
    assert [list(c) for c in declared] == channels
    assert motion.frames.shape == (frames, sum(len(c) for c in channels))
    assert "CC_Base_Head" in motion.names
    assert all(name in motion.names for name in BODY_JOINTS.values())
    # End Sites are kept as channel-less leaves.
    assert motion.is_end_site.sum() > 10
    assert all(motion.channels[j] == () for j in np.flatnonzero(motion.is_end_site))


def test_values_land_in_declared_channels(dance: Motion) -> None:
    """First frame of 005_09: the root's first six numbers are X/Y/Z position, Z/Y/X rotation."""
    first = dance.frames[0, :6]
    assert first == pytest.approx([-0.078607, -3.151627, 1.371259, -3.621435, -7.866813, 30.644806])
    pelvis = dance.index("CC_Base_Pelvis")
    start = dance.channel_starts[pelvis]
    assert dance.frames[0, start : start + 3] == pytest.approx([0.000077, -0.000016, 11.770350])


def test_largest_bvh_parses_fast(mocap_dir: Path) -> None:
    largest = max(mocap_dir.glob("*.bvh"), key=lambda p: p.stat().st_size)
    assert largest.stat().st_size > 3_000_000
    start = time.perf_counter()
    motion = load_bvh(largest)
    elapsed = time.perf_counter() - start
    assert motion.num_frames > 1000
    assert elapsed < 1.5, f"{largest.name} took {elapsed:.2f} s"


def test_malformed_bvh_is_a_clear_error(mocap_dir: Path) -> None:
    text = (mocap_dir / "002_03.bvh").read_text()
    with pytest.raises(BVHFormatError, match="expected 86 frames"):
        parse_bvh(text[: len(text) - 500])
    with pytest.raises(BVHFormatError, match="MOTION"):
        parse_bvh(text.split("MOTION")[0])
    with pytest.raises(BVHFormatError):
        load_bvh(mocap_dir / "does_not_exist.bvh")


# ---------------------------------------------------------------------- forward kinematics


TINY_BVH = """HIERARCHY
ROOT root
{{
  OFFSET 1 2 3
  CHANNELS 6 Xposition Yposition Zposition {root_order}
  JOINT child
  {{
    OFFSET 0 10 0
    CHANNELS 3 {child_order}
    End Site
    {{
      OFFSET 0 0 5
    }}
  }}
}}
MOTION
Frames: 2
Frame Time: 0.5
0 0 0 0 0 0 0 0 0
10 20 30 {root_angles} {child_angles}
"""


@pytest.mark.parametrize("order", ["ZYX", "XYZ", "YXZ"])
def test_declared_channel_order_is_honoured(order: str) -> None:
    declared = " ".join(f"{axis}rotation" for axis in order)
    root_angles = np.array([30.0, -50.0, 70.0])
    child_angles = np.array([-20.0, 15.0, 40.0])
    text = TINY_BVH.format(
        root_order=declared,
        child_order=declared,
        root_angles=" ".join(map(str, root_angles)),
        child_angles=" ".join(map(str, child_angles)),
    )
    motion = parse_bvh(text)
    assert motion.names == ["root", "child", "child_End"]
    assert motion.frame_time == 0.5
    rot, pos = motion.world_transforms()
    # Rest frame: offsets add up.
    assert pos[0] == pytest.approx(np.array([[1, 2, 3], [1, 12, 3], [1, 12, 8]]))

    def matrix(angles: np.ndarray) -> np.ndarray:
        out = np.eye(3)
        for axis, angle in zip(order, np.deg2rad(angles), strict=True):
            c, s = np.cos(angle), np.sin(angle)
            m = {
                "X": [[1, 0, 0], [0, c, -s], [0, s, c]],
                "Y": [[c, 0, s], [0, 1, 0], [-s, 0, c]],
                "Z": [[c, -s, 0], [s, c, 0], [0, 0, 1]],
            }[axis]
            out = out @ np.array(m)
        return out

    r_root = matrix(root_angles)
    r_child = r_root @ matrix(child_angles)
    root_pos = np.array([11.0, 22.0, 33.0])
    child_pos = root_pos + r_root @ [0, 10, 0]
    assert rot[1, 0] == pytest.approx(r_root)
    assert rot[1, 1] == pytest.approx(r_child)
    assert pos[1, 1] == pytest.approx(child_pos)
    assert pos[1, 2] == pytest.approx(child_pos + r_child @ [0, 0, 5])
    with pytest.raises(UserError, match="CC_Base"):
        coco3d_from_motion(motion)


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (4, 3), elements=st.floats(-360, 360)),
    st.sampled_from(["XYZ", "ZYX", "YZX", "XZY"]),
)
def test_euler_matrices_are_rotations(angles: np.ndarray, axes: str) -> None:
    r = euler_to_matrix(angles, axes)
    assert r.shape == (4, 3, 3)
    np.testing.assert_allclose(
        r @ np.swapaxes(r, -1, -2), np.broadcast_to(np.eye(3), r.shape), atol=1e-12
    )
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-12)


def test_tpose_frame_bone_lengths_equal_offsets(tpose_clip: Motion) -> None:
    positions = tpose_clip.world_transforms(slice(0, 1))[1]
    lengths, offsets = _bone_lengths(tpose_clip, positions)
    np.testing.assert_allclose(lengths[0], offsets, rtol=1e-9, atol=1e-9)
    thigh, calf = tpose_clip.index("CC_Base_L_Thigh"), tpose_clip.index("CC_Base_L_Calf")
    assert np.linalg.norm(positions[0, calf] - positions[0, thigh]) == pytest.approx(
        np.linalg.norm([-0.214775, 47.666340, -0.325811]), rel=1e-6
    )
    # It really is a T-pose: level arms, hands far apart, standing upright facing +Z.
    assert first_frame_is_tpose(tpose_clip)
    p = tpose_clip.world_positions([0], ["CC_Base_L_Hand", "CC_Base_R_Hand", "CC_Base_Head"])[0]
    assert abs(p[0, 1] - p[1, 1]) < 1.0
    assert np.linalg.norm(p[0] - p[1]) > 130.0
    assert p[2, 1] > 160.0


def test_fk_is_rigid_over_a_walk(walk: Motion) -> None:
    positions = walk.world_transforms()[1]
    lengths, offsets = _bone_lengths(walk, positions)
    long_bones = offsets > 1.0  # twist/share bones have ~1e-5 cm offsets; compare real bones
    rel = np.abs(lengths[:, long_bones] - offsets[long_bones]) / offsets[long_bones]
    assert rel.max() < 1e-3
    # world_positions is float32 FK of the same thing, and joint subsets agree with the full set.
    sub = walk.world_positions(slice(10, 20), ["CC_Base_Head", "CC_Base_L_Foot"])
    assert sub.dtype == np.float32 and sub.shape == (10, 2, 3)
    full = positions[10:20, [walk.index("CC_Base_Head"), walk.index("CC_Base_L_Foot")]]
    np.testing.assert_allclose(sub, full, atol=1e-3)


def test_walk_is_upright_and_moves_forward(walk: Motion) -> None:
    p = walk.world_positions(None, [HEAD_JOINT, "CC_Base_Hip", "CC_Base_L_Foot", "CC_Base_R_Foot"])
    head_y, hip_y, feet_y = p[:, 0, 1], p[:, 1, 1], p[:, 2:, 1].min(axis=1)
    assert np.mean(head_y > hip_y) > 0.95
    height = head_y - feet_y  # head joint over the lower ankle: rigid body, constant-ish
    assert 140 < height.mean() < 175
    assert np.ptp(height) / height.mean() < 0.05
    # The Z-up RL_BoneRoot file still comes out Y-up, walking towards +Z at walking speed.
    speed = np.linalg.norm(p[-1, 1, [0, 2]] - p[0, 1, [0, 2]]) / (walk.num_frames / 60)
    assert 0.8 < speed / 100 < 2.0
    assert p[-1, 1, 2] - p[0, 1, 2] > 200


# ------------------------------------------------------------------------------ COCO mapping


def test_coco3d_resamples_and_skips_tpose(tpose_clip: Motion, walk: Motion) -> None:
    assert not first_frame_is_tpose(walk)
    out = coco3d_from_motion(tpose_clip, fps=30.0)
    kept = tpose_clip.num_frames - 1
    assert out.shape == ((kept - 1) // 2 + 1, NUM_KEYPOINTS, 3)
    assert out.dtype == np.float32
    # 60 -> 30 fps takes every other source frame exactly, starting after the T-pose.
    joints = [BODY_JOINTS["left_knee"], BODY_JOINTS["right_wrist"]]
    direct = tpose_clip.world_positions(slice(1, None, 2), joints)
    np.testing.assert_allclose(
        out[:, [INDEX["left_knee"], INDEX["right_wrist"]]], direct, atol=1e-3
    )
    # At 60 fps nothing is dropped but the T-pose; at 24 fps frames are interpolated.
    assert len(coco3d_from_motion(tpose_clip, fps=60.0)) == kept
    assert len(coco3d_from_motion(tpose_clip, fps=24.0)) == int((kept - 1) / 60 * 24) + 1


def test_face_points_follow_the_head(dance: Motion) -> None:
    """Synthetic eyes sit on the skeleton's own eyeballs (CC_Base_L_Eye), left on left, once
    those are turned up with the face by HEAD_PITCH_DEG about the head joint."""
    points = coco3d_from_motion(dance, fps=60.0)
    eyeballs = dance.world_positions(None, ["CC_Base_L_Eye", "CC_Base_R_Eye"])
    rotation, position = dance.world_transforms(None, ["CC_Base_Head"])
    head_rot, head_pos = rotation[:, 0], position[:, 0]
    t = np.radians(HEAD_PITCH_DEG)
    pitch = np.array([[1, 0, 0], [0, np.cos(t), np.sin(t)], [0, -np.sin(t), np.cos(t)]])
    local = np.einsum("tji,tej->tei", head_rot, eyeballs - head_pos[:, None])  # head frame
    eyes = head_pos[:, None] + np.einsum("tij,jk,tek->tei", head_rot, pitch, local)
    left_err = np.linalg.norm(points[:, INDEX["left_eye"]] - eyes[:, 0], axis=-1)
    right_err = np.linalg.norm(points[:, INDEX["right_eye"]] - eyes[:, 1], axis=-1)
    assert left_err.max() < 1.5 and right_err.max() < 1.5
    swapped = np.linalg.norm(points[:, INDEX["left_eye"]] - eyes[:, 1], axis=-1)
    assert swapped.min() > 5.0
    # Nose in front of the ears along the facing direction, in every frame.
    facing = facing_directions(points)
    ears = (points[:, INDEX["left_ear"]] + points[:, INDEX["right_ear"]]) / 2
    assert np.all(np.einsum("ti,ti->t", points[:, INDEX["nose"]] - ears, facing) > 2.0)


def test_face_points_turn_up_rigidly_about_the_head_joint() -> None:
    rest, turned = face_points_local(0.0), face_points_local(HEAD_PITCH_DEG)
    assert turned == HEAD_POINTS_LOCAL
    a, b = np.array(list(rest.values())), np.array(list(turned.values()))
    # A rotation about the head joint: distances to it and between points are kept.
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1), atol=1e-9)
    np.testing.assert_allclose(
        np.linalg.norm(a[:, None] - a[None], axis=-1),
        np.linalg.norm(b[:, None] - b[None], axis=-1),
        atol=1e-9,
    )
    np.testing.assert_array_equal(a[:, 0], b[:, 0])  # about the left-right axis
    # Turned up: the nose (in front of the joint) rises, the ears (just behind it) barely move.
    t = np.radians(HEAD_PITCH_DEG)
    y, z = rest["nose"][1:]
    assert turned["nose"][1] - y == pytest.approx(z * np.sin(t) - y * (1 - np.cos(t)))
    assert turned["nose"][1] - y > 2.5
    assert abs(turned["left_ear"][1] - rest["left_ear"][1]) < 0.5


def test_actors_face_plus_z_in_the_tpose(tpose_points: np.ndarray) -> None:
    assert facing_directions(tpose_points) == pytest.approx(FRONT, abs=0.02)
    assert tpose_points[INDEX["nose"], 2] > tpose_points[INDEX["left_ear"], 2] + 5
    # The person's left ("L" joints) is +X when facing +Z with Y up.
    assert tpose_points[SH_L, 0] > tpose_points[SH_R, 0] + 30
    assert 175 < stature(tpose_points) < 195


# -------------------------------------------------------------------------------- rendering


def test_front_camera_sees_left_shoulder_on_the_right(tpose_points: np.ndarray) -> None:
    """A camera in front of a person facing it sees their left side at larger image x."""
    center = tpose_points.mean(axis=0)
    front = look_at(center + 350 * FRONT, center, focal=500.0)
    behind = look_at(center - 350 * FRONT, center, focal=500.0)
    kp = render_views(tpose_points[None], [front, behind])[:, 0]
    for left, right in [
        ("left_shoulder", "right_shoulder"),
        ("left_wrist", "right_wrist"),
        ("left_eye", "right_eye"),
        ("left_hip", "right_hip"),
    ]:
        assert kp[0, INDEX[left], 0] > kp[0, INDEX[right], 0] + 2
        assert kp[1, INDEX[left], 0] < kp[1, INDEX[right], 0] - 2
    # Image y points down: the head is above (smaller y than) the hips and ankles.
    assert kp[0, INDEX["nose"], 1] < kp[0, HIP_L, 1] < kp[0, INDEX["left_ankle"], 1]
    # random_cameras with yaw 0 is the front camera; yaw 90 is on the person's left (+X).
    cams = random_cameras(
        np.random.default_rng(0), 1, tpose_points[None], yaw_range=(0, 0), pitch_range=(0, 0)
    )
    assert cams[0].position[2] > center[2] + 100
    assert (
        render_views(tpose_points[None], cams)[0, 0, SH_L, 0]
        > render_views(tpose_points[None], cams)[0, 0, SH_R, 0]
    )
    side = random_cameras(
        np.random.default_rng(0), 1, tpose_points[None], yaw_range=(90, 90), pitch_range=(0, 0)
    )[0]
    assert side.position[0] > center[0] + 100


def test_sensible_camera_keeps_the_walk_in_the_image(walk_points: np.ndarray) -> None:
    hips = walk_points[:, [HIP_L, HIP_R]].mean(axis=(0, 1))
    target = np.array([hips[0], 90.0, hips[2]])
    # 6 m away, 30 degrees to the side, a 640x480 webcam: the whole 2.5 m walk fits.
    eye = target + 600 * np.array([np.sin(np.pi / 6), 0.1, np.cos(np.pi / 6)])
    cam = look_at(eye, target, focal=450.0, width=640, height=480)
    kp, scores = render_views_with_scores(walk_points, [cam])
    assert kp.shape == (1, len(walk_points), NUM_KEYPOINTS, 2)
    assert np.all(scores == 1.0)
    assert np.all((kp[..., 0] > 0) & (kp[..., 0] < 640) & (kp[..., 1] > 0) & (kp[..., 1] < 480))
    # A person 1.7-1.9 m tall at ~6 m with f=450 px is ~130-140 px tall.
    tall = kp[0, :, INDEX["left_ankle"], 1] - kp[0, :, INDEX["nose"], 1]
    assert 100 < np.median(tall) < 160


def test_random_cameras_frame_the_person(walk_points: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    cams = random_cameras(rng, 24, walk_points)
    kp, scores = render_views_with_scores(walk_points, cams, follow=True)
    assert kp.shape == (24, len(walk_points), NUM_KEYPOINTS, 2)
    assert scores.shape == kp.shape[:-1] and np.all(scores == 1.0)
    sizes = np.array([[c.width, c.height] for c in cams], np.float32)[:, None, None, :]
    inside = np.all((kp >= 0) & (kp <= sizes), axis=-1)
    assert inside.mean() > 0.99
    heights = np.median(kp[..., INDEX["left_ankle"], 1] - kp[..., INDEX["nose"], 1], axis=1)
    assert np.all(heights > 40) and np.all(heights < 0.9 * sizes[:, 0, 0, 1])


@settings(max_examples=40, deadline=None)
@given(
    yaw=st.floats(-180, 180),
    pitch=st.floats(-60, 60),
    distance=st.floats(1, 8),
    focal=st.floats(200, 2000),
)
def test_cameras_are_proper_and_aimed(
    tpose_points: np.ndarray, yaw: float, pitch: float, distance: float, focal: float
) -> None:
    rng = np.random.default_rng(0)
    cam = random_cameras(
        rng,
        1,
        tpose_points[None],
        yaw_range=(yaw, yaw),
        pitch_range=(pitch, pitch),
        distance_range=(distance, distance),
        focal_range=(focal, focal),
    )[0]
    r = cam.rotation
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(r) == pytest.approx(1.0)
    assert r[0, 1] == pytest.approx(0.0, abs=1e-9)  # level: image x stays horizontal
    # The person's centre projects to the image centre.
    hips = tpose_points[[HIP_L, HIP_R]].mean(axis=0)
    mid_y = (tpose_points[:, 1].max() + tpose_points[:, 1].min()) / 2
    center = cam.project(np.array([hips[0], mid_y, hips[2]]))
    assert center == pytest.approx(cam.principal_point, abs=1e-3)


# ------------------------------------------------------------------------------ augmentation


@pytest.fixture(scope="module")
def walk_2d(walk_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 17, 2) front-ish render of the walk and its (T, 17) scores."""
    cam = random_cameras(
        np.random.default_rng(1), 1, walk_points, yaw_range=(20, 20), pitch_range=(5, 5)
    )[0]
    kp, scores = render_views_with_scores(walk_points, [cam], follow=True)
    return kp[0], scores[0]


def test_augmentations_keep_shapes(walk_2d: tuple[np.ndarray, np.ndarray]) -> None:
    kp, sc = walk_2d
    rng = np.random.default_rng(3)
    for out in (augment.jitter(kp, rng), augment.tilt(kp, rng), augment.mirror(kp, 320.0)):
        assert out.shape == kp.shape and out.dtype == np.float32
    for fn in (augment.drop_joints, augment.cut_lower_body, augment.swap_left_right):
        out_kp, out_sc = fn(kp, sc, rng)
        assert out_kp.shape == kp.shape and out_sc.shape == sc.shape
    out_kp, out_sc = augment.augment_sequence(kp, sc, rng)
    assert out_kp.shape == kp.shape and out_sc.shape == sc.shape
    assert set(np.unique(out_sc)) <= {0.0, 1.0}
    # Same seed, same result; inputs untouched.
    a = augment.augment_sequence(kp, sc, np.random.default_rng(5))
    b = augment.augment_sequence(kp, sc, np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(sc, walk_2d[1])


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float32, (3, NUM_KEYPOINTS, 2), elements=st.floats(-1000, 1000, width=32)),
    st.floats(-500, 500),
)
def test_mirror_twice_is_identity(points: np.ndarray, center_x: float) -> None:
    twice = augment.mirror(augment.mirror(points, center_x), center_x)
    np.testing.assert_allclose(twice, points, atol=1e-3)
    scores = np.arange(NUM_KEYPOINTS, dtype=np.float32)
    np.testing.assert_array_equal(augment.mirror_scores(augment.mirror_scores(scores)), scores)


def test_mirror_reflects_and_relabels(tpose_points: np.ndarray, walk_2d: tuple) -> None:
    center = tpose_points.mean(axis=0)
    cam = look_at(center + 350 * FRONT, center, focal=500.0)
    kp = render_views(tpose_points[None], [cam])[0, 0]
    mirrored = augment.mirror(kp, center_x=320.0)
    # The mirror image's left shoulder is the original right shoulder reflected ...
    assert mirrored[SH_L, 0] == pytest.approx(640.0 - kp[SH_R, 0])
    assert mirrored[SH_L, 1] == pytest.approx(kp[SH_R, 1])
    # ... so a mirrored front view is still a front view (left at larger x), and a symmetric
    # T-pose centred in the picture mirrors onto itself.
    assert mirrored[SH_L, 0] > mirrored[SH_R, 0]
    np.testing.assert_allclose(mirrored, kp, atol=3.0)
    # An asymmetric pose changes: in a walk the leading foot moves to the other leg.
    walk_kp = walk_2d[0]
    ankle_gap = walk_kp[:, INDEX["left_ankle"], 1] - walk_kp[:, INDEX["right_ankle"], 1]
    mirrored_walk = augment.mirror(walk_kp, center_x=320.0)
    mirrored_gap = (
        mirrored_walk[:, INDEX["left_ankle"], 1] - mirrored_walk[:, INDEX["right_ankle"], 1]
    )
    np.testing.assert_allclose(mirrored_gap, -ankle_gap, atol=1e-3)
    assert np.all(FLIP_INDEX[FLIP_INDEX] == np.arange(NUM_KEYPOINTS))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.2), st.floats(0.0, 0.15))
def test_bone_length_variation_stays_in_bounds(
    tpose_points: np.ndarray, seed: int, limb_range: float, height_range: float
) -> None:
    rng = np.random.default_rng(seed)
    varied = augment.vary_bone_lengths(tpose_points, rng, limb_range, height_range)
    assert varied.shape == tpose_points.shape
    lo = (1 - height_range) * (1 - limb_range) - 1e-4
    hi = (1 + height_range) * (1 + limb_range) + 1e-4
    for _, a, b in LIMBS:
        before = np.linalg.norm(tpose_points[a] - tpose_points[b])
        after = np.linalg.norm(varied[a] - varied[b])
        if before > 5.0:  # face segments are tiny; ratio noise is not the point
            assert lo <= after / before <= hi
    # Pelvis centre stays put.
    np.testing.assert_allclose(
        varied[[HIP_L, HIP_R]].mean(0), tpose_points[[HIP_L, HIP_R]].mean(0), atol=1e-3
    )


def test_bone_scales_change_what_they_name(walk_points: np.ndarray) -> None:
    same = augment.scale_bones(walk_points, {})
    np.testing.assert_allclose(same, walk_points, atol=1e-3)
    longer = augment.scale_bones(walk_points, {"forearm": 1.15, "thigh": 0.9})

    def seg(p: np.ndarray, a: str, b: str) -> np.ndarray:
        return np.linalg.norm(p[:, INDEX[a]] - p[:, INDEX[b]], axis=-1)

    ratio = seg(longer, "left_elbow", "left_wrist") / seg(walk_points, "left_elbow", "left_wrist")
    np.testing.assert_allclose(ratio, 1.15, rtol=1e-4)
    ratio = seg(longer, "right_hip", "right_knee") / seg(walk_points, "right_hip", "right_knee")
    np.testing.assert_allclose(ratio, 0.9, rtol=1e-4)
    ratio = seg(longer, "left_shoulder", "left_elbow") / seg(
        walk_points, "left_shoulder", "left_elbow"
    )
    np.testing.assert_allclose(ratio, 1.0, rtol=1e-4)
    # Directions are kept: the shin still points the same way.
    d0 = walk_points[:, INDEX["left_ankle"]] - walk_points[:, INDEX["left_knee"]]
    d1 = longer[:, INDEX["left_ankle"]] - longer[:, INDEX["left_knee"]]
    cos = np.einsum("ti,ti->t", d0, d1) / np.linalg.norm(d0, axis=-1) / np.linalg.norm(d1, axis=-1)
    assert cos.min() > 0.9999


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0, 30))
def test_tilt_is_a_rigid_rotation(
    walk_2d: tuple[np.ndarray, np.ndarray], seed: int, max_degrees: float
) -> None:
    kp = walk_2d[0][:5]
    out = augment.tilt(kp, np.random.default_rng(seed), max_degrees)
    d0 = np.linalg.norm(kp[:, :, None] - kp[:, None, :], axis=-1)
    d1 = np.linalg.norm(out[:, :, None] - out[:, None, :], axis=-1)
    np.testing.assert_allclose(d1, d0, atol=1e-2)
    # The angle is bounded: the shoulder line turns by at most max_degrees.
    v0 = kp[:, SH_L] - kp[:, SH_R]
    v1 = out[:, SH_L] - out[:, SH_R]
    turn = np.degrees(np.arctan2(v1[:, 1], v1[:, 0]) - np.arctan2(v0[:, 1], v0[:, 0]))
    turn = (turn + 180) % 360 - 180
    assert np.all(np.abs(turn) <= max_degrees + 1e-3)


def test_jitter_scales_with_body_size(walk_2d: tuple[np.ndarray, np.ndarray]) -> None:
    kp = walk_2d[0]
    size = augment.body_size(kp)
    assert size.shape == (len(kp),) and np.all(size > 50)
    noise = augment.jitter(kp, np.random.default_rng(0), sigma=0.02) - kp
    measured = noise.std(axis=(1, 2)) / size
    assert np.mean(measured) == pytest.approx(0.02, rel=0.1)
    big = augment.jitter(kp * 2, np.random.default_rng(0), sigma=0.02) - kp * 2
    np.testing.assert_allclose(big, 2 * noise, rtol=1e-3, atol=1e-3)


def test_estimator_errors(walk_2d: tuple[np.ndarray, np.ndarray]) -> None:
    kp, sc = walk_2d
    rng = np.random.default_rng(11)
    # Dropping: p=0 changes nothing, p=1 zeroes every score; randomised positions move.
    same_kp, same_sc = augment.drop_joints(kp, sc, rng, p=0.0)
    np.testing.assert_array_equal(same_kp, kp)
    np.testing.assert_array_equal(same_sc, sc)
    _, none_sc = augment.drop_joints(kp, sc, rng, p=1.0)
    assert np.all(none_sc == 0)
    moved_kp, moved_sc = augment.drop_joints(kp, sc, rng, p=0.3, randomise=True)
    dropped = moved_sc == 0
    assert 0.2 < dropped.mean() < 0.4
    assert np.all(moved_kp[~dropped] == kp[~dropped])
    assert np.mean(np.any(moved_kp[dropped] != kp[dropped], axis=-1)) > 0.99

    # Cutting the lower body: ankles go, the upper body stays.
    cut_kp, cut_sc = augment.cut_lower_body(kp, sc, rng, p=1.0, cut_range=(0.5, 0.5))
    np.testing.assert_array_equal(cut_kp, kp)
    assert np.all(cut_sc[:, [INDEX["left_ankle"], INDEX["right_ankle"]]] == 0)
    assert np.all(cut_sc[:, :11] == 1)
    _, kept_sc = augment.cut_lower_body(kp, sc, rng, p=0.0)
    assert np.all(kept_sc == 1)

    # Swapping: every frame swaps something with p=1, and positions are only relabelled.
    labels = np.broadcast_to(np.arange(NUM_KEYPOINTS, dtype=np.float32), sc.shape)
    sw_kp, sw_labels = augment.swap_left_right(kp, labels, rng, p=1.0)
    assert np.all(np.any(sw_kp != kp, axis=(1, 2)))
    # Scores travel with their joints: slot j now holds joint sw_labels[t, j] in both arrays.
    source = sw_labels.astype(np.intp)
    np.testing.assert_array_equal(sw_kp, np.take_along_axis(kp, source[..., None], axis=1))
    np.testing.assert_array_equal(np.sort(sw_kp, axis=1), np.sort(kp, axis=1))
    np.testing.assert_array_equal(sw_kp[:, 0], kp[:, 0])  # the nose has no side
    rare_kp, _ = augment.swap_left_right(kp, sc, rng, p=0.1)
    swapped_frames = np.mean(np.any(rare_kp != kp, axis=(1, 2)))
    assert 0.0 < swapped_frames < 0.35
