"""Person detectors for the top-down backend, in a registry: boxes (and confidences) per frame.

* ``blazepose`` (the default): MediaPipe BlazePose's person (its weights ship with mediapipe):
  the box around the person it finds, then the search again with that box blanked out, up to
  four people. Reliable for people apart; one partly hidden behind another may be missed.
* ``hog``: OpenCV's built-in HOG + linear SVM people detector (inside OpenCV, no download):
  upright, whole people of at least ~64x128 pixels; it misses half bodies and sitting people.
* ``onnx``: a detector the user supplies as an ONNX file, run by onnxruntime on the CPU.
  Input: one NCHW float32 RGB image in [0, 1] at the model's input size (letterboxed with grey
  114, as YOLO exports expect; a dynamic size is taken as 640x640). Output, by shape: rows of
  ``x0 y0 x1 y1 score [class]`` ((N, 5|6) or (1, N, 5|6)), or a YOLOv8-style raw head
  ``(1, 4 + C, anchors)`` of ``cx cy w h`` and C class scores (person = class 0).

Every detector returns ``Detections`` after its own non-maximum suppression. Imports numpy,
OpenCV and (for ``onnx``, lazily) onnxruntime; ``blazepose`` imports that backend lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from posesim_cam.errors import UserError, install_line
from posesim_cam.registry import Registry

LETTERBOX_GREY = 114
DEFAULT_ONNX_SIZE = 640


@dataclass(frozen=True)
class Detections:
    """People found in one frame: (N, 4) float32 boxes x0 y0 x1 y1, (N,) float32 scores."""

    boxes: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.boxes)


class PersonDetector(Protocol):
    name: str

    def detect(self, frame_bgr: np.ndarray) -> Detections: ...

    def close(self) -> None: ...


def box_iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one (4,) box with (N, 4) boxes."""
    x0 = np.maximum(box[0], others[:, 0])
    y0 = np.maximum(box[1], others[:, 1])
    x1 = np.minimum(box[2], others[:, 2])
    y1 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def box_nms(detections: Detections, iou: float = 0.45, min_score: float = 0.0,
            limit: int = 20) -> Detections:  # fmt: skip
    """The most confident boxes, dropping any that overlaps a kept one by more than ``iou``."""
    keep: list[int] = []
    for index in np.argsort(-detections.scores, kind="stable"):
        if detections.scores[index] < min_score or len(keep) >= limit:
            break
        if keep and box_iou(detections.boxes[index], detections.boxes[keep]).max() > iou:
            continue
        keep.append(int(index))
    return Detections(detections.boxes[keep].astype(np.float32),
                      detections.scores[keep].astype(np.float32))  # fmt: skip


class HogDetector:
    """OpenCV's default HOG people detector, on the frame scaled to at most 640 wide."""

    name = "hog"

    def __init__(self, max_width: int = 640) -> None:
        import cv2

        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.max_width = max_width

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        import cv2

        scale = min(1.0, self.max_width / frame_bgr.shape[1])
        image = frame_bgr if scale == 1.0 else cv2.resize(frame_bgr, None, fx=scale, fy=scale)
        rects, weights = self._hog.detectMultiScale(image, winStride=(8, 8), padding=(8, 8),
                                                    scale=1.05)  # fmt: skip
        if len(rects) == 0:
            return Detections.empty()
        rects = np.asarray(rects, np.float32) / scale
        boxes = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:]], axis=1)
        # SVM margins, squashed to 0..1 so they read like the other detectors' confidences.
        scores = 1.0 / (1.0 + np.exp(-np.asarray(weights, np.float32).reshape(-1)))
        return box_nms(Detections(boxes, scores), iou=0.3)

    def close(self) -> None:
        pass


class BlazePoseDetector:
    """Boxes of the people BlazePose finds: it finds one person per image, so each found
    person's box is blanked out and the frame searched again, up to ``max_people`` times."""

    name = "blazepose"

    def __init__(self, max_people: int = 4, backend: str = "blazepose") -> None:
        from posesim_cam.pose.registry import create_backend

        self.max_people = max_people
        self._estimator = create_backend(backend, static_image=True)

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        image = frame_bgr
        boxes: list[list[float]] = []
        scores: list[float] = []
        height, width = frame_bgr.shape[:2]
        for _ in range(self.max_people):
            poses = self._estimator.estimate(image)
            if not poses:
                break
            pose = poses[0]
            x0, y0, x1, y1 = (float(v) for v in pose.box)
            dx, dy = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
            box = [max(x0 - dx, 0.0), max(y0 - dy, 0.0), min(x1 + dx, width), min(y1 + dy, height)]
            if boxes and box_iou(np.array(box), np.array(boxes)).max() > 0.5:
                break  # found the same person again through the blank
            boxes.append(box)
            scores.append(pose.score)
            if image is frame_bgr:
                image = frame_bgr.copy()
            image[round(box[1]) : round(box[3]), round(box[0]) : round(box[2])] = 0
        if not boxes:
            return Detections.empty()
        return Detections(np.array(boxes, np.float32), np.array(scores, np.float32))

    def close(self) -> None:
        self._estimator.close()


