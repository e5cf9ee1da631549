"""Encoder file format, loading errors and inference: numpy only (the torch side, and files of
earlier releases, are in tests/training/test_model_file.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

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

SMALL = EncoderConfig(hidden=(32, 16), latent_dim=8)


def small_encoder(seed: int = 0, config: EncoderConfig = SMALL) -> Encoder:
    """An encoder with random weights of the shipped layout (153 inputs, ReLU layers)."""
    rng = np.random.default_rng(seed)
    sizes = (153, *config.hidden, config.latent_dim)
    layers = [
        (
            rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32),
            rng.normal(0.0, 0.1, n_out).astype(np.float32),
        )
        for n_in, n_out in itertools.pairwise(sizes)
    ]
    return Encoder(
        config=config,
        layers=layers,
        feature_mean=np.full(136, 1.0, np.float32),
        feature_std=np.full(136, 0.5, np.float32),
        latent_mean=rng.normal(0.0, 0.1, config.latent_dim).astype(np.float32),
        calibration=ScoreCalibration(0.2, 0.8),
        info={"name": "test"},
        decoder_state={"0.weight": rng.normal(size=(16, 8)).astype(np.float32)},
    )


def random_poses(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 400, (n, 17, 2)).astype(np.float32), rng.uniform(0, 1, (n, 17))


def test_inference_is_the_layers_with_relu_between():
    encoder = small_encoder()
    features = pose_features(*random_poses(20))
    x = network_input(features, encoder.feature_mean, encoder.feature_std)
    (w0, b0), (w1, b1), (w2, b2) = encoder.layers
    expected = np.maximum(np.maximum(x @ w0.T + b0, 0) @ w1.T + b1, 0) @ w2.T + b2
    np.testing.assert_allclose(encoder.raw_latents(features), expected, rtol=1e-5, atol=1e-6)


def test_embeddings_are_centred_unit_vectors():
    encoder = small_encoder()
    latents = encoder.embed(pose_features(*random_poses(30)))
    np.testing.assert_allclose(np.linalg.norm(latents, axis=1), 1.0, rtol=1e-5)


def test_save_load_round_trip(tmp_path: Path):
    encoder = small_encoder()
    path = tmp_path / "enc.npz"
    encoder.save(path)
    loaded = load_encoder(path)
    features = pose_features(*random_poses(10))
    np.testing.assert_array_equal(loaded.embed(features), encoder.embed(features))
    assert loaded.version == encoder.version
    assert loaded.config == encoder.config
    assert not list(tmp_path.glob("*.tmp"))


def test_version_changes_with_weights():
    a = small_encoder(0)
    b = small_encoder(1)
    assert a.version != b.version


def test_missing_model_is_a_user_error(tmp_path: Path):
    with pytest.raises(UserError, match="does not exist"):
        load_encoder(tmp_path / "nope.pt")


def test_foreign_file_is_refused(tmp_path: Path):
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    with pytest.raises(UserError, match="not a posesim-cam encoder"):
        load_encoder(other)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00not a model")
    with pytest.raises(UserError, match="not a posesim-cam encoder"):
        load_encoder(junk)


def test_newer_format_is_refused_with_a_remedy(tmp_path: Path):
    import json

    encoder = small_encoder()
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
    config = EncoderConfig(hidden=(32, 16), latent_dim=8, ignored_joints=(1, 2, 3, 4))
    encoder = small_encoder(config=config)
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
    path = tmp_path / "enc.npz"
    encoder.save(path)
    loaded = load_encoder(path)
    assert loaded.config.ignored_joints == (1, 2, 3, 4)
    assert loaded.version == encoder.version


def test_files_without_ignored_joints_load_with_none():
    encoder = load_encoder(default_model_path().with_name("encoder_v1.npz"))
    assert encoder.config.ignored_joints == () and encoder.config.seen_joints.all()
