"""The `posesim-cam` command line: parse, call the library, print. Nothing else lives here."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# Quieten mediapipe/TF-Lite start-up logging before anything imports it.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

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
    "--backend", default="blazepose", show_default=True, help="Pose backend."
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
@library_option
@backend_option
@model_option
def score(
    target: str,
    attempt: Path,
    as_json: bool,
    no_mirror: bool,
    aligner: str,
    render: Path | None,
    library_dir: Path | None,
    backend: str,
    model_path: Path | None,
) -> None:
    """Score the video ATTEMPT against TARGET (a library name or a video path)."""
    from posesim_cam import app
    from posesim_cam.console import out, progress_bars

    with progress_bars() as progress:
        result = app.score_videos(
            target,
            attempt,
            library_dir,
            backend,
            model_path,
            not no_mirror,
            aligner,
            progress,
            render,
        )
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    out.print(app.format_score(result))


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a size like 1280x720") from None
    return width, height


@main.command()
@click.option("--camera", help="Camera index or device path (default 0).")
@click.option("--source", help="A video file or stream URL instead of the camera.")
@click.option("--target", help="Target name or video path (default: first in the library).")
@click.option(
    "--output",
    default="virtualcam",
    show_default=True,
    help="Comma-separated: virtualcam, preview, file:OUT.mp4, null.",
)
@click.option("--countdown", type=float, help="Seconds before the target starts (3; 0 for files).")
@click.option("--no-mirror", is_flag=True, help="Do not accept a mirror image of the target.")
@click.option("--mirror-display", is_flag=True, help="Show the camera picture as a mirror.")
@click.option("--size", help="Output size, e.g. 1280x720 (default: 1280x720 or 640x480).")
@click.option("--camera-size", help="Ask the camera for this size, e.g. 1280x720.")
@click.option("--camera-fps", type=float, help="Ask the camera for this frame rate.")
@click.option("--realtime", is_flag=True, help="Play a --source file at its own frame rate.")
@click.option("--loop", is_flag=True, help="Repeat a --source file.")
@click.option("--device", help="Virtual camera device, e.g. /dev/video10.")
@click.option("--json", "as_json", is_flag=True, help="Print the session summary as JSON.")
@click.option("--stats", is_flag=True, help="Print per-stage timings every few seconds.")
@library_option
@backend_option
@model_option
def run(
    camera: str | None,
    source: str | None,
    target: str | None,
    output: str,
    countdown: float | None,
    no_mirror: bool,
    mirror_display: bool,
    size: str | None,
    camera_size: str | None,
    camera_fps: float | None,
    realtime: bool,
    loop: bool,
    device: str | None,
    as_json: bool,
    stats: bool,
    library_dir: Path | None,
    backend: str,
    model_path: Path | None,
) -> None:
    """Score yourself live against a target; send the picture to a virtual camera."""
    from posesim_cam import live_app
    from posesim_cam.console import progress_bars

    options = live_app.RunOptions(
        camera=camera,
        source=source,
        target=target,
        output=output,
        backend=backend,
        library_dir=library_dir,
        model_path=model_path,
        countdown=countdown,
        mirror=not no_mirror,
        mirror_display=mirror_display,
        size=_size(size),
        camera_size=_size(camera_size),
        camera_fps=camera_fps,
        realtime=realtime,
        loop=loop,
        stats=stats,
        device=device,
    )
    with progress_bars() as progress:
        summary = live_app.run(options, progress)
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(live_app.format_summary(summary))


@main.command()
@click.option("--camera", default="0", show_default=True, help="Camera index or device path.")
@library_option
@backend_option
@model_option
def doctor(camera: str, library_dir: Path | None, backend: str, model_path: Path | None) -> None:
    """Check the camera, virtual camera, pose backend, encoder and targets."""
    from posesim_cam import live_app

    failed = False
    for check in live_app.doctor(camera, model_path, backend, library_dir):
        click.echo(f"{'ok ' if check.ok else 'FIX'}  {check.name:<15} {check.detail}")
        failed |= not check.ok
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("media", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per frame).")
@backend_option
def pose(media: Path, as_json: bool, backend: str) -> None:
    """Print the keypoints found in an image or a video (a debugging aid)."""
    from posesim_cam import app

    for record in app.pose_records(media, backend):
        click.echo(json.dumps(record) if as_json else app.format_pose_record(record))


@main.group()
def targets() -> None:
    """Manage the target library."""


@targets.command("add")
@click.argument("video", type=click.Path(path_type=Path))
@click.option("--name", help="Name in the library (default: the file name).")
@click.option("--replace", is_flag=True, help="Replace a different video of the same name.")
@library_option
@backend_option
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
    from posesim_cam import app
    from posesim_cam.console import progress_bars

    with progress_bars() as progress:
        message = app.add_target(video, name, replace, library_dir, backend, model_path, progress)
    click.echo(message)


@targets.command("list")
@library_option
def targets_list(library_dir: Path | None) -> None:
    """List the targets in the library."""
    from posesim_cam import app

    click.echo(app.list_targets(library_dir))


@targets.command("remove")
@click.argument("name")
@library_option
def targets_remove(name: str, library_dir: Path | None) -> None:
    """Remove the target NAME from the library."""
    from posesim_cam import app

    click.echo(app.remove_target(name, library_dir))


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("models/encoder_v1.pt"),
    show_default=True,
    help="Where to write the model.",
)
@click.option("--seed", default=0, show_default=True, help="Random seed.")
@click.option("--steps", default=None, type=int, help="Training steps.")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Test media folder (default: $POSESIM_TESTDATA or ../shared/testdata).",
)
@backend_option
def train(out: Path, seed: int, steps: int | None, data: Path | None, backend: str) -> None:
    """Train the pose encoder (deterministic for a given seed)."""
    from posesim_cam import app
    from posesim_cam.console import progress_bars

    with progress_bars() as progress:
        click.echo(app.train_encoder(out, seed, steps, data, backend, progress))
