"""Square crop windows for top-down person finding: around a tracked person, and a search grid.

Pure geometry (numpy + one OpenCV warp), no model: a backend decides where to look with these
windows, runs its network on ``window.extract(frame)``, and maps the result back with
``window.to_frame``. All coordinates are pixels of the full frame, x right and y down. Pure
numpy; imports nothing of posesim_cam.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CropWindow:
    """A square region of a frame, resampled to ``size`` x ``size`` pixels.

    Attributes:
        x0, y0: top-left corner in frame pixels; may be negative, and the square may reach past
            the right or bottom border: the part outside the frame is filled with black.
        side: edge length in frame pixels (> 0).
        size: edge length in pixels of the extracted image (what the network sees).
    """

    x0: float
    y0: float
    side: float
    size: int

    @property
    def center(self) -> tuple[float, float]:
        """Centre (x, y) in frame pixels."""
        return self.x0 + self.side / 2, self.y0 + self.side / 2

    @property
    def box(self) -> np.ndarray:
        """(4,) float32: x0, y0, x1, y1 in frame pixels."""
        return np.array([self.x0, self.y0, self.x0 + self.side, self.y0 + self.side], np.float32)

    def extract(self, frame: np.ndarray, to_rgb: bool = False) -> np.ndarray:
        """The window's pixels as a (size, size, C) uint8 image, black outside the frame.

        One affine warp does crop, scale and border padding together, so a window half outside
        the frame costs no more than one inside it. ``to_rgb`` converts a BGR frame to RGB (done
        on the small crop, cheaper than converting the whole frame).
        """
        scale = self.size / self.side
        # In continuous coordinates (0 at a pixel's outer edge, as MediaPipe's normalised ones
        # are) crop point c is frame point x0 + c / scale; OpenCV indexes pixel centres, hence
        # the half-pixel terms: u + 0.5 = scale * (x + 0.5 - x0).
        shift = 0.5 * scale - 0.5
        matrix = np.array(
            [[scale, 0.0, shift - self.x0 * scale], [0.0, scale, shift - self.y0 * scale]],
            np.float64,
        )
        # Area averaging would be better for strong shrinking, but warpAffine has none; linear
        # is what the network's own resize uses and is fast.
        crop = cv2.warpAffine(
            frame,
            matrix,
            (self.size, self.size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        if to_rgb and crop.ndim == 3 and crop.shape[2] == 3:
            crop = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
        return crop

    def to_frame(self, xy_normalized: np.ndarray) -> np.ndarray:
        """Map (N, 2) coordinates normalised to the window ([0, 1] inside it) to frame pixels
        (continuous: 0 is the frame's outer edge, pixel i spans i to i + 1)."""
        xy = np.asarray(xy_normalized, np.float32)
        return xy * np.float32(self.side) + np.array([self.x0, self.y0], np.float32)

    def contains(self, box: np.ndarray, inset: float = 0.0) -> bool:
        """Whether ``box`` (x0, y0, x1, y1 pixels) lies inside the window shrunk by ``inset``
        (a fraction of ``side``) on every edge."""
        pad = inset * self.side
        x0, y0, x1, y1 = (float(v) for v in box)
        return (
            x0 >= self.x0 + pad
            and y0 >= self.y0 + pad
            and x1 <= self.x0 + self.side - pad
            and y1 <= self.y0 + self.side - pad
        )


def _place(center: float, side: float, length: int) -> float:
    """Start coordinate of a span of ``side`` centred on ``center``, moved inside [0, length]
    when it fits: a window shifted inside the frame shows more real pixels than one padded
    with black. A span longer than the frame stays centred on the person (padded both sides)."""
    start = center - side / 2
    if side <= length:
        start = min(max(start, 0.0), length - side)
    return start


def window_around(
    points: np.ndarray,
    frame_shape: tuple[int, ...],
    margin: float = 1.4,
    min_side: float = 32.0,
    size: int = 384,
) -> CropWindow:
    """The square window around ``points`` ((N, 2) frame pixels; N >= 1) used to track a person.

    The square's side is ``margin`` times the longer side of the points' bounding box (at
    least ``min_side`` pixels), centred on the box, kept inside the frame where it fits.
    Points outside the frame (a network's guesses at hidden joints) are clipped to it first,
    so a person cut by the frame edge does not drag the window off into the black.
    """
    height, width = frame_shape[:2]
    pts = np.asarray(points, np.float32).reshape(-1, 2)
    pts = np.clip(pts, [0.0, 0.0], [float(width), float(height)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    cx, cy = (lo + hi) / 2
    side = max(float((hi - lo).max()) * margin, min_side)
    return CropWindow(_place(float(cx), side, width), _place(float(cy), side, height), side, size)


def _positions(length: int, side: float, max_count: int, overlap: float) -> list[float] | None:
    """Evenly spaced starts of squares of ``side`` covering [0, length], neighbours overlapping
    by at least ``overlap`` of ``side``; None if that needs more than ``max_count`` squares."""
    if side >= length:
        return [(length - side) / 2]
    count = math.ceil((length - side) / ((1.0 - overlap) * side)) + 1
    if count > max_count:
        return None
    step = (length - side) / (count - 1)
    return [i * step for i in range(count)]


def search_windows(
    frame_shape: tuple[int, ...],
    size: int = 384,
    overlap: float = 0.25,
) -> list[CropWindow]:
    """Overlapping squares that together cover the frame at two scales (at most 8 windows).

    Used to find a person too small for a full-frame pass. Coarse scale: the smallest squares
    at least as tall as the frame's short side, at most 2 (on a 16:9 frame, two squares a
    little taller than the frame, overlapping in the middle). Fine scale: the smallest squares of
    at least half the short side whose grid needs at most 6 windows (2 x 3 on a 16:9 frame),
    so a person a third of the frame tall fills about half a window. Neighbours overlap by
    ``overlap`` of a side so that a person on a seam is whole in at least one window.
    A window that would show the whole frame is left out. Ordered coarse first; the caller
    tries them all and keeps the best person.
    """
    height, width = frame_shape[:2]
    short = min(height, width)
    windows: list[CropWindow] = []
    for min_side, max_count in ((short, 2), (short / 2, 6)):
        side = float(min_side)
        # Grow the squares by 5 % steps until the grid fits in max_count windows.
        while True:
            xs = _positions(width, side, max_count, overlap)
            ys = _positions(height, side, max_count, overlap)
            if xs is not None and ys is not None and len(xs) * len(ys) <= max_count:
                break
            side *= 1.05
        if side >= width and side >= height:
            continue  # one window showing the whole frame: the full-frame pass already did it
        windows.extend(CropWindow(x, y, side, size) for y in ys for x in xs)
    return windows
