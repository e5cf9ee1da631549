"""The BlazePose backend on real media: finds the person, keypoints on them, sides right,
small off-centre people, the main person among several, nothing in empty frames; and the
crop-window geometry it relies on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from posesim_cam.pose import Pose, PoseEstimator, create_backend
from posesim_cam.pose.blazepose import BlazePoseEstimator
from posesim_cam.pose.crop import CropWindow, search_windows, window_around
from posesim_cam.skeleton import INDEX
from posesim_cam.video import iter_frames, read_image

SINGLE_PERSON_VIDEOS = [
    "squats_1person_5fps.mp4",
    "dance_1person_30fps.mp4",
    "lab_dance_view1.mp4",
    "lab_dance_view2.mp4",
    "lab_dance_view3.mp4",
    "lab_dance_view4.mp4",
]
CONFIDENT = 0.5


@pytest.fixture(scope="module")
def stream_estimator() -> Iterator[BlazePoseEstimator]:
    estimator = create_backend("blazepose")
    assert isinstance(estimator, BlazePoseEstimator)
    yield estimator
    estimator.close()


@pytest.fixture()
def stream(stream_estimator: BlazePoseEstimator) -> BlazePoseEstimator:
    """The module's stream-mode estimator, reset: shared so that reset between videos is
    exercised and the graphs are built once."""
    stream_estimator.reset()
    return stream_estimator


@pytest.fixture(scope="module")
def stills() -> Iterator[BlazePoseEstimator]:
    estimator = create_backend("blazepose", static_image=True)
    assert isinstance(estimator, BlazePoseEstimator)
    yield estimator
    estimator.close()


class VideoRuns:
    """Poses of every frame of a test video (None where nobody was found), computed once per
    video in stream mode, and the MediaPipe calls each video took."""

    def __init__(self, testdata: Path, estimator: BlazePoseEstimator) -> None:
        self._testdata = testdata
        self._estimator = estimator
        self._poses: dict[str, list[Pose | None]] = {}
        self.calls: dict[str, int] = {}

    def poses(self, name: str) -> list[Pose | None]:
        if name not in self._poses:
            self._estimator.reset()
            before = sum(self._estimator.calls.values())
            result: list[Pose | None] = []
            for _, frame in iter_frames(self._testdata / "video" / name):
                poses = self._estimator.estimate(frame)
                assert len(poses) <= 1
                result.append(poses[0] if poses else None)
            self._poses[name] = result
            self.calls[name] = sum(self._estimator.calls.values()) - before
        return self._poses[name]


@pytest.fixture(scope="module")
def videos(testdata: Path, stream_estimator: BlazePoseEstimator) -> VideoRuns:
    return VideoRuns(testdata, stream_estimator)


def confident(pose: Pose, joint: str) -> bool:
    return bool(pose.scores[INDEX[joint]] >= CONFIDENT)


def mean_y(pose: Pose, *joints: str) -> float:
    return float(np.mean([pose.keypoints[INDEX[j], 1] for j in joints]))


def x_of(pose: Pose, joint: str) -> float:
    return float(pose.keypoints[INDEX[joint], 0])


# -- crop geometry (no model) -------------------------------------------------------------------


def test_window_maps_crop_coordinates_back_to_frame_pixels() -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[300:304, 500:504] = 255  # a 4x4 marker centred on (502, 302)
    window = CropWindow(x0=400.0, y0=200.0, side=200.0, size=100)
    crop = window.extract(frame)
    assert crop.shape == (100, 100, 3)
    ys, xs = np.nonzero(crop[:, :, 0] > 100)
    marker = np.array([[(xs.mean() + 0.5) / 100, (ys.mean() + 0.5) / 100]])
    np.testing.assert_allclose(window.to_frame(marker)[0], [502, 302], atol=0.5)


def test_window_outside_the_frame_is_black_padding() -> None:
    frame = np.full((100, 100, 3), 200, np.uint8)
    crop = CropWindow(x0=-50.0, y0=-50.0, side=100.0, size=100).extract(frame)
    assert crop[:45, :45].max() == 0 and crop[55:, 55:].min() == 200


def test_window_around_frames_the_points_with_margin_inside_the_frame() -> None:
    points = np.array([[600.0, 100.0], [630.0, 300.0]])  # 200 px tall, near the right edge
    window = window_around(points, (480, 640, 3), margin=1.5)
    assert window.side == pytest.approx(300.0)
    assert window.x0 + window.side <= 640 + 1e-3  # moved inside rather than padded
    assert window.contains(np.array([600.0, 100.0, 630.0, 300.0]))
    # Taller than the frame: centred on the person, padded above and below.
    tall = window_around(np.array([[100.0, 0.0], [120.0, 479.0]]), (480, 640, 3), margin=1.5)
    assert tall.side > 480 and tall.y0 < 0 < tall.y0 + tall.side - 480


@pytest.mark.parametrize("shape", [(480, 640), (720, 1280), (1920, 1080), (576, 576), (713, 1984)])
def test_search_windows_are_few_and_cover_the_frame(shape: tuple[int, int]) -> None:
    windows = search_windows(shape)
    assert 1 <= len(windows) <= 8
    covered = np.zeros(shape, bool)
    for window in windows:
        x0, y0, x1, y1 = (round(float(v)) for v in window.box)
        covered[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
        assert window.side >= min(shape) / 2 - 1  # a third-of-frame person fills ~half of it
    assert covered.all()


# -- the backend on real media ------------------------------------------------------------------


def test_registered_as_the_default_backend() -> None:
    estimator = create_backend()
    try:
        assert isinstance(estimator, BlazePoseEstimator)
        assert isinstance(estimator, PoseEstimator)
        assert estimator.name == "blazepose"
    finally:
        estimator.close()


@pytest.mark.parametrize("name", SINGLE_PERSON_VIDEOS)
def test_finds_the_person_in_nearly_every_frame(
    name: str, videos: VideoRuns, testdata: Path
) -> None:
    poses = videos.poses(name)
    frame_height = next(iter_frames(testdata / "video" / name))[1].shape[0]
    # Found = a pose with most joints confident whose box is person-sized (everybody else in
    # these clips, like the lab's bystanders, is much smaller than the performer).
    found = [
        p is not None
        and int((p.scores >= CONFIDENT).sum()) >= 12
        and p.height > 0.25 * frame_height
        for p in poses
    ]
    assert len(poses) >= 60
    assert np.mean(found) >= 0.95, f"{name}: found in {sum(found)} of {len(found)} frames"
    # Steady state is one MediaPipe call a frame; the one search at the start is at most 10.
    calls = videos.calls[name]
    assert calls <= 1.25 * len(poses) + 10, f"{name}: {calls} MediaPipe calls"


@pytest.mark.parametrize("name", ["person_full_body.jpg", "basketball1.png"])
def test_keypoints_lie_on_an_upright_full_body_person(
    name: str, stills: BlazePoseEstimator, testdata: Path
) -> None:
    image = read_image(testdata / "images" / name)
    height, width = image.shape[:2]
    poses = stills.estimate(image)
    assert len(poses) == 1
    pose = poses[0]
    # Full body and in view: every joint confident and inside the image.
    assert (pose.scores >= CONFIDENT).all(), pose.scores
    assert (pose.keypoints >= 0).all()
    assert (pose.keypoints[:, 0] < width).all() and (pose.keypoints[:, 1] < height).all()
    # Upright: head above shoulders above hips above knees above ankles (y grows downwards).
    levels = [
        mean_y(pose, "nose", "left_eye", "right_eye"),
        mean_y(pose, "left_shoulder", "right_shoulder"),
        mean_y(pose, "left_hip", "right_hip"),
        mean_y(pose, "left_knee", "right_knee"),
        mean_y(pose, "left_ankle", "right_ankle"),
    ]
    assert levels == sorted(levels), levels
    assert pose.height > 0.4 * height
    # Joints sit within the person's own box, which is about person-shaped.
    x0, y0, x1, y1 = pose.box
    assert (pose.keypoints[:, 0] >= x0 - 1).all() and (pose.keypoints[:, 0] <= x1 + 1).all()
    assert (pose.keypoints[:, 1] >= y0 - 1).all() and (pose.keypoints[:, 1] <= y1 + 1).all()


@pytest.mark.parametrize("name", ["person_full_body.jpg", "basketball1.png"])
def test_left_and_right_are_the_persons_own_in_a_still(
    name: str, stills: BlazePoseEstimator, testdata: Path
) -> None:
    # Both people face the camera, so their left side is on the image's right.
    (pose,) = stills.estimate(read_image(testdata / "images" / name))
    assert x_of(pose, "left_shoulder") > x_of(pose, "right_shoulder")
    assert x_of(pose, "left_hip") > x_of(pose, "right_hip")


def test_left_and_right_are_the_persons_own_in_a_video(videos: VideoRuns) -> None:
    # The dancer faces the camera throughout.
    poses = [
        p
        for p in videos.poses("dance_1person_30fps.mp4")
        if p is not None and confident(p, "left_shoulder") and confident(p, "right_shoulder")
    ]
    assert len(poses) >= 100
    right_way = [x_of(p, "left_shoulder") > x_of(p, "right_shoulder") for p in poses]
    assert np.mean(right_way) >= 0.9, f"left shoulder on the image's right in {sum(right_way)}"


def paste(
    canvas: np.ndarray, image: np.ndarray, height: float, center: tuple[float, float]
) -> tuple[int, int, int, int]:
    """Shrink ``image`` to ``height`` of the canvas height and paste it centred at ``center``
    (fractions of the canvas); returns the pasted region x0, y0, x1, y1 in pixels."""
    scale = height * canvas.shape[0] / image.shape[0]
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    x0 = int(center[0] * canvas.shape[1] - image.shape[1] / 2)
    y0 = int(center[1] * canvas.shape[0] - image.shape[0] / 2)
    canvas[y0 : y0 + image.shape[0], x0 : x0 + image.shape[1]] = image
    return x0, y0, x0 + image.shape[1], y0 + image.shape[0]


def cut(frame: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The part of ``frame`` inside ``box`` (fractions x0, y0, x1, y1 of its size)."""
    h, w = frame.shape[:2]
    return frame[int(box[1] * h) : int(box[3] * h), int(box[0] * w) : int(box[2] * w)]


