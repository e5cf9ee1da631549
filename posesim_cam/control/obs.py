"""The link to OBS Studio over obs-websocket (protocol v5): OBS's scenes pick targets, an OBS
text source shows the score, and optionally an OBS Media Source plays the target while the
session follows its playback.

``ObsLink`` runs in a thread of its own and never blocks the live loop: it speaks to the
session only through ``Controls``, whose commands return at once. It connects whether or not
OBS is up, and reconnects with backoff (also after OBS restarts). obs-websocket has no
playhead event, so a followed Media Source is polled (``GetMediaInputStatus``) a few times a
second and the session's clock runs on between polls. Imports ``control.controls``, ``errors``
and the clock; never the session.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from posesim_cam.clock import Phase
from posesim_cam.control.controls import Controls, Status
from posesim_cam.errors import UserError

DEFAULT_OBS_PORT = 4455
DEFAULT_TEXT_SOURCE = "PoseSim Score"
DEFAULT_MEDIA_SOURCE = "PoseSim Target"
SCENE_PREFIX = "PoseSim: "  # a scene named "PoseSim: dance" starts the target "dance"
PASSWORD_ENV = "POSESIM_OBS_PASSWORD"
# The text source kind by OBS's platform (GetVersion's "platform"): FreeType 2 on Linux and
# macOS, GDI+ on Windows.
TEXT_KINDS = {
    "linux": "text_ft2_source_v2",
    "macos": "text_ft2_source_v2",
    "windows": "text_gdiplus_v3",
}
POLL_SECONDS = 0.25  # text updates and Media Source polls
BACKOFF = (0.5, 1.0, 2.0, 4.0, 5.0)  # seconds between connection attempts, then the last
MEDIA_FILE_SECONDS = 2.0  # how often the followed source's file is checked
STABLE_SECONDS = 10.0  # a connection that lasted this long starts the backoff anew
RESELECT_SECONDS = 5.0  # a target asked of the session is asked again after this long
PASSWORD_REMEDY = (
    f"give OBS's password with --obs-password or ${PASSWORD_ENV} "
    "(OBS: Tools -> WebSocket Server Settings -> Show Connect Info)"
)


def parse_address(text: str) -> tuple[str, int]:
    """ "host:port", "host", ":port", "[::1]:4455" or "::1" -> (host, port); default
    localhost:4455. IPv6 hosts come back without brackets."""
    text = text.strip()
    if text.startswith("["):  # [v6] or [v6]:port
        host, _, rest = text[1:].partition("]")
        colon, port = (":", rest[1:]) if rest.startswith(":") else ("", "")
        if rest and not colon:
            raise UserError(
                f"{text!r} is not an OBS address", "write it as HOST:PORT, e.g. localhost:4455"
            )
    elif text.count(":") > 1:  # a bare IPv6 address: no port in it
        host, colon, port = text, "", ""
    else:
        host, colon, port = text.rpartition(":") if ":" in text else (text, "", "")
    host = host or "localhost"
    if not colon:
        return host, DEFAULT_OBS_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(
            f"{text!r} is not an OBS address", "write it as HOST:PORT, e.g. localhost:4455"
        )
    return host, int(port)


@dataclass(frozen=True)
class ObsSettings:
    """How posesim-cam and OBS work together.

    Attributes:
        host, port: obs-websocket's address (OBS: Tools -> WebSocket Server Settings).
        password: its password ("" when authentication is off).
        text_source: the OBS text source that shows the score ("" to leave text alone).
        media_source: an OBS Media Source whose playback drives the target clock, or None.
        scenes: OBS scene name -> target name; scenes named "PoseSim: <target>" need no entry.
    """

    host: str = "localhost"
    port: int = DEFAULT_OBS_PORT
    password: str = ""
    text_source: str = DEFAULT_TEXT_SOURCE
    media_source: str | None = None
    scenes: Mapping[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def target_of_scene(self, scene: str) -> str | None:
        """The target a program scene asks for, or None for a scene of no target."""
        if scene in self.scenes:
            return self.scenes[scene]
        if scene.startswith(SCENE_PREFIX) and scene[len(SCENE_PREFIX) :].strip():
            return scene[len(SCENE_PREFIX) :].strip()
        return None


def score_text(status: Status) -> str:
    """What the OBS text source shows: score and grade over the target's name."""
    target = status.target or "no target"
    if status.state == Phase.COUNTDOWN and status.countdown is not None:
        return f"Get ready: {max(1, math.ceil(status.countdown))}\n{target}"
    if status.score is None:
        return f"--\n{target}"
    return f"{round(status.score)} {status.grade or ''}".rstrip() + f"\n{target}"


