"""Where FastPose runs: torch on the CPU or CUDA (fp16, batched, CUDA graphs), or ONNX Runtime.

A runner turns (N, 3, 256, 192) float32 crops into (N, J, 64, 48) float32 heatmaps. ``torch``
on CUDA keeps the network in half precision in channels-last layout and replays one captured
CUDA graph per batch bucket (1, 2, 4, 8 people), so a frame costs one launch instead of ~200.
``onnx`` exports the loaded network once (cached beside the user's cache, keyed by the
checkpoint's hash) and runs it with ONNX Runtime's CPU provider, faster than torch's CPU path
here (docs/benchmarks.md). Imports torch, numpy and (for ``onnx``) onnxruntime.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from posesim_cam.errors import UserError, install_line
from posesim_cam.pose.fastpose import FastPose

BUCKETS = (1, 2, 4, 8)  # batch sizes with a graph of their own; more people go in chunks


def pick_device(device: str = "auto") -> torch.device:
    """``auto``: CUDA when torch sees a GPU, else the CPU; or ``cpu``, ``cuda``, ``cuda:N``."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except RuntimeError:
        raise UserError(f"--pose-device {device} is no device", "use auto, cpu or cuda") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise UserError("--pose-device cuda, but torch sees no GPU here", "use auto or cpu")
    return chosen


class TorchRunner:
    """FastPose in torch. On CUDA: fp16 unless ``half`` is False, CUDA graphs unless
    ``cuda_graphs`` is False. On the CPU: fp32, ``threads`` intra-op threads when given."""

    def __init__(
        self,
        network: FastPose,
        device: str = "auto",
        half: bool | None = None,
        cuda_graphs: bool = True,
        threads: int | None = None,
    ) -> None:
        self.device = pick_device(device)
        cuda = self.device.type == "cuda"
        self.half = cuda if half is None else bool(half and cuda)
        self.dtype = torch.float16 if self.half else torch.float32
        if threads and not cuda:
            torch.set_num_threads(threads)
        network = network.to(self.device, self.dtype).eval()
        if cuda:
            network = network.to(memory_format=torch.channels_last)
        self.network = network
        self.joints = network.joints
        self.cuda_graphs = cuda and cuda_graphs
        self._graphs: dict[int, tuple[torch.cuda.CUDAGraph, torch.Tensor, torch.Tensor]] = {}
        self.name = f"torch-{self.device.type}{'-fp16' if self.half else ''}"

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        if len(crops) == 0:
            return np.zeros((0, self.joints, 64, 48), np.float32)
        if not self.cuda_graphs:
            with torch.inference_mode():
                x = torch.from_numpy(np.ascontiguousarray(crops, np.float32))
                x = x.to(self.device, self.dtype, non_blocking=True)
                if self.device.type == "cuda":
                    x = x.contiguous(memory_format=torch.channels_last)
                return self.network(x).float().cpu().numpy()
        outputs = []
        for start in range(0, len(crops), BUCKETS[-1]):
            outputs.append(self._replay(crops[start : start + BUCKETS[-1]]))
        return np.concatenate(outputs)

    def heatmaps_on_device(self, crops: torch.Tensor) -> torch.Tensor:
        """Run crops already on the device (the GPU benchmark's path), without graphs."""
        with torch.inference_mode():
            x = crops.to(self.device, self.dtype)
            if self.device.type == "cuda":
                x = x.contiguous(memory_format=torch.channels_last)
            return self.network(x)

    def _replay(self, crops: np.ndarray) -> np.ndarray:
        n = len(crops)
        bucket = next(b for b in BUCKETS if b >= n)
        if bucket not in self._graphs:
            self._graphs[bucket] = self._capture(bucket)
        graph, static_in, static_out = self._graphs[bucket]
        static_in.zero_()
        static_in[:n].copy_(torch.from_numpy(np.ascontiguousarray(crops, np.float32)))
        graph.replay()
        return static_out[:n].float().cpu().numpy()

    def _capture(self, batch: int) -> tuple[torch.cuda.CUDAGraph, torch.Tensor, torch.Tensor]:
        shape = (batch, 3, 256, 192)
        static_in = torch.zeros(shape, device=self.device, dtype=self.dtype)
        static_in = static_in.contiguous(memory_format=torch.channels_last)
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.inference_mode(), torch.cuda.stream(stream):
            for _ in range(3):  # warm-up outside the graph, as capture requires
                self.network(static_in)
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.inference_mode(), torch.cuda.graph(graph):
            static_out = self.network(static_in)
        return graph, static_in, static_out


class OnnxRunner:
    """FastPose exported to ONNX (once, to ``export_path``) and run by ONNX Runtime's CPU
    provider with ``threads`` intra-op threads."""

    def __init__(self, network: FastPose, export_path: Path, threads: int | None = None) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise UserError(
                "--pose-runtime onnx needs onnxruntime, which is not installed",
                f"install it with: {install_line('alphapose')}, or use --pose-runtime torch",
            ) from None
        self.joints = network.joints
        if not export_path.exists():
            export_onnx(network, export_path)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            str(export_path), options, providers=["CPUExecutionProvider"]
        )
        self.name = "onnxruntime-cpu"

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        if len(crops) == 0:
            return np.zeros((0, self.joints, 64, 48), np.float32)
        batch = np.ascontiguousarray(crops, np.float32)
        return np.asarray(self._session.run(None, {"crops": batch})[0], np.float32)


def export_onnx(network: FastPose, path: Path) -> None:
    """Write ``network`` as ONNX with a dynamic batch, atomically (a temporary name, then a
    rename), so a second process never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{id(network)}.partial")
    example = torch.zeros(1, 3, 256, 192)
    cpu = network.to("cpu", torch.float32).eval()
    with torch.inference_mode():
        torch.onnx.export(
            cpu, (example,), str(partial), dynamo=False, input_names=["crops"],
            output_names=["heatmaps"], dynamic_axes={"crops": {0: "n"}, "heatmaps": {0: "n"}},
            opset_version=17,
        )  # fmt: skip
    partial.replace(path)
