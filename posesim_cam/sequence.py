"""A video's poses over time, and extracting them with a pose backend.

Imports features, pose types and the progress seam; no video decoding beyond what a backend is
fed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posesim_cam.errors import NoPersonError, UserError
from posesim_cam.features import PoseFeatures, pose_features
from posesim_cam.pose.base import Pose, PoseEstimator
from posesim_cam.progress import ProgressCallback
from posesim_cam.skeleton import NUM_KEYPOINTS


@dataclass(frozen=True)
class PoseSequence:
    """The main person's pose in each frame of a video.

    Attributes:
        keypoints: (T, 17, 2) float32 pixels; 0 in frames where nobody was found.
        scores: (T, 17) float32 joint confidence; all 0 in frames where nobody was found.
        fps: frames per second of the source.
        frame_size: (width, height) of the source frames in pixels.
    """

    keypoints: np.ndarray
    scores: np.ndarray
    fps: float
    frame_size: tuple[int, int]

    def __len__(self) -> int:
        return len(self.keypoints)

    @property
    def found(self) -> np.ndarray:
        """(T,) bool: frames in which a person was found."""
        return self.scores.max(axis=1, initial=0.0) > 0

    @property
    def timestamps(self) -> np.ndarray:
        """(T,) float64 seconds from the first frame."""
        return np.arange(len(self)) / self.fps

    def features(self) -> PoseFeatures:
        return pose_features(self.keypoints, self.scores)

    def pose(self, index: int) -> Pose | None:
        """The pose in frame ``index`` as a Pose, or None if nobody was found there."""
        if not self.found[index]:
            return None
        return Pose.from_keypoints(self.keypoints[index], self.scores[index])

    @classmethod
    def from_poses(
        cls, poses: Iterable[Pose | None], fps: float, frame_size: tuple[int, int]
    ) -> PoseSequence:
        keypoints, scores = [], []
        for pose in poses:
            if pose is None:
                keypoints.append(np.zeros((NUM_KEYPOINTS, 2), np.float32))
                scores.append(np.zeros(NUM_KEYPOINTS, np.float32))
            else:
                keypoints.append(pose.keypoints)
                scores.append(pose.scores)
        shape_k, shape_s = (0, NUM_KEYPOINTS, 2), (0, NUM_KEYPOINTS)
        return cls(
            np.array(keypoints, np.float32).reshape(-1, *shape_k[1:])
            if keypoints
            else np.zeros(shape_k, np.float32),
            np.array(scores, np.float32).reshape(-1, *shape_s[1:])
            if scores
            else np.zeros(shape_s, np.float32),
            float(fps),
            (int(frame_size[0]), int(frame_size[1])),
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            keypoints=self.keypoints,
            scores=self.scores,
            fps=np.float64(self.fps),
            frame_size=np.array(self.frame_size, np.int64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PoseSequence:
        """The sequence ``to_bytes`` wrote; ValueError for anything else (truncated, empty,
        other arrays or shapes, values that are not finite), so a cache is never misread."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                keypoints = arrays["keypoints"].astype(np.float32)
                scores = arrays["scores"].astype(np.float32)
                fps = float(arrays["fps"])
                size = arrays["frame_size"]
                frame_size = (int(size[0]), int(size[1]))
        except Exception as error:  # zipfile, numpy and key errors alike: not our file
            raise ValueError(f"not a pose sequence ({error})") from None
        frames = len(keypoints)
        if (
            keypoints.shape != (frames, NUM_KEYPOINTS, 2)
            or scores.shape != (frames, NUM_KEYPOINTS)
            or not (np.isfinite(keypoints).all() and np.isfinite(scores).all())
            or not (np.isfinite(fps) and fps > 0)
            or min(frame_size) <= 0
        ):
            raise ValueError("not a pose sequence (shapes or values)")
        return cls(keypoints, scores, fps, frame_size)


