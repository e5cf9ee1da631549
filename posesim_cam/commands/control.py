"""What steers ``posesim-cam run`` from outside: the session as ``Controls``, served on loopback
(the control API) and linked with OBS (scenes, the score text, a followed Media Source).

Imports the control package, the session and targets; only ``commands.run`` uses it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from stat import S_ISREG
from typing import TextIO

from posesim_cam.commands.targets import add_target
from posesim_cam.commands.workspace import Workspace
from posesim_cam.control.api import create_app
from posesim_cam.control.controls import LibraryItem, Status
from posesim_cam.control.obs import ObsLink, ObsSettings
from posesim_cam.control.server import ControlServer
from posesim_cam.control.token import load_token
from posesim_cam.errors import UserError
from posesim_cam.records import RecordStore
from posesim_cam.session import LiveSession
from posesim_cam.targets import TargetLibrary, content_hash


class SessionControls:
    """``Controls`` over a live session, with the library's names read afresh on each ask (a
    target added while the session runs can be started without a restart)."""

    def __init__(self, session: LiveSession, library: TargetLibrary) -> None:
        self.session = session
        self.library = library

    def status(self) -> Status:
        return self.session.status()

    def target_names(self) -> list[str]:
        try:
            names = [entry.name for entry in self.library.entries()]
        except UserError:
            return list(self.session.targets)  # an unreadable index: keep what the session has
        if names != self.session.targets:
            self.session.set_targets(names)
        return names

    def select_target(self, name: str) -> None:
        self.session.select_target(name)

    def step_target(self, step: int) -> None:
        self.target_names()  # next/previous step through the library as it is now
        self.session.step_target(step)

    def pause(self) -> None:
        self.session.pause()

    def resume(self) -> None:
        self.session.resume()

    def restart(self) -> None:
        self.session.restart()

    def set_hud_visible(self, visible: bool) -> None:
        self.session.set_hud_visible(visible)

    def follow_media(self, position: float, playing: bool, measured_at: float) -> None:
        self.session.follow_media(position, playing, measured_at)


class WorkspaceLibrary:
    """``LibraryControls`` over the workspace's library and the session's records: what the
    control page lists, adds and removes (the same as ``posesim-cam targets``)."""

    def __init__(self, workspace: Workspace, records: RecordStore) -> None:
        self.workspace = workspace
        self.records = records

    def items(self) -> list[LibraryItem]:
        bests = self.records.personal_bests()
        return [
            LibraryItem(e.name, e.duration, e.added, bests.get(e.sha, {}).get("score"))
            for e in self.workspace.library.entries()
        ]

    def add(self, video: Path, name: str | None, replace: bool) -> LibraryItem:
        try:
            regular = S_ISREG(video.stat().st_mode)
        except OSError:
            regular = False
        if not regular:  # a folder, a device or a pipe would never end hashing
            raise UserError(f"{video} is not a video file here", "give the path of a video file")
        add_target(self.workspace, video, name, replace)
        item = next((i for i in self.items() if i.name == (name or video.stem)), None)
        if item is None:
            raise UserError("The target was added but is not in the library now", "try again")
        return item

    def remove(self, name: str) -> None:
        self.workspace.library.remove(name)

    def upload_folder(self) -> Path:
        return self.workspace.library.root / "uploads"

    def history(self, limit: int) -> list[dict]:
        return self.records.history(limit)


class MediaTargets:
    """Which library target a file is, by its content (a user's Media Source points at their
    own copy, not the library's); hashes are kept per (path, size, mtime)."""

    def __init__(self, library: TargetLibrary) -> None:
        self.library = library
        self._hashes: dict[tuple[str, int, int], str] = {}

    def __call__(self, path: str) -> str | None:
        try:
            stat = Path(path).stat()
            if not S_ISREG(stat.st_mode):  # a device or a pipe: hashing it would never end
                return None
            key = (path, stat.st_size, stat.st_mtime_ns)
            sha = self._hashes.get(key)
            if sha is None:
                sha = self._hashes[key] = content_hash(Path(path))
            entries = self.library.entries()
        except (OSError, UserError):
            return None
        return next((entry.name for entry in entries if entry.sha == sha), None)


def start_obs_link(
    session: LiveSession,
    library: TargetLibrary,
    settings: ObsSettings | None,
    stack: contextlib.ExitStack,
    log: TextIO,
) -> ObsLink | None:
    """Link ``session`` with OBS until ``stack`` closes (None: no OBS wanted). The link
    connects in its own thread, whether or not OBS is up yet."""
    if settings is None:
        return None
    link = ObsLink(SessionControls(session, library), settings, MediaTargets(library), log)
    stack.callback(link.close)
    return link.start()


def start_control_api(
    session: LiveSession,
    workspace: Workspace,
    port: int,
    token: str | None,
    stack: contextlib.ExitStack,
    log: TextIO,
) -> ControlServer | None:
    """Serve the control API for ``session`` until ``stack`` closes; None when it is off
    (``port`` 0) or cannot start (then one sentence on ``log``, and the session goes on)."""
    if not port:
        return None
    try:
        library = workspace.library
        app = create_app(
            SessionControls(session, library),
            load_token(token),
            WorkspaceLibrary(workspace, session.records),
        )
        server = ControlServer(app, port).start()
    except UserError as error:
        print(f"posesim-cam: {error} The session goes on without the control API.", file=log)
        return None
    stack.callback(server.close)
    print(
        f"posesim-cam: control page on {server.url}/ and overlay on {server.url}/overlay "
        "(token: `posesim-cam token`)",
        file=log,
        flush=True,
    )
    return server