class OnnxDetector:
    """A user-supplied ONNX person detector (formats in the module docstring)."""

    name = "onnx"

    def __init__(self, model: Path | None = None, min_score: float = 0.3,
                 person_class: int = 0, threads: int | None = None) -> None:  # fmt: skip
        if model is None:
            raise UserError(
                "--detector onnx needs the detector's model file",
                "add --detector-model PATH (an ONNX person or COCO detector, e.g. a YOLOv8 export)",
            )
        try:
            import onnxruntime
        except ImportError:
            raise UserError(
                "The onnx detector needs onnxruntime, which is not installed",
                f"install it with: {install_line('alphapose')}",
            ) from None
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self._session = onnxruntime.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # onnxruntime raises its own kinds for a bad file
            raise UserError(
                f"The detector model {model} cannot be loaded ({error})",
                "give an ONNX file exported from a detection model",
            ) from None
        entry = self._session.get_inputs()[0]
        self._input = entry.name
        shape = list(entry.shape)
        h, w = (shape[2], shape[3]) if len(shape) == 4 else (None, None)
        self.size = (int(w) if isinstance(w, int) else DEFAULT_ONNX_SIZE,
                     int(h) if isinstance(h, int) else DEFAULT_ONNX_SIZE)  # fmt: skip
        self.min_score = min_score
        self.person_class = person_class

    def detect(self, frame_bgr: np.ndarray) -> Detections:
        import cv2

        w, h = self.size
        scale = min(w / frame_bgr.shape[1], h / frame_bgr.shape[0])
        nw, nh = round(frame_bgr.shape[1] * scale), round(frame_bgr.shape[0] * scale)
        canvas = np.full((h, w, 3), LETTERBOX_GREY, np.uint8)
        dx, dy = (w - nw) // 2, (h - nh) // 2
        canvas[dy : dy + nh, dx : dx + nw] = cv2.resize(frame_bgr, (nw, nh))
        tensor = canvas[..., ::-1].astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        output = np.asarray(self._session.run(None, {self._input: tensor})[0], np.float32)
        found = self.decode(output)
        if len(found) == 0:
            return found
        boxes = (found.boxes - np.array([dx, dy, dx, dy], np.float32)) / scale
        return Detections(boxes.astype(np.float32), found.scores)

    def decode(self, output: np.ndarray) -> Detections:
        """Boxes in the model's input pixels from its first output (either format)."""
        rows = output[0] if output.ndim == 3 else output
        if output.ndim == 2 or (output.ndim == 3 and rows.shape[-1] in (5, 6, 7)):
            if rows.shape[-1] == 7:  # batch index, box, score, class
                rows = rows[:, 1:]
            keep = rows[:, 4] >= self.min_score
            if rows.shape[-1] >= 6:
                keep &= np.rint(rows[:, 5]) == self.person_class
            found = Detections(rows[keep, :4], rows[keep, 4])
        elif output.ndim == 3:
            # (4 + C, anchors): anchors outnumber attributes, or are too few to be attributes.
            along_rows = rows.shape[1] >= rows.shape[0] or rows.shape[1] < 5
            head = rows if along_rows else rows.T
            cx, cy, bw, bh = head[:4]
            score = head[4 + self.person_class]
            keep = score >= self.min_score
            boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
            found = Detections(boxes[keep], score[keep])
        else:
            raise UserError(
                f"The detector's output has shape {output.shape}, which is no known format",
                "use a detector whose output is boxes with scores or a YOLOv8-style head",
            )
        return box_nms(found)

    def close(self) -> None:
        pass


DetectorFactory = Callable[..., PersonDetector]
DEFAULT_DETECTOR = "blazepose"
DETECTORS: Registry[DetectorFactory] = Registry("person detector")
for _name, _factory in (("blazepose", BlazePoseDetector), ("hog", HogDetector),
                        ("onnx", OnnxDetector)):  # fmt: skip
    DETECTORS.register(_name, _factory)


def create_detector(name: str = DEFAULT_DETECTOR, model: Path | None = None) -> PersonDetector:
    """The detector registered as ``name`` (``model``: the onnx detector's file)."""
    factory = DETECTORS.get(name)
    return factory(model=model) if name == "onnx" else factory()