def webcam_background(testdata: Path) -> np.ndarray:
    """A 1280x720 scene with a bystander left of centre: the squats woman standing, about a
    quarter of the frame tall."""
    yy, xx = np.mgrid[0:720, 0:1280].astype(np.float32)
    canvas = np.dstack([90 + 60 * xx / 1280, 110 + 40 * yy / 720, 120 - 30 * xx / 1280])
    canvas = np.ascontiguousarray(canvas.astype(np.uint8))
    _, standing = next(iter_frames(testdata / "video" / "squats_1person_5fps.mp4"))
    paste(canvas, cut(standing, (0.05, 0.05, 0.7, 0.95)), 0.3, (0.12, 0.57))
    return canvas


def small_person_frames(
    testdata: Path, source: str, box: tuple[float, float, float, float], height: float
) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """50 webcam-like 1280x720 frames: the first 50 frames of ``source``, cut to ``box``
    (fractions of the frame, chosen so that the performer stays inside) and shrunk to
    ``height`` of the canvas, so the performer is about a third of the frame tall, pasted right
    of centre beside the bystander of ``webcam_background``.
    Returns (frame, pasted region x0, y0, x1, y1 in pixels) pairs."""
    background = webcam_background(testdata)
    frames = []
    for index, (_, frame) in enumerate(iter_frames(testdata / "video" / source)):
        if index == 50:
            break
        canvas = background.copy()
        region = paste(canvas, cut(frame, box), height, (0.74, 0.55))
        frames.append((canvas, region))
    return frames


