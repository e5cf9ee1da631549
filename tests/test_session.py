"""The live session end to end: real video as the camera, real MediaPipe, fake virtual camera."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from posesim_cam.capture import CameraSource
from posesim_cam.commands import doctor as doctor_command
from posesim_cam.commands import run as run_command
from posesim_cam.commands.workspace import Workspace
from posesim_cam.config import data_dir
from posesim_cam.encoder import load_encoder
from posesim_cam.errors import UserError
from posesim_cam.hud import Compositor
from posesim_cam.outputs import NullOutput
from posesim_cam.pose.base import Pose
from posesim_cam.pose.registry import create_backend
from posesim_cam.records import RecordStore
from posesim_cam.session import LiveSession, LiveSettings
from tests.fakes import FakeBackend
from tests.test_cli import assert_user_error, cli, write_empty_video


def video(testdata: Path, name: str) -> str:
    return str(testdata / "video" / name)


def sessions() -> list[Path]:
    return sorted((data_dir() / "sessions").glob("*.json"))


def run_live(**options: object) -> dict:
    """`run` with these options; its summary as the JSON of `run --json`."""
    return run_command.run(run_command.RunOptions(**options)).to_dict()  # type: ignore[arg-type]


def test_following_the_target_scores_high_and_frames_reach_the_virtual_camera(
    testdata: Path, fake_backend: type[FakeBackend]
):
    before = len(sessions())
    squats = video(testdata, "squats_1person_5fps.mp4")
    summary = run_live(source=squats, target=squats, output="virtualcam")
    (camera,) = fake_backend.instances
    assert (camera.width, camera.height) == (1280, 720)  # an HD source gives an HD camera
    # A file drops no frames; as it ends with the target, its summary card follows for 2 s.
    assert summary["frames"] == 65 and len(camera.frames) == 65 + 10
    assert summary["attempts"][-1]["finished"] is True
    assert all(f.dtype == np.uint8 and f.size == 1280 * 720 * 3 for f in camera.frames)
    assert camera.closed
    assert summary["score"] >= 85, summary
    assert summary["fps"] > 0
    records = sessions()
    assert len(records) == before + 1
    record = json.loads(records[-1].read_text())
    assert record["score"] == summary["score"] and record["target"] == "squats_1person_5fps"


def test_a_different_movement_scores_low(testdata: Path):
    dance = video(testdata, "dance_1person_30fps.mp4")
    same = run_live(source=dance, target=dance, output="null")
    # The squats attempt (13 s) covers the whole dance target (4 s). (The other way round, the
    # dance attempt would meet only the squats target's first 4 s, mostly standing.)
    different = run_live(
        source=video(testdata, "squats_1person_5fps.mp4"), target=dance, output="null"
    )
    assert different["score"] <= 40, different
    assert same["score"] - different["score"] >= 40


def test_stopping_a_camera_session_writes_the_record(testdata: Path):
    encoder = load_encoder()
    target_video = video(testdata, "dance_1person_30fps.mp4")
    target = Workspace().load_target(target_video, encoder)
    # A video file opened as a camera: newest-frame-wins capture, frames dropped when late.
    source = CameraSource(target_video)
    output = NullOutput()
    records = RecordStore(data_dir())
    session = LiveSession(
        source,
        create_backend("blazepose"),
        encoder,
        [output],
        Compositor(640, 480),
        lambda name: target,
        [],
        records,
        LiveSettings(countdown=0.0),
    )
    timer = threading.Timer(5.5, session.stop)  # past the 3 s an attempt needs to be graded
    timer.start()
    before = len(sessions())
    try:
        summary = session.run(first_target=target_video).to_dict()
    finally:
        timer.cancel()
        source.close()
    assert summary["frames"] > 5 and output.frames_sent > 5
    assert len(sessions()) == before + 1
    assert records.personal_best(target.sha) is not None


def test_control_methods_pause_restart_and_switch_targets(testdata: Path):
    encoder = load_encoder()
    names = {
        "squats": video(testdata, "squats_1person_5fps.mp4"),
        "dance": video(testdata, "dance_1person_30fps.mp4"),
    }
    loaded = {n: Workspace().load_target(p, encoder) for n, p in names.items()}
    from posesim_cam.capture import FileSource

    source = FileSource(names["dance"])
    session = LiveSession(
        source,
        create_backend("blazepose"),
        encoder,
        [NullOutput()],
        Compositor(640, 480),
        lambda name: loaded[name],
        ["squats", "dance"],
        RecordStore(data_dir()),
        LiveSettings(countdown=0.0, drop_frames=False, pose_every_frame=True),
    )
    session.next_target()  # applied before the first frame: squats -> dance
    session.pause()
    summary = session.run().to_dict()
    assert session.target_name == loaded["dance"].name != loaded["squats"].name
    # Paused from the first frame on: nothing was scored, so no attempt summary.
    assert summary["score"] is None and summary["frames"] == 120


def test_unknown_target_is_a_user_error(testdata: Path):
    with pytest.raises(UserError, match="neither a target in the library"):
        run_live(
            source=video(testdata, "dance_1person_30fps.mp4"),
            target="no-such-target",
            output="null",
        )


def test_run_cli_prints_the_summary_as_the_last_json_line(testdata: Path):
    squats = video(testdata, "squats_1person_5fps.mp4")
    result = cli("run", "--source", squats, "--target", squats, "--output", "null", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"score", "frames", "fps"} <= summary.keys() and summary["frames"] == 65


def test_run_without_a_virtual_camera_device_says_how_to_get_one(testdata: Path):
    squats = video(testdata, "squats_1person_5fps.mp4")
    result = cli("run", "--source", squats, "--target", squats)
    assert_user_error(result, "v4l2loopback", "exclusive_caps=1")


def test_run_with_a_missing_camera(testdata: Path):
    squats = video(testdata, "squats_1person_5fps.mp4")
    result = cli("run", "--camera", "57", "--target", squats, "--output", "null")
    assert_user_error(result, "camera")


def test_a_camera_that_drops_out_shows_camera_lost_and_comes_back():
    from tests.capture.test_capture import FakeCamera
    from tests.polling import wait_until

    camera = FakeCamera(fps=60.0, die_after=15)
    source = CameraSource(0, opener=camera.open, reconnect_interval=0.05)
    phases: list[str] = []
    compositor = Compositor(640, 480)
    compose = compositor.compose

    def spy(image, hud):  # type: ignore[no-untyped-def]
        phases.append(hud.phase)
        return compose(image, hud)

    compositor.compose = spy  # type: ignore[method-assign]
    output = NullOutput()
    session = LiveSession(
        source,
        create_backend("blazepose"),
        load_encoder(),
        [output],
        compositor,
        lambda name: None,
        [],
        RecordStore(data_dir()),
        LiveSettings(),  # type: ignore[arg-type]
    )
    runner = threading.Thread(target=session.run)
    runner.start()
    try:
        assert wait_until(lambda: "camera_lost" in phases, 10.0), phases[-5:]
        camera.plugged.set()
        lost_at = len(phases)
        assert wait_until(lambda: any(p != "camera_lost" for p in phases[lost_at:]), 10.0), (
            "frames never came back after the camera returned"
        )
    finally:
        session.stop()
        runner.join(timeout=10)
        source.close()
    assert not runner.is_alive()
    assert phases[0] == "idle"  # no target: the camera picture still goes out


def test_doctor_names_what_to_fix_here(fake_backend: type[FakeBackend]):
    checks = {c.name: c for c in doctor_command.doctor(camera=57)}
    assert not checks["camera"].ok and "camera" in checks["camera"].detail.lower()
    assert checks["virtual camera"].ok  # the fake backend stands in for v4l2loopback
    assert checks["pose backend"].ok and checks["encoder"].ok
    assert not checks["targets"].ok and "targets add" in checks["targets"].detail


def test_doctor_cli_without_a_virtual_camera_exits_1():
    result = cli("doctor", "--camera", "57")
    assert result.returncode == 1
    assert "v4l2loopback" in result.stdout and "Traceback" not in result.stderr


def test_stats_lines_name_every_stage(testdata: Path):
    squats = video(testdata, "squats_1person_5fps.mp4")
    result = cli("run", "--source", squats, "--target", squats, "--output", "null", "--stats")
    assert result.returncode == 0, result.stderr
    line = [x for x in result.stderr.splitlines() if x.startswith("stats:")][-1]
    for stage in ("capture_age", "pose", "scoring", "compose", "output", "latency"):
        assert f"{stage} " in line, line
    assert result.stdout.startswith("Session ended: squats_1person_5fps: score")


def test_config_file_gives_defaults_and_flags_win(testdata: Path, tmp_path: Path):
    squats = video(testdata, "squats_1person_5fps.mp4")
    out = tmp_path / "config-out.mp4"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[run]\nsource = "{squats}"\ntarget = "{squats}"\noutput = "file:{out}"\n'
        'size = "640x480"\ncountdown = 0\n'
    )
    result = cli("run", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    import cv2

    capture = cv2.VideoCapture(str(out))
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH), capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (
        640,
        480,
    )
    flagged = cli("run", "--config", str(config), "--output", "null", "--size", "320x240", "--json")
    assert flagged.returncode == 0, flagged.stderr
    assert json.loads(flagged.stdout.splitlines()[-1])["frames"] == 65


def test_config_file_mistakes_are_one_sentence(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text("[run]\ncamra = 1\n")
    unknown = "Unknown key 'camra' in the config file's [run] table"
    assert_user_error(cli("run", "--config", str(config)), unknown)
    config.write_text("[run\n")
    assert_user_error(cli("run", "--config", str(config)), "is not valid TOML")
    assert_user_error(cli("run", "--config", str(tmp_path / "none.toml")), "does not exist")
    assert_user_error(cli("run", "--size", "big", "--output", "null"), "--size must be a size")


def test_sigterm_ends_the_session_cleanly_with_a_record(testdata: Path, tmp_path: Path):
    import os
    import signal
    import subprocess
    import sys

    squats = video(testdata, "squats_1person_5fps.mp4")
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    command = [
        str(Path(sys.executable).parent / "posesim-cam"),
        "run",
        "--source",
        squats,
        "--target",
        squats,
        "--output",
        "null",
        "--loop",
        "--realtime",
        "--json",
        "--stats",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        # The first stats line (after 5 s of running) shows the loop is up: then stop it.
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("stats:"):
                break
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["frames"] > 5
    assert list((tmp_path / "data" / "posesim-cam" / "sessions").glob("*.json"))


def test_a_target_with_nobody_in_it(testdata: Path, tmp_path: Path):
    empty = write_empty_video(tmp_path / "empty_target.mp4")
    squats = video(testdata, "squats_1person_5fps.mp4")
    result = cli("run", "--source", squats, "--target", str(empty), "--output", "null")
    assert_user_error(result, "No person was found", "empty_target.mp4")


class ScatteringBackend:
    """Real MediaPipe whose poses come out scattered over the frame: a tracker gone wrong."""

    def __init__(self) -> None:
        self.inner = create_backend("blazepose")
        self.name = "blazepose"
        self.rng = np.random.default_rng(0)

    def estimate(self, frame_bgr: np.ndarray) -> list[Pose]:
        poses = self.inner.estimate(frame_bgr)
        size = np.array(frame_bgr.shape[1::-1], np.float32)
        return [
            Pose.from_keypoints(self.rng.uniform(0, 1, (17, 2)) * size, p.scores) for p in poses
        ]

    def reset(self) -> None:
        self.inner.reset()

    def close(self) -> None:
        self.inner.close()


def test_a_broken_pose_track_ends_in_cannot_score_and_no_personal_best(testdata: Path):
    from posesim_cam.capture import FileSource

    encoder = load_encoder()
    dance = video(testdata, "dance_1person_30fps.mp4")
    target = Workspace().load_target(dance, encoder)
    records = RecordStore(data_dir())
    before = records.personal_best(target.sha)
    session = LiveSession(
        FileSource(dance),
        ScatteringBackend(),
        encoder,
        [NullOutput()],
        Compositor(640, 480),
        lambda name: target,
        [],
        records,
        LiveSettings(countdown=0.0, drop_frames=False, pose_every_frame=True),
    )
    result = session.run(first_target=dance)
    summary = result.to_dict()
    assert summary["score"] is None and summary["grade"] == "Cannot score", summary
    assert "no body" in summary["cannot_score"]
    assert records.personal_best(target.sha) == before
    assert "cannot score" in run_command.format_summary(result)


def test_doctor_tells_whether_the_heavy_model_is_installed(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    checks = {c.name: c for c in doctor_command.doctor(camera=57)}
    assert checks["heavy model"].ok and "not installed (optional)" in checks["heavy model"].detail
    assert "posesim-cam models add" in checks["heavy model"].detail
