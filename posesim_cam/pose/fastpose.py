"""FastPose ResNet-50: the network of AlphaPose's ``fast_res50_256x192`` checkpoints, in torch.

Written from the published architecture (an SE-ResNet-50 backbone, then a pixel shuffle and two
DUC upsampling blocks to a heatmap per joint at a quarter of the input size), with module names
and shapes chosen so that AlphaPose's model-zoo checkpoints load with ``strict=True``: 348
tensors for COCO-17 and for Halpe-26, which differ only in the last convolution. Constructing a
network downloads nothing; weights come from a checkpoint the user supplies. Imports only torch
and numpy, so a GPU machine without mediapipe can run it from source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

INPUT_SIZE = (256, 192)  # (height, width) of the person crop
HEATMAP_SIZE = (64, 48)  # (height, width): a quarter of the input
STAGES = (3, 4, 6, 3)  # bottleneck blocks per stage of ResNet-50
EXPANSION = 4
# What each kind of checkpoint predicts, by its number of output heatmaps.
KINDS = {17: "COCO-17", 26: "Halpe-26"}
BN_MOMENTUM = 0.1


class SqueezeExcitation(nn.Module):
    """Channel gates from the globally pooled features: two linear layers C -> C."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(channels, channels), nn.ReLU(inplace=True), nn.Linear(channels, channels),
            nn.Sigmoid(),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gates = self.fc(x.mean(dim=(2, 3)))
        return x * gates[:, :, None, None]


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carrying the stride), 1x1 expand; squeeze-excitation when ``se``."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, se: bool = False) -> None:
        super().__init__()
        width = planes * EXPANSION
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width, momentum=BN_MOMENTUM)
        self.se = SqueezeExcitation(width) if se else None
        self.downsample: nn.Module | None = None
        if stride != 1 or inplanes != width:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, width, 1, stride=stride, bias=False),
                nn.BatchNorm2d(width, momentum=BN_MOMENTUM),
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.se is not None:
            out = self.se(out)
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class SEResNet50(nn.Module):
    """The backbone: a 7x7 stem, max pool, four stages; squeeze-excitation only in the first
    block of each stage (the one that also changes the width). Output: 2048 x H/32 x W/32."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        inplanes = 64
        for index, (blocks, planes) in enumerate(zip(STAGES, (64, 128, 256, 512), strict=True)):
            stride = 1 if index == 0 else 2
            stage = [Bottleneck(inplanes, planes, stride, se=True)]
            inplanes = planes * EXPANSION
            stage += [Bottleneck(inplanes, planes) for _ in range(blocks - 1)]
            self.add_module(f"layer{index + 1}", nn.Sequential(*stage))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for index in range(1, 5):
            x = getattr(self, f"layer{index}")(x)
        return x


class DUC(nn.Module):
    """Dense upsampling convolution: 3x3 conv, batch norm, ReLU, then a 2x pixel shuffle."""

    def __init__(self, inplanes: int, planes: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(inplanes, planes, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(planes, momentum=BN_MOMENTUM)
        self.relu = nn.ReLU(inplace=True)
        self.pixel_shuffle = nn.PixelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pixel_shuffle(self.relu(self.bn(self.conv(x))))


class FastPose(nn.Module):
    """FastPose: (N, 3, 256, 192) normalised RGB crops -> (N, joints, 64, 48) heatmaps.

    The attribute names (``preact``, ``suffle1``, ``duc1``, ``duc2``, ``conv_out``) are the
    checkpoints' own, misspelling included, so their state dicts load strictly.
    """

    def __init__(self, joints: int = 17) -> None:
        super().__init__()
        self.joints = joints
        self.preact = SEResNet50()
        self.suffle1 = nn.PixelShuffle(2)  # 2048 -> 512 channels, twice the size
        self.duc1 = DUC(512, 1024)  # -> 256 channels
        self.duc2 = DUC(256, 512)  # -> 128 channels
        self.conv_out = nn.Conv2d(128, joints, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_out(self.duc2(self.duc1(self.suffle1(self.preact(x)))))


@dataclass(frozen=True)
class CheckpointReport:
    """What a checkpoint holds.

    Attributes:
        kind: "COCO-17" or "Halpe-26" (by its number of heatmaps), or None if unrecognised.
        joints: heatmaps the checkpoint predicts (None when ``conv_out`` is missing).
        tensors: entries in its state dict.
        parameters: learnable values (batch-norm statistics not counted).
        missing, unexpected: keys the network has and the checkpoint lacks, and the reverse.
        mismatched: (key, checkpoint shape, network shape) where both have the key.
    """

    kind: str | None
    joints: int | None
    tensors: int
    parameters: int
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched) and self.kind is not None


class CheckpointError(ValueError):
    """A file that is not a FastPose checkpoint (not a state dict, or not one of this net)."""


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint file, on the CPU, without running any code it holds.

    Accepts a bare state dict (the model zoo's files) or one under ``state_dict`` / ``model``,
    with or without the ``module.`` prefix DataParallel adds.
    """
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a file that is not a checkpoint
        raise CheckpointError(f"{path} is not a readable torch checkpoint ({error})") from None
    for key in ("state_dict", "model"):
        if isinstance(data, Mapping) and isinstance(data.get(key), Mapping):
            data = data[key]
    if not isinstance(data, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in data.items()
    ):
        raise CheckpointError(f"{path} holds no state dict of tensors")
    return {k.removeprefix("module."): v for k, v in data.items()}


