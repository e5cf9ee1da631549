"""Final rankings from what Redis holds: best per player and target, ties share a rank, and
what came over the network is checked."""

from __future__ import annotations

import json

from posesim_cam.classroom.results import _records, clean_score, rankings


def record(player: str, score: object, sha: str = "aaa", time: str = "2026-12-02T10:00:00+00:00",
           **extra: object) -> str:  # fmt: skip
    return json.dumps({"player": player, "score": score, "target_sha": sha, "target": "dance",
                       "grade": "Great", "time": time, **extra})  # fmt: skip


def test_best_attempt_per_player_ranks_and_ties_share_a_place():
    raw = {str(i): text for i, text in enumerate([
        record("Ana", 71.0), record("Ana", 88.5, time="2026-12-02T10:05:00+00:00"),
        record("Ben", 88.5), record("Cy", 40.0), record("Dee", 95.0, sha="bbb"),
    ])}  # fmt: skip
    (dance, other) = rankings(_records(raw))
    assert dance.target_sha == "aaa" and other.target_sha == "bbb"
    assert [(r.rank, r.player, r.score, r.attempts) for r in dance.rows] == [
        (1, "Ana", 88.5, 2), (1, "Ben", 88.5, 1), (3, "Cy", 40.0, 1)]  # fmt: skip
    assert dance.rows[0].time == "2026-12-02T10:05:00+00:00"  # when the best one ended
    assert [(r.rank, r.player) for r in other.rows] == [(1, "Dee")]


def test_what_is_not_a_record_is_left_out():
    raw = {
        "1": "not json", "2": "[1, 2]", "3": record("Ana", float("nan")), "4": record("Ana", 101),
        "5": record("Ana", True), "6": record("<>", 50), "7": record("Ana", 50, sha="../x"),
        "8": record("Ana\x1b", 60.0), "9": record("Bo", "70"),
    }  # fmt: skip
    (only,) = rankings(_records(raw))
    assert [(r.player, r.score) for r in only.rows] == [("Ana", 60.0)]


def test_scores_must_be_finite_and_within_0_to_100():
    assert [clean_score(v) for v in (0, 100, 55.556, -1, 100.01, float("inf"), None, "5")] == [
        0.0, 100.0, 55.56, None, None, None, None, None]  # fmt: skip


def test_names_differing_in_case_are_one_player():
    raw = {"1": record("Ana", 70.0), "2": record("ana", 80.0, time="2026-12-02T11:00:00+00:00")}
    (only,) = rankings(_records(raw))
    assert [(r.player, r.score, r.attempts) for r in only.rows] == [("ana", 80.0, 2)]


def test_csv_cells_from_the_network_are_never_formulas():
    from posesim_cam.cli_class import _cell

    assert [_cell(t) for t in ("=HYPERLINK(1)", "+1", "-2", "@SUM", "dance", "")] == [
        "'=HYPERLINK(1)", "'+1", "'-2", "'@SUM", "dance", ""]  # fmt: skip