def connection_error(error: Exception, settings: ObsSettings, login: bool = False) -> UserError:
    """One sentence for a failed connection: a refused password (a failed or unanswered login,
    ``login``), or OBS not reachable."""
    text = str(error)
    if "password" in text.lower() or (login and ("timed out" in text.lower() or not text)):
        return UserError(f"OBS at {settings.address} refused the password", PASSWORD_REMEDY)
    if login:
        return UserError(
            f"OBS at {settings.address} did not let posesim-cam in ({text})",
            "check that it is OBS's WebSocket server (obs-websocket 5) on that port",
        )
    return UserError(
        f"OBS is not reachable at {settings.address} ({text or type(error).__name__})",
        "start OBS and tick Tools -> WebSocket Server Settings -> Enable WebSocket server",
    )


def open_client(settings: ObsSettings, timeout: float = 3.0) -> Any:
    """A connected, identified obs-websocket client (obs-websocket-py).

    The handshake runs with a socket timeout (the library's own ``connect`` has none, and an
    OBS that accepts the socket but never answers would hang the link for good); then the
    socket blocks again for the library's receiving thread.

    Raises:
        UserError: wrong password, or OBS not reachable or not answering.
    """
    import websocket
    from obswebsocket import obsws
    from obswebsocket.core import RecvThread

    # The library logs "Connection lost!" and the like on its own; posesim-cam says it once,
    # in its own words.
    library_log = logging.getLogger("obswebsocket")
    if not library_log.handlers:
        library_log.addHandler(logging.NullHandler())
    library_log.propagate = False
    # legacy=False: the library guesses protocol v4 from port 4444 otherwise.
    client = obsws(settings.host, settings.port, settings.password, timeout=timeout, legacy=False)
    client.ws = websocket.WebSocket()
    login = False
    try:
        client.ws.connect(f"ws://{settings.address}", timeout=timeout)
        login = True
        client._auth()  # Hello, Identify (with the password's challenge), Identified
        client.ws.settimeout(None)
        client.thread_recv = _receiver(RecvThread)(client)
        client.thread_recv.daemon = True
        client.thread_recv.start()
    except Exception as error:  # the library raises its own, websocket's and socket errors
        with contextlib.suppress(Exception):
            client.ws.close()
        raise connection_error(error, settings, login) from None
    return client


