"""One attempt at one target in a live session: its clock, its scorer, its record and its HUD.

The session owns at most one ``Attempt`` at a time and calls it from its processing thread
only. Poses are scored at the time their frame was captured (``score``), which may trail the
picture being shown (``hud``): pose estimation runs beside the picture, not in its path.
Imports scoring, targets, video, records and the HUD's state types.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from posesim_cam.clock import Phase, TargetClock
from posesim_cam.encoder import Encoder
from posesim_cam.hud import HudState, SummaryCard
from posesim_cam.pose.base import Pose
from posesim_cam.records import AttemptRecord, RecordStore
from posesim_cam.scoring.online import LiveScore, LiveScorer
from posesim_cam.scoring.outcome import grade
from posesim_cam.targets import Target
from posesim_cam.video import TargetVideo

BROKEN_TRACK = (
    "in most frames the keypoints formed no body (a broken pose track); film one person, "
    "whole body, in good light"
)

# An attempt stopped before this much of its target is too short to grade (a tenth of a
# second of matching poses would be "Perfect" and a personal best): at least a quarter of the
# target, and at least 3 s of it (all of a target shorter than that).
MIN_ATTEMPT_FRACTION = 0.25
MIN_ATTEMPT_SECONDS = 3.0


def too_short(position: float, duration: float) -> str | None:
    """Why an attempt stopped at target time ``position`` cannot be graded, or None."""
    needed = max(min(MIN_ATTEMPT_SECONDS, duration), MIN_ATTEMPT_FRACTION * duration)
    if position >= needed:
        return None
    return (
        f"the attempt was too short to grade ({max(position, 0.0):.1f} s of the target's "
        f"{duration:.1f} s; at least {needed:.1f} s count)"
    )


@dataclass(frozen=True)
class AttemptSettings:
    """How attempts are scored.

    Attributes:
        countdown: seconds counted down before the target plays.
        mirror: accept the mirror image of the target when scoring.
        max_lag: seconds the user may trail the target.
    """

    countdown: float = 3.0
    mirror: bool = True
    max_lag: float = 2.0


class Attempt:
    """A target being played and scored, from its countdown to its record.

    Args:
        target: the prepared target.
        encoder: embeds the user's poses.
        settings: countdown, mirror and lag.
        now: session time (seconds) at which the countdown starts.
        player: the player's name, when several play at once.
        beside: another player's attempt at the same target: this one shares its clock and
            target video (one target plays for everybody).
    """

    def __init__(
        self,
        target: Target,
        encoder: Encoder,
        settings: AttemptSettings,
        now: float,
        player: str | None = None,
        beside: Attempt | None = None,
    ) -> None:
        self.target = target
        self.encoder = encoder
        self.player = player
        if beside is None:
            self.clock = TargetClock(target.duration, settings.countdown)
            self.clock.start(now)
            self.video = TargetVideo(target.video)
        else:
            self.clock, self.video = beside.clock, beside.video
        self._owns_video = beside is None
        self.scorer = LiveScorer(
            target.poses, encoder, mirror=settings.mirror, max_lag=settings.max_lag
        )
        self.record: AttemptRecord | None = None  # set once the attempt is finished
        self.last: LiveScore | None = None  # the latest live score

    @property
    def name(self) -> str:
        return self.target.name

    def phase(self, now: float) -> Phase:
        return self.clock.phase(now)

    def frame_index(self, now: float) -> int:
        """The target frame shown at session time ``now``."""
        return self.clock.frame_index(now, self.target.fps, len(self.target.poses))

    def score(self, pose: Pose | None, captured: float) -> None:
        """Score the pose of a frame captured at session time ``captured``, if the target was
        playing then and the attempt is not finished."""
        if self.record is not None or self.clock.phase(captured) != Phase.PLAYING:
            return
        position = self.clock.position(captured)
        self.last = self.scorer.step(pose, self.frame_index(captured), position)

    def restart(self, now: float) -> None:
        """Count down again from ``now`` and score afresh (the record, if any, was taken)."""
        self.record = None
        self.last = None
        self.scorer.reset()
        self.clock.start(now)

    def finish(self, now: float, records: RecordStore, save: bool = True) -> AttemptRecord | None:
        """End the attempt: its record (None if nothing scored), saved with the personal best
        when ``save`` and something scored; calling it again returns the same record."""
        if self.record is not None:
            return self.record
        outcome = self.scorer.summary()
        if outcome.frames == 0:
            return None
        finished = self.clock.phase(now) == Phase.FINISHED
        short = None if finished else too_short(self.clock.position(now), self.target.duration)
        record = AttemptRecord(
            target=self.target.name,
            target_sha=self.target.sha,
            encoder=self.encoder.version,
            finished=finished,
            outcome=outcome,
            # Most poses formed no body, or the attempt was stopped almost at once: no score,
            # and nothing that could become a best.
            cannot_score=BROKEN_TRACK if self.scorer.broken_track else short,
            player=self.player,
        )
        if save and record.cannot_score is None and outcome.scored_frames > 0:
            record = replace(record, saved=records.save(record))
        self.record = record
        return record

    def live_score(self, phase: Phase) -> float | None:
        """The score to report in ``phase``: the record's once finished, else the live one."""
        if phase == Phase.FINISHED:
            return None if self.record is None else self.record.score
        if phase in (Phase.PLAYING, Phase.PAUSED) and self.last is not None:
            return self.last.score
        return None

    def hud(self, now: float, pose: Pose | None) -> HudState:
        """What the HUD shows at session time ``now``, with the latest user ``pose``."""
        phase = self.clock.phase(now)
        position = self.clock.position(now)
        last = self.last
        return HudState.for_attempt(
            phase,
            target_name=self.target.name,
            progress=position / max(self.target.duration, 1e-6),
            user_pose=pose,
            target_pose=self.target.poses.pose(self.frame_index(now)),
            score=None if last is None else last.score,
            limb_warnings=None if last is None else last.limb_warnings,
            countdown=-position,
            summary=summary_card(self.record) if phase == Phase.FINISHED else None,
        )

    def close(self) -> None:
        if self._owns_video:
            self.video.close()


def summary_card(record: AttemptRecord | None) -> SummaryCard:
    """The end card of a finished attempt (nothing scored: "--" and the lowest grade)."""
    if record is None:
        return SummaryCard(score=None, grade=grade(0.0))
    # The moments as the record shows them (two decimals), as the card always drew them.
    best, worst = (tuple((s, round(v, 2)) for s, v in m) for m in record.outcome.moments())
    saved = record.saved
    return SummaryCard(
        score=record.score,
        grade=record.grade,
        best=best,
        worst=worst,
        personal_best=None if saved is None else saved.personal_best,
        new_record=False if saved is None else saved.new_record,
        hint="Film one person, whole body" if record.cannot_score else None,
    )
