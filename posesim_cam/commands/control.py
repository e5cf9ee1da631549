"""What steers ``posesim-cam run`` from outside: the session as ``Controls``, served on loopback
(the control API) and linked with OBS (scenes, the score text, a followed Media Source).

Imports the control package, the session and targets; only ``commands.run`` uses it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from stat import S_ISREG
from typing import TextIO

from posesim_cam.control.api import create_app
from posesim_cam.control.controls import Status
from posesim_cam.control.obs import ObsLink, ObsSettings
from posesim_cam.control.server import ControlServer
from posesim_cam.control.token import load_token
from posesim_cam.errors import UserError
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
    library: TargetLibrary,
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
        app = create_app(SessionControls(session, library), load_token(token))
        server = ControlServer(app, port).start()
    except UserError as error:
        print(f"posesim-cam: {error} The session goes on without the control API.", file=log)
        return None
    stack.callback(server.close)
    print(
        f"posesim-cam: control API on {server.url} (token: `posesim-cam token`)",
        file=log,
        flush=True,
    )
    return server
