"""Two players live, end to end: `posesim-cam run --players 2` on a video made here from two
real clips side by side (the dancer does the target's movement, the squatter another)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import assert_user_error, cli


def test_each_player_is_scored_on_their_own(two_players: Path, testdata: Path):
    dance = testdata / "video" / "dance_1person_30fps.mp4"
    # The dancer's strip is 480 wide of 750: the line between them sits at 0.64.
    result = cli("run", "--source", str(two_players), "--target", str(dance), "--output",
                 "null", "--no-control", "--players", "2", "--split-at", "0.64",
                 "--player-names", "Ana,Ben", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    left, right = summary["players"]
    assert (left["id"], left["name"], right["id"], right["name"]) == (0, "Ana", 1, "Ben")
    assert left["score"] >= 85 and right["score"] <= 40, summary["players"]
    assert left["frames"] >= 100 and right["frames"] >= 100
    assert summary["score"] == left["score"]  # the first player's, as with one
    players = {a["player"] for a in summary["attempts"]}
    assert players == {"Ana", "Ben"}


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        (["--players", "0"], "--players must be a whole number from 1 to 4, not 0"),
        (["--players", "5"], "--players must be a whole number from 1 to 4, not 5"),
        (
            ["--players", "2", "--split-at", "1.5"],
            "--split-at must be a number from 0.01 to 0.99, not 1.5",
        ),
        (["--players", "2", "--player-names", "A,B,C"], "gives 3 names for 2 players"),
    ],
)
def test_bad_player_options_are_one_sentence(testdata: Path, options: list[str], phrase: str):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    result = cli("run", "--source", squats, "--target", squats, "--output", "null",
                 "--no-control", *options)  # fmt: skip
    assert_user_error(result, phrase)


def test_the_players_are_in_the_status_the_events_and_the_hud(two_players: Path, testdata: Path):
    from posesim_cam.capture import FileSource
    from posesim_cam.commands.workspace import Workspace
    from posesim_cam.config import data_dir
    from posesim_cam.encoder import load_encoder
    from posesim_cam.hud import Compositor
    from posesim_cam.outputs import NullOutput
    from posesim_cam.players import PlayerSetup
    from posesim_cam.players.regions import RegionEstimator
    from posesim_cam.pose.registry import create_backend
    from posesim_cam.records import RecordStore
    from posesim_cam.session import LiveSession, LiveSettings

    encoder = load_encoder()
    dance = str(testdata / "video" / "dance_1person_30fps.mp4")
    target = Workspace().load_target(dance, encoder)
    setup = PlayerSetup(2, split_at=0.64, names=("Ana",))
    seen = []
    huds = []

    class Watching(Compositor):
        def compose(self, camera_bgr, hud):  # type: ignore[no-untyped-def]
            huds.append(hud)
            return super().compose(camera_bgr, hud)

    with FileSource(two_players) as source:
        session = LiveSession(
            source,
            RegionEstimator(lambda t: create_backend("blazepose", threads=t), 2, 0.64),
            encoder,
            [NullOutput()],
            Watching(640, 480),
            lambda name: target,
            [],
            RecordStore(data_dir()),
            LiveSettings(countdown=0.0, drop_frames=False, pose_every_frame=True, players=setup),
        )
        original = session._publish_status

        def spy(phase):  # type: ignore[no-untyped-def]
            original(phase)
            seen.append(session.status())

        session._publish_status = spy  # type: ignore[method-assign]
        session.run(first_target=dance)
    playing = [s for s in seen if s.state.value == "playing" and s.players]
    assert len(playing) > 60
    last = playing[-1]
    names = [p["name"] for p in last.to_dict()["players"]]
    assert names == ["Ana", "Player 2"]
    assert last.event()["players"][0]["score"] > last.event()["players"][1]["score"]
    # The HUD: a score line per player while playing, the ranked card at the end.
    lines = [h.players for h in huds if h.phase.value == "playing" and h.players]
    assert len(lines) > 60 and all(len(line) == 2 for line in lines)
    assert [line.name for line in lines[-1]] == ["Ana", "Player 2"]
    assert sum(h.other_poses[0] is not None for h in huds if h.other_poses) > 60
    finished = [h for h in huds if h.phase.value == "finished"]
    assert finished, "the end card was shown"
    ranking = finished[-1].summary.ranking
    assert [line.name for line in ranking] == ["Ana", "Player 2"]
    assert ranking[0].score > ranking[1].score
