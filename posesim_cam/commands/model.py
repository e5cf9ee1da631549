"""``posesim-cam train`` and ``posesim-cam eval``: the pose encoder, retrained or measured.

The training-side modules (torch) are imported inside the functions, so the other commands
never load them. Imports the workspace, encoder and training packages; no session or HUD.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from posesim_cam.commands.workspace import Workspace
from posesim_cam.config import cache_dir
from posesim_cam.encoder import Encoder, default_model_path, load_encoder
from posesim_cam.errors import UserError, require_module
from posesim_cam.files import check_writable
from posesim_cam.pose.registry import create_backend
from posesim_cam.progress import ProgressCallback, ProgressFactory, start_bar
from posesim_cam.sequence import extract_poses
from posesim_cam.video import probe_video

if TYPE_CHECKING:
    from posesim_cam.training.evaluate import EvalReport

ENCODER_KINDS = ("v1", "v2")


def default_testdata() -> Path:
    return Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))


def default_model_out(kind: str) -> Path:
    return Path(f"models/encoder_{kind}.npz")


def train_encoder(
    workspace: Workspace,
    out: Path | None = None,
    seed: int = 0,
    steps: int | None = None,
    data: Path | None = None,
    kind: str = "v2",
    progress: ProgressFactory | None = None,
) -> str:
    """Train an encoder and write it to ``out``.

    ``kind`` "v2" (default): motion capture from random cameras, calibrated on held-out mocap
    (posesim_cam.training.train_v2). "v1": the seed's real-pose encoder (real_poses.train_v1),
    from the workspace's pose backend.
    """
    if kind not in ENCODER_KINDS:
        raise UserError(f"There is no encoder kind {kind!r}", "choose v1 or v2")
    require_module("torch", "train", "`posesim-cam train`")
    out = out or default_model_out(kind)
    check_writable(out)
    data = data or default_testdata()
    if kind == "v2":
        return _train_v2(out, seed, steps, data, progress)
    return _train_v1(out, seed, steps, data, workspace.backend, progress)


def _train_v2(
    out: Path, seed: int, steps: int | None, data: Path, progress: ProgressFactory | None
) -> str:
    from posesim_cam.training.mocap_data import load_mocap
    from posesim_cam.training.train_v2 import V2Settings, train_v2

    clips = load_mocap(data / "mocap", cache_dir() / "mocap")
    settings = V2Settings() if steps is None else replace(V2Settings(), steps=steps)
    bar = start_bar(progress, "Training", settings.steps)
    model = train_v2(clips, seed, settings, progress=_step_callback(progress, bar))
    model.save(out)
    cal = model.info["calibration"]
    return (
        f"Wrote {out} ({model.version}); score map fitted on held-out mocap: 0 at similarity "
        f"{model.calibration.low:.3f}, 100 at {model.calibration.high:.3f} (cross-view mean "
        f"{cal['cross_view_mean']:.3f}, different movements {cal['different_mean']:.3f})"
    )


def _train_v1(
    out: Path,
    seed: int,
    steps: int | None,
    data: Path,
    backend: str,
    progress: ProgressFactory | None,
) -> str:
    from posesim_cam.training.model import TrainSettings
    from posesim_cam.training.real_poses import train_v1, training_clip_paths

    clips = training_clip_paths(data)
    for clip in clips:
        if not clip.exists():
            raise UserError(
                f"The training clip {clip} does not exist",
                "point --data or POSESIM_TESTDATA at the shared testdata folder",
            )
    sequences = []
    for clip in clips:
        estimator = create_backend(backend)
        try:
            info = probe_video(clip)
            bar = start_bar(progress, f"Poses of {clip.name}", info.frame_count)
            sequences.append(extract_poses(clip, estimator, bar))
        finally:
            estimator.close()
    settings = TrainSettings() if steps is None else TrainSettings(steps=steps)
    bar = start_bar(progress, "Training", settings.steps)
    model = train_v1(
        sequences, seed=seed, settings=settings, progress=_step_callback(progress, bar)
    )
    model.save(out)
    cal = model.info["calibration"]
    return (
        f"Wrote {out} ({model.version}); calibration: same movement "
        f"{cal['same_movement_mean']:.3f}, different {cal['different_movement_mean']:.3f}"
    )


def _step_callback(
    progress: ProgressFactory | None, bar: ProgressCallback
) -> Callable[[int, float], None] | None:
    """The training loop's (step, loss) callback, or None: without bars, the loop need not
    read the loss back every step (a device sync on a GPU)."""
    return None if progress is None else (lambda step, loss: bar(step))


def evaluate_encoder(
    workspace: Workspace,
    data: Path | None = None,
    seed: int | None = None,
    real: bool = True,
    progress: ProgressFactory | None = None,
) -> EvalReport:
    """The evaluation table of the workspace's encoder (default: the shipped one) beside the
    no-encoder baseline and, when it loads, encoder v1, all computed in this run.

    The baseline's score map is fitted on held-out mocap like v2's; v1 keeps its own.
    """
    from posesim_cam.training.calibration import (
        calibrate_on_mocap,
        no_encoder_baseline,
        with_calibration,
    )
    from posesim_cam.training.evaluate import evaluate_models
    from posesim_cam.training.mocap_data import load_mocap, split_clips
    from posesim_cam.training.mocap_eval import EVAL_SEED
    from posesim_cam.training.real_eval import load_real_poses

    encoder = workspace.encoder()
    data = data or default_testdata()
    clips = load_mocap(data / "mocap", cache_dir() / "mocap")
    _, held_out = split_clips(clips)
    name = str(encoder.info.get("name", "encoder"))
    models: dict[str, Encoder] = {name: encoder}
    v1_path = default_model_path().with_name("encoder_v1.npz")
    if name != "encoder_v1" and v1_path.is_file():
        with contextlib.suppress(UserError):
            models["encoder_v1"] = load_encoder(v1_path)
    # The baseline centres and scales distances by the real training clips' statistics (those of
    # encoder v1) when v1 is at hand: mocap-render statistics sit off-centre for real estimator
    # output and inflate every cosine (bench/real_pairs.py shows that variant: it keeps the
    # shipped encoder's statistics and score map, so only the network differs).
    baseline = no_encoder_baseline(models.get("encoder_v1", encoder))
    calibration, _ = calibrate_on_mocap(baseline, held_out)
    models["no encoder"] = with_calibration(baseline, calibration)
    poses = (
        load_real_poses(data, encoder, workspace.cache, workspace.backend, progress)
        if real
        else None
    )
    return evaluate_models(models, held_out, poses, EVAL_SEED if seed is None else seed, progress)


def eval_table(report: EvalReport) -> Table:
    """The report as a terminal table: one column per model, a section per part."""
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
    return table


def eval_markdown(report: EvalReport) -> str:
    """The report as a Markdown table (``eval --markdown``, docs/encoder_eval.md)."""
    from posesim_cam.training.evaluate import markdown_table

    return markdown_table(report)


def eval_json(report: EvalReport) -> dict:
    """The report's numbers as one JSON-ready object (``eval --json``)."""
    return {"rows": [vars(r) for r in report.rows], "facts": report.facts}
