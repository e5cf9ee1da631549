"""``posesim-cam run``: the live session built from options (camera or file, target, outputs),
and its one-paragraph report.

The only module that constructs a ``LiveSession``; imports the session, capture, outputs, HUD,
pose registry, records, the workspace and the control wiring (API, OBS).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TextIO

import cv2

from posesim_cam.capture import FileSource, open_source
from posesim_cam.commands.control import start_control_api, start_obs_link
from posesim_cam.commands.workspace import Workspace, backend_name
from posesim_cam.config import data_dir
from posesim_cam.control.obs import DEFAULT_TEXT_SOURCE, PASSWORD_ENV, ObsSettings, parse_address
from posesim_cam.control.server import DEFAULT_CONTROL_PORT
from posesim_cam.encoder import Encoder
from posesim_cam.errors import UserError
from posesim_cam.hud import Compositor
from posesim_cam.outputs import create_outputs, output_size
from posesim_cam.players import PlayerSetup
from posesim_cam.players.regions import RegionEstimator
from posesim_cam.pose.base import PoseEstimator
from posesim_cam.pose.registry import DEFAULT_BACKEND, create_backend
from posesim_cam.progress import ProgressFactory
from posesim_cam.records import RecordStore, SessionSummary
from posesim_cam.session import LiveSession, LiveSettings
from posesim_cam.targets import Target


@dataclass(frozen=True)
class RunOptions:
    camera: int | str | None = None
    source: str | None = None
    target: str | None = None
    output: str = "virtualcam"
    backend: str = DEFAULT_BACKEND
    library_dir: Path | None = None
    model_path: Path | None = None
    countdown: float | None = None  # None: 3 s for cameras, 0 for files
    mirror: bool = True
    mirror_display: bool = False
    size: tuple[int, int] | None = None  # output size; None: 1280x720 or 640x480
    camera_size: tuple[int, int] | None = None
    camera_fps: float | None = None
    realtime: bool = False
    loop: bool = False
    stats: bool = False
    device: str | None = None
    virtualcam_backend: str | None = None
    control_port: int = DEFAULT_CONTROL_PORT  # 0: no control API
    token: str | None = None  # None: $POSESIM_TOKEN or the token file
    obs: str | None = None  # "HOST:PORT" of obs-websocket; None: no OBS link
    obs_password: str | None = None  # None: $POSESIM_OBS_PASSWORD, else none
    obs_text: str = DEFAULT_TEXT_SOURCE  # the OBS text source for the score ("": none)
    obs_media: str | None = None  # an OBS Media Source to follow; None: posesim-cam's clock
    obs_scenes: Mapping[str, str] = field(default_factory=dict)  # OBS scene -> target
    players: int | None = None  # None: one
    player_mode: str | None = None  # "split" (default) or "track"
    split_at: float | None = None
    player_names: str | None = None  # "Ana,Ben"
    # The alphapose backend's settings (pose.alphapose.AlphaPoseSettings), used with it only.
    checkpoint: Path | None = None
    detector: str | None = None
    detector_model: Path | None = None
    pose_runtime: str | None = None
    flip_test: bool | None = None

    @property
    def pose_backend(self) -> str:
        """The registered backend name: ``backend``, or for ``alphapose`` the backend of its
        checkpoint (``commands.workspace.backend_name``). A config file may keep alphapose
        settings while another backend is chosen: they are then unused."""
        if self.backend != "alphapose":
            return self.backend
        return backend_name(
            self.backend, self.checkpoint, self.detector, self.detector_model,
            self.pose_runtime, bool(self.flip_test),
        )  # fmt: skip

    @property
    def player_setup(self) -> PlayerSetup:
        """The players, checked (UserError: one sentence naming the option)."""
        return PlayerSetup.from_options(
            self.players, self.player_mode, self.split_at, self.player_names
        )

    @property
    def obs_settings(self) -> ObsSettings | None:
        if self.obs is None:
            return None
        host, port = parse_address(self.obs)
        password = self.obs_password
        if password is None:
            password = os.environ.get(PASSWORD_ENV, "")
        return ObsSettings(
            host, port, password, self.obs_text, self.obs_media, dict(self.obs_scenes)
        )

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.library_dir, self.pose_backend, self.model_path)

    @classmethod
    def from_settings(cls, settings: dict[str, Any], source: str = "settings") -> RunOptions:
        """Options from a dict such as the config file's [run] table, checked name by name.

        Sizes may be written "1280x720"; paths as strings.
        """
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in settings.items():
            if name not in known:
                raise UserError(
                    f"Unknown setting {name!r} in {source}",
                    f"use one of: {', '.join(sorted(known))}",
                )
            if name in ("size", "camera_size") and isinstance(value, str):
                value = parse_size(value)
            elif name in _PATH_SETTINGS and isinstance(value, str):
                value = Path(value).expanduser()
            _check_control_setting(name, value, source)
            values[name] = value
        return cls(**values)


_TEXT_SETTINGS = ("token", "obs", "obs_password", "obs_text", "obs_media", "detector",
                  "pose_runtime")  # fmt: skip
_PATH_SETTINGS = ("library_dir", "model_path", "checkpoint", "detector_model")


def _check_control_setting(name: str, value: Any, source: str) -> None:
    """UserError unless a control or OBS setting from the config file has the right type."""
    if name == "control_port" and (
        not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535
    ):
        raise UserError(
            f"control_port in {source} must be a port number from 0 to 65535, not {value!r}",
            "write e.g. control_port = 8765 (0 turns the API off)",
        )
    if name in _TEXT_SETTINGS and value is not None and not isinstance(value, str):
        raise UserError(
            f"{name} in {source} must be text, not {value!r}", f'write it in quotes: {name} = "..."'
        )
    if name == "obs_scenes" and not isinstance(value, dict):
        raise UserError(f"obs_scenes in {source} must be a table", "use the [obs.scenes] table")


def parse_size(text: str) -> tuple[int, int]:
    """ "1280x720" -> (1280, 720)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UserError(f"{text!r} is not a size", "write it like 1280x720") from None
    if width < 160 or height < 120:
        raise UserError(f"{text!r} is too small", "use at least 160x120")
    return width, height


