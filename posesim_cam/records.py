"""What a live session leaves behind: attempt records, the session summary, and the store
that keeps records and personal bests in the user data folder.

A record is one JSON file per finished (or stopped) attempt; personal bests are one JSON file
keyed by the target's content hash, so renaming a target keeps its best. Writes are atomic, and
personal bests are read and rewritten under a lock (two sessions at once keep both bests). A
record that cannot be written (a read-only folder, a full disk) is kept in memory, said once,
and written when it can be: at the next attempt, or at the end. Imports scoring outcomes and
``files``; knows no session, HUD or CLI.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from posesim_cam.files import atomic_write_bytes, locked, remove_orphans
from posesim_cam.scoring.outcome import Outcome

CANNOT_SCORE = "Cannot score"


@dataclass(frozen=True)
class SavedRecord:
    """Where an attempt's record went, and the personal best it met.

    Attributes:
        path: the session record file.
        personal_best: the best score on the target before this attempt, or None.
        new_record: this attempt is the new personal best.
        written: the file is on disk (False: kept in memory until it can be written).
    """

    path: Path
    personal_best: float | None
    new_record: bool
    written: bool = True


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt at one target, as it ended.

    Attributes:
        target: the target's name; target_sha: its content hash; encoder: the encoder version.
        finished: the target played to its end (not stopped or switched away from).
        outcome: how it went.
        cannot_score: why it could not be scored (a broken pose track), or None.
        saved: where its record was written, or None (not saved: nothing scored, or unscorable).
        player: the player's name when several played at once (``run --players``), or None.
    """

    target: str
    target_sha: str
    encoder: str
    finished: bool
    outcome: Outcome
    cannot_score: str | None = None
    saved: SavedRecord | None = None
    player: str | None = None

    @property
    def best_key(self) -> str:
        """Where its personal best is kept: per target, and per player when one is named."""
        return self.target_sha if self.player is None else f"{self.target_sha}/{self.player}"

    @property
    def score(self) -> float | None:
        """The final score as recorded (two decimals); None when it cannot be scored."""
        return None if self.cannot_score else round(self.outcome.score, 2)

    @property
    def grade(self) -> str:
        return CANNOT_SCORE if self.cannot_score else self.outcome.grade

    def stored(self) -> dict[str, Any]:
        """The JSON of the session record file."""
        data: dict[str, Any] = {
            "target": self.target,
            "target_sha": self.target_sha,
            "encoder": self.encoder,
            "finished": self.finished,
            **self.outcome.to_dict(),
        }
        if self.cannot_score:
            data.update(score=None, grade=CANNOT_SCORE, cannot_score=self.cannot_score)
        if self.player is not None:
            data["player"] = self.player
        return data

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON plus where it went (the attempts of ``run --json``)."""
        data = self.stored()
        if self.saved is not None:
            data.update(
                record=str(self.saved.path),
                personal_best=self.saved.personal_best,
                new_record=self.saved.new_record,
            )
        return data


@dataclass(frozen=True)
class SessionSummary:
    """A live session as it ended: throughput and every attempt (``run --json``).

    Attributes:
        frames: frames read from the source.
        fps: pictures sent to the outputs per second over the run loop (loading excluded).
        pose_fps: poses estimated per second over the same time: the source's rate when the
            model keeps up, lower when it does not (the picture does not wait for it).
        processing_ms_per_frame: time in the pose estimator per estimated frame, or None.
        latency_p50_ms, latency_p95_ms: capture-to-output latency of the picture, or None.
        pose_latency_p50_ms, pose_latency_p95_ms: capture-to-pose latency (how far the score
            trails the picture), or None.
        attempts: the attempts that scored anything, in order (with several players, each
            player's record of an attempt, left to right).
        players: with several players, each one's last attempt, left to right (id, name,
            score, grade, frames); empty for one.
        pose_frames: frames whose pose was estimated; person_frames: those in which somebody
            was found (0: nobody was seen).
    """

    frames: int
    fps: float
    processing_ms_per_frame: float | None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    attempts: tuple[AttemptRecord, ...] = field(default=())
    pose_fps: float | None = None
    pose_latency_p50_ms: float | None = None
    pose_latency_p95_ms: float | None = None
    players: tuple[dict[str, Any], ...] = field(default=())
    pose_frames: int = 0
    person_frames: int = 0

    @property
    def last(self) -> AttemptRecord | None:
        """The last attempt (the first player's, with several)."""
        first = self.attempts[0].player if self.attempts else None
        mine = [a for a in self.attempts if a.player == first]
        return mine[-1] if mine else None

    @property
    def score(self) -> float | None:
        return None if self.last is None else self.last.score

    def to_dict(self) -> dict[str, Any]:
        last = self.last
        return {
            "score": self.score,
            "grade": None if last is None else last.grade,
            "target": None if last is None else last.target,
            "cannot_score": None if last is None else last.cannot_score,
            "frames": self.frames,
            "person_frames": self.person_frames,
            "fps": self.fps,
            "pose_fps": self.pose_fps,
            "processing_ms_per_frame": self.processing_ms_per_frame,
            "latency_ms": {"p50": self.latency_p50_ms, "p95": self.latency_p95_ms},
            "pose_latency_ms": {"p50": self.pose_latency_p50_ms, "p95": self.pose_latency_p95_ms},
            "attempts": [attempt.to_dict() for attempt in self.attempts],
            **({"players": list(self.players)} if self.players else {}),
        }


@dataclass
class _Pending:
    """A record not yet on disk, and the personal best it sets (if any)."""

    path: Path
    stored: dict[str, Any]
    best_key: str
    best: dict[str, Any] | None


class RecordStore:
    """``root/sessions/*.json`` and ``root/personal_bests.json``.

    ``warn`` is told, in one sentence, when records cannot be written (once until they can).
    Each of ``listeners`` is called with every record saved (class mode sends it on); one that
    fails is told to ``warn`` and never stops the save.
    """

    LOCK = ".records.lock"

    def __init__(self, root: Path, warn: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.warn = warn
        self.pending: list[_Pending] = []
        self.listeners: list[Callable[[AttemptRecord], None]] = []
        self._warned = False
        for folder in (root, root / "sessions"):
            remove_orphans(folder)

    @property
    def bests_path(self) -> Path:
        return self.root / "personal_bests.json"

    def personal_bests(self) -> dict[str, dict]:
        """Personal bests by target hash, with those not yet written; a file that is not
        what posesim-cam writes is moved aside (kept, never overwritten) and a new one begun."""
        bests = self._read_bests()
        for pending in self.pending:
            if pending.best is not None:
                bests[pending.best_key] = pending.best
        return bests

    def _read_bests(self) -> dict[str, dict]:
        try:
            data = json.loads(self.bests_path.read_bytes())
            bests = data["targets"]
            if not isinstance(bests, dict) or not all(
                isinstance(entry, dict) and _is_score(entry.get("score"))
                for entry in bests.values()
            ):
                raise TypeError
            return dict(bests)
        except OSError:
            return {}  # absent, or unreadable for now: never moved for that
        except (ValueError, KeyError, TypeError):
            broken = self.bests_path.with_suffix(f".broken-{_stamp()}.json")
            with contextlib.suppress(OSError):  # cannot move it either: leave it be
                self.bests_path.replace(broken)
            return {}

    def personal_best(self, target_sha: str) -> float | None:
        entry = self.personal_bests().get(target_sha)
        return None if entry is None else float(entry["score"])

    def history(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest ``limit`` session records, newest first: target, score, grade, whether
        finished, when (from the file name), and the target's personal best. A file that
        cannot be read is left out, never changed."""
        bests = self.personal_bests()
        out: list[dict[str, Any]] = []
        try:
            paths = sorted((self.root / "sessions").glob("*.json"), reverse=True)
        except OSError:
            paths = []
        for path in paths:
            if len(out) >= limit:
                break
            try:
                data = json.loads(path.read_text())
                best = bests.get(str(data.get("target_sha")), {})
                out.append(
                    {
                        "date": _date_of(path.name),
                        "target": str(data["target"]),
                        "score": data.get("score"),
                        "grade": data.get("grade"),
                        "finished": bool(data.get("finished")),
                        "personal_best": best.get("score"),
                    }
                )
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
        return out

    def save(self, record: AttemptRecord) -> SavedRecord:
        """Write a session record and update the personal best; returns where and the PB.
        Where the folder cannot be written, the record waits in ``pending`` (see ``flush``)."""
        stamp = _stamp()
        label = record.target if record.player is None else f"{record.target}-{record.player}"
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:60] or "target"
        path = self.root / "sessions" / f"{stamp}-{safe}.json"
        stored = record.stored()
        bests = self.personal_bests()
        previous = bests.get(record.best_key)
        previous_score = None if previous is None else float(previous["score"])
        score = float(stored["score"])  # as the record file shows it (rounded)
        new_record = record.outcome.scored_frames > 0 and (
            previous_score is None or score > previous_score
        )
        best = None
        if new_record:
            best = {
                "name": record.target,
                **({} if record.player is None else {"player": record.player}),
                "score": score,
                "date": stamp,
                "record": path.name,
            }
        self.pending.append(_Pending(path, stored, record.best_key, best))
        written = self.flush() == 0
        for listener in self.listeners:
            try:
                listener(record)
            except Exception as error:  # a listener's failure is its own, never the record's
                if self.warn is not None:
                    self.warn(f"a record listener failed ({error!r})")
        return SavedRecord(path, previous_score, bool(new_record), written)

    def flush(self) -> int:
        """Write what is pending, oldest first; returns how many records still wait."""
        while self.pending:
            pending = self.pending[0]
            try:
                self._write(pending)
            except OSError as error:
                if self.warn is not None and not self._warned:
                    self._warned = True
                    self.warn(
                        f"The session record cannot be written to {pending.path.parent} "
                        f"({error.strerror or error}); it is kept in memory and written when "
                        "it can be. Free some space or make the folder writable"
                    )
                return len(self.pending)
            self.pending.pop(0)
        self._warned = False
        return 0

    def _write(self, pending: _Pending) -> None:
        atomic_write_bytes(pending.path, json.dumps(pending.stored, indent=2).encode())
        if pending.best is None:
            return
        with locked(self.root / self.LOCK):
            bests = self._read_bests()  # again, under the lock: another session may have won
            old = bests.get(pending.best_key)
            if old is not None and float(old["score"]) >= float(pending.best["score"]):
                return
            bests[pending.best_key] = pending.best
            text = json.dumps({"version": 1, "targets": bests}, indent=2, sort_keys=True)
            atomic_write_bytes(self.bests_path, text.encode())


def _is_score(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 100


def _date_of(file_name: str) -> str | None:
    """ISO 8601 of a record file's stamp (``20261201T214455123456Z-...``), or None."""
    try:
        when = datetime.strptime(file_name.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ")
    except ValueError:
        return None
    return when.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
