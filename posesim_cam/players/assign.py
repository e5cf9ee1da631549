"""Which pose is which player: the seed's split lines, or tracking with an optimal assignment.

``split_regions`` cuts the frame into vertical strips, one a player, left to right (two
players: at ``split_at``, by default the centre; more: equal strips). ``PlayerTracker`` keeps
stable ids across frames: each frame's poses are matched to the players' last known poses by
the cheapest assignment of box-centre and keypoint distances (relative to body size), over all
permutations (at most MAX_PLAYERS, so at most 24); a player unseen for a while keeps their id
and place, and is matched again when someone reappears near where they were. Pure numerics on
``Pose`` values; no I/O. Imports ``pose.base`` and ``errors``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from posesim_cam.errors import UserError
from posesim_cam.pose.base import Pose

MAX_PLAYERS = 4
# Tracking: a pose further than this (in body sizes) from a player's last pose is not them; a
# player unseen for longer than this many frames is free to be taken by a new person.
MAX_MATCH_DISTANCE = 1.5
MAX_MISSED_FRAMES = 45  # 1.5 s at 30 fps: a brief occlusion


class PlayerMode(str, Enum):
    """How poses become players: ``split`` (fixed strips) or ``track`` (ids follow people)."""

    SPLIT = "split"
    TRACK = "track"


def check_players(players: int, split_at: float | None = None) -> None:
    """One sentence for a player count or split line that cannot be used.

    Raises:
        UserError: ``players`` is not 1..MAX_PLAYERS, or ``split_at`` is outside (0, 1).
    """
    if isinstance(players, bool) or not isinstance(players, int) or not 1 <= players <= MAX_PLAYERS:
        raise UserError(
            f"--players {players} is not a number of players posesim-cam can score",
            f"give a whole number from 1 to {MAX_PLAYERS}",
        )
    if split_at is not None and not (math.isfinite(split_at) and 0.0 < split_at < 1.0):
        raise UserError(
            f"--split-at {split_at} puts the line outside the frame",
            "give a fraction of the frame's width between 0 and 1 (0.5 is the centre)",
        )


def split_regions(width: int, players: int, split_at: float | None = None) -> list[tuple[int, int]]:
    """The x ranges [x0, x1) of each player's strip, left to right.

    Two players split at ``split_at`` (a fraction of ``width``; None: 0.5); one player has the
    whole frame; three or four have equal strips (``split_at`` is for two).
    """
    check_players(players, split_at)
    if players == 2:
        line = round(width * (0.5 if split_at is None else split_at))
        line = min(max(line, 1), width - 1)
        return [(0, line), (line, width)]
    edges = [round(width * i / players) for i in range(players + 1)]
    return [(edges[i], edges[i + 1]) for i in range(players)]


def _centre(pose: Pose) -> np.ndarray:
    return np.array([(pose.box[0] + pose.box[2]) / 2, (pose.box[1] + pose.box[3]) / 2], float)


def _size(pose: Pose) -> float:
    return max(float(pose.box[2] - pose.box[0]), float(pose.box[3] - pose.box[1]), 1.0)


def pose_distance(a: Pose, b: Pose) -> float:
    """How far apart two poses are, in body sizes: the mean of the box-centre distance and the
    mean distance of the joints both see confidently."""
    size = max(_size(a), _size(b))
    centre = float(np.linalg.norm(_centre(a) - _centre(b))) / size
    seen = (a.scores >= 0.3) & (b.scores >= 0.3)
    if not seen.any():
        return centre
    joints = float(np.linalg.norm(a.keypoints[seen] - b.keypoints[seen], axis=1).mean()) / size
    return (centre + joints) / 2


def assign_split(poses: list[Pose], regions: list[tuple[int, int]]) -> list[Pose | None]:
    """Each strip's player: of the poses whose box centre lies in it, the largest."""
    out: list[Pose | None] = [None] * len(regions)
    for pose in poses:
        x = _centre(pose)[0]
        for slot, (x0, x1) in enumerate(regions):
            if x0 <= x < x1:
                current = out[slot]
                if current is None or _size(pose) > _size(current):
                    out[slot] = pose
                break
    return out


@dataclass
class _Player:
    pose: Pose | None = None  # last seen
    missed: int = 0  # frames since


