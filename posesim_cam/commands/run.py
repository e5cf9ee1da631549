"""``posesim-cam run``: the live session built from options (camera or file, target, outputs),
and its one-paragraph report.

The only module that constructs a ``LiveSession``; imports the session, capture, outputs, HUD,
pose registry, records, the workspace, the control wiring (API, OBS) and class mode.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import cv2

from posesim_cam.capture import FileSource, open_source
from posesim_cam.commands.classroom import class_of_options, start_class_link
from posesim_cam.commands.control import start_control_api, start_obs_link
from posesim_cam.commands.workspace import Workspace, backend_name
from posesim_cam.config import data_dir
from posesim_cam.control.obs import DEFAULT_TEXT_SOURCE, PASSWORD_ENV, ObsSettings, parse_address
from posesim_cam.control.server import DEFAULT_CONTROL_PORT
from posesim_cam.encoder import Encoder
from posesim_cam.errors import NoPersonError
from posesim_cam.files import check_not_an_input
from posesim_cam.hud import Compositor
from posesim_cam.outputs import create_outputs, output_size
from posesim_cam.players import PlayerSetup
from posesim_cam.players.regions import RegionEstimator
from posesim_cam.pose.base import PoseEstimator
from posesim_cam.pose.registry import DEFAULT_BACKEND, create_backend
from posesim_cam.progress import ProgressFactory
from posesim_cam.records import RecordStore, SessionSummary
from posesim_cam.session import LiveSession, LiveSettings
from posesim_cam.settings import Kind, Setting, check_table, from_environment
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
    class_url: str | None = field(default=None, repr=False)  # may hold a password
    player: str | None = None  # the name the class sees

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
            password = from_environment(Setting(PASSWORD_ENV, Kind.TEXT, secret=True)) or ""
        return ObsSettings(
            host, port, password, self.obs_text, self.obs_media, dict(self.obs_scenes)
        )

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.library_dir, self.pose_backend, self.model_path)

    @classmethod
    def from_settings(
        cls,
        config: Mapping[str, Any],
        given: Mapping[str, Any] | None = None,
        source: str = "the config file's [run] table",
    ) -> RunOptions:
        """Options from the config file's [run] table, overridden by ``given`` (the command
        line's values, by option name), each checked against RUN_SETTINGS (SettingError: one
        sentence naming the key or option, the value and the fix)."""
        values = check_table(config, RUN_SETTINGS, source)
        values.update(check_table(given or {}, RUN_SETTINGS, "the command line", as_options=True))
        return cls(**values)


def _text(name: str, example: str = "", empty: bool = False, secret: bool = False) -> Setting:
    """Text; blank only where it means something (``obs_text = ""``: no text source)."""
    return Setting(
        name, Kind.TEXT, example=example or f'{name} = "..."', empty=empty, secret=secret
    )


def _flag(name: str) -> Setting:
    return Setting(name, Kind.FLAG, example=f"{name} = true")


# What the config file's [run] table and the command line may set: the options' names.
RUN_SETTINGS: tuple[Setting, ...] = (
    Setting("camera", Kind.CAMERA, example='camera = 0 or camera = "/dev/video2"'),
    _text("source", 'source = "clip.mp4"'),
    _text("target", 'target = "dance"'),
    _text("output", 'output = "virtualcam,preview"'),
    _text("backend", 'backend = "blazepose"'),
    Setting("library", Kind.PATH, example='library = "~/targets"', stores="library_dir",
            aliases=("library_dir",)),
    Setting("model", Kind.PATH, example='model = "models/encoder_v2.npz"', stores="model_path",
            aliases=("model_path",)),
    Setting("countdown", Kind.NUMBER, 0, 600, example="countdown = 3"),
    _flag("mirror"),
    _flag("mirror_display"),
    Setting("size", Kind.SIZE, example='size = "1280x720"'),
    Setting("camera_size", Kind.SIZE, example='camera_size = "1280x720"'),
    Setting("camera_fps", Kind.NUMBER, 1, 240, example="camera_fps = 30"),
    _flag("realtime"),
    _flag("loop"),
    _flag("stats"),
    _text("device", 'device = "/dev/video10"'),
    _text("virtualcam_backend", 'virtualcam_backend = "v4l2loopback"'),
    Setting("control_port", Kind.INTEGER, 0, 65535,
            example="control_port = 8765 (0 turns the API off)"),
    _text("token", secret=True),
    _text("obs", 'obs = "localhost:4455"'),
    _text("obs_password", empty=True, secret=True),
    _text("obs_text", 'obs_text = "PoseSim Score"', empty=True),
    _text("obs_media", 'obs_media = "PoseSim Target"'),
    Setting("obs_scenes", Kind.TEXT_TABLE,
            example='"Warm-up" = "dance" under [obs.scenes]'),
    Setting("players", Kind.INTEGER, 1, 4, example="players = 2"),
    Setting("player_mode", Kind.CHOICE, choices=("split", "track"),
            example='player_mode = "split"'),
    Setting("split_at", Kind.NUMBER, 0.01, 0.99, example="split_at = 0.5"),
    _text("player_names", 'player_names = "Ana,Ben"'),
    Setting("checkpoint", Kind.PATH, example='checkpoint = "fast_res50_256x192.pth"'),
    _text("detector", 'detector = "blazepose"'),
    Setting("detector_model", Kind.PATH, example='detector_model = "yolov8n.onnx"'),
    Setting("pose_runtime", Kind.CHOICE, choices=("torch", "onnx"),
            example='pose_runtime = "onnx"'),
    _flag("flip_test"),
    Setting("class", Kind.TEXT, example='class = "redis://127.0.0.1:6379/yoga-monday"',
            stores="class_url", aliases=("class_url",), secret=True),
    _text("player", 'player = "Ana"'),
)  # fmt: skip


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
    joined = class_of_options(options.class_url, options.player, players.count)
    encoder = workspace.encoder()
    names = [entry.name for entry in workspace.library.entries()]
    first = options.target or (names[0] if names else None)
    load = LoadedTargets(workspace, encoder)
    if first is not None:
        # Prepared before the camera opens, so the camera is not held during a long preparation.
        target = load(first, progress)
        check_not_overwritten(options.output, [target.video])
    if options.source:
        check_not_overwritten(options.output, [Path(options.source)])

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
            warn=lambda text: print(f"posesim-cam: {text}.", file=log, flush=True),
            device=options.device,
            backend=options.virtualcam_backend,
        )
        for output in outputs:
            stack.callback(output.close)
        countdown = (
            options.countdown if options.countdown is not None else (0.0 if is_file else 3.0)
        )
        records = RecordStore(
            data_dir(), warn=lambda text: print(f"posesim-cam: {text}.", file=log)
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
            records,
            settings,
            log,
        )
        start_control_api(session, workspace, options.control_port, options.token, stack, log)
        start_obs_link(session, workspace.library, options.obs_settings, stack, log)
        start_class_link(joined, session, records, stack, log)
        if threading.current_thread() is threading.main_thread():
            # A background process is stopped with SIGTERM: end as cleanly as Ctrl-C does.
            previous = signal.signal(signal.SIGTERM, lambda *_: session.stop())
            stack.callback(signal.signal, signal.SIGTERM, previous)
        summary = session.run(first)
    if summary.pose_frames >= NOBODY_AFTER_POSES and not summary.person_frames:
        seen_by = f"in {options.source}" if options.source else "by the camera"
        raise NoPersonError(
            f"No person was seen {seen_by} during the whole session, so nothing was scored",
            "stand where the camera sees your whole body, in good light "
            "(`posesim-cam pose IMAGE` shows what the pose model finds)",
        )
    return summary


# A session ended before this many poses were estimated (stopped at once) says nothing about
# whether anybody was there.
NOBODY_AFTER_POSES = 15


def check_not_overwritten(spec: str, inputs: list[Path]) -> None:
    """UserError when a file output of ``spec`` is one of ``inputs`` (the source, the
    target): writing it would destroy the video being read."""
    for item in spec.split(","):
        name, _, argument = item.strip().partition(":")
        if name.strip().lower() == "file" and argument.strip():
            check_not_an_input(Path(argument.strip()).expanduser(), inputs)


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
    if last.saved is not None and last.saved.written:
        text += f"\nRecord: {last.saved.path}"
    elif last.saved is not None:
        text += f"\nRecord: not written ({last.saved.path.parent} cannot be written to)"
    for player in summary.players:
        score = "--" if player["score"] is None else f"{player['score']:.0f}"
        text += f"\n  {player['name']}: {score}/100 {player['grade'] or ''}".rstrip()
    return text
