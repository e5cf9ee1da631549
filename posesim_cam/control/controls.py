"""What the control API and the OBS link may do to a running session: ``Controls``.

A small protocol (status, targets, select, pause, resume, restart, HUD visibility) that
``posesim-cam run`` implements over its ``LiveSession``, so the servers here never import the
session, and tests can drive them with a stand-in. Every command returns at once: the session
applies it between frames. Imports the clock only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from posesim_cam.clock import Phase


@dataclass(frozen=True)
class Status:
    """A running session as the API reports it (``GET /status``).

    Attributes:
        target: the target's library name, or the file's stem for a path target; None: none.
        state: the session's phase.
        score: the live 0-100 score (the summary's after the end); None before any.
        grade: the grade word of ``score``.
        fps: pictures out per second, recently.
        targets: how many targets the library holds.
        hud_visible: whether the HUD is drawn over the camera picture.
        position: seconds into the target (negative during the countdown).
        countdown: seconds before the target starts, or None.
        pose_fps: poses estimated per second, recently (at most ``fps``).
    """

    target: str | None
    state: Phase
    score: float | None
    grade: str | None
    fps: float
    targets: int
    hud_visible: bool = True
    position: float = 0.0
    countdown: float | None = None
    pose_fps: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.value
        data["score"] = None if self.score is None else round(self.score, 2)
        data["fps"] = round(self.fps, 1)
        data["pose_fps"] = round(self.pose_fps, 1)
        data["position"] = round(self.position, 3)
        data["countdown"] = None if self.countdown is None else round(self.countdown, 3)
        return data


class Controls(Protocol):
    """The session, as something to steer. Commands return at once and are applied between
    frames; none may block on the live loop."""

    def status(self) -> Status: ...

    def target_names(self) -> list[str]:
        """The library's target names, in the order next/previous and indices use."""
        ...

    def select_target(self, name: str) -> None:
        """Start ``name`` (a name from ``target_names``) from its countdown."""
        ...

    def step_target(self, step: int) -> None:
        """Start the next (+1) or previous (-1) target."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def restart(self) -> None: ...

    def set_hud_visible(self, visible: bool) -> None: ...

    def follow_media(self, position: float, playing: bool, measured_at: float) -> None:
        """Keep the target's clock with an outside player (an OBS Media Source): it was at
        ``position`` seconds, playing or paused, at ``time.monotonic()`` ``measured_at``."""
        ...
