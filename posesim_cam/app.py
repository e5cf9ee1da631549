"""Use cases behind the CLI commands: they wire the library together and return plain results.

The CLI only parses and prints; tests can call these directly.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from posesim_cam.compare import ScoreResult, compare
from posesim_cam.config import cache_dir, default_library_dir
from posesim_cam.encoder import Encoder, load_encoder
from posesim_cam.errors import NoPersonError, UserError
from posesim_cam.pose.base import create_backend
from posesim_cam.sequence import extract_poses
from posesim_cam.skeleton import KEYPOINT_NAMES
from posesim_cam.targets import ProgressFactory, Target, TargetCache, TargetLibrary, prepare_video
from posesim_cam.video import is_image_path, iter_frames, probe_video, read_image


def library(library_dir: Path | None) -> TargetLibrary:
    return TargetLibrary(library_dir or default_library_dir())


def target_cache() -> TargetCache:
    return TargetCache(cache_dir() / "prepared")


def load_target(
    name_or_path: str,
    library_dir: Path | None,
    backend: str,
    encoder: Encoder,
    progress: ProgressFactory | None = None,
) -> Target:
    name, video = library(library_dir).resolve(name_or_path)
    return prepare_video(video, encoder, target_cache(), backend, name, progress)


def score_videos(
    target: str,
    attempt: Path,
    library_dir: Path | None,
    backend: str,
    model_path: Path | None,
    mirror: bool,
    aligner: str,
    progress: ProgressFactory | None = None,
    render: Path | None = None,
) -> ScoreResult:
    """Score the attempt video against a target (library name or video path).

    With ``render``, also write the composited video of the pair (see render.py).
    """
    if render is not None:
        _check_writable(render)
    encoder = load_encoder(model_path)
    prepared_target = _with_role(
        "target", lambda: load_target(target, library_dir, backend, encoder, progress)
    )
    prepared_attempt = _with_role(
        "attempt",
        lambda: prepare_video(attempt, encoder, target_cache(), backend, None, progress),
    )
    result = compare(prepared_target.poses, prepared_attempt.poses, encoder, mirror, aligner)
    if render is not None:
        from posesim_cam.render import render_comparison

        render_comparison(
            prepared_target, prepared_attempt, result, render, encoder.calibration, progress
        )
    return result


def _with_role(role: str, load):  # type: ignore[no-untyped-def]
    try:
        return load()
    except NoPersonError as error:
        raise NoPersonError(f"{error.problem} (the {role})", error.remedy) from None


def format_score(result: ScoreResult) -> str:
    lines = [
        f"Score {result.score:.0f}/100  {result.grade}  "
        f"(similarity {result.similarity:.3f}, {result.scored_frames}/{result.frames} frames"
        f"{', mirrored' if result.mirrored else ''})",
        "",
        "second  score",
    ]
    for point in result.timeline:
        if point.score is None:
            lines.append(f"{point.second:>6}  -      (no person)")
        else:
            bar = "#" * round(point.score / 5)
            lines.append(f"{point.second:>6}  {point.score:5.1f}  {bar}")
    return "\n".join(lines)


def pose_records(media: Path, backend: str) -> Iterator[dict]:
    """One record per image or video frame: the main person's keypoints (or none)."""
    if is_image_path(media):
        estimator = create_backend(backend, static_image=True)
        frames: Iterator[tuple[float, np.ndarray]] = iter([(0.0, read_image(media))])
    else:
        probe_video(media)
        estimator = create_backend(backend)
        frames = iter_frames(media)
    try:
        for index, (timestamp, frame) in enumerate(frames):
            poses = estimator.estimate(frame)
            record: dict = {"frame": index, "time": round(timestamp, 4), "person": None}
            if poses:
                p = poses[0]
                record["person"] = {
                    "box": [round(float(v), 1) for v in p.box],
                    "keypoints": {
                        name: [round(float(x), 1), round(float(y), 1), round(float(s), 3)]
                        for name, (x, y), s in zip(
                            KEYPOINT_NAMES, p.keypoints, p.scores, strict=True
                        )
                    },
                }
            yield record
    finally:
        estimator.close()


def format_pose_record(record: dict) -> str:
    head = f"frame {record['frame']} ({record['time']:.2f} s): "
    if record["person"] is None:
        return head + "no person"
    points = ", ".join(
        f"{name} ({x:.0f}, {y:.0f}) {s:.2f}"
        for name, (x, y, s) in record["person"]["keypoints"].items()
    )
    return head + points


def add_target(
    video: Path,
    name: str | None,
    replace: bool,
    library_dir: Path | None,
    backend: str,
    model_path: Path | None,
    progress: ProgressFactory | None = None,
) -> str:
    lib = library(library_dir)
    encoder = load_encoder(model_path)
    # Prepare first: a video with nobody in it never enters the library.
    prepare_video(video, encoder, target_cache(), backend, name, progress)
    entry, changed = lib.add(video, name, replace)
    verb = "Added" if changed else "Already in the library:"
    return f"{verb} {entry.name!r} ({entry.duration:.1f} s) in {lib.root}"


