"""Drawing primitives the HUD layers share: panels, bars, text, rounded pictures, skeletons.

Plain functions on a uint8 BGR image, anti-aliased (``LINE``) and blended only inside their
own box, so a 720p frame costs no full-frame float arithmetic. Sizes come in output pixels:
the layout's scaling happens in the caller. The Hershey fonts cover ASCII only, so text goes
through ``ascii_text`` first. May import OpenCV, numpy, the skeleton definition, the pose type
and the HUD theme; knows nothing of phases, HUD state, layers or the layout.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from posesim_cam.hud.theme import BGR, Theme
from posesim_cam.pose.base import Pose
from posesim_cam.skeleton import LIMBS, MIN_JOINT_SCORE

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)

FONT = cv2.FONT_HERSHEY_DUPLEX
FONT_CAP = cv2.getTextSize("H", FONT, 1.0, 1)[0][1]  # cap height in pixels at fontScale 1
LINE = cv2.LINE_AA
SHIFT = 4  # sub-pixel bits for cv2 drawing: smoother anti-aliased lines and circles
_ONE = 1 << SHIFT
# Limbs between face points (nose, eyes, ears) are neither coached nor pleasant to see drawn
# across a face on a video call; they are left out unless the theme asks for them.
_FACE_LIMBS = frozenset(
    k for k, (name, _, _) in enumerate(LIMBS) if name.endswith(("face", "head"))
)
_FACE_JOINTS = frozenset(range(5))
# Characters the Hershey fonts lack, replaced before the generic accent stripping.
_ASCII_REPLACEMENTS = {
    "—": "-",
    "–": "-",
    "…": "...",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "×": "x",
    "•": "-",
    "·": "-",
}


@dataclass(frozen=True)
class Placement:
    """Where a source picture lands in the output: out = offset + scale * src (x mirrored)."""

    scale: float = 1.0
    offset_x: float = 0.0
    offset_y: float = 0.0
    mirror_width: float | None = None  # source width when the picture is flipped horizontally

    def apply(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) source pixels -> (N, 2) float64 output pixels."""
        xy = np.asarray(points, np.float64).copy()
        if self.mirror_width is not None:
            xy[:, 0] = self.mirror_width - xy[:, 0]
        xy *= self.scale
        xy[:, 0] += self.offset_x
        xy[:, 1] += self.offset_y
        return xy


