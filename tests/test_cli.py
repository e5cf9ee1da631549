"""The command line, through the installed console script: output contracts and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "posesim-cam"


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "posesim_cam"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def assert_user_error(result: subprocess.CompletedProcess, *phrases: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("posesim-cam:")]
    assert len(lines) == 1, result.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def test_score_json_contract(testdata: Path):
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    result = cli("score", str(squats), str(squats), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"score", "similarity", "frames", "timeline"} <= data.keys()
    assert data["frames"] == 65 and data["score"] >= 95
    assert len(data["timeline"]) == 13  # 65 frames at 5 fps
    assert all(0 <= p["score"] <= 100 for p in data["timeline"])


def test_score_plain_output_and_library_names(testdata: Path, tmp_path: Path):
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    dance = testdata / "video" / "dance_1person_30fps.mp4"
    lib = ["--library", str(tmp_path / "lib")]
    added = cli("targets", "add", str(squats), "--name", "squats", *lib)
    assert added.returncode == 0 and "Added 'squats'" in added.stdout, added.stderr
    again = cli("targets", "add", str(squats), "--name", "squats", *lib)
    assert again.returncode == 0 and "Already in the library" in again.stdout
    assert_user_error(cli("targets", "add", str(dance), "--name", "squats", *lib), "--replace")
    listed = cli("targets", "list", *lib)
    assert listed.stdout.startswith("squats")
    scored = cli("score", "squats", str(dance), *lib)
    assert scored.returncode == 0, scored.stderr
    assert scored.stdout.startswith("Score ") and "second  score" in scored.stdout
    removed = cli("targets", "remove", "squats", *lib)
    assert removed.returncode == 0
    assert_user_error(cli("score", "squats", str(dance), *lib), "neither a target")


def test_pose_command_prints_keypoints(testdata: Path):
    image = testdata / "images" / "person_full_body.jpg"
    result = cli("pose", str(image), "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["person"] is not None
    assert set(record["person"]["keypoints"]) >= {"nose", "left_ankle", "right_wrist"}


@pytest.mark.parametrize("kind", ["missing", "not_video", "folder"])
def test_bad_attempt_is_one_sentence_and_exit_2(testdata: Path, tmp_path: Path, kind: str):
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    path = {
        "missing": tmp_path / "nope.mp4",
        "not_video": tmp_path / "text.mp4",
        "folder": tmp_path,
    }[kind]
    if kind == "not_video":
        path.write_text("this is not a video")
    assert_user_error(cli("score", str(squats), str(path), "--json"), str(path))


def write_empty_video(path: Path, frames: int = 20) -> Path:
    """A real mp4 of an empty, slowly brightening scene: nobody to find in it."""
    import cv2
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240))
    for k in range(frames):
        writer.write(np.full((240, 320, 3), 40 + k, np.uint8))
    writer.release()
    return path


def test_video_with_no_person(tmp_path: Path, testdata: Path):
    empty = write_empty_video(tmp_path / "empty.mp4")
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    assert_user_error(cli("score", str(squats), str(empty)), "No person was found", "attempt")


@pytest.mark.torch
def test_unwritable_model_output(tmp_path: Path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions: use a path under a file
            target = tmp_path / "file.txt"
            target.write_text("x")
            out = target / "model.npz"
        else:
            out = locked / "model.npz"
        assert_user_error(cli("train", "--out", str(out), "--steps", "1"), "Cannot write")
    finally:
        locked.chmod(0o700)


def test_wrong_model_file(tmp_path: Path, testdata: Path):
    bogus = tmp_path / "model.pt"
    bogus.write_bytes(b"not a checkpoint")
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    assert_user_error(
        cli("score", str(squats), str(squats), "--model", str(bogus)), "not a posesim-cam encoder"
    )


def test_score_render_writes_the_composition(testdata: Path, tmp_path: Path):
    import cv2

    target = testdata / "video" / "dance_1person_30fps.mp4"
    out = tmp_path / "render.mp4"
    result = cli("score", str(target), str(target), "--render", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["score"] >= 95
    video = cv2.VideoCapture(str(out))
    frames = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (640, 480)
    assert frames == 120 + 60  # every attempt frame, then 2 s of the summary card
    ok, first = video.read()
    assert ok and first.std() > 10  # a real picture, not a blank frame
    assert [p.name for p in tmp_path.iterdir()] == ["render.mp4"]  # no temporary file left


def test_score_render_to_an_unwritable_path(testdata: Path, tmp_path: Path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    target = testdata / "video" / "squats_1person_5fps.mp4"
    result = cli("score", str(target), str(target), "--render", str(blocker / "out.mp4"))
    assert_user_error(result, "Cannot write", "out.mp4")
