"""The student's link and the instructor's board against a real redis-server: what is sent (and
only that), expiry on every key, a Redis killed and restarted empty mid-class, taken names,
wrong passwords, and a board that ranks students live and ignores junk."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from posesim_cam.classroom.address import parse_class_url
from posesim_cam.classroom.board import ClassBoard
from posesim_cam.classroom.connection import open_client
from posesim_cam.classroom.keys import ClassKeys
from posesim_cam.classroom.link import ClassLink, LinkState, NameTakenError, claim_name
from posesim_cam.classroom.results import read_rankings
from posesim_cam.clock import Phase
from posesim_cam.commands.classroom import join_class
from posesim_cam.control.controls import Status
from posesim_cam.errors import UserError
from posesim_cam.records import AttemptRecord
from posesim_cam.scoring.outcome import Outcome
from tests.classroom.redis_server import RedisServer
from tests.polling import wait_until

SHA = "a581dd3c6495" + "0" * 52


def status(score: float | None, phase: Phase = Phase.PLAYING) -> Status:
    return Status(target="dance", state=phase, score=score, grade=None, fps=30.0, targets=1)


def attempt(score: float, sha: str = SHA) -> AttemptRecord:
    return AttemptRecord(
        "dance", sha, "encoder_v2-x", True, Outcome(score, 0.9, 120, 118, False, [])
    )


def link(server: RedisServer, player: str, score: list, machine: str = "m1") -> ClassLink:
    """A link whose session reports ``score[0]`` (a list, so the test can change it)."""
    address = parse_class_url(server.url())
    return ClassLink(address, player, machine, lambda: status(score[0])).start()


def test_live_scores_and_final_records_reach_redis_with_an_expiry_on_every_key(
    redis_server: RedisServer,
):
    ana = link(redis_server, "Ana", [72.5])
    client, keys = redis_server.client(), ClassKeys("test")
    try:
        assert wait_until(lambda: client.hget(keys.players, "ana") is not None, 10)
        live = json.loads(client.hget(keys.players, "ana"))
        assert set(live) == {"v", "player", "score", "grade", "target", "state", "sent"}
        assert (live["player"], live["score"], live["state"]) == ("Ana", 72.5, "playing")
        ana.submit(attempt(88.25))
        assert wait_until(lambda: client.hlen(keys.results) == 1, 10)
        (stored,) = [json.loads(v) for v in client.hgetall(keys.results).values()]
        # Names and scores only: no frame, pose or path leaves the machine.
        assert set(stored) == {"v", "id", "player", "target", "target_sha", "score", "grade",
                               "frames", "scored_frames", "finished", "time"}  # fmt: skip
        assert (stored["score"], stored["target_sha"], stored["frames"]) == (88.25, SHA, 120)
        assert client.zscore(keys.rank(SHA), "ana") == 88.25
        every_key = list(client.scan_iter(match=keys.pattern))
        assert len(every_key) == 5  # players, claim, results, rank, targets
        assert all(client.ttl(key) > 0 for key in every_key), {k: client.ttl(k) for k in every_key}
        assert client.ttl(keys.claim("Ana")) <= 60
        assert ana.state == LinkState.ONLINE and ana.badge is None
    finally:
        ana.close()


def test_redis_killed_and_restarted_empty_mid_class_loses_no_final_record(
    redis_server: RedisServer,
):
    ana = link(redis_server, "Ana", [60.0])
    keys = ClassKeys("test")
    try:
        ana.submit(attempt(61.0))
        assert wait_until(lambda: redis_server.client().hlen(keys.results) == 1, 10)
        redis_server.kill()  # a crash: nothing was saved to disk
        assert wait_until(lambda: ana.state == LinkState.OFFLINE, 10)
        ana.submit(attempt(77.0))  # while Redis is away: queued
        assert ana.badge == "class offline (1 waiting)"
        redis_server.start()  # back, empty
        client = redis_server.client()
        assert wait_until(lambda: client.hlen(keys.results) == 2, 20)
        scores = sorted(json.loads(v)["score"] for v in client.hgetall(keys.results).values())
        assert scores == [61.0, 77.0]
        assert client.zscore(keys.rank(SHA), "ana") == 77.0
        assert ana.state == LinkState.ONLINE and ana.badge is None
    finally:
        ana.close()


def test_a_name_held_by_another_machine_is_refused_in_one_sentence(redis_server: RedisServer):
    client, keys = redis_server.client(), ClassKeys("test")
    claim_name(client, keys, "Ana", "machine-1", "test")
    claim_name(client, keys, "ana", "machine-1", "test")  # the same machine again: its own
    with pytest.raises(NameTakenError, match=r"The name 'ANA' is taken in class 'test'"):
        claim_name(client, keys, "ANA", "machine-2", "test")
    ben = link(redis_server, "Ana", [50.0], machine="machine-2")
    try:
        assert wait_until(lambda: ben.state == LinkState.NAME_TAKEN, 10)
        assert ben.badge == "class name taken"
    finally:
        ben.close()


def test_a_wrong_or_missing_password_is_one_sentence(tmp_path: Path):
    server = RedisServer(tmp_path, password="right-password").start()
    try:
        with pytest.raises(UserError, match=r"refused the password\. Check the password"):
            open_client(parse_class_url(server.url(password="wrong")))
        with pytest.raises(UserError, match=r"needs a password\. Put it in the class URL"):
            open_client(parse_class_url(f"redis://127.0.0.1:{server.port}/test"))
        open_client(parse_class_url(server.url())).close()
    finally:
        server.kill()


def test_the_board_ranks_students_live_and_ignores_junk(redis_server: RedisServer):
    ana_score, ben_score = [40.0], [90.0]
    ana, ben = link(redis_server, "Ana", ana_score), link(redis_server, "Ben", ben_score, "m2")
    board = ClassBoard(parse_class_url(redis_server.url())).start()
    client, keys = redis_server.client(), ClassKeys("test")

    def order() -> list[str]:
        return [p["name"] for p in board.snapshot()["players"] if p["score"] is not None]

    try:
        assert wait_until(lambda: order() == ["Ben", "Ana"], 10), board.snapshot()
        ana_score[0] = 95.0  # Ana overtakes
        assert wait_until(lambda: order() == ["Ana", "Ben"], 10), board.snapshot()
        for junk in ("nonsense", "[]", json.dumps({"player": "<b>", "score": 1e9}),
                     json.dumps({"player": "Mallory", "score": float("nan")})):  # fmt: skip
            client.publish(keys.live, junk)
        time.sleep(0.5)
        names = {p["name"]: p for p in board.snapshot()["players"]}
        assert names["b"]["score"] is None  # shown cleaned, its score refused
        assert names["Mallory"]["score"] is None
        ana.submit(attempt(93.0))
        ben.submit(attempt(88.0))
        assert wait_until(lambda: len(board.snapshot()["finals"]) == 1, 10)
        (final,) = board.snapshot()["finals"]
        assert [(p["rank"], p["player"], p["score"]) for p in final["players"]] == [
            (1, "Ana", 93.0), (2, "Ben", 88.0)]  # fmt: skip
        assert read_rankings(client, keys)[0].rows[0].player == "Ana"
    finally:
        for closing in (ana, ben, board):
            closing.close()


def test_the_acl_user_of_docs_class_md_runs_a_class_and_nothing_else(redis_server: RedisServer):
    import shlex

    from tests.conftest import REPO_ROOT

    docs = (REPO_ROOT / "docs" / "class.md").read_text()
    (line,) = [row for row in docs.splitlines() if row.startswith("ACL SETUSER")]
    redis_server.client().execute_command(*shlex.split(line.replace("CLASS-PASSWORD", "pw")))
    url = f"redis://yoga-monday:pw@127.0.0.1:{redis_server.port}/yoga-monday"
    address = parse_class_url(url)
    ana = ClassLink(address, "Ana", "m1", lambda: status(64.0)).start()
    board = ClassBoard(address).start()
    try:
        ana.submit(attempt(70.0))
        assert wait_until(lambda: len(board.snapshot()["finals"]) == 1, 10), ana.state
        assert board.snapshot()["players"][0]["score"] == 64.0 and board.online
        other = parse_class_url(url.rsplit("/", 1)[0] + "/other")
        with pytest.raises(UserError, match="does not let this login use class 'other'"):
            join_class(other, "Ana", "m1")  # what `run --class` does before the session
        assert "FLUSHALL" not in line.upper() and "@" not in line.split(">")[1].split()[0]
    finally:
        ana.close()
        board.close()


def test_poisoned_entries_in_redis_never_take_the_board_down(redis_server: RedisServer):
    client, keys = redis_server.client(), ClassKeys("test")
    poison = [
        "[" * 100000,
        json.dumps({"player": "Zed", "state": ["x"], "score": 10**400}),
        json.dumps({"player": "Yan", "score": 50, "sent": 10**400}),
        "x" * 100000,
    ]
    for k, text in enumerate(poison):
        client.hset(keys.players, f"p{k}", text)
        client.hset(keys.results, f"r{k}", text)
        client.publish(keys.live, text)
    client.hset(keys.results, "good", json.dumps({"player": "Ana", "score": 80, "target": "d",
                                                  "target_sha": "abc", "time": "t"}))  # fmt: skip
    board = ClassBoard(parse_class_url(redis_server.url())).start()
    try:
        assert wait_until(lambda: board.online and board.snapshot()["finals"], 10)
        time.sleep(2.5)  # the rankings are read again, poison and all
        assert board.online
        names = {p["name"]: p for p in board.snapshot()["players"]}
        assert names["Zed"]["score"] is None and names["Zed"]["state"] != "playing"
        assert names["Yan"]["score"] == 50.0
        (final,) = board.snapshot()["finals"]
        assert [p["player"] for p in final["players"]] == ["Ana"]
    finally:
        board.close()


def test_a_server_that_never_answers_is_one_sentence_within_the_timeout():
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts, never replies
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(UserError, match=r"did not answer within 3 s"):
            open_client(parse_class_url(f"redis://127.0.0.1:{port}/test"))
        assert time.monotonic() - started < 8  # redis-py's own retries would take 30 s and more


def test_a_name_taken_while_this_machine_stalled_stops_it_and_the_board_sees_who_left(
    redis_server: RedisServer,
):
    gus = link(redis_server, "Gus", [50.0], machine="laptop-1")
    cy = link(redis_server, "Cy", [40.0], machine="laptop-2")
    board = ClassBoard(parse_class_url(redis_server.url())).start()
    client, keys = redis_server.client(), ClassKeys("test")
    try:
        assert wait_until(lambda: len(board.snapshot()["players"]) == 2, 10)
        # Gus's laptop slept past the claim's minute and another machine took "gus".
        client.set(keys.claim("gus"), "laptop-3", ex=60)
        assert wait_until(lambda: gus.state == LinkState.NAME_TAKEN, 10)
        assert client.get(keys.claim("gus")) == "laptop-3"  # never taken back
        assert gus.badge == "class name taken"
        cy.close()
        assert wait_until(lambda: {p["name"]: p["state"] for p in board.snapshot()["players"]}
                          .get("Cy") == "left", 10)  # fmt: skip
    finally:
        for closing in (gus, cy, board):
            closing.close()
