"""Player assignment: the split strips and the tracker with numbers, then real people: the
shared two_people.jpg, and two real single-person clips placed side by side."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from posesim_cam.errors import UserError
from posesim_cam.players.assign import (
    PlayerTracker,
    assign_split,
    check_players,
    pose_distance,
    split_regions,
)
from posesim_cam.players.regions import RegionEstimator
from posesim_cam.pose.base import Pose
from posesim_cam.pose.registry import create_backend
from posesim_cam.video import iter_frames, read_image


def person(x: float, y: float = 200.0, size: float = 100.0) -> Pose:
    """A stick person: 17 joints spread over a box of ``size`` centred at (x, y)."""
    rng = np.random.default_rng(int(x))
    keypoints = np.array([x, y], np.float32) + rng.uniform(-size / 2, size / 2, (17, 2))
    return Pose.from_keypoints(keypoints.astype(np.float32), np.ones(17, np.float32))


def test_split_regions_cover_the_frame_left_to_right():
    assert split_regions(640, 2) == [(0, 320), (320, 640)]
    assert split_regions(640, 2, 0.25) == [(0, 160), (160, 640)]
    assert split_regions(600, 3) == [(0, 200), (200, 400), (400, 600)]
    assert split_regions(640, 1) == [(0, 640)]


@pytest.mark.parametrize(("players", "split_at"), [(0, None), (5, None), (2, 0.0), (2, 1.2),
                                                   (2, float("nan")), (True, None)])  # fmt: skip
def test_bad_player_counts_and_lines_are_one_sentence(players, split_at):
    with pytest.raises(UserError):
        check_players(players, split_at)


def test_assign_split_puts_each_pose_in_its_strip():
    left, right, small = person(100), person(500), person(150, size=30)
    regions = split_regions(640, 2)
    assert [id(p) for p in assign_split([right, small, left], regions)] == [id(left), id(right)]
    got = assign_split([right], regions)
    assert got[0] is None and got[1] is right


def test_pose_distance_is_in_body_sizes():
    a = person(100)
    assert pose_distance(a, a) == 0
    assert pose_distance(a, person(400)) > 2


def test_the_tracker_keeps_ids_while_people_move_and_through_a_brief_occlusion():
    tracker = PlayerTracker(2)
    first, second = person(100), person(500)
    got = tracker.update([second, first])
    assert got[0] is first and got[1] is second  # ids left to right
    x0, x1 = 100.0, 500.0
    for frame in range(60):
        x0, x1 = x0 + 3, x1 - 3  # they walk towards each other, never crossing
        a, b = person(x0), person(x1)
        poses = [b] if 20 <= frame < 30 else [b, a]  # player 0 hidden for 10 frames
        got = tracker.update(poses)
        assert got[1] is b
        assert got[0] is (None if 20 <= frame < 30 else a)


def test_a_newcomer_takes_a_free_place():
    tracker = PlayerTracker(2)
    only = person(100)
    got = tracker.update([only])
    assert got[0] is only and got[1] is None
    newcomer = person(500)
    assert tracker.update([person(102), newcomer])[1] is newcomer


def test_two_people_in_one_picture_are_two_players(testdata: Path):
    image = read_image(testdata / "images" / "two_people.jpg")
    estimator = RegionEstimator(
        lambda threads: create_backend("blazepose", static_image=True, threads=threads), 2
    )
    try:
        poses = estimator.estimate(image)
    finally:
        estimator.close()
    assert len(poses) == 2
    left, right = poses
    assert left.box[2] <= right.box[2] and pose_distance(left, right) > 0.5
    got = assign_split(poses, split_regions(image.shape[1], 2))
    assert got[0] is left and got[1] is right


def side_by_side(a: np.ndarray, b: np.ndarray, height: int = 480) -> np.ndarray:
    def fit(image: np.ndarray) -> np.ndarray:
        scale = height / image.shape[0]
        return cv2.resize(image, (round(image.shape[1] * scale), height))

    return np.hstack([fit(a), fit(b)])


def test_two_real_clips_side_by_side_keep_their_ids(testdata: Path):
    dance = [f for _, f in iter_frames(testdata / "video" / "dance_1person_30fps.mp4")]
    squats = [f for _, f in iter_frames(testdata / "video" / "squats_1person_5fps.mp4")]
    estimator = RegionEstimator(lambda threads: create_backend("blazepose", threads=threads), 2)
    tracker = PlayerTracker(2)
    found = []
    try:
        for index in range(40):
            frame = side_by_side(dance[index * 3], squats[index % len(squats)])
            found.append(tracker.update(estimator.estimate(frame)))
            middle = frame.shape[1] / 2
    finally:
        estimator.close()
    both = [f for f in found if f[0] is not None and f[1] is not None]
    assert len(both) >= 36
    # Player 0 stays the dancer on the left, player 1 the squatter on the right.
    assert all(f[0].box[2] <= middle + 20 and f[1].box[0] >= middle - 20 for f in both)
