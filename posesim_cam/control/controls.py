"""What the control API and the OBS link may do to a running session: ``Controls``.

A small protocol (status, targets, select, pause, resume, restart, HUD visibility) that
``posesim-cam run`` implements over its ``LiveSession``, so the servers here never import the
session, and tests can drive them with a stand-in. Every command returns at once: the session
applies it between frames. ``LibraryControls`` is the target library and the session records,
for the control page. Imports the clock only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from posesim_cam.clock import Phase

# One joint of the live skeleton: x and y as fractions of the camera frame (0..1 inside it),
# and the joint's confidence.
Joint = tuple[float, float, float]


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
        skeleton: the user's latest COCO-17 joints (``Joint``), or None: nobody in view.
        at: ``time.time()`` when this snapshot was taken (the overlay measures its delay).
        players: with several players, each one's live ``{"id", "name", "score", "grade"}``,
            left to right; empty for one.
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
    skeleton: tuple[Joint, ...] | None = None
    at: float = 0.0
    players: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``GET /status``: the session at a glance (no skeleton)."""
        data = asdict(self)
        del data["skeleton"], data["at"]
        if not self.players:
            del data["players"]
        else:
            data["players"] = list(self.players)
        data["state"] = self.state.value
        data["score"] = None if self.score is None else round(self.score, 2)
        data["fps"] = round(self.fps, 1)
        data["pose_fps"] = round(self.pose_fps, 1)
        data["position"] = round(self.position, 3)
        data["countdown"] = None if self.countdown is None else round(self.countdown, 3)
        return data

    def event(self) -> dict[str, Any]:
        """One ``GET /events`` message: the status, ``t`` (``at``) and the skeleton."""
        data = self.to_dict()
        data["t"] = round(self.at, 3)
        data["skeleton"] = (
            None
            if self.skeleton is None
            else [[round(x, 4), round(y, 4), round(c, 2)] for x, y, c in self.skeleton]
        )
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


@dataclass(frozen=True)
class LibraryItem:
    """One target of the library as the control page lists it (``GET /library``).

    Attributes:
        name: the target's library name.
        duration: seconds.
        added: when it was added (ISO 8601).
        personal_best: the best score saved for it, or None.
    """

    name: str
    duration: float
    added: str
    personal_best: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "duration": round(self.duration, 2),
            "added": self.added,
            "personal_best": self.personal_best,
        }


class LibraryControls(Protocol):
    """The target library and the session records, for the control page. Each call may take
    a while (adding prepares the video): the API runs them off its event loop."""

    def items(self) -> list[LibraryItem]: ...

    def add(self, video: Path, name: str | None, replace: bool) -> LibraryItem:
        """Prepare ``video`` and copy it into the library (``UserError``: one sentence why
        not: not a video, nobody in it, a taken name)."""
        ...

    def remove(self, name: str) -> None: ...

    def upload_folder(self) -> Path:
        """Where an upload is written while it arrives (beside the library's videos)."""
        ...

    def history(self, limit: int) -> list[dict[str, Any]]:
        """The latest ``limit`` session records, newest first, each with its personal best."""
        ...
