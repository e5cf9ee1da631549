"""The pose autoencoder: 136 normalised distances -> latent -> 136, and the file that holds it.

Training happens in torch (``posesim_cam.training``); inference runs the encoder half in
numpy, which is several times faster than torch for one pose at a time.

One versioned file holds everything needed to embed a pose: architecture config, weights,
feature-normalisation statistics, the latent mean (latents are centred before the cosine, since a
plain autoencoder's latents all point the same way), and the calibration of the 0-100 score.
The file is an ``.npz``: the arrays, and a JSON header with the config, calibration and
training facts, so that reading it needs numpy alone (a ``.pt`` of an earlier release is still
read where torch is installed). Imports the skeleton, features, ``files`` and ``errors``; knows
no video, session or HUD.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from posesim_cam.errors import UserError, install_line
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
DEFAULT_MODEL = "encoder_v2.npz"


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
        """Write the model file atomically: plain arrays and a JSON header in one ``.npz``
        (no torch needed to read it; see ``load_encoder``)."""
        header = {
            "format": FILE_FORMAT,
            "format_version": FORMAT_VERSION,
            "config": {
                "hidden": list(self.config.hidden),
                "latent_dim": self.config.latent_dim,
                "ignored_joints": list(self.config.ignored_joints),
            },
            "layers": len(self.layers),
            "decoder": sorted(self.decoder_state),
            "calibration": asdict(self.calibration),
            "info": self.info,
        }
        arrays: dict[str, np.ndarray] = {
            "header": np.frombuffer(json.dumps(header).encode(), np.uint8),
            "feature_mean": np.asarray(self.feature_mean, np.float32),
            "feature_std": np.asarray(self.feature_std, np.float32),
            "latent_mean": np.asarray(self.latent_mean, np.float32),
        }
        for k, (weight, bias) in enumerate(self.layers):
            arrays[f"layer{k}.weight"] = np.asarray(weight, np.float32)
            arrays[f"layer{k}.bias"] = np.asarray(bias, np.float32)
        for name, value in self.decoder_state.items():
            arrays[f"decoder.{name}"] = _as_array(value)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
        atomic_write_bytes(Path(path), buffer.getvalue())


def _as_array(value: Any) -> np.ndarray:
    """A decoder weight as a numpy array (torch tensors from training included)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, np.float32)


def default_model_path() -> Path:
    """The encoder that ships with the package."""
    return Path(str(resources.files("posesim_cam.models").joinpath(DEFAULT_MODEL)))


def load_encoder(path: str | Path | None = None) -> Encoder:
    """Load an encoder file; a missing, foreign or newer-format file raises UserError.

    The file is arrays and a JSON header in an ``.npz`` (read with numpy alone); a ``.pt``
    from an earlier release is still read where torch is installed, and refused with the
    install line where it is not.
    """
    given = path is not None
    path = Path(path) if path is not None else default_model_path()
    if path.is_dir():
        raise UserError(f"The encoder model {path} is a folder", "give the path of a .npz file")
    if not path.is_file():
        remedy = (
            "check the --model path, or leave it out to use the encoder that ships"
            if given
            else "reinstall posesim-cam (its shipped encoder is missing)"
        )
        raise UserError(f"The encoder model {path} does not exist", remedy)
    kind = _container(path)
    if kind == "npz":
        header, arrays = _read_npz(path)
    elif kind == "torch":
        header, arrays = _read_torch(path)
    else:
        raise _not_a_model(path)
    return _encoder_from(path, header, arrays)


def _container(path: Path) -> str:
    """ "npz" (ours: a zip with ``header.npy``), "torch" (a zip with a pickle inside, or a bare
    pickle: what ``torch.save`` writes), or "" for anything else."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        try:
            with path.open("rb") as file:
                return "torch" if file.read(1) == b"\x80" else ""  # pickle's protocol marker
        except OSError:
            return ""
    except OSError:
        return ""
    if "header.npy" in names:
        return "npz"
    return "torch" if any(name.endswith("data.pkl") for name in names) else ""


def _not_a_model(path: Path) -> UserError:
    return UserError(
        f"{path} is not a posesim-cam encoder model", "give a file written by `posesim-cam train`"
    )


def _read_npz(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        header = json.loads(bytes(arrays.pop("header")).decode())
    except Exception:  # not an archive of ours: truncated, foreign, not JSON
        raise _not_a_model(path) from None
    if not isinstance(header, dict):
        raise _not_a_model(path)
    return header, arrays


def _read_torch(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and arrays of a ``.pt`` model file of an earlier release (torch needed)."""
    try:
        import torch
    except ImportError:
        raise UserError(
            f"{path} is an encoder file of an earlier release, in torch's format",
            f"install torch to read it ({install_line('train')}), or use a .npz model",
        ) from None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        payload = None
    if not isinstance(payload, dict):
        raise _not_a_model(path)
    try:
        arrays = {
            "feature_mean": payload["feature_mean"].numpy(),
            "feature_std": payload["feature_std"].numpy(),
            "latent_mean": payload["latent_mean"].numpy(),
        }
        for k, (weight, bias) in enumerate(payload["encoder_layers"]):
            arrays[f"layer{k}.weight"] = weight.numpy()
            arrays[f"layer{k}.bias"] = bias.numpy()
        decoder = dict(payload.get("decoder_state", {}))
        for name, value in decoder.items():
            arrays[f"decoder.{name}"] = value.numpy()
        header = {key: payload.get(key) for key in ("format", "format_version", "config",
                                                       "calibration", "info")}  # fmt: skip
        header.update(layers=len(payload["encoder_layers"]), decoder=sorted(decoder))
    except (KeyError, TypeError, AttributeError, ValueError):
        if payload.get("format") != FILE_FORMAT or payload.get("format_version") != FORMAT_VERSION:
            return dict(payload), {}  # the format checks below say what it is
        raise _not_a_model(path) from None
    return header, arrays


def _encoder_from(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> Encoder:
    if header.get("format") != FILE_FORMAT:
        raise _not_a_model(path)
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise UserError(
            f"{path} is an encoder of format version {version}; this posesim-cam reads "
            f"version {FORMAT_VERSION}",
            "upgrade posesim-cam, or retrain the model with `posesim-cam train`",
        )
    try:
        config = EncoderConfig(
            hidden=tuple(int(h) for h in header["config"]["hidden"]),
            latent_dim=int(header["config"]["latent_dim"]),
            ignored_joints=tuple(int(j) for j in header["config"].get("ignored_joints", ())),
        )

        def array(name: str) -> np.ndarray:
            return np.asarray(arrays[name]).astype(np.float32)

        return Encoder(
            config=config,
            layers=[
                (array(f"layer{k}.weight"), array(f"layer{k}.bias"))
                for k in range(int(header["layers"]))
            ],
            feature_mean=array("feature_mean"),
            feature_std=array("feature_std"),
            latent_mean=array("latent_mean"),
            calibration=ScoreCalibration(**header["calibration"]),
            info=dict(header.get("info") or {}),
            decoder_state={name: array(f"decoder.{name}") for name in header.get("decoder", [])},
        )
    except (KeyError, TypeError, ValueError):
        raise _not_a_model(path) from None
