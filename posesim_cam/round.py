"""One target played for every player at once: an ``Attempt`` per player on one shared clock.

With one player (the usual session) a round is that player's attempt; with several, each
player's pose (``players.PlayerSetup``'s assigner: split strips or tracked ids) is scored by
their own attempt, and the HUD shows everybody. The session calls it from its processing
thread only. Imports ``attempt``, ``players`` and the HUD's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from posesim_cam.attempt import Attempt, AttemptSettings
from posesim_cam.clock import Phase, TargetClock
from posesim_cam.encoder import Encoder
from posesim_cam.hud import HudState, PlayerScore
from posesim_cam.players import PlayerSetup
from posesim_cam.pose.base import Pose
from posesim_cam.records import AttemptRecord, RecordStore
from posesim_cam.scoring.outcome import grade
from posesim_cam.targets import Target
from posesim_cam.video import TargetVideo


class Round:
    """Every player's attempt at one target, started together.

    Args:
        target: the prepared target.
        encoder: embeds poses.
        settings: countdown, mirror and lag.
        players: how many play and how they are told apart.
        now: session time at which the countdown starts.
    """

    def __init__(
        self,
        target: Target,
        encoder: Encoder,
        settings: AttemptSettings,
        players: PlayerSetup,
        now: float,
    ) -> None:
        self.players = players
        several = players.count > 1
        first = Attempt(target, encoder, settings, now, players.name(0) if several else None)
        self.attempts = [first] + [
            Attempt(target, encoder, settings, now, players.name(i), beside=first)
            for i in range(1, players.count)
        ]
        self._assign = players.assigner()
        self.poses: list[Pose | None] = [None] * players.count  # each player's latest

    # -- what the session reads ---------------------------------------------------------------
    @property
    def first(self) -> Attempt:
        return self.attempts[0]

    @property
    def target(self) -> Target:
        return self.first.target

    @property
    def name(self) -> str:
        return self.first.name

    @property
    def clock(self) -> TargetClock:
        return self.first.clock

    @property
    def video(self) -> TargetVideo:
        return self.first.video

    @property
    def record(self) -> AttemptRecord | None:
        """The first player's record once the round is finished (None before)."""
        return self.first.record

    def phase(self, now: float) -> Phase:
        return self.first.phase(now)

    def frame_index(self, now: float) -> int:
        return self.first.frame_index(now)

    def end_time(self, now: float, frame_interval: float) -> float:
        """When the round ends if its source ends at ``now``: a source whose last frame is
        the target's last (within 1.5 frames) played it to the end, so it finishes then."""
        clock = self.clock
        left = clock.duration - clock.position(now)
        if clock.phase(now) == Phase.PLAYING and left <= 1.5 * frame_interval:
            return now + left
        return now

    def live_score(self, phase: Phase) -> float | None:
        return self.first.live_score(phase)

    # -- what the session does ----------------------------------------------------------------
    def score(self, main: Pose | None, everybody: tuple[Pose, ...], captured: float,
              width: int) -> None:  # fmt: skip
        """Score a frame captured at ``captured``: the main pose for one player, each
        player's own pose (assigned from ``everybody``) for several."""
        if self.players.count == 1:
            self.poses = [main]
        else:
            self.poses = self._assign(list(everybody), width)
        for attempt, pose in zip(self.attempts, self.poses, strict=True):
            attempt.score(pose, captured)

    def restart(self, now: float) -> None:
        for attempt in self.attempts:
            attempt.restart(now)

    def finish(self, now: float, records: RecordStore, save: bool = True) -> list[AttemptRecord]:
        """Every player's record (those that scored anything), left to right."""
        out = []
        for attempt in self.attempts:
            done = attempt.record is not None
            record = attempt.finish(now, records, save)
            if record is not None and not done:
                out.append(record)
        return out

    def hud(self, now: float, main: Pose | None) -> HudState:
        """The HUD: the first player's attempt, and with several players everyone's
        skeleton, a score line each, who is not found and, at the end, the ranking."""
        if self.players.count == 1:
            return self.first.hud(now, main)
        hud = self.first.hud(now, self.poses[0])
        phase = hud.phase
        lines = []
        for index, (attempt, pose) in enumerate(zip(self.attempts, self.poses, strict=True)):
            score = attempt.live_score(phase)
            lines.append(
                PlayerScore(
                    player=index,
                    name=self.players.name(index),
                    score=score,
                    grade=None if score is None else grade(score),
                    found=pose is not None,
                )
            )
        missing = [line.name for line in lines if not line.found]
        message = hud.message
        if phase in (Phase.PLAYING, Phase.COUNTDOWN, Phase.PAUSED):
            message = f"{', '.join(missing)} not found" if missing else None
        summary = hud.summary
        if summary is not None:
            summary = replace(summary, ranking=self.ranking())
        others = tuple(self.poses[1:])
        return replace(
            hud, other_poses=others, players=tuple(lines), message=message, summary=summary
        )

    def ranking(self) -> tuple[PlayerScore, ...]:
        """Every player's final line, best first (those who could not be scored last)."""
        lines = []
        for index, attempt in enumerate(self.attempts):
            record = attempt.record
            score = None if record is None or record.cannot_score else record.score
            lines.append(
                PlayerScore(
                    player=index,
                    name=self.players.name(index),
                    score=score,
                    grade=None if record is None else record.grade,
                    new_record=bool(record and record.saved and record.saved.new_record),
                )
            )
        return tuple(sorted(lines, key=lambda line: (line.score is None, -(line.score or 0.0))))

    def live(self, phase: Phase) -> tuple[dict, ...]:
        """With several players, each one's live score for ``/status`` and the events."""
        rows = []
        for index, attempt in enumerate(self.attempts):
            score = attempt.live_score(phase)
            score = None if score is None else round(score, 2)
            rows.append(self._row(index, score, None if score is None else grade(score)))
        return self._several(rows)

    def summary(self) -> tuple[dict, ...]:
        """With several players, each one's last record: id, name, score, grade, frames."""
        rows = []
        for index, attempt in enumerate(self.attempts):
            record = attempt.record
            if record is None:
                rows.append({**self._row(index, None, None), "frames": 0})
            else:
                row = self._row(index, record.score, record.grade)
                rows.append({**row, "frames": record.outcome.scored_frames})
        return self._several(rows)

    def _row(self, index: int, score: float | None, grade_word: str | None) -> dict:
        return {"id": index, "name": self.players.name(index), "score": score,
                "grade": grade_word}  # fmt: skip

    def _several(self, rows: list[dict]) -> tuple[dict, ...]:
        """The rows with several players; none for one (the usual session's JSON)."""
        return tuple(rows) if self.players.count > 1 else ()

    def close(self) -> None:
        for attempt in self.attempts:
            attempt.close()


@dataclass(frozen=True)
class LiveSettings:
    """How a live session behaves.

    Attributes:
        countdown, mirror, max_lag: how each attempt is scored (``attempt.AttemptSettings``).
        stats_every: print per-stage timings every this many seconds (0 = never).
        drop_frames: render only the newest frame (cameras) instead of every frame (files).
        players: how many play at once (``players.PlayerSetup``).
        pose_every_frame: estimate every frame's pose before its picture (a file processed
            as fast as it goes) instead of the newest frame beside the picture (cameras,
            paced files).
    """

    countdown: float = 3.0
    mirror: bool = True
    max_lag: float = 2.0
    stats_every: float = 0.0
    drop_frames: bool = True
    pose_every_frame: bool = False
    players: PlayerSetup = field(default_factory=PlayerSetup)

    @property
    def attempt(self) -> AttemptSettings:
        return AttemptSettings(self.countdown, self.mirror, self.max_lag)