def test_the_bystander_alone_is_found(stills: BlazePoseEstimator, testdata: Path) -> None:
    # Else the next test would not show that the larger person is chosen over her.
    (pose,) = stills.estimate(webcam_background(testdata))
    assert pose.box[2] < 0.3 * 1280


@pytest.mark.parametrize(
    ("source", "box", "height"),
    [
        ("dance_1person_30fps.mp4", (0.2, 0.15, 0.8, 0.9), 0.5),
        # The lab clips mask the face, which BlazePose's detector keys on.
        ("lab_dance_view1.mp4", (0.0, 0.15, 1.0, 0.78), 0.55),
    ],
)
def test_finds_a_small_off_centre_person_beside_a_bystander(
    source: str,
    box: tuple[float, float, float, float],
    height: float,
    stream: BlazePoseEstimator,
    testdata: Path,
) -> None:
    frames = small_person_frames(testdata, source, box, height)
    assert len(frames) == 50
    hits = 0
    for frame, (x0, y0, x1, y1) in frames:
        poses = stream.estimate(frame)
        if not poses:
            continue
        pose = poses[0]
        points = pose.keypoints[pose.scores >= CONFIDENT]
        inside = (
            (points[:, 0] >= x0)
            & (points[:, 0] <= x1)
            & (points[:, 1] >= y0)
            & (points[:, 1] <= y1)
        )
        # Person-sized too: the lab clip's own bystander stands inside the pasted part.
        hits += len(points) >= 12 and bool(inside.all()) and pose.height > 0.2 * 720
    assert hits >= 48, f"performer found in {hits} of 50 frames"


