"""Two players in a recorded video: `posesim-cam score --players 2` and `run --player-mode
track`, on the video made from two real clips side by side (tests/players/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.players.conftest import SPLIT
from tests.test_cli import assert_user_error, cli


def dance(testdata: Path) -> str:
    return str(testdata / "video" / "dance_1person_30fps.mp4")


@pytest.mark.parametrize("mode", ["split", "track"])
def test_score_scores_each_player_of_a_recording(two_players: Path, testdata: Path, mode: str):
    result = cli("score", dance(testdata), str(two_players), "--players", "2", "--split-at",
                 SPLIT, "--player-mode", mode, "--player-names", "Ana,Ben", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    ana, ben = summary["players"]
    assert (ana["id"], ana["name"], ben["id"], ben["name"]) == (0, "Ana", 1, "Ben")
    assert ana["score"] >= 85 and ben["score"] <= 40, summary["players"]
    assert ana["frames"] >= 100 and ben["frames"] >= 100
    assert ana["grade"] and ben["grade"]
    assert summary["score"] == ana["score"]


def test_score_prints_a_line_per_player_and_the_ranking(two_players: Path, testdata: Path):
    # The dancer on the right this time: names follow the players' places, left to right.
    result = cli("score", dance(testdata), str(two_players), "--players", "2", "--split-at",
                 SPLIT, "--player-names", "Ben,Ana")  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Ben") and lines[1].startswith("Ana")
    assert lines[-1] == "Ranking: 1. Ben, 2. Ana"


def test_one_player_missing_is_reported_and_the_other_scored(testdata: Path, tmp_path: Path):
    # The dancer alone on the left half; nobody on the right.
    frames = []
    capture = cv2.VideoCapture(dance(testdata))
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(np.hstack([frame, np.full_like(frame, 40)]))
    capture.release()
    video = tmp_path / "alone.mp4"
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
    for frame in frames:
        writer.write(frame)
    writer.release()
    result = cli("score", dance(testdata), str(video), "--players", "2", "--json")
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)["players"]
    assert first["score"] >= 85
    assert second["score"] is None and second["frames"] == 0
    assert second["problem"] == "Player 2 not found"
    text = cli("score", dance(testdata), str(video), "--players", "2")
    assert "(Player 2 not found)" in text.stdout


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        (["--players", "5"], "--players 5 is not a number of players"),
        (["--players", "2", "--split-at", "-0.1"], "--split-at -0.1 puts the line outside"),
        (["--players", "2", "--render", "out.mp4"], "--render draws one player"),
    ],
)
def test_bad_player_options_for_score_are_one_sentence(testdata: Path, options, phrase):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    assert_user_error(cli("score", squats, squats, *options), phrase)


def test_nobody_in_a_recording_of_players_is_one_sentence(testdata: Path, tmp_path: Path):
    video = tmp_path / "empty.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (320, 240))
    for _ in range(20):
        writer.write(np.full((240, 320, 3), 90, np.uint8))
    writer.release()
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    assert_user_error(cli("score", squats, str(video), "--players", "2"), "Nobody was found")


def test_run_tracks_players_with_stable_ids(two_players: Path, testdata: Path):
    result = cli("run", "--source", str(two_players), "--target", dance(testdata), "--output",
                 "null", "--no-control", "--players", "2", "--player-mode", "track",
                 "--player-names", "Ana,Ben", "--split-at", SPLIT, "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    left, right = json.loads(result.stdout.strip().splitlines()[-1])["players"]
    # Ids are given left to right on first sight and then follow the people: had they
    # swapped, the dancer's score would be shared between both.
    assert (left["name"], right["name"]) == ("Ana", "Ben")
    assert left["score"] >= 85 and right["score"] <= 40, (left, right)
