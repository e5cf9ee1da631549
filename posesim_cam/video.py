"""Reading video files and still images, with clear errors for unreadable input."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posesim_cam.errors import UserError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds: frame size in pixels, frames per second, frame count."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frame_count / self.fps if self.fps > 0 else 0.0


def _open(path: Path) -> cv2.VideoCapture:
    if not path.exists():
        raise UserError(f"{path} does not exist", "check the path and try again")
    if path.is_dir():
        raise UserError(f"{path} is a folder, not a video", "give the path of a video file")
    cap = cv2.VideoCapture(str(path))
    ok, _ = cap.read() if cap.isOpened() else (False, None)
    if not ok:
        cap.release()
        raise UserError(
            f"{path} cannot be read as a video",
            "give an mp4, mov, avi, mkv or webm file that plays in a video player",
        )
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    return cap


def probe_video(path: str | Path) -> VideoInfo:
    """Open ``path`` once to read its size and rate; raises UserError if it is not a video."""
    path = Path(path)
    cap = _open(path)
    try:
        fps = cap.get(cv2.CAP_PROP_FPS)
        return VideoInfo(
            path=path,
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=fps if 0 < fps < 1000 else 30.0,
            frame_count=max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0),
        )
    finally:
        cap.release()


def iter_frames(path: str | Path) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (timestamp in seconds, BGR frame) for every frame of the video at ``path``."""
    info = probe_video(path)
    cap = _open(Path(path))
    try:
        index = 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            yield index / info.fps, frame
            index += 1
    finally:
        cap.release()


def read_image(path: str | Path) -> np.ndarray:
    """Read a still image as BGR; raises UserError if it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path} does not exist", "check the path and try again")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise UserError(f"{path} cannot be read as an image", "give a jpg or png file")
    return image


def is_image_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES
