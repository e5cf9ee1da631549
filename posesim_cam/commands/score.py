"""``posesim-cam score``: a recorded attempt against a target, offline, and its text report.

Imports the workspace, offline scoring and (only for ``--render``) the render command.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from posesim_cam.commands.workspace import Workspace, naming_role
from posesim_cam.errors import NoPersonError
from posesim_cam.files import check_writable
from posesim_cam.progress import ProgressFactory
from posesim_cam.scoring.offline import ScoreResult, compare


@dataclass(frozen=True)
class ScoreOptions:
    """How an attempt is scored.

    Attributes:
        mirror: also accept the attempt as the target's mirror image.
        aligner: the registered DTW aligner ("exact" or "fastdtw").
        render: also write the composited video of the pair to this mp4.
    """

    mirror: bool = True
    aligner: str = "exact"
    render: Path | None = None


def score_videos(
    workspace: Workspace,
    target: str,
    attempt: Path,
    options: ScoreOptions | None = None,
    progress: ProgressFactory | None = None,
) -> ScoreResult:
    """Score the attempt video against a target (library name or video path)."""
    options = options or ScoreOptions()
    if options.render is not None:
        check_writable(options.render)
    encoder = workspace.encoder()
    try:
        prepared_target = workspace.load_target(target, encoder, progress)
    except NoPersonError as error:
        raise naming_role("target", error) from None
    try:
        prepared_attempt = workspace.prepare(attempt, encoder, progress=progress)
    except NoPersonError as error:
        raise naming_role("attempt", error) from None
    result = compare(
        prepared_target.poses, prepared_attempt.poses, encoder, options.mirror, options.aligner
    )
    if options.render is not None:
        from posesim_cam.commands.render import render_comparison  # the HUD only when asked

        render_comparison(
            prepared_target, prepared_attempt, result, options.render, encoder.calibration, progress
        )
    return result


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