def test_two_people_give_one_pose_on_one_of_them(
    stills: BlazePoseEstimator, testdata: Path
) -> None:
    image = read_image(testdata / "images" / "two_people.jpg")
    height, width = image.shape[:2]
    poses = stills.estimate(image)
    assert len(poses) == 1
    pose = poses[0]
    # The file is two panels side by side: the photo, and the same photo with a segmentation
    # drawn over it. In each panel one man stands at x 0.03-0.55 of the panel (nearer, wider)
    # and the other at 0.65-1.0 (taller in the picture, more of him in view). Both are
    # people: the pose must lie on one of them, head and torso alike.
    panel = width / 2
    people = [
        (offset + lo * panel, offset + hi * panel)
        for offset in (0.0, panel)
        for lo, hi in ((0.03, 0.55), (0.65, 1.0))
    ]
    torso = pose.keypoints[[INDEX[j] for j in ("left_shoulder", "right_shoulder")]]
    head = pose.keypoints[INDEX["nose"]]
    on = [
        lo <= head[0] <= hi and ((torso[:, 0] >= lo) & (torso[:, 0] <= hi)).all()
        for lo, hi in people
    ]
    assert any(on), (head, torso)
    assert confident(pose, "nose") and confident(pose, "left_shoulder")
    assert pose.height > 0.5 * height  # one of the two big people, not a small false find


@pytest.mark.parametrize("static_image", [False, True])
def test_empty_frames_give_no_pose(
    static_image: bool, stills: BlazePoseEstimator, stream: BlazePoseEstimator
) -> None:
    estimator = stills if static_image else stream
    assert estimator.estimate(np.zeros((480, 640, 3), np.uint8)) == []
    assert estimator.estimate(np.full((720, 1280, 3), 128, np.uint8)) == []
    assert estimator.estimate(np.zeros((480, 640), np.uint8)) == []  # grey input is accepted
    with pytest.raises(ValueError):
        estimator.estimate(np.zeros((480, 640, 3), np.float32))


def test_searching_an_empty_room_is_bounded(stream: BlazePoseEstimator) -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    per_frame = []
    for _ in range(5):
        before = sum(stream.calls.values())
        assert stream.estimate(frame) == []
        per_frame.append(sum(stream.calls.values()) - before)
    assert per_frame[0] <= 9  # a full search: the frame and at most 8 windows
    assert max(per_frame[1:]) <= 3  # then the frame and a couple of windows, taking turns


def test_mediapipe_start_up_logs_are_silenced(
    capfd: pytest.CaptureFixture[str], testdata: Path
) -> None:
    image = read_image(testdata / "images" / "person_full_body.jpg")
    capfd.readouterr()
    with BlazePoseEstimator() as estimator:
        assert len(estimator.estimate(image)) == 1
    os.write(2, b"stderr works again\n")
    err = capfd.readouterr().err
    assert "stderr works again" in err
    assert "W0000" not in err and "inference_feedback_manager" not in err, err
