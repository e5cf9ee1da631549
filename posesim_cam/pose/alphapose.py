"""The AlphaPose-style backend: a person detector, then FastPose ResNet-50 on each person.

``AlphaPoseEstimator`` (registered as ``alphapose``) reads a FastPose checkpoint the user
downloads from AlphaPose's model zoo (``fast_res50_256x192.pth``, COCO-17, or
``halpe26_fast_res50_256x192.pth``, Halpe-26, mapped to COCO-17); the project ships no
AlphaPose code or weights (they are non-commercial). ``AlphaPoseSettings`` are what the
command line chooses; ``register_alphapose`` files them under a backend name that carries the
checkpoint's content hash and the detector, so prepared poses are cached per checkpoint.
Imports ``errors``, ``files``, the pose types, registry, detectors and top-down geometry;
torch only when a network is built (``pose.fastpose``, ``pose.runners``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posesim_cam.errors import UserError
from posesim_cam.files import file_sha256
from posesim_cam.pose import topdown
from posesim_cam.pose.base import Pose
from posesim_cam.pose.detectors import DEFAULT_DETECTOR, DETECTORS, Detections, create_detector

RUNTIMES = ("torch", "onnx")
DOWNLOAD_HINT = (
    "download fast_res50_256x192.pth (or halpe26_fast_res50_256x192.pth) from AlphaPose's "
    "model zoo (github.com/MVIG-SJTU/AlphaPose, docs/MODEL_ZOO.md) and pass --checkpoint PATH"
)

MISMATCH_REMEDY = (
    "use fast_res50_256x192.pth or halpe26_fast_res50_256x192.pth from AlphaPose's model zoo, "
    "as downloaded"
)


@dataclass(frozen=True)
class AlphaPoseSettings:
    """How the AlphaPose backend runs.

    Attributes:
        checkpoint: the FastPose checkpoint file.
        detector: the registered person detector (``pose.detectors``).
        detector_model: the onnx detector's model file.
        runtime: ``torch`` (CPU or CUDA) or ``onnx`` (ONNX Runtime on the CPU).
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        flip_test: also run each crop mirrored and average the heatmaps (twice the work).
    """

    checkpoint: Path
    detector: str = DEFAULT_DETECTOR
    detector_model: Path | None = None
    runtime: str = "torch"
    device: str = "auto"
    flip_test: bool = False

    def __post_init__(self) -> None:
        if not Path(self.checkpoint).is_file():
            raise UserError(f"The checkpoint {self.checkpoint} does not exist", DOWNLOAD_HINT)
        if self.detector not in DETECTORS:
            raise UserError(
                f"--detector {self.detector} is not a person detector",
                f"use one of {', '.join(DETECTORS.names())}",
            )
        if self.runtime not in RUNTIMES:
            raise UserError(
                f"--pose-runtime {self.runtime} is not a runtime",
                f"use one of {', '.join(RUNTIMES)}",
            )


@functools.lru_cache(maxsize=16)
def _file_hash(path: str, size: int, mtime: float) -> str:
    return file_sha256(Path(path))  # cached by size and time: a checkpoint is 150 MB


def checkpoint_hash(path: Path) -> str:
    stat = Path(path).stat()
    return _file_hash(str(Path(path).resolve()), stat.st_size, stat.st_mtime)


def register_alphapose(settings: AlphaPoseSettings) -> str:
    """Register the backend for ``settings``; returns its name, e.g.
    ``alphapose-3f2a9c1b07-blazepose`` (checkpoint hash and detector: what changes poses)."""
    from posesim_cam.pose.registry import register_backend

    name = f"alphapose-{checkpoint_hash(settings.checkpoint)[:10]}-{settings.detector}"
    if settings.flip_test:
        name += "-flip"

    def make(static_image: bool = False, threads: int | None = None) -> AlphaPoseEstimator:
        return AlphaPoseEstimator(settings, threads=threads, name=name)

    register_backend(name, make)
    return name


class AlphaPoseEstimator:
    """Person boxes from the detector, then FastPose on every box, batched; poses after pose
    NMS, the most confident first, as COCO-17 ``Pose`` values with the detector's box.

    Args:
        settings: checkpoint, detector, runtime, device, flip test.
        threads: CPU threads for the network and ONNX Runtime (None: their defaults).
        name: the backend's registered name.
    """

    def __init__(
        self, settings: AlphaPoseSettings | None = None, *, checkpoint: Path | None = None,
        threads: int | None = None, name: str = "alphapose", static_image: bool = False,
    ) -> None:  # fmt: skip
        if settings is None:
            if checkpoint is None:
                raise UserError("The alphapose backend needs a checkpoint", DOWNLOAD_HINT)
            settings = AlphaPoseSettings(Path(checkpoint))
        from posesim_cam.pose.fastpose import CheckpointError, load_fastpose

        try:
            network, report = load_fastpose(Path(settings.checkpoint))
        except CheckpointError as error:
            raise UserError(str(error), MISMATCH_REMEDY) from None
        self.settings, self.report, self.name = settings, report, name
        self.pairs = topdown.HALPE_PAIRS if report.joints == 26 else topdown.COCO_PAIRS
        self.runner = _make_runner(network, settings, threads)
        self.detector = create_detector(settings.detector, settings.detector_model)
        self.last_people: topdown.PersonPoses | None = None

    def detections(self, frame_bgr: np.ndarray) -> topdown.PersonPoses:
        """Every detected box and the pose found in it, before pose NMS."""
        found = self.detector.detect(frame_bgr)
        return self.poses_in_boxes(frame_bgr, found)

    def poses_in_boxes(self, frame_bgr: np.ndarray, found: Detections) -> topdown.PersonPoses:
        """FastPose on the given boxes of ``frame_bgr`` (all at once)."""
        joints = self.report.joints or 17
        if len(found) == 0:
            return topdown.PersonPoses(found.boxes, found.scores,
                                       np.zeros((0, joints, 2), np.float32),
                                       np.zeros((0, joints), np.float32))  # fmt: skip
        matrices = np.stack(
            [topdown.crop_matrix(*topdown.box_to_center_scale(box)) for box in found.boxes]
        )
        crops = topdown.normalize_crops(topdown.warp_crops(frame_bgr, matrices))
        heatmaps = self.runner(crops)
        if self.settings.flip_test:
            mirrored = self.runner(np.ascontiguousarray(crops[..., ::-1]))
            heatmaps = (heatmaps + topdown.flip_back(mirrored, self.pairs)) / 2
        coords, values = topdown.decode_heatmaps(heatmaps)
        keypoints = topdown.heatmap_to_frame(coords, matrices)
        return topdown.PersonPoses(found.boxes, found.scores, keypoints.astype(np.float32),
                                   np.clip(values, 0.0, 1.0).astype(np.float32))  # fmt: skip

    def estimate(self, frame_bgr: np.ndarray) -> list[Pose]:
        people = self.detections(frame_bgr)
        self.last_people = people  # every box's pose, for ``pose --json``
        poses = []
        for index in topdown.pose_nms(people):
            coco = topdown.HALPE_TO_COCO
            poses.append(Pose(people.keypoints[index, coco].astype(np.float32),
                              people.scores[index, coco].astype(np.float32),
                              people.boxes[index].astype(np.float32)))  # fmt: skip
        return poses

    def reset(self) -> None:
        pass  # no state across frames: every frame is detected afresh

    def close(self) -> None:
        self.detector.close()


def _make_runner(network, settings: AlphaPoseSettings, threads: int | None):  # type: ignore[no-untyped-def]
    from posesim_cam.pose.runners import OnnxRunner, TorchRunner

    if settings.runtime == "onnx":
        from posesim_cam.config import cache_dir

        path = cache_dir() / "onnx" / f"fastpose-{checkpoint_hash(settings.checkpoint)[:16]}.onnx"
        return OnnxRunner(network, path, threads)
    return TorchRunner(network, settings.device, threads=threads)