class ObsLink:
    """Keeps posesim-cam and OBS in step until ``close``.

    Args:
        controls: the session.
        settings: the OBS side.
        media_target: maps a Media Source's file path to a library target name (None: not a
            target); only used with ``settings.media_source``.
        log: where connection changes and problems are told, one line each.
        client_factory: opens a connected client (a test seam; default ``open_client``).
    """

    def __init__(
        self,
        controls: Controls,
        settings: ObsSettings,
        media_target: Callable[[str], str | None] | None = None,
        log: TextIO | None = None,
        client_factory: Callable[[ObsSettings], Any] = open_client,
    ) -> None:
        self.controls = controls
        self.settings = settings
        self.media_target = media_target or (lambda path: None)
        self.log = log
        self.client_factory = client_factory
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._told: set[str] = set()
        self._created_text = False

    def start(self) -> ObsLink:
        self._thread = threading.Thread(target=self._run, name="obs-link", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    # -- the thread -------------------------------------------------------------------------

    def _tell(self, message: str, once: bool = True) -> None:
        """One line on the log; with ``once``, the same line is not repeated until the link's
        state changes (a reconnecting link would otherwise print every few seconds)."""
        if once and message in self._told:
            return
        self._told.add(message)
        if self.log is not None:
            print(f"posesim-cam: {message}", file=self.log, flush=True)

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                client = self.client_factory(self.settings)
            except UserError as error:
                self._tell(f"{error} Trying again in the background.")
                self._stop.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                attempt += 1
                continue
            except Exception as error:  # never let the link die: say it, and try again
                self._tell(f"the OBS link failed ({error!r}); trying again in the background.")
                self._stop.wait(BACKOFF[-1])
                continue
            self._told.clear()
            self._tell(f"connected to OBS at {self.settings.address}.")
            connected_at = time.monotonic()
            try:
                self._serve(client)
            finally:
                _disconnect(client)
            if self._stop.is_set():
                return
            self._tell(f"lost the connection to OBS at {self.settings.address}; reconnecting.")
            # A connection that drops at once (OBS shutting down, a proxy) must not be retried
            # in a tight loop: back off unless it lasted.
            lasted = time.monotonic() - connected_at > STABLE_SECONDS
            attempt = 0 if lasted else attempt + 1
            self._stop.wait(0.0 if lasted else BACKOFF[min(attempt, len(BACKOFF) - 1)])

    def _serve(self, client: Any) -> None:
        """Work with one connected client until it drops or the link closes."""
        from obswebsocket import events

        client.register(self._on_scene, events.CurrentProgramSceneChanged)
        follower = _MediaFollower(self) if self.settings.media_source else None
        self._created_text = False
        last_text: str | None = None
        last_text_at = 0.0
        try:
            while not self._stop.is_set() and _alive(client):
                status = self.controls.status()
                text = score_text(status)
                now = time.monotonic()
                if self.settings.text_source and (text != last_text or now - last_text_at > 2):
                    self._set_text(client, text)
                    last_text, last_text_at = text, now
                if follower is not None:
                    follower.poll(client, status)
                self._stop.wait(POLL_SECONDS)
        except Exception as error:  # the connection broke mid-call: reconnect
            self._tell(f"OBS connection error ({error or type(error).__name__}).", once=False)
        finally:
            client.unregister(self._on_scene, events.CurrentProgramSceneChanged)

    def _set_text(self, client: Any, text: str) -> None:
        from obswebsocket import requests

        answer = client.call(
            requests.SetInputSettings(
                inputName=self.settings.text_source, inputSettings={"text": text}
            )
        )
        if not answer.status and not self._created_text:
            self._created_text = True  # once per connection: never fight a user who removes it
            self._create_text(client, text)

    def _create_text(self, client: Any, text: str) -> None:
        """Add the missing text source to the program scene, of the kind OBS's platform has."""
        from obswebsocket import requests

        name = self.settings.text_source
        platform = str(client.call(requests.GetVersion()).datain.get("platform", ""))
        kind = TEXT_KINDS.get(platform, TEXT_KINDS["linux"])
        scene = client.call(requests.GetCurrentProgramScene()).datain.get("currentProgramSceneName")
        created = client.call(
            requests.CreateInput(
                sceneName=scene, inputName=name, inputKind=kind, inputSettings={"text": text}
            )
        )
        if created.status:
            self._tell(
                f"added the text source {name!r} ({kind}) to the OBS scene {scene!r}: move, "
                "resize and restyle it there as you like"
            )
        else:
            self._tell(
                f"OBS has no text source called {name!r} and none could be added: add a Text "
                "source of that name to a scene, or name yours with --obs-text"
            )

    def _on_scene(self, event: Any) -> None:
        """A program scene change (called on obs-websocket's receiving thread: no calls to
        OBS from here, only a queued command to the session)."""
        try:
            self._start_scene_target(str(event.getSceneName()))
        except Exception as error:  # on the library's thread: an escape would end the link
            self._tell(f"a scene change could not be followed ({error!r}).", once=False)

    def _start_scene_target(self, scene: str) -> None:
        target = self.settings.target_of_scene(scene)
        if target is None:
            return
        if target not in self.controls.target_names():
            self._tell(
                f"the OBS scene {scene!r} names the target {target!r}, which is not in the "
                "library: add it with `posesim-cam targets add VIDEO --name NAME`, or change "
                "[obs.scenes] in the config file",
                once=False,
            )
            return
        self.controls.select_target(target)


class _MediaFollower:
    """Follows the settings' Media Source: its file picks the target, its cursor the clock."""

    def __init__(self, link: ObsLink) -> None:
        self.link = link
        self.source = str(link.settings.media_source)
        self.file: str | None = None
        self.target: str | None = None
        self.checked_at = 0.0
        self.asked: str | None = None  # the target last asked of the session, and when
        self.asked_at = 0.0

    def poll(self, client: Any, status: Status) -> None:
        from obswebsocket import requests

        now = time.monotonic()
        if now - self.checked_at >= MEDIA_FILE_SECONDS:
            self.checked_at = now
            answer = client.call(requests.GetInputSettings(inputName=self.source))
            if not answer.status:
                self.link._tell(
                    f"OBS has no Media Source called {self.source!r}: add one that plays the "
                    "target video, or name yours with --obs-media"
                )
                return
            path = str(answer.datain.get("inputSettings", {}).get("local_file", ""))
            if path != self.file:
                self.file, self.target = path, self.link.media_target(path) if path else None
                if path and self.target is None:
                    self.link._tell(
                        f"the OBS Media Source {self.source!r} plays {path}, which is not a "
                        f"target: add it with `posesim-cam targets add {path}`"
                    )
        if self.target is None:
            return
        if status.target != self.target:
            # Asked once, then again only if it has not taken after a while: the session
            # applies it between frames, and its status follows a frame later.
            if self.asked != self.target or now - self.asked_at > RESELECT_SECONDS:
                self.link.controls.select_target(self.target)
                self.asked, self.asked_at = self.target, now
            return
        answer = client.call(requests.GetMediaInputStatus(inputName=self.source))
        measured_at = time.monotonic()
        state = str(answer.datain.get("mediaState", ""))
        cursor = answer.datain.get("mediaCursor")
        if not answer.status or cursor is None:
            return
        if state in ("OBS_MEDIA_STATE_PLAYING", "OBS_MEDIA_STATE_PAUSED"):
            playing = state == "OBS_MEDIA_STATE_PLAYING"
            self.link.controls.follow_media(float(cursor) / 1000.0, playing, measured_at)


def _receiver(base: type) -> type:
    """The library's receiving thread, ending quietly when OBS resets the connection (it
    re-raises the OSError, and the thread's traceback would reach the console): the link sees
    the thread gone (``_alive``) and reconnects."""

    class QuietReceiver(base):  # type: ignore[misc, valid-type]
        def run(self) -> None:
            with contextlib.suppress(OSError):
                super().run()

    return QuietReceiver


def _alive(client: Any) -> bool:
    socket = getattr(client, "ws", None)
    receiver = getattr(client, "thread_recv", None)
    return bool(
        socket is not None and socket.connected and receiver is not None and receiver.is_alive()
    )


def _disconnect(client: Any) -> None:
    with contextlib.suppress(Exception):  # already gone: nothing to release
        client.disconnect()


def check_obs(settings: ObsSettings) -> str:
    """OBS's version, if it can be reached with ``settings``.

    Raises:
        UserError: wrong password, or OBS not reachable.
    """
    from obswebsocket import requests

    client = open_client(settings)
    try:
        version = client.call(requests.GetVersion()).datain.get("obsVersion", "?")
    finally:
        _disconnect(client)
    return f"OBS {version} at {settings.address}"
