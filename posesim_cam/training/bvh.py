"""BVH motion-capture files: a reader and forward kinematics, vectorised over frames.

A BVH file has a HIERARCHY section (a tree of joints, each with an OFFSET from its parent in the
parent's frame, a list of CHANNELS, and "End Site" leaves) and a MOTION section (one line of
channel values per frame, in the order the channels are declared walking the tree depth-first).

Conventions used here, which are those of the BVH format as written by iClone, MotionBuilder and
the CMU conversions:

- Rotation channels are Euler angles in degrees. Channels declared as ``Zrotation Yrotation
  Xrotation`` give the local rotation ``R = Rz @ Ry @ Rx`` acting on column vectors (the first
  declared axis is outermost). Any declared order is honoured.
- Translation channels are added to the joint's OFFSET (for the root, the OFFSET is its rest
  position and the channels move it).
- A joint's world transform is ``R_world = R_world[parent] @ R_local`` and
  ``p_world = p_world[parent] + R_world[parent] @ (offset + translation)``.

Units are whatever the file uses; the iClone/CMU clips in the test data are centimetres, Y up.
Imports only ``errors``; never the CLI, the commands, the session or the HUD.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posesim_cam.errors import UserError

__all__ = ["BVHFormatError", "Motion", "euler_to_matrix", "load_bvh", "parse_bvh"]

_ROTATION_CHANNELS = {"Xrotation": 0, "Yrotation": 1, "Zrotation": 2}
_POSITION_CHANNELS = {"Xposition": 0, "Yposition": 1, "Zposition": 2}

FrameSelection = slice | Sequence[int] | np.ndarray | None


class BVHFormatError(UserError, ValueError):
    """A BVH file that cannot be read (truncated, malformed or not BVH at all)."""


@dataclass
class Motion:
    """A skeleton and its animation, as read from a BVH file.

    Joints are listed in file order, so every parent comes before its children. End Sites are
    included as joints with no channels, named ``"<parent>_End"`` (``is_end_site`` marks them),
    since their offsets carry the length of the last bone in each chain.

    Attributes:
        names: (J,) joint names.
        parents: (J,) int, index of each joint's parent; -1 for the root.
        offsets: (J, 3) float64, each joint's offset from its parent in the parent's frame,
            in file units (centimetres for the test clips).
        channels: (J,) tuples of channel names per joint, in declared order (empty for End Sites).
        channel_starts: (J,) int, column of each joint's first channel in ``frames``.
        is_end_site: (J,) bool.
        frame_time: seconds per frame (1/60 for the test clips).
        frames: (T, C) float64 channel values, one row per frame; rotations in degrees.
    """

    names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    channels: list[tuple[str, ...]]
    channel_starts: np.ndarray
    is_end_site: np.ndarray
    frame_time: float
    frames: np.ndarray

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.frames.shape[0])

    @property
    def num_joints(self) -> int:
        """Number of joints J, End Sites included."""
        return len(self.names)

    @property
    def fps(self) -> float:
        """Frames per second."""
        return 1.0 / self.frame_time

    def index(self, name: str) -> int:
        """Index of the joint called ``name``; raises KeyError naming the joint if absent."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"joint {name!r} is not in this skeleton") from None

    def children(self, joint: int) -> list[int]:
        """Indices of the direct children of ``joint``."""
        return [int(j) for j in np.flatnonzero(self.parents == joint)]

    def local_rotations(self, joint: int, frame_selection: FrameSelection = None) -> np.ndarray:
        """Local rotation matrices of one joint: (T, 3, 3) float64 (identity without channels)."""
        return self._local_rotations(joint, self._frame_values(frame_selection))

    def local_translations(self, joint: int, frame_selection: FrameSelection = None) -> np.ndarray:
        """Offset plus translation channels of one joint, in its parent's frame: (T, 3) float64."""
        return self._local_translations(joint, self._frame_values(frame_selection))

    def world_transforms(
        self,
        frame_selection: FrameSelection = None,
        joints: Sequence[int | str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Forward kinematics: world rotation and position of joints for the selected frames.

        Only the requested joints and their ancestors are computed, so asking for a handful of
        joints of a 100-joint skeleton is cheap. Work is vectorised over frames; the loop runs
        over joints only.

        Args:
            frame_selection: a slice or integer indices into the frames; None for all.
            joints: joint indices or names to return, in that order; None for all joints.

        Returns:
            rotations: (T, K, 3, 3) float64, each joint's frame expressed in world axes.
            positions: (T, K, 3) float64, world positions in file units (cm for the test clips).
        """
        wanted = (
            list(range(self.num_joints))
            if joints is None
            else [self.index(j) if isinstance(j, str) else int(j) for j in joints]
        )
        needed = np.zeros(self.num_joints, dtype=bool)
        for j in wanted:
            while j >= 0 and not needed[j]:
                needed[j] = True
                j = int(self.parents[j])
        values = self._frame_values(frame_selection)
        n = values.shape[0]
        rotations: dict[int, np.ndarray] = {}
        positions: dict[int, np.ndarray] = {}
        # File order puts parents first, so one pass in index order sees every parent in time.
        for j in np.flatnonzero(needed):
            j = int(j)
            parent = int(self.parents[j])
            has_rotation = any(c in _ROTATION_CHANNELS for c in self.channels[j])
            local_rot = self._local_rotations(j, values) if has_rotation else None
            translation = self._local_translations(j, values)
            if parent < 0:
                positions[j] = translation
                rotations[j] = (
                    local_rot if local_rot is not None else np.broadcast_to(np.eye(3), (n, 3, 3))
                )
            else:
                parent_rot = rotations[parent]
                positions[j] = positions[parent] + np.einsum("tij,tj->ti", parent_rot, translation)
                rotations[j] = parent_rot @ local_rot if local_rot is not None else parent_rot
        rot_out = np.stack([rotations[j] for j in wanted], axis=1)
        pos_out = np.stack([positions[j] for j in wanted], axis=1)
        return rot_out, pos_out

    def world_positions(
        self,
        frame_slice: FrameSelection = None,
        joints: Sequence[int | str] | None = None,
    ) -> np.ndarray:
        """World positions of joints: (T, K, 3) float32 in file units (cm for the test clips).

        Args:
            frame_slice: a slice or integer indices into the frames; None for all frames.
            joints: joint indices or names in the order wanted; None for all J joints.
        """
        _, positions = self.world_transforms(frame_slice, joints)
        return positions.astype(np.float32)

    def _frame_values(self, frame_selection: FrameSelection) -> np.ndarray:
        if frame_selection is None:
            return self.frames
        if isinstance(frame_selection, slice):
            return self.frames[frame_selection]
        # A bare int would drop the frame axis; a 1-D index array keeps it.
        return self.frames[np.atleast_1d(np.asarray(frame_selection, dtype=np.intp))]

    def _local_rotations(self, joint: int, values: np.ndarray) -> np.ndarray:
        axes, columns = self._rotation_columns(joint)
        if not axes:
            return np.broadcast_to(np.eye(3), (values.shape[0], 3, 3)).copy()
        return euler_to_matrix(values[:, columns], axes)

    def _local_translations(self, joint: int, values: np.ndarray) -> np.ndarray:
        out = np.broadcast_to(self.offsets[joint], (values.shape[0], 3)).copy()
        start = int(self.channel_starts[joint])
        for k, channel in enumerate(self.channels[joint]):
            axis = _POSITION_CHANNELS.get(channel)
            if axis is not None:
                out[:, axis] += values[:, start + k]
        return out

    def _rotation_columns(self, joint: int) -> tuple[str, list[int]]:
        start = int(self.channel_starts[joint])
        axes = ""
        columns: list[int] = []
        for k, channel in enumerate(self.channels[joint]):
            if channel in _ROTATION_CHANNELS:
                axes += channel[0]
                columns.append(start + k)
        return axes, columns


def euler_to_matrix(angles_deg: np.ndarray, axes: str) -> np.ndarray:
    """Rotation matrices from Euler angles applied in BVH order.

    Args:
        angles_deg: (..., K) angles in degrees, one column per letter of ``axes``.
        axes: K axis letters from "XYZ", in declared channel order, e.g. "ZYX".

    Returns:
        (..., 3, 3) float64 matrices ``R = R_axes[0] @ R_axes[1] @ ...`` acting on column vectors.
    """
    angles = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    result = np.broadcast_to(np.eye(3), (*angles.shape[:-1], 3, 3)).copy()
    for k, axis in enumerate(axes.upper()):
        c = np.cos(angles[..., k])
        s = np.sin(angles[..., k])
        m = np.zeros((*angles.shape[:-1], 3, 3))
        i = "XYZ".index(axis)
        # The two other axes, in cyclic order, span the plane being rotated.
        a, b = (i + 1) % 3, (i + 2) % 3
        m[..., i, i] = 1.0
        m[..., a, a] = c
        m[..., a, b] = -s
        m[..., b, a] = s
        m[..., b, b] = c
        result = result @ m
    return result


def parse_bvh(text: str, source: str = "<string>") -> Motion:
    """Parse the text of a BVH file into a Motion; ``source`` names it in error messages."""
    header, sep, motion_text = text.partition("MOTION")
    if not sep:
        raise BVHFormatError(f"{source} has no MOTION section", "Check that it is a BVH file")
    tokens = header.split()
    if not tokens or tokens[0] != "HIERARCHY":
        raise BVHFormatError(
            f"{source} does not start with HIERARCHY", "Check that it is a BVH file"
        )

    names: list[str] = []
    parents: list[int] = []
    offsets: list[tuple[float, float, float]] = []
    channels: list[tuple[str, ...]] = []
    end_site: list[bool] = []
    stack: list[int] = []  # open joints; braces of End Sites push their own index too
    pending: int | None = None  # joint declared, its "{" not yet seen
    i = 1
    try:
        while i < len(tokens):
            tok = tokens[i]
            if tok in ("ROOT", "JOINT"):
                if tok == "ROOT" and stack:
                    raise BVHFormatError(f"{source}: ROOT inside another joint", "Fix the file")
                parents.append(stack[-1] if stack else -1)
                names.append(tokens[i + 1])
                offsets.append((0.0, 0.0, 0.0))
                channels.append(())
                end_site.append(False)
                pending = len(names) - 1
                i += 2
            elif tok == "End":  # "End Site"
                if not stack:
                    raise BVHFormatError(f"{source}: End Site outside a joint", "Fix the file")
                parent = stack[-1]
                parents.append(parent)
                names.append(f"{names[parent]}_End")
                offsets.append((0.0, 0.0, 0.0))
                channels.append(())
                end_site.append(True)
                pending = len(names) - 1
                i += 2
            elif tok == "{":
                if pending is None:
                    raise BVHFormatError(f"{source}: unexpected '{{'", "Fix the file")
                stack.append(pending)
                pending = None
                i += 1
            elif tok == "}":
                stack.pop()
                i += 1
            elif tok == "OFFSET":
                offsets[stack[-1]] = (
                    float(tokens[i + 1]),
                    float(tokens[i + 2]),
                    float(tokens[i + 3]),
                )
                i += 4
            elif tok == "CHANNELS":
                count = int(tokens[i + 1])
                declared = tuple(tokens[i + 2 : i + 2 + count])
                unknown = [c for c in declared if c not in _ROTATION_CHANNELS | _POSITION_CHANNELS]
                if len(declared) != count or unknown:
                    raise BVHFormatError(
                        f"{source}: bad CHANNELS for joint {names[stack[-1]]}", "Fix the file"
                    )
                channels[stack[-1]] = declared
                i += 2 + count
            else:
                raise BVHFormatError(f"{source}: unexpected word {tok!r} in HIERARCHY", "Fix it")
    except (IndexError, ValueError) as exc:
        if isinstance(exc, BVHFormatError):
            raise
        raise BVHFormatError(f"{source}: HIERARCHY is malformed ({exc})", "Fix the file") from exc
    if stack or not names:
        raise BVHFormatError(f"{source}: HIERARCHY is incomplete", "Fix the file")

    frame_count, frame_time, values = _parse_motion(motion_text, source)
    starts = np.cumsum([0] + [len(c) for c in channels[:-1]]).astype(np.intp)
    num_channels = sum(len(c) for c in channels)
    if values.size != frame_count * num_channels:
        raise BVHFormatError(
            f"{source}: MOTION has {values.size} numbers, expected {frame_count} frames x "
            f"{num_channels} channels",
            "The file may be truncated",
        )
    return Motion(
        names=names,
        parents=np.asarray(parents, dtype=np.intp),
        offsets=np.asarray(offsets, dtype=np.float64),
        channels=channels,
        channel_starts=starts,
        is_end_site=np.asarray(end_site, dtype=bool),
        frame_time=frame_time,
        frames=values.reshape(frame_count, num_channels),
    )


def _parse_motion(text: str, source: str) -> tuple[int, float, np.ndarray]:
    """Split the MOTION section into (frame count, frame time, flat float64 values)."""
    # Two header lines ("Frames: N", "Frame Time: dt"), then bulk numbers.
    lines = text.lstrip().split("\n", 2)
    if len(lines) < 2:
        raise BVHFormatError(f"{source}: MOTION header is incomplete", "The file may be truncated")
    try:
        key0, _, count_text = lines[0].partition(":")
        key1, _, time_text = lines[1].partition(":")
        if key0.strip() != "Frames" or key1.strip() != "Frame Time":
            raise ValueError("expected 'Frames:' and 'Frame Time:'")
        frame_count = int(count_text)
        frame_time = float(time_text)
    except ValueError as exc:
        raise BVHFormatError(f"{source}: bad MOTION header ({exc})", "Fix the file") from exc
    if frame_time <= 0 or frame_count < 0:
        raise BVHFormatError(f"{source}: bad frame count or frame time", "Fix the file")
    body = lines[2] if len(lines) > 2 else ""
    # np.fromstring's text mode parses whitespace-separated floats in C, about 50x faster than
    # a Python split loop; newlines count as whitespace.
    with warnings.catch_warnings():
        # Garbage in the data makes fromstring stop early with a DeprecationWarning; the
        # caller's count check turns that into a clear BVHFormatError instead.
        warnings.simplefilter("ignore", DeprecationWarning)
        values = np.fromstring(body, dtype=np.float64, sep=" ") if body.strip() else np.zeros(0)
    return frame_count, frame_time, values


def load_bvh(path: str | Path) -> Motion:
    """Read a BVH file into a Motion (see ``parse_bvh``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise BVHFormatError(f"cannot read {path} ({exc.strerror})", "Check the path") from exc
    return parse_bvh(text, source=str(path))
