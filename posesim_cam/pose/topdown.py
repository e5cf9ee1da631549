"""Top-down pose geometry: person boxes -> crops -> heatmaps -> keypoints in the frame.

The numerical half of the AlphaPose-style backend, pure numpy (OpenCV only to warp crops, with
a numpy fallback), so a GPU machine without mediapipe runs it from source:

* ``box_to_center_scale``: a box becomes a centre and a size with the crop's aspect
  (192/256), grown 1.25 times so the whole body is in view.
* ``crop_matrix`` / ``warp_crops``: the affine map of that region onto 256x192, and the crops.
* ``normalize_crops``: BGR uint8 -> RGB float, /255, minus (0.406, 0.457, 0.480) per channel.
* ``decode_heatmaps``: the peak of each heatmap, moved a quarter pixel toward its higher
  neighbour when the peak is interior; confidences are the peak values.
* ``heatmap_to_frame``: heatmap pixels (a quarter of the crop's) back through the inverse crop
  map to frame pixels.
* ``flip_back``: the flip test's heatmaps of the mirrored crop, mirrored back with left and
  right joints swapped.
* ``pose_nms``: drops a pose that repeats a more confident one (most of its joints close by).
* ``HALPE_TO_COCO``: Halpe-26's first 17 joints are COCO-17's, in the same order.

Imports numpy only (OpenCV lazily).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CROP_HEIGHT, CROP_WIDTH = 256, 192
ASPECT = CROP_WIDTH / CROP_HEIGHT
PADDING = 1.25
STRIDE = 4  # crop pixels per heatmap pixel
MEAN_RGB = np.array([0.406, 0.457, 0.480], np.float32)
HALPE_TO_COCO = np.arange(17)
# Left/right joint pairs, swapped when a mirrored crop's heatmaps are mirrored back.
COCO_PAIRS = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16))
HALPE_PAIRS = (*COCO_PAIRS, (20, 21), (22, 23), (24, 25))


def box_to_center_scale(box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x0, y0, x1, y1) -> centre (2,) and size (w, h) (2,) with the crop's aspect, padded."""
    x0, y0, x1, y1 = (float(v) for v in box)
    w, h = max(x1 - x0, 1e-3), max(y1 - y0, 1e-3)
    if w > ASPECT * h:
        h = w / ASPECT
    else:
        w = h * ASPECT
    centre = np.array([x0 + (x1 - x0) / 2, y0 + (y1 - y0) / 2], np.float64)
    return centre, np.array([w * PADDING, h * PADDING], np.float64)


def crop_matrix(centre: np.ndarray, size: np.ndarray, out_w: int = CROP_WIDTH,
                out_h: int = CROP_HEIGHT) -> np.ndarray:  # fmt: skip
    """The 2x3 affine map from frame pixels to an ``out_w`` x ``out_h`` crop: ``centre`` to the
    crop's centre, ``size[0]`` frame pixels to ``out_w`` crop pixels (both axes alike)."""
    s = out_w / float(size[0])
    return np.array(
        [[s, 0.0, out_w / 2 - s * centre[0]], [0.0, s, out_h / 2 - s * centre[1]]], np.float64
    )


