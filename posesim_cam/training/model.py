"""The torch autoencoder and its training loop (reconstruction + contrastive term).

The loop is generic: a ``BatchSampler`` supplies, for a batch of poses, two independently
corrupted views (network inputs) and the clean standardised distances to reconstruct. Encoder
v1 feeds it real poses with 2-D augmentation; the mocap pipeline feeds rendered views. Imports
torch, the encoder, ``training.batch`` and ``training.parts``; never the CLI, the commands, the
session or the HUD.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from posesim_cam.encoder import Encoder, EncoderConfig, ScoreCalibration
from posesim_cam.skeleton import NUM_PAIRS
from posesim_cam.training.batch import BatchSampler
from posesim_cam.training.parts import layer_masks


class PoseAutoencoder(nn.Module):
    """MLP encoder (153 -> hidden -> latent) and mirrored decoder (latent -> hidden -> 136).

    ``layout``: a body-part layout of ``parts.LAYOUTS`` makes the encoder block-sparse, one
    block per part (fixed masks on its weights); "" leaves it dense.
    """

    def __init__(self, config: EncoderConfig, layout: str = "") -> None:
        super().__init__()
        self.config = config
        sizes = [config.input_dim, *config.hidden, config.latent_dim]
        self.encoder = _mlp(sizes)
        self.decoder = _mlp([config.latent_dim, *reversed(config.hidden), NUM_PAIRS])
        if layout:
            linears = [m for m in self.encoder if isinstance(m, nn.Linear)]
            for linear, mask in zip(linears, layer_masks(layout, sizes), strict=True):
                with torch.no_grad():
                    # Rescale so each unit's initial output spread matches a dense layer's.
                    fan = torch.from_numpy(mask).sum(dim=1, keepdim=True).clamp(min=1)
                    linear.weight.mul_(torch.sqrt(mask.shape[1] / fan))
                parametrize.register_parametrization(linear, "weight", _FixedMask(mask))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encoder(x)
        return z, self.decoder(z)


class _FixedMask(nn.Module):
    """Weight parametrisation: the weight times a constant 0/1 mask."""

    def __init__(self, mask: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mask", torch.from_numpy(mask))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight * self.mask


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1]))
        if k < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 3000
    batch_size: int = 256
    learning_rate: float = 2e-3
    temperature: float = 0.1
    contrastive_weight: float = 1.0
    reconstruction_weight: float = 1.0
    # Negatives whose clean poses differ by less than this (RMS, standardised units) are
    # near-duplicates of the anchor, not different poses; they are left out of the softmax.
    duplicate_distance: float = 0.15
    # Weight of a direct pull between the two views' latents: mean (1 - cosine).
    alignment_weight: float = 0.0
    # Weight of the pose-kernel term (needs ``Batch.pose_distance``): the cosine of every
    # pair of latents (view a of pose i, view b of pose j) is pulled towards
    # exp(-(d_ij / kernel_width)^2), so that a cosine says how alike two poses are in 3-D.
    kernel_weight: float = 0.0
    kernel_width: float = 0.07
    # AdamW's decoupled weight decay.
    weight_decay: float = 1e-4
    # Body-part layout of the encoder (``parts.LAYOUTS``); "": dense.
    layout: str = ""


def info_nce(
    za: torch.Tensor, zb: torch.Tensor, clean: torch.Tensor, settings: TrainSettings
) -> torch.Tensor:
    """Symmetric InfoNCE: each view's positive is the other view of the same pose."""
    a = nn.functional.normalize(za, dim=1)
    b = nn.functional.normalize(zb, dim=1)
    logits = a @ b.T / settings.temperature
    with torch.no_grad():
        distance = torch.cdist(clean, clean) / np.sqrt(clean.shape[1])
        duplicate = distance < settings.duplicate_distance
        duplicate.fill_diagonal_(False)
    logits = logits.masked_fill(duplicate, float("-inf"))
    labels = torch.arange(len(a))
    return 0.5 * (
        nn.functional.cross_entropy(logits, labels) + nn.functional.cross_entropy(logits.T, labels)
    )


def pose_kernel_loss(
    za: torch.Tensor, zb: torch.Tensor, pose_distance: torch.Tensor, width: float
) -> torch.Tensor:
    """Mean squared gap between every cross-view latent cosine and the 3-D pose kernel."""
    a = nn.functional.normalize(za, dim=1)
    b = nn.functional.normalize(zb, dim=1)
    kernel = torch.exp(-((pose_distance / width) ** 2))
    return ((a @ b.T - kernel) ** 2).mean()


def train_autoencoder(
    sample: BatchSampler,
    config: EncoderConfig,
    settings: TrainSettings,
    seed: int,
    progress: Callable[[int, float], None] | None = None,
) -> PoseAutoencoder:
    """Train deterministically on CPU: same seed, same sampler, same weights."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(seed)
    model = PoseAutoencoder(config, settings.layout)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=settings.learning_rate, total_steps=settings.steps
    )
    for step in range(settings.steps):
        batch = sample(rng, settings.batch_size)
        view_a = torch.from_numpy(batch.view_a)
        view_b = torch.from_numpy(batch.view_b)
        clean = torch.from_numpy(batch.clean)
        mask = torch.from_numpy(batch.clean_mask)
        clean_b = clean if batch.clean_b is None else torch.from_numpy(batch.clean_b)
        mask_b = mask if batch.clean_mask_b is None else torch.from_numpy(batch.clean_mask_b)
        za, recon_a = model(view_a)
        zb, recon_b = model(view_b)
        recon = ((recon_a - clean) ** 2 * mask).sum() / mask.sum().clamp(min=1)
        recon = recon + ((recon_b - clean_b) ** 2 * mask_b).sum() / mask_b.sum().clamp(min=1)
        loss = settings.reconstruction_weight * 0.5 * recon
        if settings.contrastive_weight > 0:
            loss = loss + settings.contrastive_weight * info_nce(za, zb, clean, settings)
        if settings.alignment_weight > 0:
            cosine = nn.functional.cosine_similarity(za, zb, dim=1)
            loss = loss + settings.alignment_weight * (1.0 - cosine).mean()
        if settings.kernel_weight > 0:
            if batch.pose_distance is None:
                raise ValueError("the pose-kernel term needs batches with pose distances")
            distance = torch.from_numpy(batch.pose_distance)
            loss = loss + settings.kernel_weight * pose_kernel_loss(
                za, zb, distance, settings.kernel_width
            )
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if progress is not None:
            progress(step + 1, float(loss.detach()))
    return model


def to_encoder(
    model: PoseAutoencoder,
    feature_mean: np.ndarray,
    feature_std: np.ndarray,
    centring_inputs: np.ndarray,
    info: dict,
) -> Encoder:
    """Freeze a trained model into an inference Encoder.

    ``centring_inputs`` (N, 153) are network inputs of training poses; their mean latent is
    subtracted before every cosine. Calibration is a placeholder until fitted.
    """
    layers = [
        (m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy())
        for m in model.encoder
        if isinstance(m, nn.Linear)
    ]
    with torch.no_grad():
        latents = model.encoder(torch.from_numpy(centring_inputs)).numpy()
    return Encoder(
        config=model.config,
        layers=layers,
        feature_mean=feature_mean.astype(np.float32),
        feature_std=feature_std.astype(np.float32),
        latent_mean=latents.mean(axis=0).astype(np.float32),
        calibration=ScoreCalibration(0.0, 1.0),
        info=info,
        decoder_state={k: v.clone() for k, v in model.decoder.state_dict().items()},
    )