class PlayerTracker:
    """Stable player ids (0 = the leftmost at the start) across frames.

    Args:
        players: how many players to keep (1..MAX_PLAYERS).
        max_distance: the furthest (in body sizes) a player may move between sightings.
        max_missed: frames a player may go unseen and keep their place.
    """

    def __init__(
        self,
        players: int,
        max_distance: float = MAX_MATCH_DISTANCE,
        max_missed: int = MAX_MISSED_FRAMES,
    ) -> None:
        check_players(players)
        self.players = [_Player() for _ in range(players)]
        self.max_distance = max_distance
        self.max_missed = max_missed

    def update(self, poses: list[Pose]) -> list[Pose | None]:
        """The pose of each player in this frame (None: not seen), by player id."""
        poses = sorted(poses, key=_size, reverse=True)[: len(self.players) + 2]
        if all(p.pose is None for p in self.players):
            # Nobody known yet: the people found, left to right, are players 0, 1, ...
            chosen = sorted(poses[: len(self.players)], key=lambda p: _centre(p)[0])
            frame: list[Pose | None] = [*chosen, *[None] * (len(self.players) - len(chosen))]
        else:
            frame = self._match(poses)
        for player, pose in zip(self.players, frame, strict=True):
            if pose is None:
                player.missed += 1
                if player.missed > self.max_missed:
                    player.pose = None
            else:
                player.pose, player.missed = pose, 0
        if any(p.pose is None for p in self.players) and any(p.pose for p in self.players):
            self._place_newcomers(poses, frame)
        return frame

    def _match(self, poses: list[Pose]) -> list[Pose | None]:
        """The cheapest assignment of poses to known players (each pose at most once)."""
        known = [i for i, p in enumerate(self.players) if p.pose is not None]
        best: tuple[float, int, tuple[int | None, ...]] = (math.inf, 0, ())
        choices: list[int | None] = [*range(len(poses)), *[None] * len(known)]
        for picked in set(itertools.permutations(choices, len(known))):
            cost, matched = 0.0, 0
            for player, pose_index in zip(known, picked, strict=True):
                if pose_index is None:
                    cost += self.max_distance  # unseen costs as much as the furthest match
                    continue
                distance = pose_distance(self.players[player].pose, poses[pose_index])  # type: ignore[arg-type]
                if distance > self.max_distance:
                    cost = math.inf
                    break
                cost += distance
                matched += 1
            if cost < best[0] or (cost == best[0] and matched > best[1]):
                best = (cost, matched, picked)
        frame: list[Pose | None] = [None] * len(self.players)
        for player, pose_index in zip(known, best[2], strict=False):
            if pose_index is not None:
                frame[player] = poses[pose_index]
        return frame

    def _place_newcomers(self, poses: list[Pose], frame: list[Pose | None]) -> None:
        """A person nobody is matched to takes a free player's place (the nearest free id in
        left-to-right order)."""
        used = {id(p) for p in frame if p is not None}
        for pose in sorted(poses, key=lambda p: _centre(p)[0]):
            if id(pose) in used:
                continue
            free = [i for i, p in enumerate(self.players) if p.pose is None]
            if not free:
                return
            slot = free[0]
            self.players[slot].pose, self.players[slot].missed = pose, 0
            frame[slot] = pose
            used.add(id(pose))


@dataclass(frozen=True)
class PlayerSetup:
    """How many play at once, how they are told apart, and their names.

    Attributes:
        count: players (1..MAX_PLAYERS); 1 is the usual single-user session.
        mode: ``split`` (strips) or ``track`` (ids follow people).
        split_at: the line between two players, as a fraction of the width (None: centre).
        names: shown names, left to right; missing ones are "Player N".
    """

    count: int = 1
    mode: PlayerMode = PlayerMode.SPLIT
    split_at: float | None = None
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_players(self.count, self.split_at)
        if len(self.names) > self.count:
            raise UserError(
                f"--player-names gives {len(self.names)} names for {self.count} players",
                "give at most one name per player, separated by commas",
            )

    @classmethod
    def from_options(
        cls,
        players: int | None = None,
        mode: str | None = None,
        split_at: float | None = None,
        names: str | None = None,
    ) -> PlayerSetup:
        """From the command line's ``--players --player-mode --split-at --player-names``
        (names comma-separated); None takes the default. UserError names a bad option."""
        try:
            player_mode = PlayerMode(mode or PlayerMode.SPLIT.value)
        except ValueError:
            raise UserError(
                f"--player-mode {mode} is not a way of telling players apart",
                "use split (each keeps a strip of the picture) or track (ids follow people)",
            ) from None
        shown = tuple(n.strip() for n in (names or "").split(",") if n.strip())
        return cls(1 if players is None else players, player_mode, split_at, shown)

    def name(self, player: int) -> str:
        return self.names[player] if player < len(self.names) else f"Player {player + 1}"

    def assigner(self) -> PoseAssigner:
        """A fresh assigner: poses of a frame (and its width) to the players' poses."""
        if self.mode == PlayerMode.TRACK:
            tracker = PlayerTracker(self.count)
            return lambda poses, width: tracker.update(poses)
        return lambda poses, width: assign_split(
            poses, split_regions(width, self.count, self.split_at)
        )


PoseAssigner = Callable[[list[Pose], int], list[Pose | None]]