def invert_affine(matrix: np.ndarray) -> np.ndarray:
    """The inverse of a 2x3 affine map."""
    full = np.vstack([matrix, [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(..., 2) points through a 2x3 affine map."""
    return points @ matrix[:, :2].T + matrix[:, 2]


def warp_crops(frame_bgr: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """(N, 256, 192, 3) uint8 crops of ``frame_bgr`` for (N, 2, 3) maps (outside: black)."""
    out = np.zeros((len(matrices), CROP_HEIGHT, CROP_WIDTH, 3), np.uint8)
    try:
        import cv2
    except ImportError:  # a GPU machine with torch only
        cv2 = None
    for index, matrix in enumerate(matrices):
        if cv2 is not None:
            out[index] = cv2.warpAffine(frame_bgr, matrix, (CROP_WIDTH, CROP_HEIGHT),
                                        flags=cv2.INTER_LINEAR)  # fmt: skip
        else:
            out[index] = _warp_nearest(frame_bgr, matrix)
    return out


def _warp_nearest(frame: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    ys, xs = np.mgrid[0:CROP_HEIGHT, 0:CROP_WIDTH]
    source = apply_affine(invert_affine(matrix), np.stack([xs, ys], -1).astype(np.float64))
    sx, sy = np.rint(source[..., 0]).astype(int), np.rint(source[..., 1]).astype(int)
    inside = (sx >= 0) & (sx < frame.shape[1]) & (sy >= 0) & (sy < frame.shape[0])
    out = np.zeros((CROP_HEIGHT, CROP_WIDTH, 3), np.uint8)
    out[inside] = frame[sy[inside], sx[inside]]
    return out


def normalize_crops(crops_bgr: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 BGR -> (N, 3, H, W) float32 RGB, /255, minus ``MEAN_RGB``."""
    rgb = crops_bgr[..., ::-1].astype(np.float32) / 255.0 - MEAN_RGB
    return np.ascontiguousarray(rgb.transpose(0, 3, 1, 2))


def decode_heatmaps(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, J, h, w) heatmaps -> peak coordinates (N, J, 2) in heatmap pixels and their values
    (N, J). An interior peak moves a quarter pixel toward its higher neighbour on each axis."""
    n, j, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, j, h * w)
    index = flat.argmax(axis=2)
    values = np.take_along_axis(flat, index[..., None], axis=2)[..., 0]
    ix, iy = index % w, index // w
    interior = (ix > 0) & (ix < w - 1) & (iy > 0) & (iy < h - 1)

    def at(offset: int) -> np.ndarray:  # the value ``offset`` cells from each peak
        where = np.clip(index + offset, 0, h * w - 1)
        return np.take_along_axis(flat, where[..., None], axis=2)[..., 0]

    dx = np.sign(at(1) - at(-1)) * interior
    dy = np.sign(at(w) - at(-w)) * interior
    coords = np.stack([ix + 0.25 * dx, iy + 0.25 * dy], axis=-1).astype(np.float64)
    return coords, values.astype(np.float32)


def heatmap_to_frame(coords: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    """(N, J, 2) heatmap pixels -> frame pixels through each crop's inverse map."""
    out = np.empty_like(coords, dtype=np.float64)
    for index, matrix in enumerate(matrices):
        out[index] = apply_affine(invert_affine(matrix), coords[index] * STRIDE)
    return out


def flip_back(heatmaps: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Heatmaps of horizontally mirrored crops, mirrored back: columns reversed, left and
    right joints swapped, and shifted one column right, since a mirrored pixel grid is off by
    one at this stride."""
    out = heatmaps[..., ::-1].copy()
    for left, right in pairs:
        out[:, [left, right]] = out[:, [right, left]]
    out[..., 1:] = out[..., :-1].copy()
    return out


@dataclass(frozen=True)
class PersonPoses:
    """The people found in one frame, every detected box with its pose (unfiltered).

    Attributes:
        boxes: (N, 4) float32 detector boxes, x0 y0 x1 y1 in frame pixels.
        box_scores: (N,) float32 detector confidences.
        keypoints: (N, J, 2) float32 frame pixels (J = the checkpoint's joints).
        scores: (N, J) float32 heatmap peaks.
    """

    boxes: np.ndarray
    box_scores: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.boxes)


def pose_nms(poses: PersonPoses, radius: float = 0.1, overlap: float = 0.5,
             min_score: float = 0.05) -> np.ndarray:  # fmt: skip
    """Indices of the poses to keep, most confident first.

    A pose is dropped when, weighted by both poses' confidences, more than ``overlap`` of its
    joints lie within ``radius`` times a kept pose's box diagonal of that pose's joints (two
    boxes around one person give two copies of one pose), or when its mean joint confidence is
    under ``min_score``.
    """
    if len(poses) == 0:
        return np.zeros(0, np.intp)
    confidence = poses.scores.mean(axis=1) * np.clip(poses.box_scores, 1e-3, None)
    order = np.argsort(-confidence, kind="stable")
    kept: list[int] = []
    for candidate in order:
        if poses.scores[candidate].mean() < min_score:
            continue
        duplicate = False
        for other in kept:
            box = poses.boxes[other]
            diagonal = float(np.hypot(box[2] - box[0], box[3] - box[1]))
            distance = np.linalg.norm(poses.keypoints[candidate] - poses.keypoints[other], axis=1)
            weight = np.minimum(poses.scores[candidate], poses.scores[other])
            close = float((weight * (distance < radius * diagonal)).sum())
            if close > overlap * max(float(weight.sum()), 1e-6):
                duplicate = True
                break
        if not duplicate:
            kept.append(int(candidate))
    return np.array(kept, np.intp)