def extract_poses(
    path: str | Path,
    estimator: PoseEstimator,
    progress: ProgressCallback | None = None,
    require_person: bool = True,
    max_fps: float | None = None,
) -> PoseSequence:
    """Run ``estimator`` over the frames of the video at ``path`` (stream mode).

    With ``max_fps``, poses are estimated at most that many times per second of video and
    interpolated in between (a 60 fps target analysed at 15 fps costs a quarter); the sequence
    still has one pose per frame. ``progress`` is called with the number of frames done so far.
    Raises NoPersonError when ``require_person`` and nobody is found in any frame, UserError for
    an unreadable video.
    """
    (sequence,) = extract_people(
        path, estimator, lambda poses, width: [poses[0] if poses else None], 1, progress, max_fps
    )
    if require_person and not sequence.found.any():
        raise NoPersonError(
            f"No person was found in {path}",
            "use a video in which one person is fully or half visible and well lit",
        )
    return sequence


# Picks, from the people found in a frame (and the frame's width), one pose or None per sequence.
PeoplePicker = Callable[[list[Pose], int], list[Pose | None]]


def extract_people(
    path: str | Path,
    estimator: PoseEstimator,
    pick: PeoplePicker,
    count: int,
    progress: ProgressCallback | None = None,
    max_fps: float | None = None,
) -> tuple[PoseSequence, ...]:
    """``count`` pose sequences of the video at ``path``: in every analysed frame, ``pick``
    says which of the people ``estimator`` found goes to each (e.g. one per player). Frames are
    read, analysed and interpolated as in ``extract_poses``; raises nothing for nobody found."""
    from posesim_cam.video import iter_frames, prefetched, probe_video

    info = probe_video(path)
    every = max(1, round(info.fps / max_fps)) if max_fps else 1
    estimator.reset()
    tracks: list[list[Pose | None]] = [[] for _ in range(count)]
    analysed: list[bool] = []
    for index, (_, frame) in enumerate(prefetched(iter_frames(path, every))):
        picked: list[Pose | None] = [None] * count
        if frame is not None:
            picked = pick(estimator.estimate(frame), frame.shape[1])
        for track, pose in zip(tracks, picked, strict=True):
            track.append(pose)
        analysed.append(frame is not None)
        if progress is not None:
            progress(index + 1)
    check_complete(Path(path), len(analysed), info.frame_count)
    sequences = []
    for track in tracks:
        sequence = PoseSequence.from_poses(track, info.fps, (info.width, info.height))
        if every > 1:
            sequence = interpolate_missing(sequence, np.array(analysed, bool))
        sequences.append(sequence)
    return tuple(sequences)


# A container's frame count is an estimate for some formats (variable frame rate): only a file
# that ends well before it is called cut short.
COMPLETE_FRACTION = 0.75


def check_complete(path: Path, decoded: int, expected: int) -> None:
    """UserError when a video decodes to far fewer frames than its header promises: a file
    cut short (an interrupted download or copy), whose header would give a wrong duration."""
    if expected > 4 and decoded < COMPLETE_FRACTION * expected:
        raise UserError(
            f"{path} ends after {decoded} of the {expected} frames its header promises "
            "(the file is cut short)",
            "copy, download or export it again",
        )


def interpolate_missing(sequence: PoseSequence, analysed: np.ndarray) -> PoseSequence:
    """Fill the frames that were not analysed (``analysed`` (T,) False) from their neighbours.

    Between two analysed frames that both found the person, keypoints and scores are linear
    interpolations; next to a frame without a person, the nearer analysed frame is copied;
    after the last analysed frame, it is held.
    """
    keypoints, scores = sequence.keypoints.copy(), sequence.scores.copy()
    done = np.flatnonzero(analysed)
    if len(done) == 0:
        return sequence
    found = sequence.found
    for index in np.flatnonzero(~analysed):
        after = np.searchsorted(done, index)
        a = done[after - 1] if after > 0 else done[0]
        b = done[after] if after < len(done) else a
        if a != b and found[a] and found[b]:
            w = (index - a) / (b - a)
            keypoints[index] = (1 - w) * keypoints[a] + w * keypoints[b]
            scores[index] = (1 - w) * scores[a] + w * scores[b]
        else:
            nearest = a if (index - a) <= (b - index) or a == b else b
            keypoints[index], scores[index] = keypoints[nearest], scores[nearest]
    return PoseSequence(keypoints, scores, sequence.fps, sequence.frame_size)
