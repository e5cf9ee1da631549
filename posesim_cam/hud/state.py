"""What the HUD shows in one frame: ``HudState`` and the end-of-attempt ``SummaryCard``.

Plain frozen values built by the live session and by the offline render (``HudState.
for_attempt`` holds the rules both share). May import the clock, scoring outcomes and pose
types; knows nothing of drawing, cameras or threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posesim_cam.clock import Phase
from posesim_cam.pose.base import Pose
from posesim_cam.scoring.outcome import Moment, grade
from posesim_cam.skeleton import LIMBS

NO_PERSON = "No person in view"


@dataclass(frozen=True)
class PlayerScore:
    """One player's line on the HUD (several players).

    Attributes:
        player: the player's index, left to right from 0 (it picks their colour).
        name: shown name.
        score: 0-100 (live, or final on the end card); None while nothing can be scored.
        grade: the grade word for the score, or None.
        found: False while this player is not seen.
        new_record: on the end card, this attempt beat the player's personal best.
    """

    player: int
    name: str
    score: float | None = None
    grade: str | None = None
    found: bool = True
    new_record: bool = False


@dataclass(frozen=True)
class SummaryCard:
    """The end card of an attempt.

    Attributes:
        score: the final 0-100 score, or None ("--": nothing could be scored).
        grade: the grade word, or "Cannot score".
        best, worst: up to three (second, score) moments each, best or worst first.
        personal_best: the best score on this target before this attempt, or None.
        new_record: this attempt beat the personal best.
        hint: shown instead of the personal best (e.g. why the attempt cannot be scored).
        ranking: with several players, each one's final line, best first (the card then
            shows the ranking instead of the first player's moments).
    """

    score: float | None
    grade: str
    best: tuple[Moment, ...] = ()
    worst: tuple[Moment, ...] = ()
    personal_best: float | None = None
    new_record: bool = False
    hint: str | None = None
    ranking: tuple[PlayerScore, ...] = ()


@dataclass(frozen=True)
class HudState:
    """Everything the HUD shows in one output frame.

    Attributes:
        phase: what is drawn: IDLE (no target), COUNTDOWN, PLAYING, PAUSED, FINISHED (the
            summary card), CAMERA_LOST. A phase's value ("playing") is accepted too.
        user_pose: the user's pose in camera-frame pixels, or None.
        other_poses: the other players' poses (several players: players 2, 3, ... in order,
            None for one not seen), each drawn in that player's colour.
        players: with several players, one line per player, left to right (the score panel
            then shows a bar per player instead of one score).
        limb_warnings: (len(LIMBS),) bool, True where the limb is drawn in the warning colour.
        target_frame: (h, w, 3) uint8 BGR picture of the target video at the playhead.
        target_pose: the target's pose in target-frame pixels, or None.
        score: 0-100, smoothed; None while nothing can be scored.
        grade: the grade word for the score (scoring.outcome.grade).
        target_name: shown under the target picture.
        countdown: seconds left before the target starts (phase COUNTDOWN).
        progress: 0..1, how much of the target has played.
        summary: the end card (phase FINISHED).
        fps: frames per second, shown as small debug text when given.
        message: a status line such as "No person in view".
        notices: small status lines of the session's links, e.g. "class offline".
        visible: False draws the camera picture alone (the HUD hidden from the control API);
            the camera-lost card shows regardless.
    """

    phase: Phase = Phase.IDLE
    user_pose: Pose | None = None
    other_poses: tuple[Pose | None, ...] = ()
    players: tuple[PlayerScore, ...] = ()
    limb_warnings: np.ndarray | None = None
    target_frame: np.ndarray | None = field(default=None, repr=False)
    target_pose: Pose | None = None
    score: float | None = None
    grade: str | None = None
    target_name: str = ""
    countdown: float | None = None
    progress: float = 0.0
    summary: SummaryCard | None = None
    fps: float | None = None
    message: str | None = None
    notices: tuple[str, ...] = ()
    visible: bool = True

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "phase", Phase(self.phase))
        except ValueError:
            raise ValueError(
                f"unknown HUD phase {self.phase!r}; expected one of {[p.value for p in Phase]}"
            ) from None
        if self.limb_warnings is not None and np.shape(self.limb_warnings) != (len(LIMBS),):
            raise ValueError(
                f"limb_warnings needs shape ({len(LIMBS)},), got {np.shape(self.limb_warnings)}"
            )

    @classmethod
    def for_attempt(
        cls,
        phase: Phase,
        *,
        target_name: str,
        progress: float,
        user_pose: Pose | None,
        target_pose: Pose | None,
        score: float | None = None,
        limb_warnings: np.ndarray | None = None,
        countdown: float | None = None,
        summary: SummaryCard | None = None,
        target_frame: np.ndarray | None = None,
    ) -> HudState:
        """The HUD of a target being attempted, live or offline, with the rules both share:
        the grade follows the score, "No person in view" shows while the target plays and
        nobody is seen, the score and limb colours only while it plays or is paused."""
        scoring = phase in (Phase.PLAYING, Phase.PAUSED)
        return cls(
            phase=phase,
            user_pose=user_pose,
            limb_warnings=limb_warnings if scoring else None,
            target_frame=target_frame,
            target_pose=target_pose,
            score=score if scoring else None,
            grade=None if score is None or not scoring else grade(score),
            target_name=target_name,
            countdown=countdown if phase == Phase.COUNTDOWN else None,
            progress=min(max(float(progress), 0.0), 1.0),
            summary=summary if phase == Phase.FINISHED else None,
            message=NO_PERSON if scoring and user_pose is None else None,
        )
