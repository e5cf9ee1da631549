"""Outputs: a fake pyvirtualcam backend, clear virtual-camera errors, specs, and video files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import pyvirtualcam
from pyvirtualcam.util import encode_fourcc

from posesim_cam import outputs
from posesim_cam.errors import UserError
from posesim_cam.outputs import (
    FileOutput,
    NullOutput,
    PreviewOutput,
    VirtualCamOutput,
    create_outputs,
    register_output,
    virtualcam_remedy,
)
from tests.fakes import FailingBackend, FakeBackend

BLUE_BGR = (255, 0, 0)


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test register outputs without leaving them behind."""
    monkeypatch.setattr(outputs, "OUTPUTS", outputs.OUTPUTS.copy())


# -- virtual camera ---------------------------------------------------------------------------


def test_virtualcam_sends_bgr_frames_of_the_right_size(fake_backend: type[FakeBackend]) -> None:
    output = VirtualCamOutput(64, 48, 30.0)
    assert output.device == "fake-cam-0"
    (backend,) = fake_backend.instances
    assert (backend.width, backend.height, backend.fps) == (64, 48, 30.0)
    assert backend.fourcc == encode_fourcc(pyvirtualcam.PixelFormat.BGR.value)

    same_size = np.zeros((48, 64, 3), np.uint8)
    same_size[:] = BLUE_BGR
    bigger = np.zeros((96, 128, 3), np.uint8)
    bigger[:] = BLUE_BGR
    bigger[:, 64:] = (0, 0, 255)  # right half red: checks orientation survives the resize
    output.send(same_size)
    output.send(bigger)
    output.close()
    output.close()  # twice is fine

    assert backend.closed
    assert len(backend.frames) == 2
    first, second = (frame.reshape(48, 64, 3) for frame in backend.frames)
    assert all(frame.dtype == np.uint8 and frame.size == 48 * 64 * 3 for frame in backend.frames)
    # Pure blue in BGR is (255, 0, 0): byte 0 of every pixel, untouched by any RGB swap.
    assert np.all(first == BLUE_BGR)
    assert np.all(second[:, :30] == BLUE_BGR)
    assert np.all(second[:, 34:] == (0, 0, 255))


def test_virtualcam_passes_device_and_backend(fake_backend: type[FakeBackend]) -> None:
    (output,) = create_outputs("virtualcam:/dev/video7", 32, 24, 15.0, backend="fake")
    assert isinstance(output, VirtualCamOutput)
    assert output.device == "/dev/video7"
    output.close()
    with pytest.raises(UserError, match="no virtual camera backend called 'nope'"):
        VirtualCamOutput(32, 24, 15.0, backend="nope")


