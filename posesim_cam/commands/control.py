"""The control API of ``posesim-cam run``: the session as ``Controls``, served on loopback.

Imports the control package, the session and targets; only ``commands.run`` uses it.
"""

from __future__ import annotations

import contextlib
from typing import TextIO

from posesim_cam.control.api import create_app
from posesim_cam.control.controls import Status
from posesim_cam.control.server import ControlServer
from posesim_cam.control.token import load_token
from posesim_cam.errors import UserError
from posesim_cam.session import LiveSession
from posesim_cam.targets import TargetLibrary


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
