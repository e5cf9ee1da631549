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
"""The JSON of one frame: ``frame``, ``time`` and ``person`` (None, or ``box`` and
``keypoints`` as name -> [x, y, score]) — the ``pose --json`` line format."""


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


def format_pose_record(record: PoseRecord) -> str:
    head = f"frame {record['frame']} ({record['time']:.2f} s): "
    if record["person"] is None:
        return head + "no person"
    points = ", ".join(
        f"{name} ({x:.0f}, {y:.0f}) {s:.2f}"
        for name, (x, y, s) in record["person"]["keypoints"].items()
    )
    return head + points