def test_virtualcam_backend_failure_becomes_user_error(fake_backend: type[FakeBackend]) -> None:
    pyvirtualcam.register_backend("fake", FailingBackend)
    with pytest.raises(UserError, match="no device for you") as info:
        VirtualCamOutput(64, 48, 30.0)
    remedy = virtualcam_remedy()
    assert info.value.remedy == remedy[:1].upper() + remedy[1:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the v4l2loopback backend")
def test_virtualcam_without_loopback_device_says_how_to_load_it() -> None:
    assert "v4l2loopback" in pyvirtualcam.camera.BACKENDS  # the real backend, no fake here
    try:
        output = VirtualCamOutput(64, 48, 30.0)
    except UserError as error:
        message = str(error)
    else:
        output.close()
        pytest.skip("this machine has a v4l2loopback device")
    assert "v4l2loopback" in message
    assert "exclusive_caps=1" in message
    assert "sudo modprobe" in message


def test_virtualcam_remedy_depends_on_the_platform() -> None:
    assert "exclusive_caps=1" in virtualcam_remedy("linux")
    for platform in ("win32", "darwin"):
        remedy = virtualcam_remedy(platform)
        assert "OBS Studio" in remedy and "Virtual Camera" in remedy
        assert "modprobe" not in remedy


# -- specs and the registry -------------------------------------------------------------------


def test_create_outputs_parses_several_outputs(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    created = create_outputs(f" null , file:{target}", 64, 48, 10.0)
    assert [o.name for o in created] == ["null", "file"]
    assert isinstance(created[0], NullOutput) and isinstance(created[1], FileOutput)
    assert created[1].path == target
    for output in created:
        output.send(np.zeros((48, 64, 3), np.uint8))
        output.close()
    assert target.exists()


def test_create_outputs_rejects_unknown_names_listing_the_known_ones() -> None:
    with pytest.raises(UserError, match="no output called 'bogus'") as info:
        create_outputs("null,bogus", 64, 48, 10.0)
    for name in ("file:PATH", "null", "preview", "virtualcam"):
        assert name in info.value.remedy
    with pytest.raises(UserError, match="No output"):
        create_outputs(" , ", 64, 48, 10.0)
    with pytest.raises(UserError, match="needs a path"):
        create_outputs("file", 64, 48, 10.0)


def test_create_outputs_closes_what_it_made_when_a_later_one_fails(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="Cannot write"):
        create_outputs(f"file:{tmp_path / 'ok.mp4'},file:{blocker / 'out.mp4'}", 64, 48, 10.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # no temp file left


def test_register_output_adds_a_name(isolated_registry: None) -> None:
    made: list[dict[str, Any]] = []

    class Recorder(NullOutput):
        name = "recorder"

    def factory(argument: str | None, **options: Any) -> Recorder:
        made.append({"argument": argument, **options})
        return Recorder()

    register_output("recorder", factory, usage="recorder:LABEL")
    (output,) = create_outputs("recorder:x", 8, 6, 5.0, title="t")
    assert isinstance(output, Recorder)
    assert made == [{"argument": "x", "width": 8, "height": 6, "fps": 5.0, "title": "t"}]
    with pytest.raises(UserError, match="recorder:LABEL"):
        create_outputs("nope", 8, 6, 5.0)


# -- file -------------------------------------------------------------------------------------


def test_file_output_writes_a_readable_mp4_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "session.mp4"
    output = FileOutput(target, 160, 120, 10.0)
    assert not target.exists()  # nothing under the final name while writing
    for i in range(12):
        frame = np.full((120, 160, 3), i * 20, np.uint8)
        output.send(frame if i % 2 else cv2.resize(frame, (320, 240)))  # odd sizes are resized
    output.close()
    output.close()

    assert [p.name for p in tmp_path.iterdir()] == ["session.mp4"]
    cap = cv2.VideoCapture(str(target))
    try:
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(10.0)
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        cap.release()
    assert len(frames) == 12
    assert all(frame.shape == (120, 160, 3) for frame in frames)
    assert abs(float(frames[11].mean()) - 220) < 10  # the last frame's grey level survived


def test_file_output_without_frames_leaves_nothing(tmp_path: Path) -> None:
    FileOutput(tmp_path / "empty.mp4", 64, 48, 10.0).close()
    assert list(tmp_path.iterdir()) == []


def test_file_output_refuses_an_unwritable_path_at_creation(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("a regular file, so nothing can be created under it")
    target = blocker / "out.mp4"
    with pytest.raises(UserError) as info:
        FileOutput(target, 64, 48, 10.0)
    assert str(target) in info.value.problem
    assert info.value.remedy
    with pytest.raises(UserError, match="Cannot write"):
        FileOutput(tmp_path / "missing-folder" / "out.mp4", 64, 48, 10.0)


# -- preview and null -------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="$DISPLAY is an X11 matter")
def test_preview_without_a_display_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(UserError, match="No display") as info:
        PreviewOutput()
    assert "leave preview out of --output" in info.value.remedy


def test_null_output_discards_and_counts() -> None:
    output = NullOutput()
    for _ in range(3):
        output.send(np.zeros((4, 4, 3), np.uint8))
    output.close()
    assert output.frames_sent == 3
