"""A class's final ranking, per target, read from its Redis: best score first, one row a player.

What Redis holds came over the network from students' machines, so every field is checked and
cleaned before it is shown (``names.shown_name``, ``clean_text``, finite scores in 0-100).
Imports ``classroom.keys`` and ``classroom.names``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Any

from posesim_cam.classroom.keys import ClassKeys
from posesim_cam.classroom.names import name_key, shown_name

MAX_TEXT = 64
MAX_RECORD = 4096  # bytes of one stored record: ours are a few hundred


def clean_text(value: object, limit: int = MAX_TEXT) -> str | None:
    """Printable text of at most ``limit`` characters, or None."""
    if not isinstance(value, str):
        return None
    text = " ".join("".join(c if c.isprintable() else " " for c in value[: limit * 4]).split())
    return text[:limit] or None


def clean_score(value: object) -> float | None:
    """A score in 0-100, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return round(value, 2) if math.isfinite(value) and 0.0 <= value <= 100.0 else None


@dataclass(frozen=True)
class RankRow:
    """One player's place on one target."""

    rank: int
    player: str
    score: float
    grade: str | None
    attempts: int
    time: str | None  # when the best attempt ended (ISO 8601, UTC)


@dataclass(frozen=True)
class TargetRanking:
    """The final ranking on one target (by content hash: the same video under two names is
    one target)."""

    target: str
    target_sha: str
    rows: tuple[RankRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "target_sha": self.target_sha,
                "players": [asdict(row) for row in self.rows]}  # fmt: skip


def _record(text: object) -> dict[str, Any] | None:
    data = json.loads(text) if isinstance(text, str | bytes) and len(text) < MAX_RECORD else None
    if not isinstance(data, dict):
        return None
    player, score = shown_name(data.get("player")), clean_score(data.get("score"))
    sha = data.get("target_sha")
    if player is None or score is None or not isinstance(sha, str) or not sha.isalnum():
        return None
    return {"player": player, "score": score, "target_sha": sha[:64],
            "target": clean_text(data.get("target")) or sha[:12],
            "grade": clean_text(data.get("grade"), 20),
            "time": clean_text(data.get("time"), 40)}  # fmt: skip


def _records(raw: dict[str, str]) -> list[dict[str, Any]]:
    """The records that are records; anything else (not JSON, nested ten thousand deep, wrong
    types) is left out, one entry at a time, so one bad entry never hides the others."""
    records = []
    for text in raw.values():
        try:
            record = _record(text)
        except Exception:
            record = None
        if record is not None:
            records.append(record)
    return records


def rankings(records: list[dict[str, Any]]) -> list[TargetRanking]:
    """Best score per player and target, ranked (ties share a rank); targets in the order their
    first record ended."""
    by_target: dict[str, list[dict[str, Any]]] = {}
    for record in sorted(records, key=lambda r: r["time"] or ""):
        by_target.setdefault(record["target_sha"], []).append(record)
    out = []
    for sha, target_records in by_target.items():
        best: dict[str, dict[str, Any]] = {}
        attempts: dict[str, int] = {}
        for record in target_records:
            player = name_key(record["player"])  # "Ana" and "ana" are one player
            attempts[player] = attempts.get(player, 0) + 1
            if player not in best or record["score"] > best[player]["score"]:
                best[player] = record
        ordered = sorted(best.values(), key=lambda r: (-r["score"], r["player"].casefold()))
        rows, rank, previous = [], 0, None
        for place, record in enumerate(ordered, start=1):
            if record["score"] != previous:
                rank, previous = place, record["score"]
            rows.append(RankRow(rank, record["player"], record["score"], record["grade"],
                                attempts[name_key(record["player"])], record["time"]))  # fmt: skip
        out.append(TargetRanking(target_records[0]["target"], sha, tuple(rows)))
    return out


def read_rankings(client: Any, keys: ClassKeys) -> list[TargetRanking]:
    """The class's final rankings as its Redis holds them now."""
    return rankings(_records(client.hgetall(keys.results)))
