"""Session records and personal bests, in the user data folder. Writes are atomic.

A record is one JSON file per finished (or stopped) attempt; personal bests are one JSON file
keyed by the target's content hash, so renaming a target keeps its best.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from posesim_cam.encoder import atomic_write_bytes


@dataclass(frozen=True)
class SavedRecord:
    path: Path
    personal_best: float | None  # the best before this attempt
    new_record: bool


class RecordStore:
    """``root/sessions/*.json`` and ``root/personal_bests.json``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def bests_path(self) -> Path:
        return self.root / "personal_bests.json"

    def personal_bests(self) -> dict[str, dict]:
        try:
            data = json.loads(self.bests_path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # Never overwrite a file we cannot read: keep it aside and start a new one.
            broken = self.bests_path.with_suffix(f".broken-{_stamp()}.json")
            self.bests_path.replace(broken)
            return {}
        return dict(data.get("targets", {}))

    def personal_best(self, target_sha: str) -> float | None:
        entry = self.personal_bests().get(target_sha)
        return None if entry is None else float(entry["score"])

    def save(self, record: dict, target_sha: str, target_name: str) -> SavedRecord:
        """Write a session record and update the personal best; returns where and the PB."""
        stamp = _stamp()
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", target_name)[:60] or "target"
        path = self.root / "sessions" / f"{stamp}-{safe}.json"
        atomic_write_bytes(path, json.dumps(record, indent=2).encode())
        bests = self.personal_bests()
        previous = bests.get(target_sha)
        previous_score = None if previous is None else float(previous["score"])
        score = float(record["score"])
        new_record = record.get("scored_frames", 0) > 0 and (
            previous_score is None or score > previous_score
        )
        if new_record:
            bests[target_sha] = {
                "name": target_name,
                "score": score,
                "date": stamp,
                "record": path.name,
            }
            text = json.dumps({"version": 1, "targets": bests}, indent=2, sort_keys=True)
            atomic_write_bytes(self.bests_path, text.encode())
        return SavedRecord(path, previous_score, bool(new_record))


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
