"""The `posesim-cam` command line: parse, call a command (``posesim_cam.commands``), print.

Nothing else lives here. Commands are imported inside each function, so `--help` and quick
commands never load mediapipe or torch. Imports only the package version, ``commands``,
``config``, ``console``, ``control.token`` and ``errors``.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

# Quieten mediapipe/TF-Lite start-up logging before anything imports it.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# FFmpeg's own lines ("moov atom not found") would print before our one sentence about the file.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import click

from posesim_cam import __version__
from posesim_cam.errors import UserError


class _Group(click.Group):
    """Turns a UserError anywhere below into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except UserError as error:
            click.echo(f"posesim-cam: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("posesim-cam: interrupted.", err=True)
            ctx.exit(130)


library_option = click.option(
    "--library",
    "library_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Target library folder (default: the user data folder).",
)
backend_option = click.option(
    "--backend",
    default="auto",
    show_default=True,
    help="Pose backend: blazepose, blazepose-heavy, or auto (heavy where its model is "
    "installed and two cores are free for it, else blazepose; doctor says which).",
)


def backend_options(command, resolve: bool = True):  # type: ignore[no-untyped-def]
    """--backend and the alphapose backend's options, handed to the command as one registered
    backend name (``commands.workspace.backend_name``); with ``resolve`` False (``run``, whose
    config file may hold them too) as they are."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not resolve:
            return command(*args, **kwargs)
        from posesim_cam.commands.workspace import backend_name

        kwargs["backend"] = backend_name(
            kwargs["backend"],
            kwargs.pop("checkpoint"),
            kwargs.pop("detector"),
            kwargs.pop("detector_model"),
            kwargs.pop("pose_runtime"),
            kwargs.pop("flip_test"),
        )
        return command(*args, **kwargs)

    file = click.Path(dir_okay=False, path_type=Path)
    options = (
        backend_option,
        click.option("--checkpoint", type=file,
                     help="alphapose: the FastPose checkpoint (AlphaPose's model zoo)."),
        click.option("--detector", help="alphapose: person detector, blazepose (default), "
                     "hog or onnx."),
        click.option("--detector-model", type=file, help="alphapose: the onnx detector's file."),
        click.option("--pose-runtime", type=click.Choice(["torch", "onnx"]),
                     help="alphapose: torch (CUDA when present) or onnx (ONNX Runtime, CPU)."),
        click.option("--flip-test", is_flag=True, default=None,
                     help="alphapose: also run mirrored crops and average (twice the work)."),
    )  # fmt: skip
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


def _workspace(
    library_dir: Path | None = None, backend: str = "auto", model_path: Path | None = None
):  # type: ignore[no-untyped-def]  # -> Workspace, imported lazily
    from posesim_cam.commands.workspace import Workspace

    return Workspace(library_dir, backend, model_path)


def players_options(command):  # type: ignore[no-untyped-def]
    """--players, --player-mode, --split-at, --player-names (run and score)."""
    options = (
        click.option(
            "--players", type=int, help="How many play at once, side by side (1-4; default 1)."
        ),
        click.option(
            "--player-mode",
            type=click.Choice(["split", "track"]),
            help="split: each player keeps a strip of the picture; track: ids follow the people.",
        ),
        click.option(
            "--split-at", type=float, help="Where the line between two players is (0-1; 0.5)."
        ),
        click.option("--player-names", help="Comma-separated names, left to right (e.g. Ana,Ben)."),
    )
    for option in reversed(options):
        command = option(command)
    return command


obs_option = click.option(
    "--obs",
    is_flag=False,
    flag_value="localhost:4455",
    metavar="[HOST:PORT]",
    help="Link with OBS over obs-websocket (default localhost:4455).",
)
obs_password_option = click.option(
    "--obs-password", help="obs-websocket's password (or $POSESIM_OBS_PASSWORD)."
)
model_option = click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Encoder model file (default: the one shipped).",
)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="posesim-cam")
def main() -> None:
    """Score your pose against a target video; live, or on recorded video."""


@main.command()
@click.argument("target")
@click.argument("attempt", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--no-mirror", is_flag=True, help="Do not accept a mirror image of the target.")
@click.option("--aligner", default="exact", show_default=True, help="exact or fastdtw.")
@click.option(
    "--render",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the composited video (attempt, target, HUD) to this mp4.",
)
@players_options
@library_option
@backend_options
@model_option
def score(
    target: str,
    attempt: Path,
    as_json: bool,
    no_mirror: bool,
    aligner: str,
    render: Path | None,
    players: int | None,
    player_mode: str | None,
    split_at: float | None,
    player_names: str | None,
    library_dir: Path | None,
    backend: str,
    model_path: Path | None,
) -> None:
    """Score the video ATTEMPT against TARGET (a library name or a video path).

    With --players N, each of the N people in ATTEMPT is scored on their own.
    """
    from posesim_cam.commands import score as scoring
    from posesim_cam.console import out, progress_bars
    from posesim_cam.players import PlayerSetup

    setup = PlayerSetup.from_options(players, player_mode, split_at, player_names)
    options = scoring.ScoreOptions(not no_mirror, aligner, render, setup)
    workspace = _workspace(library_dir, backend, model_path)
    with progress_bars() as progress:
        if setup.count > 1:
            several = scoring.score_players(workspace, target, attempt, options, progress)
        else:
            result = scoring.score_videos(workspace, target, attempt, options, progress)
    if setup.count > 1:
        click.echo(json.dumps(several.to_dict()) if as_json else scoring.format_players(several))
    elif as_json:
        click.echo(json.dumps(result.to_dict()))
    else:
        out.print(scoring.format_score(result))


@main.command()
@click.option("--camera", help="Camera index or device path (default 0).")
@click.option("--source", help="A video file or stream URL instead of the camera.")
@click.option("--target", help="Target name or video path (default: first in the library).")
@click.option(
    "--output", help="Comma-separated: virtualcam (default), preview, file:OUT.mp4, null."
)
@click.option("--countdown", type=float, help="Seconds before the target starts (3; 0 for files).")
@click.option("--no-mirror", is_flag=True, help="Do not accept a mirror image of the target.")
@click.option("--mirror-display", is_flag=True, help="Show the camera picture as a mirror.")
@click.option("--size", help="Output size, e.g. 1280x720.")
@click.option("--camera-size", help="Ask the camera for this size.")
@click.option("--camera-fps", type=float, help="Ask the camera for this frame rate.")
@click.option("--realtime", is_flag=True, help="Play a --source file at its own frame rate.")
@click.option("--loop", is_flag=True, help="Repeat a --source file.")
@click.option("--device", help="Virtual camera device, e.g. /dev/video10.")
@click.option("--json", "as_json", is_flag=True, help="Print the session summary as JSON.")
@click.option("--stats", is_flag=True, help="Print per-stage timings every few seconds.")
@players_options
@click.option(
    "--control-port",
    type=click.IntRange(0, 65535),
    help="Port of the control API on 127.0.0.1 (default 8765; 0 turns it off).",
)
@click.option("--no-control", is_flag=True, help="Do not serve the control API.")
@click.option("--token", help="Token the control API requires (default: `posesim-cam token`).")
@obs_option
@obs_password_option
@click.option("--obs-text", help="OBS text source that shows the score (PoseSim Score).")
@click.option(
    "--obs-media",
    is_flag=False,
    flag_value="PoseSim Target",
    metavar="[SOURCE]",
    help="Follow this OBS Media Source's playback (default PoseSim Target).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: config.toml in the user config folder).",
)
@click.option(
    "--class",
    "class_url",
    envvar="POSESIM_CLASS",
    help="Join a class: redis://HOST:PORT/CLASS, or $POSESIM_CLASS (docs/class.md).",
)
@click.option("--player", help="Your name in the class (with --class).")
@library_option
@functools.partial(backend_options, resolve=False)
@model_option
def run(**given: object) -> None:
    """Score yourself live against a target; send the picture to a virtual camera.

    Defaults come from the [run] table of the config file; options given here win.
    """
    from posesim_cam.commands.run import RunOptions, format_summary
    from posesim_cam.commands.run import run as run_session
    from posesim_cam.config import load_config, obs_scenes
    from posesim_cam.console import progress_bars

    ctx = click.get_current_context()
    config_file = given.pop("config_file")
    as_json = given.pop("as_json")
    config = load_config(config_file)  # type: ignore[arg-type]
    table = dict(config.get("run", {}))
    scenes = obs_scenes(config)
    if scenes:
        table.setdefault("obs_scenes", scenes)
    default = click.core.ParameterSource.DEFAULT
    chosen = {n: v for n, v in given.items() if ctx.get_parameter_source(n) is not default}
    if "no_mirror" in chosen:
        chosen["mirror"] = not chosen.pop("no_mirror")
    if chosen.pop("no_control", False):
        chosen["control_port"] = 0
    options = RunOptions.from_settings(table, chosen)
    from posesim_cam.commands.workspace import check_alphapose_options

    line = click.core.ParameterSource.COMMANDLINE
    typed = {n: v for n, v in given.items() if ctx.get_parameter_source(n) is line}
    check_alphapose_options(options.backend, typed)
    with progress_bars() as progress:
        summary = run_session(options, progress)
    if as_json:
        click.echo(json.dumps(summary.to_dict()))
    else:
        click.echo(format_summary(summary))


@main.command()
@click.option("--camera", default="0", show_default=True, help="Camera index or device path.")
@obs_option
@obs_password_option
@library_option
@backend_option
@model_option
def doctor(
    camera: str,
    obs: str | None,
    obs_password: str | None,
    library_dir: Path | None,
    backend: str,
    model_path: Path | None,
) -> None:
    """Check the camera, virtual camera, pose backend, encoder, targets (and OBS)."""
    from posesim_cam.commands.doctor import doctor as run_checks
    from posesim_cam.commands.run import RunOptions

    link = RunOptions(obs=obs, obs_password=obs_password).obs_settings
    failed = False
    for check in run_checks(camera, _workspace(library_dir, backend, model_path), link):
        click.echo(f"{'ok ' if check.ok else 'FIX'}  {check.name:<15} {check.detail}")
        failed |= not check.ok
    sys.exit(1 if failed else 0)


@main.command()
def token() -> None:
    """Print the token the control API requires (made on first use; $POSESIM_TOKEN wins)."""
    from posesim_cam.control.token import load_token

    click.echo(load_token())


@main.command()
@click.argument("media", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per frame).")
@backend_options
def pose(media: Path, as_json: bool, backend: str) -> None:
    """Print the keypoints found in an image or a video (a debugging aid)."""
    from posesim_cam.commands.pose import format_pose_record, pose_records

    for record in pose_records(media, backend):
        click.echo(json.dumps(record) if as_json else format_pose_record(record))


@main.command("check-checkpoint")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def check_checkpoint(path: Path) -> None:
    """Load a FastPose checkpoint strictly; print its kind and parameter count."""
    from posesim_cam.commands.checkpoint import check_checkpoint as check

    click.echo(check(path))


@main.group()
def targets() -> None:
    """Manage the target library."""


@targets.command("add")
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--name", help="Name in the library (default: the file name).")
@click.option("--replace", is_flag=True, help="Replace a different video of the same name.")
@library_option
@backend_options
@model_option
def targets_add(
    video: Path,
    name: str | None,
    replace: bool,
    library_dir: Path | None,
    backend: str,
    model_path: Path | None,
) -> None:
    """Add VIDEO to the library and prepare it."""
    from posesim_cam.commands.targets import add_target
    from posesim_cam.console import progress_bars

    workspace = _workspace(library_dir, backend, model_path)
    with progress_bars() as progress:
        message = add_target(workspace, video, name, replace, progress)
    click.echo(message)


@targets.command("list")
@library_option
def targets_list(library_dir: Path | None) -> None:
    """List the targets in the library."""
    from posesim_cam.commands.targets import list_targets

    click.echo(list_targets(_workspace(library_dir)))


@targets.command("remove")
@click.argument("name")
@library_option
def targets_remove(name: str, library_dir: Path | None) -> None:
    """Remove the target NAME from the library."""
    from posesim_cam.commands.targets import remove_target

    click.echo(remove_target(_workspace(library_dir), name))


@main.group()
def models() -> None:
    """Pose model files that do not ship in the package (BlazePose heavy)."""


@models.command("add")
@click.argument("file", type=click.Path(path_type=Path))
def models_add(file: Path) -> None:
    """Install a model from FILE: the .tflite, or the tarball of `npm pack @mediapipe/pose`."""
    from posesim_cam.pose.models import add_model

    model, path = add_model(file)
    click.echo(f"Installed {model.name} for the {model.backend} backend in {path}")


@models.command("list")
def models_list() -> None:
    """List the models posesim-cam knows and whether each is installed."""
    from posesim_cam.pose.models import list_models

    for status in list_models():
        where = str(status.path) if status.path else "not installed: posesim-cam models add FILE"
        click.echo(f"{status.model.backend:<16} {status.model.name:<28} {where}")


data_option = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Test media folder (default: $POSESIM_TESTDATA or ../shared/testdata).",
)


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the model (default: models/encoder_<encoder>.npz).",
)
@click.option(
    "--encoder",
    "kind",
    type=click.Choice(["v1", "v2"]),
    default="v2",
    show_default=True,
    help="v2: motion capture from random cameras; v1: the seed's real-pose encoder.",
)
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--steps", default=None, type=click.IntRange(1, 10_000_000), help="Training steps.")
@data_option
@backend_option
def train(
    out: Path | None, kind: str, seed: int, steps: int | None, data: Path | None, backend: str
) -> None:
    """Train the pose encoder (deterministic for a given seed)."""
    from posesim_cam.commands.model import train_encoder
    from posesim_cam.console import progress_bars

    with progress_bars() as progress:
        message = train_encoder(_workspace(backend=backend), out, seed, steps, data, kind, progress)
    click.echo(message)


@main.command("eval")
@click.option("--seed", default=None, type=int, help="Camera seed of the mocap renders.")
@click.option("--no-real", is_flag=True, help="Held-out mocap only (skip the real clips).")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as one JSON object.")
@click.option("--markdown", is_flag=True, help="Print the table as Markdown.")
@data_option
@backend_option
@model_option
def evaluate(
    seed: int | None,
    no_real: bool,
    as_json: bool,
    markdown: bool,
    data: Path | None,
    backend: str,
    model_path: Path | None,
) -> None:
    """Evaluate the encoder on held-out mocap and the real test pairings, in one table."""
    from posesim_cam.commands import model
    from posesim_cam.console import out, progress_bars

    workspace = _workspace(backend=backend, model_path=model_path)
    with progress_bars() as progress:
        report = model.evaluate_encoder(workspace, data, seed, not no_real, progress)
    if as_json:
        click.echo(json.dumps(model.eval_json(report)))
    elif markdown:
        click.echo(model.eval_markdown(report))
    else:
        out.print(model.eval_table(report))


from posesim_cam.cli_class import class_group  # noqa: E402 (after main, which it joins)

main.add_command(class_group)
