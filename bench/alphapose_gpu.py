"""The FastPose stage on a GPU: ms per frame for 1 and 2 people at 640x480, fp32 and fp16.

    python bench/alphapose_gpu.py [--frames 300]

For the device machine, which has its own torch and no mediapipe: it loads
``posesim_cam/pose/fastpose.py`` and ``topdown.py`` by file path (not through the package, whose
``__init__`` would pull the rest of posesim-cam), builds a network with random weights (speed
does not depend on them; no checkpoint is needed) and times, per frame:

* crop: the affine crops of the people's boxes from a 640x480 frame and their normalisation
  (CPU, numpy; OpenCV when installed);
* network: upload, FastPose, download of the heatmaps; eager fp32, eager fp16 channels-last,
  and fp16 replayed from a CUDA graph (the backend's default on CUDA);
* decode: heatmap peaks and the inverse crop map (CPU).

Prints a table (median and p95 over ``--frames`` frames after a warm-up) and the same as JSON.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "posesim_cam" / "pose" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


fastpose = load("fastpose")
topdown = load("topdown")

BOXES = np.array([[60, 40, 300, 470], [340, 30, 600, 460]], np.float32)  # two people, 640x480


def graph_runner(network: torch.nn.Module, batch: int):  # type: ignore[no-untyped-def]
    static_in = torch.zeros(batch, 3, 256, 192, device="cuda", dtype=torch.float16)
    static_in = static_in.contiguous(memory_format=torch.channels_last)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.inference_mode(), torch.cuda.stream(stream):
        for _ in range(3):
            network(static_in)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.inference_mode(), torch.cuda.graph(graph):
        static_out = network(static_in)

    def run(crops: np.ndarray) -> np.ndarray:
        static_in.copy_(torch.from_numpy(crops))
        graph.replay()
        return static_out.float().cpu().numpy()

    return run


def eager_runner(network: torch.nn.Module, half: bool):  # type: ignore[no-untyped-def]
    dtype = torch.float16 if half else torch.float32

    def run(crops: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            x = torch.from_numpy(crops).to("cuda", dtype)
            if half:
                x = x.contiguous(memory_format=torch.channels_last)
            return network(x).float().cpu().numpy()

    return run


def timed(step, repeats: int) -> list[float]:  # type: ignore[no-untyped-def]
    for _ in range(20):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return times


def crop(frame: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    return topdown.normalize_crops(topdown.warp_crops(frame, matrices))


def decode(heatmaps: np.ndarray, matrices: np.ndarray) -> np.ndarray:
    return topdown.heatmap_to_frame(topdown.decode_heatmaps(heatmaps)[0], matrices)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=300)
    frames = parser.parse_args().frames
    if not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this benchmark is for the GPU machine")
    torch.backends.cudnn.benchmark = True
    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    fp32 = fastpose.FastPose(17).eval().to("cuda")
    fp16 = fastpose.FastPose(17).eval().to("cuda", torch.float16)
    fp16 = fp16.to(memory_format=torch.channels_last)
    rows = []
    for people in (1, 2):
        boxes = BOXES[:people]
        matrices = np.stack([topdown.crop_matrix(*topdown.box_to_center_scale(b)) for b in boxes])

        crops = crop(frame, matrices)
        heatmaps = eager_runner(fp32, False)(crops)
        crop_ms = timed(lambda m=matrices: crop(frame, m), frames)
        decode_ms = timed(lambda h=heatmaps, m=matrices: decode(h, m), frames)
        for label, runner in (
            ("fp32 eager", eager_runner(fp32, False)),
            ("fp16 eager", eager_runner(fp16, True)),
            ("fp16 CUDA graph", graph_runner(fp16, people)),
        ):
            net_ms = timed(lambda runner=runner, crops=crops: runner(crops), frames)
            total = np.median(crop_ms) + np.median(net_ms) + np.median(decode_ms)
            rows.append({
                "people": people, "precision": label,
                "crop_ms": round(float(np.median(crop_ms)), 3),
                "network_ms": round(float(np.median(net_ms)), 3),
                "network_p95_ms": round(float(np.percentile(net_ms, 95)), 3),
                "decode_ms": round(float(np.median(decode_ms)), 3),
                "stage_ms": round(float(total), 3),
            })  # fmt: skip
    print(f"FastPose stage at 640x480, {torch.cuda.get_device_name()}, torch {torch.__version__}")
    print(f"{'people':>6} {'precision':>16} {'crop':>7} {'network':>8} {'p95':>7} {'decode':>7} "
          f"{'stage ms':>9}")  # fmt: skip
    for r in rows:
        cells = (r["crop_ms"], r["network_ms"], r["network_p95_ms"], r["decode_ms"])
        print(f"{r['people']:>6} {r['precision']:>16} " + " ".join(f"{c:>7.2f}" for c in cells)
              + f" {r['stage_ms']:>9.2f}")  # fmt: skip
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
