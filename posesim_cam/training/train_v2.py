"""Encoder v2: trained on motion capture seen from random cameras, calibrated on held-out mocap.

Data: ``mocap_data`` (61 CMU clips as COCO-17 3-D; ``HELD_OUT_CLIPS`` never trained on).
Objective (``model.train_autoencoder``): each batch holds two views of the same 3-D poses, each
from its own random camera, build and estimator errors, and (``mirror_positives``) each view a
mirror image half of the time. The loss is
- reconstruction: the decoder rebuilds the pose's 3-D joint distances (view-free; symmetrised
  over left/right when mirror images are positives) from either view's latent,
- symmetric InfoNCE: a view's positive is the other view of the same 3-D pose; the other poses
  of the batch are negatives, except near-duplicates (3-D distances closer than a threshold), and
- a direct pull (1 - cosine) between the two views of each pose.
Available, off by default: a pose-kernel term (``TrainSettings.kernel_weight``) that pulls the
cosine between view a of pose i and view b of pose j towards exp(-(d_ij / width)^2), d_ij being
how far apart the two 3-D poses are whatever the camera, build and mirroring
(``pose_distance``). It raised held-out mocap separation but not the real clips' (the model
card has the numbers).
Calibration of the 0-100 score: ``calibration.calibrate_on_mocap`` on held-out renders only.

Deterministic on CPU: a fixed seed gives identical weights (torch deterministic algorithms,
seeded numpy Generator, a fixed number of torch threads during training). Imports the encoder,
the skeleton and the other training modules; never the CLI, the commands, the session or the
HUD.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from posesim_cam.encoder import Encoder, EncoderConfig
from posesim_cam.skeleton import INDEX
from posesim_cam.training.batch import Batch, BatchSampler
from posesim_cam.training.calibration import calibrate_on_mocap, with_calibration
from posesim_cam.training.mocap_data import (
    HELD_OUT_CLIPS,
    MocapClip,
    MocapSampler,
    PoseBank3D,
    ViewSettings,
    centring_inputs,
    render_statistics,
    split_clips,
)
from posesim_cam.training.model import TrainSettings, to_encoder, train_autoencoder
from posesim_cam.training.pose_variation import PoseVariation

MODEL_NAME = "encoder_v2"
# One torch thread: as fast as two on an idle 2-core machine once the batch maker runs beside
# it, and immune to the collapse of OpenMP thread teams on a busy one (measured: 30 ms a step
# with one thread against 1.3 s with two while another process kept both cores busy).
TORCH_THREADS = 1


@dataclass(frozen=True)
class V2Settings:
    """Everything that defines a v2 training run (with the seed)."""

    steps: int = 8000
    batch_size: int = 512
    learning_rate: float = 2e-3
    temperature: float = 0.15
    contrastive_weight: float = 1.0
    reconstruction_weight: float = 1.0
    duplicate_distance: float = 0.15
    alignment_weight: float = 1.0
    kernel_weight: float = 0.0  # tried, not kept: see models/MODEL_CARD.md
    kernel_width: float = 0.07
    weight_decay: float = 1e-4
    mirror_positives: bool = True
    target: str = "3d"  # "3d": the pose's 3-D distances; "2d": the view's own (plain AE)
    hidden: tuple[int, ...] = (512, 256)
    latent_dim: int = 32
    # Body-part layout of the encoder's layers (``parts.LAYOUTS``); "": dense.
    layout: str = ""
    # Joints the encoder never sees, by COCO name.
    ignored_joints: tuple[str, ...] = ()
    views: ViewSettings = field(default_factory=ViewSettings)
    # Half the training poses varied (limbs turned, upper body leant): see the model card.
    variation: PoseVariation = field(default_factory=lambda: PoseVariation(p=0.5))
    # Random views for the feature statistics and for the latent mean.
    statistics_views: int = 20000
    # Different-movement window pairs for the calibration.
    calibration_pairs: int = 800

    @property
    def config(self) -> EncoderConfig:
        return EncoderConfig(
            hidden=tuple(self.hidden),
            latent_dim=self.latent_dim,
            ignored_joints=self._ignored_indices,
        )

    @property
    def _ignored_indices(self) -> tuple[int, ...]:
        return tuple(sorted(INDEX[name] for name in self.ignored_joints))

    @property
    def train_settings(self) -> TrainSettings:
        return TrainSettings(
            steps=self.steps,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            temperature=self.temperature,
            contrastive_weight=self.contrastive_weight,
            reconstruction_weight=self.reconstruction_weight,
            duplicate_distance=self.duplicate_distance,
            alignment_weight=self.alignment_weight,
            kernel_weight=self.kernel_weight,
            kernel_width=self.kernel_width,
            weight_decay=self.weight_decay,
            layout=self.layout,
        )

    @property
    def view_settings(self) -> ViewSettings:
        return replace(
            self.views,
            mirror_p=0.5 if self.mirror_positives else 0.0,
            ignored_joints=self._ignored_indices,
        )


def train_v2(
    clips: Sequence[MocapClip],
    seed: int = 0,
    settings: V2Settings | None = None,
    progress: Callable[[int, float], None] | None = None,
    calibrate: bool = True,
    held_out: Sequence[str] = HELD_OUT_CLIPS,
) -> Encoder:
    """Train encoder v2 on the non-held-out ``clips`` and calibrate it on the held-out ones."""
    settings = settings or V2Settings()
    train_clips, held_clips = split_clips(clips, held_out)
    if not train_clips:
        raise ValueError("no training clips left after removing the held-out ones")
    bank = PoseBank3D.from_clips(train_clips)
    views = settings.view_settings
    # Statistics and centring use views without mirror positives: they describe what the
    # encoder meets in use (any camera, estimator errors), not the training positives.
    plain_views = replace(views, mirror_p=0.0)
    # The statistics also cover the ignored joints' pairs: the decoder's 3-D targets hold them
    # (standardised by these), though the encoder never reads them.
    mean, std = render_statistics(
        bank,
        np.random.default_rng(seed + 101),
        replace(plain_views, ignored_joints=()),
        settings.statistics_views,
    )
    sampler = MocapSampler(
        bank,
        mean,
        std,
        views,
        settings.target,
        settings.variation,
        pose_distances=settings.kernel_weight > 0,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(TORCH_THREADS)
    try:
        with PrefetchSampler(sampler) as prefetching:
            model = train_autoencoder(
                prefetching, settings.config, settings.train_settings, seed, progress
            )
    finally:
        torch.set_num_threads(threads)
    inputs = centring_inputs(
        bank, mean, std, np.random.default_rng(seed + 202), plain_views, settings.statistics_views
    )
    info = {
        "name": MODEL_NAME,
        "seed": seed,
        "settings": _jsonable(asdict(settings)),
        "training_clips": [c.name for c in train_clips],
        "held_out_clips": [c.name for c in held_clips],
        "training_poses": len(bank),
    }
    encoder = to_encoder(model, mean, std, inputs, info)
    if not calibrate or not held_clips:
        return encoder
    calibration, facts = calibrate_on_mocap(
        encoder, held_clips, different=settings.calibration_pairs
    )
    return with_calibration(encoder, calibration, {**info, "calibration": facts})


class PrefetchSampler:
    """Makes the next batch in a worker thread while the current one trains.

    Deterministic: the worker makes the batches one after another with the same generator, in
    the order they are asked for (the training loop uses the generator for nothing else); only
    the batch made after the last step is thrown away.
    """

    def __init__(self, sample: BatchSampler) -> None:
        self.sample = sample
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: Future[Batch] | None = None

    def __call__(self, rng: np.random.Generator, batch_size: int) -> Batch:
        batch = self.pending.result() if self.pending is not None else self.sample(rng, batch_size)
        self.pending = self.pool.submit(self.sample, rng, batch_size)
        return batch

    def __enter__(self) -> PrefetchSampler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _jsonable(value):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
