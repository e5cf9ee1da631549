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
    from posesim_cam.live_app import parse_size

    return None if text is None else parse_size(text)


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
@click.option("--size", callback=lambda c, p, v: _size(v), help="Output size, e.g. 1280x720.")
@click.option(
    "--camera-size", callback=lambda c, p, v: _size(v), help="Ask the camera for this size."
)
@click.option("--camera-fps", type=float, help="Ask the camera for this frame rate.")
@click.option("--realtime", is_flag=True, help="Play a --source file at its own frame rate.")
@click.option("--loop", is_flag=True, help="Repeat a --source file.")
@click.option("--device", help="Virtual camera device, e.g. /dev/video10.")
@click.option("--json", "as_json", is_flag=True, help="Print the session summary as JSON.")
@click.option("--stats", is_flag=True, help="Print per-stage timings every few seconds.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: config.toml in the user config folder).",
)
@library_option
@backend_option
@model_option
def run(**given: object) -> None:
    """Score yourself live against a target; send the picture to a virtual camera.

    Defaults come from the [run] table of the config file; options given here win.
    """
    from posesim_cam import live_app
    from posesim_cam.config import load_config
    from posesim_cam.console import progress_bars

    ctx = click.get_current_context()
    config_file = given.pop("config_file")
    as_json = given.pop("as_json")
    settings = dict(load_config(config_file).get("run", {}))  # type: ignore[arg-type]
    for name, value in given.items():
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT:
            settings[name] = value
    if "no_mirror" in settings:
        settings["mirror"] = not settings.pop("no_mirror")
    options = live_app.RunOptions.from_settings(settings, "the config file's [run] table")
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


data_option = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Test media folder (default: $POSESIM_TESTDATA or ../shared/testdata).",
)


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the model (default: models/encoder_<encoder>.pt).",
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
@click.option("--steps", default=None, type=int, help="Training steps.")
@data_option
@backend_option
def train(
    out: Path | None, kind: str, seed: int, steps: int | None, data: Path | None, backend: str
) -> None:
    """Train the pose encoder (deterministic for a given seed)."""
    from posesim_cam import app
    from posesim_cam.console import progress_bars

    with progress_bars() as progress:
        click.echo(app.train_encoder(out, seed, steps, data, backend, progress, kind))


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
    from posesim_cam import app
    from posesim_cam.console import out, progress_bars

    with progress_bars() as progress:
        report = app.evaluate_encoder(model_path, data, backend, seed, not no_real, progress)
    if as_json:
        click.echo(json.dumps({"rows": [vars(r) for r in report.rows], "facts": report.facts}))
        return
    if markdown:
        from posesim_cam.training.evaluate import markdown_table

        click.echo(markdown_table(report))
        return
    from rich.table import Table

    table = Table(title="Encoder evaluation (similarity / score)", show_lines=False)
    for column in ("section", "measure", "target", *report.models):
        table.add_column(column, overflow="fold")
    previous = None
    for row in report.rows:
        if previous is not None and row.section != previous:
            table.add_section()
        previous = row.section
        cells = (row.cells.get(m, "") for m in report.models)
        table.add_row(row.section, row.item, row.target, *cells)
    out.print(table)
