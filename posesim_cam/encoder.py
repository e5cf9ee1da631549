"""The pose autoencoder: 136 normalised distances -> latent -> 136, and the file that holds it.

Training happens in torch (``posesim_cam.training``); inference runs the encoder half in
numpy, which is several times faster than torch for one pose at a time.

One versioned file holds everything needed to embed a pose: architecture config, weights,
feature-normalisation statistics, the latent mean (latents are centred before the cosine, since a
plain autoencoder's latents all point the same way), and the calibration of the 0-100 score.
Imports the skeleton, features, ``files`` and ``errors``; numpy at run time (torch only to read
a model file); knows no video, session or HUD.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from posesim_cam.errors import UserError
from posesim_cam.features import PoseFeatures
from posesim_cam.files import atomic_write_bytes
from posesim_cam.skeleton import NUM_KEYPOINTS, NUM_PAIRS

# A pose is implausible (not a body the encoder can read: broken keypoints) when more of its
# visible joint distances lie over OUTLIER_Z standard deviations from the training distances
# than Chebyshev's bound allows for any distribution (1/36 beyond 6 s.d.). Measured with v2:
# no frame of the real test clips is flagged, 0.4% of held-out mocap renders with estimator
# errors, and 90% of random keypoint sets.
OUTLIER_Z = 6.0
IMPLAUSIBLE_SHARE = 1.0 / OUTLIER_Z**2

FILE_FORMAT = "posesim-cam encoder"
FORMAT_VERSION = 1
DEFAULT_MODEL = "encoder_v2.pt"


@dataclass(frozen=True)
class EncoderConfig:
    """Architecture: an MLP from 136 distances plus a 17-joint presence mask to a latent.

    ``ignored_joints``: COCO indices the network never sees (trained and used as if the
    estimator had not found them).
    """

    hidden: tuple[int, ...] = (128, 64)
    latent_dim: int = 32
    ignored_joints: tuple[int, ...] = ()

    @property
    def input_dim(self) -> int:
        return NUM_PAIRS + NUM_KEYPOINTS

    @property
    def seen_joints(self) -> np.ndarray:
        """(17,) bool: the joints the network reads."""
        seen = np.ones(NUM_KEYPOINTS, bool)
        seen[list(self.ignored_joints)] = False
        return seen


@dataclass(frozen=True)
class ScoreCalibration:
    """Linear map from mean similarity to a 0-100 score: ``low`` -> 0, ``high`` -> 100."""

    low: float
    high: float

    def score(self, similarity: np.ndarray | float) -> np.ndarray:
        span = max(self.high - self.low, 1e-6)
        return np.clip((np.asarray(similarity) - self.low) / span, 0.0, 1.0) * 100.0


def network_input(
    features: PoseFeatures, feature_mean: np.ndarray, feature_std: np.ndarray
) -> np.ndarray:
    """(T, 153) float32: standardised distances (0 where missing) and the joint presence mask."""
    standard = (features.distances - feature_mean) / feature_std
    standard = np.where(features.weights > 0, standard, 0.0)
    present = (features.joint_weights > 0).astype(np.float32)
    return np.concatenate([standard, present], axis=1).astype(np.float32)


@dataclass(frozen=True)
class Encoder:
    """A trained encoder, ready to embed poses (numpy only).

    Attributes:
        config: architecture.
        layers: [(W (out, in), b (out,)), ...] of the encoder half, ReLU between layers.
        feature_mean, feature_std: (136,) statistics of the training distances.
        latent_mean: (latent_dim,) mean training latent, subtracted before normalising.
        calibration: similarity -> score map.
        info: free-form training facts (data, seed, metrics) shown by ``eval``.
    """

    config: EncoderConfig
    layers: list[tuple[np.ndarray, np.ndarray]]
    feature_mean: np.ndarray
    feature_std: np.ndarray
    latent_mean: np.ndarray
    calibration: ScoreCalibration
    info: dict[str, Any] = field(default_factory=dict)
    decoder_state: dict[str, Any] = field(default_factory=dict)

    def _seen(self, features: PoseFeatures) -> PoseFeatures:
        """``features`` without the joints the network ignores."""
        if not self.config.ignored_joints:
            return features
        return features.masked(self.config.seen_joints)

    def raw_latents(self, features: PoseFeatures) -> np.ndarray:
        """(T, latent_dim) latents straight from the network, before centring."""
        x = network_input(self._seen(features), self.feature_mean, self.feature_std)
        last = len(self.layers) - 1
        for k, (weight, bias) in enumerate(self.layers):
            x = x @ weight.T + bias
            if k < last:
                np.maximum(x, 0.0, out=x)
        return x

    def embed(self, features: PoseFeatures) -> np.ndarray:
        """(T, latent_dim) float32 centred, L2-normalised latents; cosine = dot product."""
        return self.embed_with_distinctiveness(features)[0]

    def embed_with_distinctiveness(self, features: PoseFeatures) -> tuple[np.ndarray, np.ndarray]:
        """``embed`` and (T,) float32 distinctiveness: the length of each centred latent before
        normalising, i.e. how far the pose lies from the average training pose (a person
        standing upright is near it; a deep squat or a raised leg is far)."""
        z = self.raw_latents(features) - self.latent_mean
        norm = np.linalg.norm(z, axis=1, keepdims=True)
        return (z / np.maximum(norm, 1e-8)).astype(np.float32), norm[:, 0].astype(np.float32)

    def plausible(self, features: PoseFeatures) -> np.ndarray:
        """(T,) bool: poses whose visible distances look like the bodies trained on (see
        OUTLIER_Z); a frame without visible pairs is not plausible."""
        features = self._seen(features)
        visible = features.weights > 0
        z = np.abs(features.distances - self.feature_mean) / self.feature_std
        outliers = ((z > OUTLIER_Z) & visible).sum(axis=1)
        count = visible.sum(axis=1)
        return (count > 0) & (outliers <= IMPLAUSIBLE_SHARE * count)

    @cached_property
    def version(self) -> str:
        """Content hash of the weights and statistics: names the model in target caches."""
        digest = hashlib.sha256()
        for weight, bias in self.layers:
            digest.update(np.ascontiguousarray(weight).tobytes())
            digest.update(np.ascontiguousarray(bias).tobytes())
        for array in (self.feature_mean, self.feature_std, self.latent_mean):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(repr((self.calibration.low, self.calibration.high)).encode())
        if self.config.ignored_joints:  # absent from older files, whose hashes stay as they were
            digest.update(repr(self.config.ignored_joints).encode())
        return f"{self.info.get('name', 'encoder')}-{digest.hexdigest()[:12]}"

    def save(self, path: str | Path) -> None:
        """Write the model file atomically (temporary file, then rename)."""
        import torch

        payload = {
            "format": FILE_FORMAT,
            "format_version": FORMAT_VERSION,
            "config": {
                "hidden": list(self.config.hidden),
                "latent_dim": self.config.latent_dim,
                "ignored_joints": list(self.config.ignored_joints),
            },
            "encoder_layers": [
                (torch.from_numpy(np.asarray(w)), torch.from_numpy(np.asarray(b)))
                for w, b in self.layers
            ],
            "decoder_state": self.decoder_state,
            "feature_mean": torch.from_numpy(self.feature_mean),
            "feature_std": torch.from_numpy(self.feature_std),
            "latent_mean": torch.from_numpy(self.latent_mean),
            "calibration": asdict(self.calibration),
            "info": self.info,
        }
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        atomic_write_bytes(Path(path), buffer.getvalue())


def default_model_path() -> Path:
    """The encoder that ships with the package."""
    return Path(str(resources.files("posesim_cam.models").joinpath(DEFAULT_MODEL)))


def load_encoder(path: str | Path | None = None) -> Encoder:
    """Load an encoder file; a missing, foreign or newer-format file raises UserError."""
    import torch

    given = path is not None
    path = Path(path) if path is not None else default_model_path()
    if path.is_dir():
        raise UserError(f"The encoder model {path} is a folder", "give the path of a .pt file")
    if not path.is_file():
        remedy = (
            "check the --model path, or leave it out to use the encoder that ships"
            if given
            else "reinstall posesim-cam (its shipped encoder is missing)"
        )
        raise UserError(f"The encoder model {path} does not exist", remedy)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        payload = None
    if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
        raise UserError(
            f"{path} is not a posesim-cam encoder model",
            "give a file written by `posesim-cam train`",
        )
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise UserError(
            f"{path} is an encoder of format version {version}; this posesim-cam reads "
            f"version {FORMAT_VERSION}",
            "upgrade posesim-cam, or retrain the model with `posesim-cam train`",
        )
    config = EncoderConfig(
        hidden=tuple(payload["config"]["hidden"]),
        latent_dim=payload["config"]["latent_dim"],
        ignored_joints=tuple(int(j) for j in payload["config"].get("ignored_joints", ())),
    )
    return Encoder(
        config=config,
        layers=[
            (w.numpy().astype(np.float32), b.numpy().astype(np.float32))
            for w, b in payload["encoder_layers"]
        ],
        feature_mean=payload["feature_mean"].numpy().astype(np.float32),
        feature_std=payload["feature_std"].numpy().astype(np.float32),
        latent_mean=payload["latent_mean"].numpy().astype(np.float32),
        calibration=ScoreCalibration(**payload["calibration"]),
        info=dict(payload.get("info", {})),
        decoder_state=dict(payload.get("decoder_state", {})),
    )
