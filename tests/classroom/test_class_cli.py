"""Class mode through the real commands: two students running real clips against the same
target with a real redis-server and a real board; and the one sentence (exit 2, before the
session) for each bad class setting."""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from pathlib import Path

import pytest

from posesim_cam.classroom.keys import ClassKeys
from posesim_cam.classroom.link import claim_name
from tests.classroom.redis_server import RedisServer
from tests.control.browser import SCRIPT, free_port, posesim, user_env
from tests.polling import wait_until


def start(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([str(SCRIPT), *args], env=env, stdout=out, stderr=out)


def board_json(port: int) -> dict | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/board.json")
        response = connection.getresponse()
        return json.loads(response.read()) if response.status == 200 else None
    except OSError:
        return None


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_students_rank_live_on_the_board_and_in_the_final_results(
    redis_server: RedisServer, testdata: Path, tmp_path: Path
):
    video = testdata / "video"
    target = str(video / "squats_1person_5fps.mp4")
    url, port = redis_server.url("pe-101"), free_port()
    envs = {name: user_env(tmp_path / name) for name in ("coach", "ana", "ben")}
    board = start("class", "board", url, "--port", str(port), env=envs["coach"],
                  log=tmp_path / "board.log")  # fmt: skip
    common = ["--target", target, "--realtime", "--output", "null", "--no-control",
              "--class", url]  # fmt: skip
    # Ana does the target's own movement; Ben dances to it.
    ana = start("run", "--source", target, *common, "--player", "Ana", env=envs["ana"],
                log=tmp_path / "ana.log")  # fmt: skip
    ben = start("run", "--source", str(video / "dance_1person_30fps.mp4"), "--loop", *common,
                "--player", "Ben", env=envs["ben"], log=tmp_path / "ben.log")  # fmt: skip
    logs = lambda: {n: (tmp_path / f"{n}.log").read_text()[-1500:] for n in ("board", "ana", "ben")}  # noqa: E731
    try:
        seen: list[dict] = []

        def ranked_live_while_both_run() -> bool:
            # Both processes running, both scored, Ana first, and someone still playing. (On a
            # loaded machine their starts can be seconds apart, so Ben may already be on his
            # summary card, which shows his final score, while Ana plays.)
            data = board_json(port)
            players = [p for p in (data or {}).get("players", []) if p["score"] is not None]
            seen.append(data or {})
            return (
                ana.poll() is None and ben.poll() is None
                and [p["name"] for p in players] == ["Ana", "Ben"]
                and any(p["state"] == "playing" for p in players)
                and all(p["target"] == "squats_1person_5fps" for p in players)
            )  # fmt: skip

        assert wait_until(ranked_live_while_both_run, 90, 0.25), (seen[-3:], logs())
        assert ana.wait(timeout=120) == 0, logs()  # her clip ends with the target

        def ranked_finals() -> list:
            finals = (board_json(port) or {}).get("finals", [])
            return finals[0]["players"] if finals else []

        # Ben's looping clip plays on; his target ends 13 s in, and his record goes too.
        assert wait_until(lambda: len(ranked_finals()) == 2, 90, 0.25), logs()
        stop(ben)
        rows = ranked_finals()
        assert [(r["rank"], r["player"]) for r in rows] == [(1, "Ana"), (2, "Ben")], rows
        assert rows[0]["score"] > rows[1]["score"] + 20
        results = posesim("class", "results", url, "--json", env=envs["coach"])
        assert results.returncode == 0, results.stderr
        (final,) = json.loads(results.stdout)["targets"]
        assert [p["player"] for p in final["players"]] == ["Ana", "Ben"]
        assert final["target"] == "squats_1person_5fps" and len(final["target_sha"]) >= 16
        table = posesim("class", "results", url, "--csv", env=envs["coach"])
        lines = table.stdout.splitlines()
        assert lines[0].startswith("target,target_sha,rank,player,score") and len(lines) == 3
    finally:
        for process in (ana, ben, board):
            stop(process)


@pytest.fixture
def taken(redis_server: RedisServer) -> RedisServer:
    claim_name(redis_server.client(), ClassKeys("test"), "Ana", "someone-else", "test")
    return redis_server


def test_each_bad_class_setting_is_one_sentence_before_the_session(
    taken: RedisServer, testdata: Path, tmp_path: Path
):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    env = user_env(tmp_path / "home")
    closed = free_port()
    cases = [
        (["--class", "http://127.0.0.1/test", "--player", "Bo"], "starts with redis://"),
        (["--class", f"redis://127.0.0.1:{closed}/test", "--player", "Bo"], "cannot be reached"),
        (["--class", taken.url(), "--player", "ana"], "The name 'ana' is taken in class 'test'"),
        (["--class", taken.url(), "--player", "  "], "--player must not be empty"),
        (["--class", taken.url(), "--player", "B" * 30], "a name has at most 24"),
        (["--class", taken.url()], "--class needs --player NAME"),
        (["--player", "Bo"], "--player names you in a class"),
        (["--class", taken.url(), "--player", "Bo", "--players", "2"], "one player per machine"),
    ]
    for extra, phrase in cases:
        started = time.monotonic()
        done = posesim("run", "--source", squats, "--target", squats, "--output", "null",
                       "--no-control", *extra, env=env)  # fmt: skip
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, (extra, done.stderr)
        assert len(lines) == 1 and phrase in lines[0] and "Traceback" not in done.stderr, lines
        assert time.monotonic() - started < 30  # before any pose work


def test_wrong_password_and_port_in_use_are_one_sentence(testdata: Path, tmp_path: Path):
    server = RedisServer(tmp_path, password="right-password").start()
    env = user_env(tmp_path / "home")
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    try:
        wrong = server.url(password="wrong")
        for args in (["run", "--source", squats, "--target", squats, "--output", "null",
                      "--no-control", "--class", wrong, "--player", "Bo"],
                     ["class", "board", wrong, "--port", "0"],
                     ["class", "results", wrong]):  # fmt: skip
            done = posesim(*args, env=env)
            assert done.returncode == 2, done.stderr
            assert done.stderr.strip() == (
                f"posesim-cam: The class server 127.0.0.1:{server.port} refused the password. "
                "Check the password in the class URL."
            )
            assert "wrong" not in done.stderr
        with __import__("socket").socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            in_use = busy.getsockname()[1]
            done = posesim("class", "board", server.url(), "--port", str(in_use), env=env)
        assert done.returncode == 2 and f"Port {in_use} on 127.0.0.1 is in use" in done.stderr
        assert done.stderr.count("\n") == 1 and "Choose another with --port PORT." in done.stderr
    finally:
        server.kill()


def test_the_class_and_player_come_from_the_config_file_too(
    taken: RedisServer, testdata: Path, tmp_path: Path
):
    from posesim_cam.commands.run import RunOptions

    options = RunOptions.from_settings({"class": taken.url(), "player": "Ana"})
    assert (options.class_url, options.player) == (taken.url(), "Ana")
    config = tmp_path / "config.toml"
    config.write_text(f'[run]\nclass = "{taken.url()}"\nplayer = "Ana"\n')
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    done = posesim("run", "--config", str(config), "--source", squats, "--target", squats,
                   "--output", "null", "--no-control", env=user_env(tmp_path / "home"))  # fmt: skip
    assert done.returncode == 2 and "The name 'Ana' is taken in class 'test'" in done.stderr
    config.write_text("[run]\nclass = 987654\n")  # a URL may hold a password: never shown
    done = posesim("run", "--config", str(config), "--source", squats, env=user_env(tmp_path))
    assert done.returncode == 2 and "class in the config file's [run] table" in done.stderr
    assert "987654" not in done.stderr


def test_the_url_can_come_from_the_environment(redis_server: RedisServer, tmp_path: Path):
    env = {**user_env(tmp_path), "POSESIM_CLASS": redis_server.url("quiet")}
    done = posesim("class", "results", env=env)
    assert done.returncode == 0 and "Class 'quiet' has no final scores yet." in done.stdout
    cleared = posesim("class", "clear", "--yes", env=env)
    assert cleared.returncode == 0 and "Deleted 0 keys." in cleared.stdout
    env.pop("POSESIM_CLASS")
    missing = posesim("class", "results", env=env)
    assert missing.returncode == 2 and "Missing argument 'URL'" in missing.stderr