def checkpoint_joints(state: Mapping[str, torch.Tensor]) -> int | None:
    weight = state.get("conv_out.weight")
    return None if weight is None or weight.ndim != 4 else int(weight.shape[0])


def inspect_checkpoint(state: Mapping[str, torch.Tensor]) -> CheckpointReport:
    """Compare a state dict with the FastPose network it would load into."""
    joints = checkpoint_joints(state)
    expected = FastPose(joints or 17).state_dict()
    missing = tuple(k for k in expected if k not in state)
    unexpected = tuple(k for k in state if k not in expected)
    mismatched = tuple(
        (k, tuple(state[k].shape), tuple(v.shape))
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    )
    parameters = sum(
        int(v.numel()) for k, v in state.items() if not k.endswith(("running_mean",
        "running_var", "num_batches_tracked"))
    )  # fmt: skip
    return CheckpointReport(
        KINDS.get(joints or 0), joints, len(state), parameters, missing, unexpected, mismatched
    )


def load_fastpose(path: Path) -> tuple[FastPose, CheckpointReport]:
    """A FastPose network with the checkpoint at ``path`` loaded strictly, in eval mode.

    Raises CheckpointError naming what does not match.
    """
    state = read_state_dict(path)
    report = inspect_checkpoint(state)
    if not report.ok:
        raise CheckpointError(describe_mismatch(path, report))
    network = FastPose(report.joints or 17)
    network.load_state_dict(state, strict=True)
    return network.eval(), report


def describe_mismatch(path: Path, report: CheckpointReport, shown: int = 5) -> str:
    """One sentence on why ``path`` does not fit the network (the first few keys of each)."""

    def some(keys: tuple[str, ...]) -> str:
        more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
        return ", ".join(keys[:shown]) + more

    parts = []
    if report.joints is not None and report.kind is None:
        parts.append(f"it predicts {report.joints} joints (expected 17 or 26)")
    if report.missing:
        parts.append(f"missing keys: {some(report.missing)}")
    if report.unexpected:
        parts.append(f"unexpected keys: {some(report.unexpected)}")
    if report.mismatched:
        shapes = tuple(f"{k} {tuple(a)} vs {tuple(b)}" for k, a, b in report.mismatched)
        parts.append(f"wrong shapes: {some(shapes)}")
    return f"{path} is not a FastPose ResNet-50 checkpoint: " + "; ".join(parts)


def heatmaps_numpy(network: FastPose, crops: np.ndarray) -> np.ndarray:
    """Run the network on (N, 3, 256, 192) float32 crops on the CPU: (N, J, 64, 48)."""
    with torch.inference_mode():
        return network(torch.from_numpy(np.ascontiguousarray(crops, np.float32))).numpy()
