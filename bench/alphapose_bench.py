"""The AlphaPose backend on the CPU: ms per frame of each stage, torch against ONNX Runtime.

    python bench/alphapose_bench.py            (POSESIM_TESTDATA picks the media)

On basketball1.png (640x480, real people), with a network of random weights (speed does not
depend on them; no AlphaPose weights exist here): the FastPose stage (crops, network, decode)
for 1 and 2 people with torch on the CPU and with ONNX Runtime, their ratio measured in the
same run, and each person detector's time on the same frame. The GPU figures come from
bench/alphapose_gpu.py on the device machine.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from rich.console import Console
from rich.table import Table

from posesim_cam.pose import topdown
from posesim_cam.pose.detectors import create_detector
from posesim_cam.pose.fastpose import FastPose
from posesim_cam.pose.runners import OnnxRunner, TorchRunner

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
REPEATS = 20


def median_ms(step) -> float:  # type: ignore[no-untyped-def]
    step()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def stage(frame: np.ndarray, matrices: np.ndarray, runner) -> None:  # type: ignore[no-untyped-def]
    """The FastPose stage of one frame: crops, network, decode."""
    crops = topdown.normalize_crops(topdown.warp_crops(frame, matrices))
    coords, _ = topdown.decode_heatmaps(runner(crops))
    topdown.heatmap_to_frame(coords, matrices)


def main() -> None:
    frame = cv2.imread(str(TESTDATA / "images" / "basketball1.png"))
    torch.manual_seed(0)
    network = FastPose(17).eval()
    torch_runner = TorchRunner(network, "cpu")
    with tempfile.TemporaryDirectory() as folder:
        onnx_runner = OnnxRunner(network, Path(folder) / "fastpose.onnx")
        boxes = create_detector("blazepose").detect(frame).boxes
        table = Table(title=f"AlphaPose backend on the CPU, 640x480, {os.cpu_count()} cpus, "
                      f"torch {torch.get_num_threads()} threads")  # fmt: skip
        for column in ("people", "torch ms", "onnxruntime ms", "onnx / torch"):
            table.add_column(column, justify="right")
        for people in (1, 2):
            matrices = np.stack(
                [topdown.crop_matrix(*topdown.box_to_center_scale(b)) for b in boxes[:people]]
            )

            a = median_ms(lambda m=matrices: stage(frame, m, torch_runner))
            b = median_ms(lambda m=matrices: stage(frame, m, onnx_runner))
            a = (a + median_ms(lambda m=matrices: stage(frame, m, torch_runner))) / 2  # drift
            table.add_row(str(people), f"{a:.1f}", f"{b:.1f}", f"{b / a:.2f}x")
    console = Console(width=110)
    console.print(table)
    detectors = Table(title="person detectors on the same frame")
    for column in ("detector", "ms", "people found"):
        detectors.add_column(column, justify="right")
    for name in ("blazepose", "hog"):
        detector = create_detector(name)
        found = detector.detect(frame)
        detectors.add_row(name, f"{median_ms(lambda d=detector: d.detect(frame)):.1f}",
                          str(len(found)))  # fmt: skip
        detector.close()
    console.print(detectors)


if __name__ == "__main__":
    main()