def run(
    options: RunOptions, progress: ProgressFactory | None = None, log: TextIO | None = None
) -> SessionSummary:
    """Run the live session until the source ends, the preview closes, or Ctrl-C."""
    with contextlib.ExitStack() as logs:
        if log is None:
            log = logs.enter_context(console_stream())
        return _run(options, progress, log)


@contextlib.contextmanager
def console_stream() -> Iterator[TextIO]:
    """The process's stderr, on a file descriptor of its own: MediaPipe's start-up points fd 2
    at /dev/null for a moment (``pose.blazepose``), and what the control API, the OBS link and
    the session say meanwhile, from their own threads, must still be seen."""
    try:
        fd = os.dup(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):  # no real stderr (captured, embedded)
        yield sys.stderr
        return
    with os.fdopen(fd, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8") as stream:
        yield stream


def _run(options: RunOptions, progress: ProgressFactory | None, log: TextIO) -> SessionSummary:
    workspace = options.workspace  # a bad checkpoint or detector: one sentence, before all
    backend = workspace.backend
    players = options.player_setup  # a bad --players or --split-at: one sentence, before all
    encoder = workspace.encoder()
    names = [entry.name for entry in workspace.library.entries()]
    first = options.target or (names[0] if names else None)
    load = LoadedTargets(workspace, encoder)
    if first is not None:
        # Prepared before the camera opens, so the camera is not held during a long preparation.
        load(first, progress)

    # OpenCV's own thread pool would compete with MediaPipe for the cores: the render thread
    # already runs OpenCV beside inference.
    cv2.setNumThreads(1)
    with contextlib.ExitStack() as stack:
        source = open_source(
            options.camera,
            options.source,
            *(options.camera_size or (None, None)),
            options.camera_fps,
            realtime=options.realtime,
            loop=options.loop,
        )
        stack.callback(source.close)
        is_file = isinstance(source, FileSource)
        width, height = options.size or output_size(source.size)
        if players.count > 1:
            # One single-person estimator per strip of the picture (players.regions).
            estimator: PoseEstimator = RegionEstimator(
                lambda threads: create_backend(backend, threads=threads),
                players.count,
                players.split_at,
            )
        else:
            estimator = create_backend(backend)
        stack.callback(estimator.close)
        outputs = create_outputs(
            options.output,
            width,
            height,
            source.fps or 30.0,
            device=options.device,
            backend=options.virtualcam_backend,
        )
        for output in outputs:
            stack.callback(output.close)
        countdown = (
            options.countdown if options.countdown is not None else (0.0 if is_file else 3.0)
        )
        settings = LiveSettings(
            countdown=countdown,
            mirror=options.mirror,
            stats_every=5.0 if options.stats else 0.0,
            drop_frames=not is_file,
            # A file as fast as it goes is a recording to score completely; a camera or a
            # paced file must keep its picture rate whatever the model costs.
            pose_every_frame=is_file and not options.realtime,
            players=players,
        )
        session = LiveSession(
            source,
            estimator,
            encoder,
            outputs,
            Compositor(width, height, options.mirror_display),
            load,
            names,
            RecordStore(data_dir()),
            settings,
            log,
        )
        start_control_api(session, workspace, options.control_port, options.token, stack, log)
        start_obs_link(session, workspace.library, options.obs_settings, stack, log)
        if threading.current_thread() is threading.main_thread():
            # A background process is stopped with SIGTERM: end as cleanly as Ctrl-C does.
            previous = signal.signal(signal.SIGTERM, lambda *_: session.stop())
            stack.callback(signal.signal, signal.SIGTERM, previous)
        return session.run(first)


class LoadedTargets:
    """Targets by name, each loaded once per video file (switching back to a target costs no
    second hash of its video: the session loads targets between frames)."""

    def __init__(self, workspace: Workspace, encoder: Encoder) -> None:
        self.workspace = workspace
        self.encoder = encoder
        self._loaded: dict[tuple[str, str, int], Target] = {}

    def __call__(self, name: str, progress: ProgressFactory | None = None) -> Target:
        resolved, video = self.workspace.library.resolve(name)
        try:
            key = (resolved, str(video.resolve()), video.stat().st_mtime_ns)
        except OSError:
            key = (resolved, str(video), 0)
        target = self._loaded.get(key)
        if target is None:
            target = self._loaded[key] = self.workspace.load_target(name, self.encoder, progress)
        return target


def format_summary(summary: SessionSummary) -> str:
    head = f"{summary.frames} frames at {summary.fps:.1f} fps"
    last = summary.last
    if last is not None and last.cannot_score:
        return f"Session ended: {last.target}: cannot score: {last.cannot_score} ({head})."
    if last is None or last.score is None:
        return f"Session ended: {head}; nothing was scored."
    text = f"Session ended: {last.target}: score {last.score:.0f}/100 {last.grade} ({head})"
    if last.saved is not None:
        text += f"\nRecord: {last.saved.path}"
    for player in summary.players:
        score = "--" if player["score"] is None else f"{player['score']:.0f}"
        text += f"\n  {player['name']}: {score}/100 {player['grade'] or ''}".rstrip()
    return text