def list_targets(library_dir: Path | None) -> str:
    lib = library(library_dir)
    entries = lib.entries()
    if not entries:
        return f"No targets in {lib.root} yet. Add one with `posesim-cam targets add VIDEO`."
    width = max(len(e.name) for e in entries)
    return "\n".join(f"{e.name:<{width}}  {e.duration:6.1f} s  added {e.added}" for e in entries)


def remove_target(name: str, library_dir: Path | None) -> str:
    library(library_dir).remove(name)
    return f"Removed {name!r}."


def default_testdata() -> Path:
    return Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))


ENCODER_KINDS = ("v1", "v2")


def default_model_out(kind: str) -> Path:
    return Path(f"models/encoder_{kind}.pt")


def train_encoder(
    out: Path | None,
    seed: int,
    steps: int | None,
    data: Path | None,
    backend: str,
    progress: ProgressFactory | None = None,
    kind: str = "v2",
) -> str:
    """Train an encoder and write it to ``out``.

    ``kind`` "v2" (default): motion capture from random cameras, calibrated on held-out mocap
    (posesim_cam.training.train_v2). "v1": the seed's real-pose encoder (real_poses.train_v1).
    """
    if kind not in ENCODER_KINDS:
        raise UserError(f"There is no encoder kind {kind!r}", "choose v1 or v2")
    out = out or default_model_out(kind)
    if kind == "v2":
        return _train_v2(out, seed, steps, data, progress)
    return _train_v1(out, seed, steps, data, backend, progress)


def _train_v2(
    out: Path,
    seed: int,
    steps: int | None,
    data: Path | None,
    progress: ProgressFactory | None,
) -> str:
    from dataclasses import replace

    from posesim_cam.training.mocap_data import load_mocap
    from posesim_cam.training.train_v2 import V2Settings, train_v2

    _check_writable(out)
    data = data or default_testdata()
    clips = load_mocap(data / "mocap", cache_dir() / "mocap")
    settings = V2Settings() if steps is None else replace(V2Settings(), steps=steps)
    bar = progress("Training", settings.steps) if progress else None
    model = train_v2(
        clips, seed, settings, progress=(lambda step, loss: bar(step)) if bar else None
    )
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
    data: Path | None,
    backend: str,
    progress: ProgressFactory | None,
) -> str:
    from posesim_cam.training.model import TrainSettings
    from posesim_cam.training.real_poses import train_v1, training_clip_paths

    _check_writable(out)
    data = data or default_testdata()
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
            callback = progress(f"Poses of {clip.name}", info.frame_count) if progress else None
            sequences.append(extract_poses(clip, estimator, callback))
        finally:
            estimator.close()
    settings = TrainSettings() if steps is None else TrainSettings(steps=steps)
    bar = progress("Training", settings.steps) if progress else None
    model = train_v1(
        sequences,
        seed=seed,
        settings=settings,
        progress=(lambda step, loss: bar(step)) if bar else None,
    )
    model.save(out)
    cal = model.info["calibration"]
    return (
        f"Wrote {out} ({model.version}); calibration: same movement "
        f"{cal['same_movement_mean']:.3f}, different {cal['different_movement_mean']:.3f}"
    )


def evaluate_encoder(
    model_path: Path | None,
    data: Path | None,
    backend: str,
    seed: int | None = None,
    real: bool = True,
    progress: ProgressFactory | None = None,
):  # -> posesim_cam.training.evaluate.EvalReport
    """The evaluation table of an encoder (default: the shipped one) beside the no-encoder
    baseline and, when it loads, encoder v1, all computed in this run.

    The baseline's score map is fitted on held-out mocap like v2's; v1 keeps its own.
    """
    from posesim_cam.encoder import default_model_path
    from posesim_cam.training import evaluate as ev
    from posesim_cam.training.mocap_data import load_mocap, split_clips

    encoder = load_encoder(model_path)
    data = data or default_testdata()
    clips = load_mocap(data / "mocap", cache_dir() / "mocap")
    _, held_out = split_clips(clips)
    name = str(encoder.info.get("name", "encoder"))
    models: dict[str, Encoder] = {name: encoder}
    v1_path = default_model_path().with_name("encoder_v1.pt")
    if name != "encoder_v1" and v1_path.is_file():
        with contextlib.suppress(UserError):
            models["encoder_v1"] = load_encoder(v1_path)
    # The baseline centres and scales distances by the real training clips' statistics (those of
    # encoder v1) when v1 is at hand: mocap-render statistics sit off-centre for real estimator
    # output and inflate every cosine (bench/real_pairs.py shows that variant: it keeps the
    # shipped encoder's statistics and score map, so only the network differs).
    baseline = ev.no_encoder_baseline(models.get("encoder_v1", encoder))
    calibration, _ = ev.calibrate_on_mocap(baseline, held_out)
    models["no encoder"] = ev.with_calibration(baseline, calibration)
    poses = ev.load_real_poses(data, encoder, target_cache(), backend, progress) if real else None
    return ev.evaluate_models(
        models, held_out, poses, ev.EVAL_SEED if seed is None else seed, progress
    )


def _check_writable(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    writable = probe.is_dir() and os.access(probe, os.W_OK)
    if not writable or path.is_dir() or (path.exists() and not os.access(path, os.W_OK)):
        raise UserError(f"Cannot write to {path}", "choose a path in a folder you can write to")
