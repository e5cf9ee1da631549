"""Encoder file format, loading errors, and inference equal to the torch model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from posesim_cam.encoder import (
    Encoder,
    EncoderConfig,
    ScoreCalibration,
    default_model_path,
    load_encoder,
    network_input,
)
from posesim_cam.errors import UserError
from posesim_cam.features import pose_features
from posesim_cam.training.model import PoseAutoencoder, to_encoder


def small_encoder(seed: int = 0) -> tuple[Encoder, PoseAutoencoder]:
    torch.manual_seed(seed)
    model = PoseAutoencoder(EncoderConfig(hidden=(32, 16), latent_dim=8))
    mean = np.full(136, 1.0, np.float32)
    std = np.full(136, 0.5, np.float32)
    inputs = np.random.default_rng(seed).normal(size=(50, 153)).astype(np.float32)
    return to_encoder(model, mean, std, inputs, {"name": "test"}), model


def random_poses(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 400, (n, 17, 2)).astype(np.float32), rng.uniform(0, 1, (n, 17))


def test_numpy_inference_equals_torch():
    encoder, model = small_encoder()
    features = pose_features(*random_poses(20))
    x = network_input(features, encoder.feature_mean, encoder.feature_std)
    with torch.no_grad():
        expected = model.encoder(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(encoder.raw_latents(features), expected, rtol=1e-4, atol=1e-5)


def test_embeddings_are_centred_unit_vectors():
    encoder, _ = small_encoder()
    latents = encoder.embed(pose_features(*random_poses(30)))
    np.testing.assert_allclose(np.linalg.norm(latents, axis=1), 1.0, rtol=1e-5)


def test_save_load_round_trip(tmp_path: Path):
    encoder, _ = small_encoder()
    path = tmp_path / "enc.npz"
    encoder.save(path)
    loaded = load_encoder(path)
    features = pose_features(*random_poses(10))
    np.testing.assert_array_equal(loaded.embed(features), encoder.embed(features))
    assert loaded.version == encoder.version
    assert loaded.config == encoder.config
    assert not list(tmp_path.glob("*.tmp"))


def test_version_changes_with_weights():
    a, _ = small_encoder(0)
    b, _ = small_encoder(1)
    assert a.version != b.version


def test_missing_model_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="does not exist"):
        load_encoder(tmp_path / "nope.pt")


def test_foreign_file_is_refused(tmp_path: Path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(UserError, match="not a posesim-cam encoder"):
        load_encoder(path)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00not a model")
    with pytest.raises(UserError, match="not a posesim-cam encoder"):
        load_encoder(junk)


def test_newer_format_is_refused_with_a_remedy(tmp_path: Path):
    import json

    encoder, _ = small_encoder()
    path = tmp_path / "enc.npz"
    encoder.save(path)
    with np.load(path) as stored:
        arrays = dict(stored)
    header = json.loads(bytes(arrays["header"]).decode())
    header["format_version"] = 99
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(UserError, match=r"format version 99.*Upgrade posesim-cam"):
        load_encoder(path)
    legacy = write_legacy_pt(encoder, tmp_path / "old.pt", format_version=99)
    with pytest.raises(UserError, match=r"format version 99.*Upgrade posesim-cam"):
        load_encoder(legacy)


def write_legacy_pt(encoder, path: Path, format_version: int = 1) -> Path:  # type: ignore[no-untyped-def]
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


def test_a_pt_file_of_an_earlier_release_reads_the_same_where_torch_is(tmp_path: Path):
    shipped = load_encoder()
    legacy = load_encoder(write_legacy_pt(shipped, tmp_path / "encoder_v2.pt"))
    assert legacy.version == shipped.version  # target caches stay valid
    features = pose_features(*random_poses(5))
    np.testing.assert_array_equal(legacy.embed(features), shipped.embed(features))


def test_a_pt_file_without_torch_is_one_sentence_with_the_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    legacy = write_legacy_pt(load_encoder(), tmp_path / "old.pt")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    with pytest.raises(UserError, match=r"earlier release, in torch's format\. Install torch"):
        load_encoder(legacy)
    assert load_encoder().version  # the shipped .npz needs no torch


def test_the_shipped_models_are_plain_arrays():
    import zipfile

    for name in ("encoder_v1.npz", "encoder_v2.npz"):
        with zipfile.ZipFile(default_model_path().with_name(name)) as archive:
            assert all(entry.endswith(".npy") for entry in archive.namelist())
        np.load(default_model_path().with_name(name), allow_pickle=False).close()


def test_calibration_maps_linearly_and_clips():
    calibration = ScoreCalibration(low=0.2, high=0.8)
    np.testing.assert_allclose(calibration.score([0.0, 0.2, 0.5, 0.8, 1.0]), [0, 0, 50, 100, 100])


def test_the_default_model_is_the_mocap_v2_one_small_and_calibrated_on_mocap_only():
    path = default_model_path()
    assert path.name == "encoder_v2.npz"
    assert path.is_file(), "models/encoder_v2.npz must ship with the package"
    assert path.stat().st_size < 5 * 1024 * 1024
    encoder = load_encoder()
    assert encoder.info["name"] == "encoder_v2"
    assert -1.0 <= encoder.calibration.low < encoder.calibration.high <= 1.0
    # Calibrated on held-out mocap renders, never on the real clips.
    assert encoder.info["calibration"]["data"].startswith("held-out mocap")
    assert "lab_dance" not in str(encoder.info)


def test_the_older_v1_model_still_loads_under_its_own_version():
    path = default_model_path().with_name("encoder_v1.npz")
    assert path.stat().st_size < 5 * 1024 * 1024
    encoder = load_encoder(path)
    assert encoder.info["name"] == "encoder_v1"
    assert 0.0 <= encoder.calibration.low < encoder.calibration.high <= 1.0
    assert encoder.version != load_encoder().version  # caches made with v1 are not reused


# A person standing with the arms down, COCO-17 order, pixels.
STANDING = np.array(
    [
        [320, 100], [330, 90], [310, 90], [340, 95], [300, 95], [360, 150], [280, 150],
        [380, 220], [260, 220], [390, 290], [250, 290], [345, 290], [295, 290],
        [345, 380], [295, 380], [345, 470], [295, 470],
    ],
    np.float32,
)  # fmt: skip


def test_plausible_tells_a_body_from_scattered_keypoints():
    encoder = load_encoder()
    body = pose_features(STANDING, np.ones(17, np.float32))
    assert encoder.plausible(body).tolist() == [True]
    rng = np.random.default_rng(0)
    scattered = rng.uniform(0, 640, (200, 17, 2)).astype(np.float32)
    features = pose_features(scattered, np.ones((200, 17), np.float32))
    assert encoder.plausible(features).mean() < 0.3
    # No visible joint pairs: nothing to judge, not plausible.
    assert encoder.plausible(pose_features(STANDING, np.zeros(17, np.float32))).tolist() == [False]


def test_ignored_joints_are_never_read_and_survive_the_file(tmp_path: Path):
    torch.manual_seed(0)
    config = EncoderConfig(hidden=(32, 16), latent_dim=8, ignored_joints=(1, 2, 3, 4))
    model = PoseAutoencoder(config)
    inputs = np.random.default_rng(0).normal(size=(50, 153)).astype(np.float32)
    mean, std = np.full(136, 1.0, np.float32), np.full(136, 0.5, np.float32)
    encoder = to_encoder(model, mean, std, inputs, {"name": "test"})
    keypoints, scores = random_poses(10)
    scores[:, 5:7] = scores[:, 11:13] = 1.0  # a torso to scale by (else every joint counts)
    moved = keypoints.copy()
    moved[:, 1:5] += 40.0  # eyes and ears elsewhere
    hidden = scores.copy()
    hidden[:, 1:5] = 0.0  # or not found at all
    latents = encoder.embed(pose_features(keypoints, scores))
    np.testing.assert_array_equal(encoder.embed(pose_features(moved, scores)), latents)
    np.testing.assert_array_equal(encoder.embed(pose_features(keypoints, hidden)), latents)
    # The same weights reading every joint see the move.
    plain = Encoder(**{**encoder.__dict__, "config": EncoderConfig(hidden=(32, 16), latent_dim=8)})
    assert not np.allclose(plain.embed(pose_features(moved, scores)), latents, atol=1e-3)
    assert plain.version != encoder.version
    path = tmp_path / "enc.pt"
    encoder.save(path)
    loaded = load_encoder(path)
    assert loaded.config.ignored_joints == (1, 2, 3, 4)
    assert loaded.version == encoder.version


def test_files_without_ignored_joints_load_with_none():
    encoder = load_encoder(default_model_path().with_name("encoder_v1.npz"))
    assert encoder.config.ignored_joints == () and encoder.config.seen_joints.all()
