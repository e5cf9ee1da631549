"""Latent smoothing in time and distinctiveness weights, with numbers, and their effect."""

from __future__ import annotations

import numpy as np
import pytest

from posesim_cam.encoder import load_encoder
from posesim_cam.scoring.offline import compare
from posesim_cam.scoring.rules import frame_weights
from posesim_cam.scoring.temporal import CausalSmoother, smooth_latents
from posesim_cam.sequence import PoseSequence
from tests.scoring.test_online import moving_person

W1, W2 = np.exp(-0.5), np.exp(-2.0)  # Gaussian weights one and two s.d. away


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_known_weights_centred_and_causal():
    # Unit vectors at 0, 90 and 180 degrees: the weighted means are easy to write down.
    values = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], np.float32)
    times = np.array([0.0, 0.1, 0.2])
    centred = smooth_latents(values, times, sigma=0.1)
    np.testing.assert_allclose(centred[1], [0.0, 1.0], atol=1e-6)  # the two sides cancel
    np.testing.assert_allclose(centred[0], _unit(np.array([1.0 - W2, W1])), rtol=1e-6)
    causal = smooth_latents(values, times, sigma=0.1, causal=True)
    np.testing.assert_array_equal(causal[0], values[0])  # nothing before the first frame
    np.testing.assert_allclose(causal[2], _unit(np.array([W2 - 1.0, W1])), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(causal, axis=1), 1.0, rtol=1e-6)


def test_constant_stays_constant_and_zero_sigma_is_a_copy():
    rng = np.random.default_rng(0)
    row = _unit(rng.normal(size=8)).astype(np.float32)
    times = np.cumsum(rng.uniform(0.01, 0.1, 50))
    constant = np.repeat(row[None], 50, axis=0)
    np.testing.assert_allclose(smooth_latents(constant, times, 0.15), constant, rtol=1e-6)
    latents = rng.normal(size=(50, 8)).astype(np.float32)
    copy = smooth_latents(latents, times, 0.0)
    np.testing.assert_array_equal(copy, latents)
    assert copy is not latents


def test_rows_beyond_the_window_do_not_mix():
    latents = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], np.float32)
    times = np.array([0.0, 1.0, 2.0])  # 10 s.d. apart: outside the 3 s.d. window
    np.testing.assert_allclose(smooth_latents(latents, times, 0.1), latents, rtol=1e-6)


def test_causal_smoother_matches_the_batch_filter_on_irregular_times():
    rng = np.random.default_rng(1)
    latents = rng.normal(size=(80, 4)).astype(np.float32)
    times = np.cumsum(rng.uniform(0.0, 0.12, 80))
    times[40:] += 1.0  # a gap longer than the window
    batch = smooth_latents(latents, times, 0.15, causal=True)
    smoother = CausalSmoother(0.15)
    online = np.stack([smoother.push(v, t) for v, t in zip(latents, times, strict=True)])
    np.testing.assert_allclose(online, batch, rtol=1e-5, atol=1e-6)


def test_causal_smoother_starts_afresh_when_time_goes_back():
    smoother = CausalSmoother(0.1)
    smoother.push(np.array([1.0, 0.0], np.float32), 5.0)
    smoother.push(np.array([0.0, 1.0], np.float32), 5.05)
    fresh = smoother.push(np.array([0.6, 0.8], np.float32), 0.0)
    np.testing.assert_allclose(fresh, [0.6, 0.8], rtol=1e-6)


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match="latents"):
        smooth_latents(np.zeros((5, 3)), np.zeros(4), 0.1)


def test_smoothing_lifts_a_copy_with_frame_to_frame_noise_and_not_a_different_movement():
    # The same movement with independent keypoint noise in every frame (an estimator's jitter)
    # scores higher with the latents smoothed; a still pose against the movement does not gain.
    encoder = load_encoder()
    target = moving_person(frames=120)
    rng = np.random.default_rng(2)
    noisy = PoseSequence(
        (target.keypoints + rng.normal(0, 8.0, target.keypoints.shape)).astype(np.float32),
        target.scores,
        target.fps,
        target.frame_size,
    )
    raw = compare(target, noisy, encoder, smoothing=0.0).similarity
    smoothed = compare(target, noisy, encoder, smoothing=0.15).similarity
    assert smoothed > raw + 0.01
    still = PoseSequence(
        np.repeat(target.keypoints[:1], 120, axis=0), target.scores, target.fps, (640, 480)
    )
    assert compare(target, still, encoder, smoothing=0.15).similarity <= (
        compare(target, still, encoder, smoothing=0.0).similarity + 0.02
    )


def test_standing_shared_by_two_movements_counts_less_with_distinctiveness_weights():
    # A still standing pose against a movement that starts and ends standing: weighting frames
    # by distinctiveness (the arm raised is far from the average pose) lowers the similarity.
    encoder = load_encoder()
    target = moving_person(frames=120)
    still = PoseSequence(
        np.repeat(target.keypoints[:1], 120, axis=0), target.scores, target.fps, (640, 480)
    )
    plain = compare(target, still, encoder, distinctive_power=0.0).similarity
    weighted = compare(target, still, encoder, distinctive_power=2.0).similarity
    assert weighted < plain - 0.02
    # A copy of the target is unaffected: every frame matches itself.
    assert compare(target, target, encoder, distinctive_power=2.0).similarity > 0.99


def test_frame_weights_and_distinctiveness():
    encoder = load_encoder()
    features = moving_person(frames=30).features()
    latents, distinct = encoder.embed_with_distinctiveness(features)
    np.testing.assert_array_equal(latents, encoder.embed(features))
    raw = encoder.raw_latents(features) - encoder.latent_mean
    np.testing.assert_allclose(distinct, np.linalg.norm(raw, axis=1), rtol=1e-5)
    np.testing.assert_allclose(frame_weights(np.array([2.0, 3.0]), 2.0), [4.0, 9.0])
    np.testing.assert_allclose(frame_weights(np.array([2.0, 3.0]), 0.0), [1.0, 1.0])
