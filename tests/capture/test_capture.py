"""Frame sources: file order and pacing, newest-frame-wins cameras, clear errors, reconnection."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from posesim_cam.capture import CameraSource, FileSource, Frame, list_cameras, open_source
from posesim_cam.errors import UserError
from tests.polling import wait_until


@pytest.fixture(scope="module")
def squats(testdata: Path) -> Path:
    return testdata / "video" / "squats_1person_5fps.mp4"


@pytest.fixture(scope="module")
def dance(testdata: Path) -> Path:
    return testdata / "video" / "dance_1person_30fps.mp4"


def read_all(source: FileSource, limit: int = 10_000) -> list[Frame]:
    frames = []
    while len(frames) < limit:
        frame = source.read(timeout=5.0)
        if frame is None:
            break
        frames.append(frame)
    return frames


# -- FileSource -------------------------------------------------------------------------------


def test_file_source_returns_every_frame_in_order_then_ends(squats: Path) -> None:
    with FileSource(squats) as source:
        assert source.fps == pytest.approx(5.0)
        assert source.size == (720, 1280)
        frames = read_all(source)
        assert source.ended
        assert source.read(timeout=0.1) is None  # stays ended
    assert [f.index for f in frames] == list(range(65))
    assert [f.timestamp for f in frames] == pytest.approx([i / 5.0 for i in range(65)])
    assert all(f.image.shape == (1280, 720, 3) and f.image.dtype == np.uint8 for f in frames)
    # Consecutive frames of a moving person differ: the frames really are distinct pictures.
    assert not np.array_equal(frames[0].image, frames[30].image)


def test_file_source_loop_goes_past_the_end_with_increasing_timestamps(squats: Path) -> None:
    with FileSource(squats, loop=True) as source:
        frames = read_all(source, limit=150)
        assert not source.ended
    assert len(frames) == 150
    assert [f.index for f in frames] == list(range(150))
    timestamps = [f.timestamp for f in frames]
    assert np.all(np.diff(timestamps) > 0)
    assert timestamps[-1] == pytest.approx(149 / 5.0)
    # The second pass starts again with the file's first picture.
    np.testing.assert_array_equal(frames[65].image, frames[0].image)


def test_file_source_realtime_paces_at_the_files_fps(dance: Path) -> None:
    with FileSource(dance, realtime=True) as source:
        assert source.fps == pytest.approx(30.0)
        start = time.monotonic()
        frames = [source.read(timeout=5.0) for _ in range(10)]
        paced = time.monotonic() - start
    with FileSource(dance) as source:
        source.read(timeout=5.0)  # the first frame includes opening the decoder
        start = time.monotonic()
        unpaced_frames = [source.read(timeout=5.0) for _ in range(10)]
        unpaced = time.monotonic() - start
    assert all(f is not None for f in frames + unpaced_frames)
    # Frame 9 is due 9/30 s after reading started.
    assert paced >= 0.28
    assert paced < 2.0
    assert unpaced < 0.2


def test_file_source_realtime_read_times_out_before_a_frame_is_due(squats: Path) -> None:
    # The 5-fps clip: frame 1 is due 200 ms after frame 0, a margin a busy machine keeps.
    with FileSource(squats, realtime=True) as source:
        assert source.read(timeout=5.0) is not None  # frame 0, due at once
        assert source.read(timeout=0.0) is None  # frame 1 is due 1/5 s later
        frame = source.read(timeout=1.0)
    assert frame is not None and frame.index == 1  # the early attempt lost nothing


def test_file_source_unreadable_file_raises_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        FileSource(tmp_path / "missing.mp4")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 100)
    with pytest.raises(UserError, match="cannot be read as a video") as info:
        FileSource(garbage)
    assert info.value.remedy


# -- CameraSource pointed at a video file: cv2.VideoCapture reads it as fast as it decodes ----


def test_camera_source_newest_frame_wins(testdata: Path) -> None:
    # 100 frames of 1080x1920 take about a second to decode: far faster than we read below.
    video = testdata / "video" / "lab_dance_view1.mp4"
    returned: list[Frame] = []
    with CameraSource(str(video)) as source:
        assert source.size == (1080, 1920)
        for _ in range(6):
            time.sleep(0.1)
            frame = source.read(timeout=2.0)
            assert frame is not None
            returned.append(frame)
        assert not source.lost
    indices = [f.index for f in returned]
    assert np.all(np.diff(indices) > 0), indices  # never repeats or goes back
    assert np.any(np.diff(indices) > 1), indices  # skips: no queue
    stamps = [f.captured_at for f in returned]
    assert np.all(np.diff(stamps) > 0)


def test_camera_source_read_waits_only_for_frames_not_returned_before() -> None:
    camera = FakeCamera(fps=50.0)
    with CameraSource(0, opener=camera.open) as source:
        first = source.read(timeout=1.0)
        second = source.read(timeout=1.0)
        assert first is not None and second is not None
        assert second.index > first.index
        assert second.timestamp > first.timestamp >= 0.0
        camera.plugged.clear()
        time.sleep(0.05)
        source.read(timeout=0.0)  # take whatever arrived before unplugging
        assert source.read(timeout=0.2) is None  # nothing new: no frame is handed out twice


@pytest.mark.parametrize("device", [57, "/dev/video57"])
def test_camera_that_does_not_exist_raises_user_error_quickly(device: int | str) -> None:
    start = time.monotonic()
    with pytest.raises(UserError) as info:
        CameraSource(device)
    assert time.monotonic() - start < 10.0
    assert str(device) in info.value.problem
    assert "--camera" in info.value.remedy and "doctor" in info.value.remedy


def test_busy_camera_that_sends_nothing_raises_user_error() -> None:
    camera = FakeCamera()
    camera.plugged.clear()
    camera.opens_while_unplugged = True
    start = time.monotonic()
    with pytest.raises(UserError, match="sent no picture") as info:
        CameraSource(3, opener=camera.open, open_timeout=0.3)
    assert time.monotonic() - start < 3.0
    assert "other programs" in info.value.remedy


def test_camera_that_dies_is_reported_lost_then_resumes_by_itself() -> None:
    camera = FakeCamera(fps=100.0, die_after=20)
    with CameraSource(1, opener=camera.open, reconnect_interval=0.05) as source:
        first = source.read(timeout=1.0)
        assert first is not None and not source.lost
        assert wait_until(lambda: source.lost, 3.0), "the dead camera was never reported lost"
        assert camera.released >= 1  # the dead capture was released
        source.read(timeout=0.0)  # take the last frame from before the loss, if still unread
        assert source.read(timeout=0.1) is None  # nothing new while the camera is gone
        opens_while_dead = camera.opens
        time.sleep(0.3)
        assert camera.opens > opens_while_dead  # it keeps trying to reopen by itself
        assert source.lost
        camera.plugged.set()
        frame = source.read(timeout=3.0)
        assert frame is not None, "frames never resumed"
        assert not source.lost
        assert frame.index >= 20  # numbering carries on across the reconnection
        assert camera.frames > 20


# -- open_source and list_cameras -------------------------------------------------------------


def test_open_source_picks_a_file_source_for_an_existing_file(squats: Path) -> None:
    with open_source(camera=0, source=str(squats), realtime=True, loop=True) as source:
        assert isinstance(source, FileSource)
        assert source.realtime and source.loop


def test_open_source_missing_file_gives_the_video_modules_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        open_source(source=str(tmp_path / "nope.mp4"))


def test_open_source_falls_back_to_a_camera_index(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []

    def fake_camera_source(device: int | str, *args: object, **kwargs: object) -> str:
        opened.append(device)
        return "camera"

    monkeypatch.setattr("posesim_cam.capture.CameraSource", fake_camera_source)
    open_source()
    open_source(camera="2")
    open_source(source="4")
    open_source(source="rtsp://user:secret@host/stream")
    assert opened == [0, 2, 4, "rtsp://user:secret@host/stream"]


def test_stream_errors_hide_the_password() -> None:
    def closed() -> FakeCapture:
        return FakeCapture(FakeCamera(), opened=False)

    with pytest.raises(UserError) as info:
        CameraSource("rtsp://user:secret@192.0.2.1:554/live", opener=closed)
    assert "secret" not in str(info.value)
    assert "rtsp://user@192.0.2.1:554/live" in str(info.value)


def test_list_cameras_is_quick_and_finds_no_camera_here() -> None:
    start = time.monotonic()
    found = list_cameras(max_index=3)
    assert time.monotonic() - start < 10.0
    assert all(isinstance(i, int) and 0 <= i < 3 for i in found)
    if not Path("/dev/video0").exists():
        assert found == []


# -- a fake camera for the injectable opener --------------------------------------------------


class FakeCamera:
    """A pluggable camera: while ``plugged`` is set it gives numbered frames at ``fps``.

    ``die_after`` unplugs it by itself after that many frames; the test plugs it back in.
    """

    def __init__(self, fps: float = 100.0, die_after: int | None = None) -> None:
        self.fps = fps
        self.die_after = die_after
        self.plugged = threading.Event()
        self.plugged.set()
        self.opens_while_unplugged = False
        self.frames = 0
        self.opens = 0
        self.released = 0

    def open(self) -> FakeCapture:
        self.opens += 1
        return FakeCapture(self, opened=self.plugged.is_set() or self.opens_while_unplugged)


class FakeCapture:
    """Implements the slice of cv2.VideoCapture that CameraSource uses."""

    def __init__(self, camera: FakeCamera, opened: bool) -> None:
        self.camera = camera
        self.opened = opened

    def isOpened(self) -> bool:  # OpenCV's name
        return self.opened

    def get(self, prop_id: int) -> float:
        return self.camera.fps

    def read(self) -> tuple[bool, np.ndarray | None]:
        camera = self.camera
        time.sleep(1.0 / camera.fps)
        if not self.opened or not camera.plugged.is_set():
            return False, None
        if camera.die_after is not None and camera.frames >= camera.die_after:
            camera.die_after = None
            camera.plugged.clear()
            return False, None
        camera.frames += 1
        return True, np.full((48, 64, 3), camera.frames % 256, np.uint8)

    def release(self) -> None:
        self.opened = False
        self.camera.released += 1
