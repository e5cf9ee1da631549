"""A two-person video made from two real single-person clips side by side."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from posesim_cam.video import iter_frames

# The dancer's strip is 480 wide of 750: the line between the two players sits at 0.64.
SPLIT = "0.64"


@pytest.fixture(scope="session")
def two_players(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dance_1person (left, 30 fps) beside squats_1person (right, each frame held 6 times to
    30 fps), 480 pixels high, 4 s, then both last frames held for 1 s (the end card shows)."""
    dance = [f for _, f in iter_frames(testdata / "video" / "dance_1person_30fps.mp4")]
    squats = [f for _, f in iter_frames(testdata / "video" / "squats_1person_5fps.mp4")]

    def fit(image: np.ndarray) -> np.ndarray:
        return cv2.resize(image, (round(image.shape[1] * 480 / image.shape[0]), 480))

    out = tmp_path_factory.mktemp("two") / "two_players.mp4"
    first = np.hstack([fit(dance[0]), fit(squats[0])])
    writer = cv2.VideoWriter(
        str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (first.shape[1], first.shape[0])
    )
    for index, frame in enumerate(dance):
        writer.write(np.hstack([fit(frame), fit(squats[(index // 6) % len(squats)])]))
    for _ in range(30):
        writer.write(np.hstack([fit(dance[-1]), fit(squats[-1])]))
    writer.release()
    return out
