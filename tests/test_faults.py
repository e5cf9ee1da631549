"""Faults a live session survives, and bad input at its edges, through the real command line:
no virtual-camera device beside other outputs, a records folder that cannot be written, a
source with nobody in it, outputs that would destroy an input, edge videos."""

from __future__ import annotations

import json
from pathlib import Path

import cv2

from tests.test_cli import assert_user_error, cli, write_empty_video


def test_no_virtual_camera_device_leaves_the_other_outputs_going(testdata: Path, tmp_path: Path):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    out = tmp_path / "out.mp4"
    # This machine has no v4l2loopback device: the real virtualcam output cannot start.
    result = cli("run", "--source", squats, "--target", squats, "--no-control",
                 "--output", f"virtualcam,file:{out}", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "The session goes on without the virtualcam output" in result.stderr
    assert "Traceback" not in result.stderr
    capture = cv2.VideoCapture(str(out))
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) >= 65
    assert json.loads(result.stdout.splitlines()[-1])["score"] >= 85
    alone = cli(
        "run", "--source", squats, "--target", squats, "--no-control", "--output", "virtualcam"
    )
    assert_user_error(alone, "v4l2loopback")  # the only output: one sentence, exit 2


def test_records_that_cannot_be_written_are_a_warning_and_the_session_ends_well(
    testdata: Path, tmp_path: Path
):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    blocked = tmp_path / "data"
    blocked.write_text("a file where the data folder should be")
    result = cli("run", "--source", squats, "--target", squats, "--no-control",
                 "--output", "null", "--library", str(tmp_path / "lib"),
                 env={"XDG_DATA_HOME": str(blocked)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "cannot be written to" in line]
    assert len(warnings) == 1 and "kept in memory" in warnings[0], result.stderr
    assert "Record: not written" in result.stdout and "score" in result.stdout


def test_a_source_with_nobody_in_it_is_one_sentence(testdata: Path, tmp_path: Path):
    empty = write_empty_video(tmp_path / "nobody.mp4", frames=30)
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    result = cli(
        "run", "--source", str(empty), "--target", squats, "--no-control", "--output", "null"
    )
    assert_user_error(result, "No person was seen in", "during the whole session")


def test_outputs_that_would_overwrite_an_input_are_refused(testdata: Path, tmp_path: Path):
    source = tmp_path / "mine.mp4"
    source.write_bytes((testdata / "video" / "squats_1person_5fps.mp4").read_bytes())
    before = source.read_bytes()
    run = cli("run", "--source", str(source), "--target", str(source), "--no-control",
              "--output", f"null,file:{source}")  # fmt: skip
    assert_user_error(run, "is the video", "being read", "Write the output to another path")
    render = cli("score", str(source), str(source), "--render", str(source))
    assert_user_error(render, "is the video", "being read")
    assert source.read_bytes() == before


def test_a_file_output_that_is_a_folder_or_no_video_is_refused_at_once(
    testdata: Path, tmp_path: Path
):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    for output, phrase in (
        (f"file:{tmp_path}", "is a folder"),
        (f"file:{tmp_path}/o.txt", "video extension"),
    ):
        result = cli(
            "run", "--source", squats, "--target", squats, "--no-control", "--output", output
        )
        assert_user_error(result, phrase)
    assert not list(tmp_path.glob(".*partial*"))


def test_a_one_frame_video_and_an_image_read_as_one_frame(testdata: Path, tmp_path: Path):
    from posesim_cam.video import iter_frames

    image = testdata / "images" / "person_full_body.jpg"
    one = tmp_path / "one.mp4"
    picture = cv2.imread(str(image))
    writer = cv2.VideoWriter(str(one), cv2.VideoWriter_fourcc(*"mp4v"), 10, picture.shape[1::-1])
    writer.write(picture)
    writer.release()
    for path in (one, image):
        frames = list(iter_frames(path))
        assert len(frames) == 1 and frames[0][1] is not None  # (mp4v rounds odd sizes)
    pose = cli("pose", str(one), "--json")
    assert pose.returncode == 0, pose.stderr
    assert json.loads(pose.stdout.splitlines()[0])["person"]["keypoints"]["nose"]


def test_a_video_cut_short_is_one_sentence(testdata: Path, tmp_path: Path):
    # An AVI (its header first, its index last) still opens when cut short; its header then
    # promises frames it does not hold.
    source = testdata / "video" / "dance_1person_30fps.mp4"
    whole = tmp_path / "whole.avi"
    capture = cv2.VideoCapture(str(source))
    ok, frame = capture.read()
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 30, frame.shape[1::-1])
    while ok:
        writer.write(frame)
        ok, frame = capture.read()
    writer.release()
    cut = tmp_path / "cut.avi"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    result = cli("targets", "add", str(cut), "--library", str(tmp_path / "lib"))
    assert_user_error(result, "is cut short", "Copy, download or export it again")
    assert not (tmp_path / "lib" / "library.json").exists()


def test_ffmpeg_says_nothing_before_the_one_sentence(tmp_path: Path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("not a video")
    result = cli("pose", str(fake))
    assert_user_error(result, "cannot be read as a video")
    assert result.stderr.count("\n") == 1, result.stderr


def test_passwords_and_tokens_never_reach_the_console_or_the_json(testdata: Path, tmp_path: Path):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    password, token = "obs-secret-pw-4711", "control-secret-token-0815"
    # OBS is not there (a closed port): the link says so, in a line of its own.
    result = cli("run", "--source", squats, "--target", squats, "--output", "null", "--json",
                 "--control-port", "0", "--obs", "127.0.0.1:9", "--obs-password", password,
                 "--token", token)  # fmt: skip
    assert result.returncode == 0, result.stderr
    for secret in (password, token):
        assert secret not in result.stdout and secret not in result.stderr
    wrong = cli("run", "--output", "null", "--token", "short")
    assert "short" not in wrong.stderr.replace("too short", "")
    config = tmp_path / "config.toml"
    config.write_text(f'[run]\nobs_password = 5\ntoken = "{token}"\n')
    typed = cli("run", "--config", str(config), "--output", "null")
    assert_user_error(typed, "obs_password in the config file's [run] table must be text")
    assert token not in typed.stderr


def test_an_attempt_stopped_at_once_is_too_short_to_grade(testdata: Path, tmp_path: Path):
    from posesim_cam.attempt import too_short

    assert too_short(0.1, 13.0) is not None and too_short(3.25, 13.0) is None
    assert too_short(2.9, 4.0) is not None and too_short(3.0, 4.0) is None  # at least 3 s
    assert too_short(1.9, 2.0) is not None and too_short(2.0, 2.0) is None  # all of a short one
    assert too_short(14.9, 60.0) is not None and too_short(15.0, 60.0) is None  # a quarter
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    capture = cv2.VideoCapture(str(squats))
    _, frame = capture.read()
    short = tmp_path / "short.mp4"
    writer = cv2.VideoWriter(str(short), cv2.VideoWriter_fourcc(*"mp4v"), 10, frame.shape[1::-1])
    writer.write(frame)  # a tenth of a second of the right pose
    writer.release()
    data = tmp_path / "data"
    result = cli("run", "--source", str(short), "--target", str(squats), "--no-control",
                 "--output", "null", "--json", env={"XDG_DATA_HOME": str(data)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["score"] is None and "too short to grade" in summary["cannot_score"]
    assert not (data / "posesim-cam" / "personal_bests.json").exists()