# ---------------------------------------------------------------------- pictures


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` resized to width x height, fast enough to run on every frame.

    OpenCV's INTER_AREA is fast only for whole-number ratios: straight from 1080x1920 to PiP
    size it costs about 10 ms on one core here. A bilinear step to exactly twice the size and a
    2:1 area step cost about 1.2 ms and stay within 48 dB PSNR of it (bilinear alone aliases:
    35 dB). Bilinear is enough for ratios up to 2, where it still reads every source pixel.
    """
    h, w = image.shape[:2]
    if w > 2 * width and h > 2 * height:
        half = cv2.resize(image, (2 * width, 2 * height), interpolation=cv2.INTER_LINEAR)
        return cv2.resize(half, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)


def paste_rounded(out: np.ndarray, pic: np.ndarray, x: int, y: int, radius: int) -> None:
    """Copy ``pic`` into ``out`` at (x, y) with anti-aliased rounded corners.

    Only the four radius x radius corner squares are blended; the rest is a plain copy.
    """
    h, w = pic.shape[:2]
    radius = min(radius, h // 2, w // 2)
    region = out[y : y + h, x : x + w]
    if region.shape[:2] != (h, w):  # would leave the frame: the layout keeps it inside
        return
    if radius < 2:
        region[:] = pic
        return
    mask = _corner_mask(radius)
    corners = [
        (slice(0, radius), slice(0, radius), mask),
        (slice(0, radius), slice(w - radius, w), mask[:, ::-1]),
        (slice(h - radius, h), slice(0, radius), mask[::-1, :]),
        (slice(h - radius, h), slice(w - radius, w), mask[::-1, ::-1]),
    ]
    under = [region[rows, cols].astype(np.float32) for rows, cols, _ in corners]
    region[:] = pic
    for (rows, cols, m), below in zip(corners, under, strict=True):
        mixed = pic[rows, cols].astype(np.float32) * m + below * (1.0 - m)
        region[rows, cols] = (mixed + 0.5).astype(np.uint8)


@functools.lru_cache(maxsize=64)
def _corner_mask(radius: int) -> np.ndarray:
    """(radius, radius, 1) float32 coverage of a top-left rounded corner (1 inside); cached,
    read-only."""
    centre = radius - 0.5  # pixel-centre coordinates of the arc's centre
    yy, xx = np.mgrid[0:radius, 0:radius].astype(np.float32)
    dist = np.hypot(centre - xx, centre - yy)
    coverage = np.clip(radius - dist, 0.0, 1.0)[:, :, None].astype(np.float32)
    coverage.flags.writeable = False
    return coverage


# ---------------------------------------------------------------------- shapes


def blend(
    img: np.ndarray,
    box: Box,
    alpha: float,
    draw: Callable[[np.ndarray, tuple[int, int]], object],
) -> None:
    """Blend a shape onto ``img`` with opacity ``alpha``, touching only ``box`` (x0, y0, x1, y1).

    ``draw(roi, offset)`` paints the opaque shape on a copy of the box; ``offset`` is the
    (dx, dy) that turns frame coordinates into box coordinates. Pixels the shape leaves alone
    blend with themselves and stay exactly as they were, so rounded corners come out right.
    """
    x0, y0, x1, y1 = box
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x1, img.shape[1]), min(y1, img.shape[0])
    if cx1 <= cx0 or cy1 <= cy0:
        return
    roi = img[cy0:cy1, cx0:cx1]
    overlay = roi.copy()
    draw(overlay, (-cx0, -cy0))
    roi[:] = cv2.addWeighted(overlay, alpha, roi, 1.0 - alpha, 0.0)


def panel(img: np.ndarray, box: Box, color: BGR, radius: int, alpha: float) -> None:
    """A translucent rounded rectangle filling ``box``: the background of every HUD panel."""
    blend(img, box, alpha, lambda roi, offset: fill_round_rect(roi, offset, color, radius))


def fill_round_rect(img: np.ndarray, offset: tuple[int, int], color: BGR, radius: int) -> None:
    """Fill the whole of ``img`` (a panel's box) with a rounded rectangle.

    Meant as a ``blend`` draw function; ``offset`` is unused because the shape is the box.
    """
    h, w = img.shape[:2]
    _round_rect_fill(img, (0, 0, w, h), radius, color)


def _round_rect_fill(img: np.ndarray, box: Box, radius: int, color: BGR) -> None:
    x0, y0, x1, y1 = box
    r = max(0, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
    cv2.rectangle(img, (x0 + r, y0), (x1 - 1 - r, y1 - 1), color, -1)
    cv2.rectangle(img, (x0, y0 + r), (x1 - 1, y1 - 1 - r), color, -1)
    if r:
        for cx, cy in (
            (x0 + r, y0 + r),
            (x1 - 1 - r, y0 + r),
            (x0 + r, y1 - 1 - r),
            (x1 - 1 - r, y1 - 1 - r),
        ):
            cv2.circle(img, (cx, cy), r, color, -1, LINE)


def round_rect_outline(img: np.ndarray, box: Box, radius: int, color: BGR, thickness: int) -> None:
    """The outline of a rounded rectangle whose edges run through ``box``'s corners."""
    x0, y0, x1, y1 = box
    r = max(1, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
    for p, q in (
        ((x0 + r, y0), (x1 - r, y0)),
        ((x0 + r, y1), (x1 - r, y1)),
        ((x0, y0 + r), (x0, y1 - r)),
        ((x1, y0 + r), (x1, y1 - r)),
    ):
        cv2.line(img, p, q, color, thickness, LINE)
    for (cx, cy), start in (
        ((x0 + r, y0 + r), 180),
        ((x1 - r, y0 + r), 270),
        ((x1 - r, y1 - r), 0),
        ((x0 + r, y1 - r), 90),
    ):
        cv2.ellipse(img, (cx, cy), (r, r), 0, start, start + 90, color, thickness, LINE)


def bar(
    img: np.ndarray, x0: int, x1: int, y: int, height: int, fraction: float, color: BGR, track: BGR
) -> None:
    """A horizontal bar with round ends from x0 to x1 centred on row y, filled to ``fraction``.

    Drawn as thick anti-aliased lines, whose round caps give the rounded ends for free.
    """
    half = height / 2.0
    a, b = x0 + half, x1 - half
    cv2.line(img, _fixed(a, y), _fixed(b, y), track, height, LINE, SHIFT)
    if fraction > 0.0:
        cv2.line(img, _fixed(a, y), _fixed(a + (b - a) * fraction, y), color, height, LINE, SHIFT)


def star(img: np.ndarray, centre: tuple[int, int], radius: int, color: BGR) -> None:
    """A filled five-pointed star (the Hershey fonts have none)."""
    angles = np.arange(10) * np.pi / 5 - np.pi / 2
    radii = np.where(np.arange(10) % 2 == 0, radius, radius * 0.45)
    points = np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], 1)
    cv2.fillPoly(img, [np.round(points * _ONE).astype(np.int32)], color, LINE, SHIFT)


def _fixed(x: float, y: float) -> tuple[int, int]:
    return round(x * _ONE), round(y * _ONE)


def _pt(xy: np.ndarray) -> tuple[int, int]:
    return int(xy[0]), int(xy[1])


# ---------------------------------------------------------------------- text


def text(
    img: np.ndarray,
    label: str,
    origin: tuple[int, int],
    scale: float,
    color: BGR,
    thickness: int,
    shadow: BGR | None = None,
) -> int:
    """Draw ``label`` with its baseline's left end at ``origin``; returns its width in pixels.

    ``shadow`` draws a thicker dark copy underneath, for text straight on the video.
    """
    if shadow is not None:
        cv2.putText(img, label, origin, FONT, scale, shadow, thickness + max(2, thickness), LINE)
    cv2.putText(img, label, origin, FONT, scale, color, thickness, LINE)
    return text_width(label, scale, thickness)


def centered(
    img: np.ndarray, label: str, cx: int, baseline: int, scale: float, color: BGR, thickness: int
) -> None:
    """Draw ``label`` centred on column ``cx``, its baseline on row ``baseline``."""
    text(
        img,
        label,
        (cx - text_width(label, scale, thickness) // 2, baseline),
        scale,
        color,
        thickness,
    )


def text_width(label: str, scale: float, thickness: int) -> int:
    return cv2.getTextSize(label, FONT, scale, thickness)[0][0]


def fit_text(label: str, scale: float, thickness: int, max_width: int) -> str:
    """``label``, shortened with "..." until it is at most ``max_width`` pixels wide."""
    if text_width(label, scale, thickness) <= max_width:
        return label
    while label and text_width(label + "...", scale, thickness) > max_width:
        label = label[:-1]
    return label.rstrip() + "..."


def ascii_text(label: str) -> str:
    """``label`` in the ASCII the Hershey fonts can draw: dashes and quotes replaced, accents
    stripped (é -> e), anything else dropped."""
    for char, replacement in _ASCII_REPLACEMENTS.items():
        label = label.replace(char, replacement)
    return unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")


def clock_label(second: float) -> str:
    """'m:ss' for a time in seconds."""
    whole = max(0, int(second))
    return f"{whole // 60}:{whole % 60:02d}"


# ---------------------------------------------------------------------- skeletons


def draw_skeleton(
    img: np.ndarray,
    pose: Pose,
    placement: Placement,
    theme: Theme,
    *,
    thickness: int,
    radius: float,
    warnings: np.ndarray | None = None,
    color: BGR | None = None,
) -> None:
    """Limbs as outlined anti-aliased lines, joints as filled dots, low-score joints skipped.

    ``pose`` is in source pixels, mapped into ``img`` by ``placement``; ``warnings`` (one bool
    per limb) draws those limbs in the theme's warning colour; ``color`` overrides the theme's
    limb colours (used for the target's skeleton).
    """
    where = placement.apply(pose.keypoints)
    finite = np.isfinite(where).all(axis=1)
    seen = (np.asarray(pose.scores) >= MIN_JOINT_SCORE) & finite
    # Clipped far outside the frame so a wild keypoint cannot overflow cv2's int32 maths.
    where = np.clip(np.where(finite[:, None], where, 0.0), -1e5, 1e5)
    points = np.round(where * _ONE).astype(np.int64)
    limbs = [
        (k, a, b)
        for k, (_, a, b) in enumerate(LIMBS)
        if seen[a] and seen[b] and (theme.draw_face or k not in _FACE_LIMBS)
    ]
    warned = np.zeros(len(LIMBS), bool) if warnings is None else np.asarray(warnings, bool)
    edge = thickness + max(2, round(thickness * 0.6))
    # Outlines first, then normal limbs, then warned ones, so a warning is never hidden.
    for _, a, b in limbs:
        cv2.line(img, _pt(points[a]), _pt(points[b]), theme.outline, edge, LINE, SHIFT)
    for k, a, b in sorted(limbs, key=lambda limb: bool(warned[limb[0]])):
        limb_color = color or (theme.limb_warning if warned[k] else theme.limb)
        cv2.line(img, _pt(points[a]), _pt(points[b]), limb_color, thickness, LINE, SHIFT)
    r_out = round((radius + max(1.0, radius * 0.35)) * _ONE)
    r_in = round(radius * _ONE)
    for j in np.flatnonzero(seen):
        if j in _FACE_JOINTS and not theme.draw_face:
            continue
        cv2.circle(img, _pt(points[j]), r_out, theme.outline, -1, LINE, SHIFT)
        cv2.circle(img, _pt(points[j]), r_in, theme.joint, -1, LINE, SHIFT)
