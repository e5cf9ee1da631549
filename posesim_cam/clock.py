"""The target's playback clock and the ``Phase`` of a live session. Pure: time comes in.

Times are seconds on the session clock (the frame timestamps), so a file source drives the
target exactly as a camera does, only faster or slower. ``Phase`` is shared by the clock, the
session and the HUD. Imports nothing of posesim_cam.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Phase(str, Enum):
    """Where a live session stands; the HUD draws one layout per phase.

    The clock gives the first five; ``CAMERA_LOST`` is the session's own (no frames come).
    A ``str`` enum, so it compares equal to its value and serialises as one.
    """

    IDLE = "idle"  # no target
    COUNTDOWN = "countdown"
    PLAYING = "playing"
    PAUSED = "paused"
    FINISHED = "finished"  # the target has played out: the summary card
    CAMERA_LOST = "camera_lost"

    def __str__(self) -> str:
        return self.value


@dataclass
class TargetClock:
    """Where the target is at a given session time.

    Args:
        duration: target length in seconds.
        countdown: seconds of countdown before the target starts.
    """

    duration: float
    countdown: float = 3.0

    def __post_init__(self) -> None:
        self._start: float | None = None  # session time at which target time 0 plays
        self._paused_at: float | None = None

    def start(self, now: float) -> None:
        """(Re)start: count down from now, then play from the beginning."""
        self._start = now + self.countdown
        self._paused_at = None

    @property
    def started(self) -> bool:
        return self._start is not None

    def pause(self, now: float) -> None:
        if self._start is not None and self._paused_at is None:
            self._paused_at = now

    def resume(self, now: float) -> None:
        if self._start is not None and self._paused_at is not None:
            self._start += now - self._paused_at
            self._paused_at = None

    def seek(self, now: float, position: float) -> None:
        """Put the target at ``position`` seconds at session time ``now`` (paused or not)."""
        if self._paused_at is not None:
            self._paused_at = now
        self._start = now - position

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def position(self, now: float) -> float:
        """Target time in seconds (negative during the countdown)."""
        if self._start is None:
            return 0.0
        at = self._paused_at if self._paused_at is not None else now
        return at - self._start

    def phase(self, now: float) -> Phase:
        """IDLE (not started), COUNTDOWN, PLAYING, PAUSED or FINISHED."""
        if self._start is None:
            return Phase.IDLE
        position = self.position(now)
        if position >= self.duration:
            return Phase.FINISHED
        if self._paused_at is not None:
            return Phase.PAUSED
        return Phase.COUNTDOWN if position < 0 else Phase.PLAYING

    def frame_index(self, now: float, fps: float, frame_count: int) -> int:
        """The target frame at ``now``, clamped to the video."""
        index = int(self.position(now) * fps)
        return min(max(index, 0), max(frame_count - 1, 0))
