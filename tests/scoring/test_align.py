"""DTW against a brute-force reference on random sequences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posesim_cam.errors import UserError
from posesim_cam.scoring.align import (
    OnlineAligner,
    accumulated_cost,
    align_exact,
    align_fastdtw,
    backtrack,
    cosine_similarity_matrix,
    get_aligner,
)


def brute_force_dtw(cost: np.ndarray, window: int | None = None) -> np.ndarray:
    """Textbook O(N M) DTW with explicit loops (the reference)."""
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        centre = round((i - 1) * (m - 1) / max(n - 1, 1))
        for j in range(1, m + 1):
            if window is not None and abs((j - 1) - centre) > window:
                continue
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    return acc[1:, 1:]


def unit_rows(rng: np.random.Generator, n: int, d: int = 8) -> np.ndarray:
    x = rng.normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 25),
    m=st.integers(1, 25),
    window=st.one_of(st.none(), st.integers(0, 6)),
    seed=st.integers(0, 2**31),
)
def test_accumulated_cost_matches_brute_force(n: int, m: int, window: int | None, seed: int):
    cost = np.random.default_rng(seed).uniform(0, 2, size=(n, m))
    np.testing.assert_allclose(accumulated_cost(cost, window), brute_force_dtw(cost, window))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), m=st.integers(1, 30), seed=st.integers(0, 2**31))
def test_exact_path_is_valid_and_optimal(n: int, m: int, seed: int):
    rng = np.random.default_rng(seed)
    user, target = unit_rows(rng, n), unit_rows(rng, m)
    result = align_exact(user, target)
    path = result.path
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (n - 1, m - 1)
    steps = np.diff(path, axis=0)
    assert ((steps >= 0) & (steps <= 1)).all() and (steps.sum(axis=1) >= 1).all()
    reference = brute_force_dtw(1.0 - cosine_similarity_matrix(user, target))[-1, -1]
    assert result.cost == pytest.approx(reference, rel=1e-5, abs=1e-5)


def test_identical_sequences_align_on_the_diagonal_with_similarity_one():
    rng = np.random.default_rng(0)
    seq = unit_rows(rng, 40)
    result = align_exact(seq, seq, window=5)
    np.testing.assert_array_equal(result.path, np.stack([np.arange(40)] * 2, axis=1))
    assert result.mean_similarity == pytest.approx(1.0, abs=1e-6)


def test_time_stretched_copy_is_recovered():
    rng = np.random.default_rng(1)
    target = unit_rows(rng, 30)
    user = np.repeat(target, 2, axis=0)  # the user moves at half speed
    result = align_exact(user, target)
    assert result.mean_similarity == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_array_equal(result.matched_target(60), np.arange(60) // 2)


def test_fastdtw_is_never_better_than_exact():
    rng = np.random.default_rng(2)
    user, target = unit_rows(rng, 50), unit_rows(rng, 45)
    assert align_exact(user, target).cost <= align_fastdtw(user, target).cost + 1e-6


def test_aligner_lookup_by_name():
    assert get_aligner("exact") is align_exact
    with pytest.raises(UserError, match="no aligner called 'nope'"):
        get_aligner("nope")


def test_backtrack_on_single_cell():
    np.testing.assert_array_equal(backtrack(np.zeros((1, 1))), [[0, 0]])


def test_online_aligner_follows_a_lagging_user():
    rng = np.random.default_rng(3)
    # A smooth random walk on the sphere, so that neighbouring frames are alike.
    steps = rng.normal(size=(200, 8)) * 0.3
    target = np.cumsum(steps, axis=0)
    target /= np.linalg.norm(target, axis=1, keepdims=True)
    aligner = OnlineAligner(target.astype(np.float32), max_lag=60, max_lead=5)
    lag = 20
    matched, sims = [], []
    for t in range(lag, 200):
        index, sim = aligner.step(target[t - lag], playhead=t)
        matched.append(index)
        sims.append(sim)
    assert np.mean(np.array(matched[10:]) == np.arange(lag, 200)[10:] - lag) > 0.95
    assert np.mean(sims) > 0.99


@pytest.mark.parametrize("every", [3, 6, 10])
def test_online_aligner_keeps_up_with_poses_slower_than_the_target(every: int):
    """Poses every ``every`` target frames (a 30 fps target, a model at 10, 5 or 3 Hz): the
    path follows the playhead as it does at equal rates, instead of lagging behind it."""
    rng = np.random.default_rng(5)
    steps = rng.normal(size=(300, 8)) * 0.3
    target = np.cumsum(steps, axis=0)
    target /= np.linalg.norm(target, axis=1, keepdims=True)
    aligner = OnlineAligner(target.astype(np.float32), max_lag=60, max_lead=15)
    matched, sims = [], []
    for t in range(0, 300, every):
        index, sim = aligner.step(target[t], playhead=t)
        matched.append(index - t)
        sims.append(sim)
    assert np.mean(np.array(matched[3:]) == 0) > 0.95, matched
    assert np.mean(sims[3:]) > 0.99


def test_online_aligner_matches_offline_subsequence_cost_when_unconstrained():
    rng = np.random.default_rng(4)
    target = unit_rows(rng, 15)
    user = unit_rows(rng, 10)
    aligner = OnlineAligner(target, max_lag=100, max_lead=100)
    for latent in user:
        aligner.step(latent, playhead=7)
    # Open-begin DTW: the same recurrence with a free start column.
    cost = 1.0 - cosine_similarity_matrix(user, target)
    acc = np.full((10, 15), np.inf)
    acc[0] = cost[0]
    for i in range(1, 10):
        for j in range(15):
            best = min(
                acc[i - 1, j], acc[i - 1, j - 1] if j else np.inf, acc[i, j - 1] if j else np.inf
            )
            acc[i, j] = cost[i, j] + best
    assert aligner._row is not None
    np.testing.assert_allclose(aligner._row, acc[-1] - acc[-1].min(), atol=1e-5)


def test_symmetric_similarity_counts_every_frame_of_both_sides_once():
    # A user who holds the target's first pose: five user frames, three orthogonal target
    # poses. The cheapest path dwells on target frame 0, then steps to the end.
    basis = np.eye(3, dtype=np.float32)
    user, target = np.repeat(basis[:1], 5, axis=0), basis
    alignment = align_exact(user, target)
    np.testing.assert_array_equal(alignment.path, [[0, 0], [1, 0], [2, 0], [3, 1], [4, 2]])
    assert alignment.per_user_frame(5).mean() == pytest.approx(0.6)
    np.testing.assert_allclose(alignment.per_target_frame(3), [1.0, 0.0, 0.0])
    # The user side alone says 0.6; the two target poses never done pull it to 0.47.
    assert alignment.symmetric_similarity(5, 3) == pytest.approx((0.6 + 1 / 3) / 2)


def test_online_target_side_counts_matched_and_jumped_over_frames():
    # Target poses on an arc, 20 degrees apart: similarity falls off with distance.
    angles = np.radians(20.0 * np.arange(6))
    target = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    aligner = OnlineAligner(target, max_lag=2, max_lead=2)
    assert aligner.target_coverage() is None
    assert aligner.step(target[0], 0) == (0, pytest.approx(1.0))
    # The user is at pose 3 a frame later. The path's cheapest end is frame 2 (reaching 3
    # costs nothing more, and ties go to the earlier frame); frame 1, jumped over, counts with
    # this user frame as the horizontal step of an offline path would.
    index, similarity = aligner.step(target[3], 1)
    assert index == 2 and similarity == pytest.approx(np.cos(np.radians(20)), abs=1e-6)
    expected = [1.0, np.cos(np.radians(40)), np.cos(np.radians(20))]
    np.testing.assert_allclose(aligner.per_target_frame()[:3], expected, atol=1e-6)
    assert np.isnan(aligner.per_target_frame()[3:]).all()
    assert aligner.target_coverage() == pytest.approx(np.mean(expected), abs=1e-6)
    aligner.reset()
    assert aligner.target_coverage() is None


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), weighted=st.booleans())
def test_online_target_coverage_is_the_mean_of_the_per_frame_means(seed: int, weighted: bool):
    # Weighted like the offline mean (``symmetric_similarity``'s target weights) when asked.
    rng = np.random.default_rng(seed)
    target = rng.normal(size=(40, 8))
    target /= np.linalg.norm(target, axis=1, keepdims=True)
    weights = rng.uniform(0.1, 5.0, 40) if weighted else np.ones(40)
    aligner = OnlineAligner(target, 6, 2, target_weights=weights if weighted else None)
    for step in range(60):
        user = rng.normal(size=8)
        aligner.step(user / np.linalg.norm(user), playhead=min(step, 39))
        per_frame = aligner.per_target_frame()
        seen = np.isfinite(per_frame)
        expected = np.dot(per_frame[seen], weights[seen]) / weights[seen].sum()
        assert aligner.target_coverage() == pytest.approx(expected, abs=1e-9)


def test_weighted_symmetric_similarity():
    basis = np.eye(3, dtype=np.float32)
    alignment = align_exact(np.repeat(basis[:1], 5, axis=0), basis)  # as above
    # User frames 0 and 1 weigh 1 each and the rest 0: the user side is 1 (both held pose 0
    # matched to target 0); target frame 0 weighs 3, frames 1 and 2 one each: (3 + 0 + 0) / 5.
    user_weights = np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    target_weights = np.array([3.0, 1.0, 1.0])
    value = alignment.symmetric_similarity(5, 3, user_weights, target_weights)
    assert value == pytest.approx((1.0 + 3.0 / 5.0) / 2)
    # Equal weights are the unweighted similarity.
    assert alignment.symmetric_similarity(5, 3, np.full(5, 2.0), np.full(3, 7.0)) == (
        pytest.approx(alignment.symmetric_similarity(5, 3))
    )
