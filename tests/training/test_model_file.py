"""The encoder file against torch: numpy inference equals the trained network, a trained model
survives its file, and `.pt` files of earlier releases still read (where torch is) or are refused
with the install line (where it is not)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from posesim_cam.encoder import Encoder, EncoderConfig, load_encoder, network_input
from posesim_cam.errors import UserError
from posesim_cam.features import pose_features
from posesim_cam.training.model import PoseAutoencoder, to_encoder
from tests.test_encoder import random_poses

pytestmark = pytest.mark.torch


def trained_encoder(seed: int = 0) -> tuple[Encoder, PoseAutoencoder]:
    torch.manual_seed(seed)
    model = PoseAutoencoder(EncoderConfig(hidden=(32, 16), latent_dim=8))
    mean = np.full(136, 1.0, np.float32)
    std = np.full(136, 0.5, np.float32)
    inputs = np.random.default_rng(seed).normal(size=(50, 153)).astype(np.float32)
    return to_encoder(model, mean, std, inputs, {"name": "test"}), model


def write_legacy_pt(encoder: Encoder, path: Path, format_version: int = 1) -> Path:
    """A model file as earlier releases wrote it: torch's format, the same content."""
    config = encoder.config
    decoder = {k: torch.from_numpy(np.asarray(v)) for k, v in encoder.decoder_state.items()}
    torch.save(
        {
            "format": "posesim-cam encoder",
            "format_version": format_version,
            "config": {"hidden": list(config.hidden), "latent_dim": config.latent_dim,
                       "ignored_joints": list(config.ignored_joints)},
            "encoder_layers": [(torch.from_numpy(w), torch.from_numpy(b))
                               for w, b in encoder.layers],
            "decoder_state": decoder,
            "feature_mean": torch.from_numpy(encoder.feature_mean),
            "feature_std": torch.from_numpy(encoder.feature_std),
            "latent_mean": torch.from_numpy(encoder.latent_mean),
            "calibration": {"low": encoder.calibration.low, "high": encoder.calibration.high},
            "info": encoder.info,
        },
        path,
    )  # fmt: skip
    return path


def test_numpy_inference_equals_torch():
    encoder, model = trained_encoder()
    features = pose_features(*random_poses(20))
    x = network_input(features, encoder.feature_mean, encoder.feature_std)
    with torch.no_grad():
        expected = model.encoder(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(encoder.raw_latents(features), expected, rtol=1e-4, atol=1e-5)


def test_a_trained_model_survives_its_file_decoder_included(tmp_path: Path):
    encoder, model = trained_encoder()
    encoder.save(tmp_path / "enc.npz")
    loaded = load_encoder(tmp_path / "enc.npz")
    assert loaded.version == encoder.version
    assert sorted(loaded.decoder_state) == sorted(model.decoder.state_dict())
    for name, value in model.decoder.state_dict().items():
        np.testing.assert_array_equal(loaded.decoder_state[name], value.numpy())
    features = pose_features(*random_poses(10))
    np.testing.assert_array_equal(loaded.embed(features), encoder.embed(features))


def test_a_foreign_torch_file_is_refused(tmp_path: Path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(UserError, match="not a posesim-cam encoder"):
        load_encoder(path)


def test_a_pt_file_of_an_earlier_release_reads_the_same_where_torch_is(tmp_path: Path):
    shipped = load_encoder()
    legacy = load_encoder(write_legacy_pt(shipped, tmp_path / "encoder_v2.pt"))
    assert legacy.version == shipped.version  # target caches stay valid
    features = pose_features(*random_poses(5))
    np.testing.assert_array_equal(legacy.embed(features), shipped.embed(features))
    newer = write_legacy_pt(shipped, tmp_path / "newer.pt", format_version=99)
    with pytest.raises(UserError, match=r"format version 99.*Upgrade posesim-cam"):
        load_encoder(newer)


def test_a_pt_file_without_torch_is_one_sentence_with_the_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    legacy = write_legacy_pt(load_encoder(), tmp_path / "old.pt")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    with pytest.raises(UserError, match=r"earlier release, in torch's format\. Install torch"):
        load_encoder(legacy)
    assert load_encoder().version  # the shipped .npz needs no torch
