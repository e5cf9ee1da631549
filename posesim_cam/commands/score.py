"""``posesim-cam score``: a recorded attempt against a target, offline, and its text report.

Imports the workspace, offline scoring and (only for ``--render``) the render command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from posesim_cam.commands.workspace import Workspace, naming_role
from posesim_cam.encoder import Encoder
from posesim_cam.errors import NoPersonError, UserError
from posesim_cam.files import check_not_an_input, check_writable
from posesim_cam.players import PlayerSetup
from posesim_cam.progress import ProgressFactory
from posesim_cam.scoring.offline import ScoreResult, compare
from posesim_cam.targets import Target


@dataclass(frozen=True)
class ScoreOptions:
    """How an attempt is scored.

    Attributes:
        mirror: also accept the attempt as the target's mirror image.
        aligner: the registered DTW aligner ("exact" or "fastdtw").
        render: also write the composited video of the pair to this mp4.
        players: how many people the attempt holds and how they are told apart (several:
            ``score_players``).
    """

    mirror: bool = True
    aligner: str = "exact"
    render: Path | None = None
    players: PlayerSetup = field(default_factory=PlayerSetup)


@dataclass(frozen=True)
class PlayerResult:
    """One player's result in a recorded attempt of several.

    Attributes:
        id: the player's index, left to right from 0.
        name: the player's name.
        result: their score, or None when they could not be scored (``problem`` says why).
        problem: the sentence saying why not (never found, a broken track, too little body).
    """

    id: int
    name: str
    result: ScoreResult | None
    problem: str | None = None

    def to_dict(self) -> dict:
        """``id``, ``name``, ``score``, ``grade``, ``frames`` (the frames scored) and, when
        scored, the result's similarity, mirroring, timeline and moments."""
        if self.result is None:
            return {"id": self.id, "name": self.name, "score": None, "grade": None,
                    "frames": 0, "problem": self.problem}  # fmt: skip
        details = self.result.to_dict()
        details["total_frames"] = details.pop("frames")
        return {"id": self.id, "name": self.name, **details,
                "frames": self.result.scored_frames}  # fmt: skip


@dataclass(frozen=True)
class PlayersResult:
    """Every player's result, left to right; the first player's score leads, as live."""

    players: tuple[PlayerResult, ...]

    def to_dict(self) -> dict:
        first = self.players[0].result
        return {
            "score": None if first is None else round(first.score, 2),
            "grade": None if first is None else first.grade,
            "players": [player.to_dict() for player in self.players],
        }


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
        check_not_an_input(options.render, [attempt])
    encoder = workspace.encoder()
    prepared_target = _load_target(workspace, target, encoder, progress)
    if options.render is not None:
        check_not_an_input(options.render, [prepared_target.video])
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


def _load_target(
    workspace: Workspace, target: str, encoder: Encoder, progress: ProgressFactory | None
) -> Target:
    """The prepared target; nobody in it is said of the target."""
    try:
        return workspace.load_target(target, encoder, progress)
    except NoPersonError as error:
        raise naming_role("target", error) from None


def score_players(
    workspace: Workspace,
    target: str,
    attempt: Path,
    options: ScoreOptions,
    progress: ProgressFactory | None = None,
) -> PlayersResult:
    """Score each player of a recorded attempt of several against the same target."""
    from posesim_cam.players.recorded import player_poses

    if options.render is not None:
        raise UserError(
            "--render draws one player, and --players asks for several",
            "leave out --render, or score one player at a time",
        )
    setup = options.players
    encoder = workspace.encoder()
    prepared_target = _load_target(workspace, target, encoder, progress)
    sequences = player_poses(attempt, setup, workspace.cache, workspace.backend, progress)
    if not any(poses.found.any() for poses in sequences):
        raise NoPersonError(
            f"Nobody was found in {attempt} (the attempt)",
            "film the players whole and well lit, each on their own side",
        )
    results = []
    for index, poses in enumerate(sequences):
        name = setup.name(index)
        try:
            result = compare(prepared_target.poses, poses, encoder, options.mirror, options.aligner)
        except UserError as error:  # never found, a broken track, too little of the body
            problem = f"{name} not found" if not poses.found.any() else str(error)
            results.append(PlayerResult(index, name, None, problem))
        else:
            results.append(PlayerResult(index, name, result))
    return PlayersResult(tuple(results))


def format_players(result: PlayersResult) -> str:
    """One line per player, left to right, then the ranking."""
    lines = []
    for player in result.players:
        if player.result is None:
            lines.append(f"{player.name:<12}  -      ({player.problem})")
        else:
            r = player.result
            lines.append(f"{player.name:<12}  {r.score:5.1f}  {r.grade}  {_details(r)}")
    scored = sorted(
        (p for p in result.players if p.result is not None),
        key=lambda p: -p.result.score,  # type: ignore[union-attr]
    )
    if len(scored) > 1:
        ranking = ", ".join(f"{place}. {p.name}" for place, p in enumerate(scored, start=1))
        lines += ["", f"Ranking: {ranking}"]
    return "\n".join(lines)


def format_score(result: ScoreResult) -> str:
    lines = [
        f"Score {result.score:.0f}/100  {result.grade}  {_details(result)}",
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


def _details(result: ScoreResult) -> str:
    """ "(similarity 0.990, 150/150 frames, mirrored)": how the score came about."""
    mirrored = ", mirrored" if result.mirrored else ""
    return (
        f"(similarity {result.similarity:.3f}, {result.scored_frames}/{result.frames} frames"
        f"{mirrored})"
    )
