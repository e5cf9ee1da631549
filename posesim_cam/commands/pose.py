"""``posesim-cam pose``: the keypoints a backend finds in an image or video (a debugging aid).

Imports the pose registry, the skeleton and video decoding only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from posesim_cam.pose.registry import create_backend
from posesim_cam.skeleton import KEYPOINT_NAMES
from posesim_cam.video import is_image_path, iter_frames, probe_video, read_image

PoseRecord = dict[str, Any]
"""The JSON of one frame: ``frame``, ``time``, ``person`` (None, or ``box`` and ``keypoints``
as name -> [x, y, score]) and ``people``: every person found, each with ``box``,
``box_score`` (the detector's confidence; null for single-person backends) and
``keypoints`` — for the alphapose backend the pose in every detected box, before pose NMS
— the ``pose --json`` line format."""


def pose_records(media: Path, backend: str) -> Iterator[PoseRecord]:
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
            record: PoseRecord = {"frame": index, "time": round(timestamp, 4), "person": None}
            if poses:
                record["person"] = _person(poses[0].box, poses[0].keypoints, poses[0].scores)
            record["people"] = _everybody(estimator, poses)
            yield record
    finally:
        estimator.close()


def _person(box: np.ndarray, keypoints: np.ndarray, scores: np.ndarray,
            box_score: float | None = None) -> dict[str, Any]:  # fmt: skip
    person: dict[str, Any] = {"box": [round(float(v), 1) for v in box]}
    person["box_score"] = None if box_score is None else round(float(box_score), 3)
    person["keypoints"] = {
        name: [round(float(x), 1), round(float(y), 1), round(float(s), 3)]
        for name, (x, y), s in zip(KEYPOINT_NAMES, keypoints, scores, strict=True)
    }
    return person


def _everybody(estimator: Any, poses: list) -> list[dict[str, Any]]:
    """Everyone the backend found: every detected box's pose, unfiltered, where the backend
    detects people first (its ``last_people``), else its poses."""
    people = getattr(estimator, "last_people", None)
    if people is None:
        return [_person(p.box, p.keypoints, p.scores) for p in poses]
    return [
        _person(people.boxes[i], people.keypoints[i, :17], people.scores[i, :17],
                people.box_scores[i])
        for i in range(len(people))
    ]  # fmt: skip


def format_pose_record(record: PoseRecord) -> str:
    head = f"frame {record['frame']} ({record['time']:.2f} s): "
    if record["person"] is None:
        return head + "no person"
    points = ", ".join(
        f"{name} ({x:.0f}, {y:.0f}) {s:.2f}"
        for name, (x, y, s) in record["person"]["keypoints"].items()
    )
    return head + points
