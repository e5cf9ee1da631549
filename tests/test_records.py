"""Attempt records, the session summary and the record store: the JSON they write."""

from __future__ import annotations

import json
from pathlib import Path

from posesim_cam.records import AttemptRecord, RecordStore, SessionSummary
from posesim_cam.scoring.outcome import Outcome, TimelinePoint

OUTCOME = Outcome(
    score=87.456,
    similarity=0.91234,
    frames=40,
    scored_frames=38,
    mirrored=True,
    timeline=[TimelinePoint(0, 0.9, 86.0), TimelinePoint(1, None, None)],
)


def record(**changes: object) -> AttemptRecord:
    values: dict = {
        "target": "squats / rep",
        "target_sha": "abc123",
        "encoder": "encoder_v2-x",
        "finished": True,
        "outcome": OUTCOME,
    }
    return AttemptRecord(**{**values, **changes})


def test_the_stored_record_keeps_the_session_record_format():
    stored = record().stored()
    assert list(stored) == [
        "target", "target_sha", "encoder", "finished", "score", "grade", "similarity", "frames",
        "scored_frames", "mirrored", "timeline", "best", "worst",
    ]  # fmt: skip
    assert stored["score"] == 87.46 and stored["grade"] == "Great" and stored["mirrored"]
    assert stored["timeline"][1] == {"second": 1, "score": None, "similarity": None}


def test_an_unscorable_attempt_has_no_score_and_says_why():
    broken = record(cannot_score="a broken pose track")
    assert broken.score is None and broken.grade == "Cannot score"
    stored = broken.stored()
    assert stored["score"] is None and stored["cannot_score"] == "a broken pose track"


def test_saving_writes_the_record_and_keeps_the_best(tmp_path: Path):
    store = RecordStore(tmp_path)
    first = store.save(record())
    assert first.personal_best is None and first.new_record
    assert json.loads(first.path.read_text())["target"] == "squats / rep"
    assert first.path.name.endswith("-squats_rep.json")  # a safe file name
    assert store.personal_best("abc123") == 87.46  # as the record shows it
    worse = store.save(record(outcome=Outcome(50.0, 0.5, 10, 10, False, [])))
    assert worse.personal_best == 87.46 and not worse.new_record
    assert store.personal_best("abc123") == 87.46


def test_the_session_summary_is_the_run_json():
    summary = SessionSummary(
        frames=120,
        fps=29.5,
        processing_ms_per_frame=21.3,
        latency_p50_ms=40.0,
        latency_p95_ms=None,
        attempts=(record(finished=False), record()),
        pose_fps=14.5,
        pose_latency_p50_ms=71.0,
        pose_latency_p95_ms=90.5,
    )
    data = summary.to_dict()
    assert list(data) == [
        "score", "grade", "target", "cannot_score", "frames", "person_frames", "fps",
        "pose_fps", "processing_ms_per_frame", "latency_ms", "pose_latency_ms", "attempts",
    ]  # fmt: skip
    assert data["score"] == 87.46 and data["target"] == "squats / rep"
    assert data["fps"] == 29.5 and data["pose_fps"] == 14.5
    assert data["latency_ms"] == {"p50": 40.0, "p95": None}
    assert data["pose_latency_ms"] == {"p50": 71.0, "p95": 90.5}
    assert [a["finished"] for a in data["attempts"]] == [False, True]
    empty = SessionSummary(0, 0.0, None).to_dict()
    assert empty["score"] is None and empty["attempts"] == [] and empty["grade"] is None
