"""The rules both scorers share, and the outcome helpers, with numbers."""

from __future__ import annotations

import numpy as np
import pytest

from posesim_cam.scoring.outcome import ScoreSmoother, smoothed_scores, timeline
from posesim_cam.scoring.rules import frame_weights, is_broken_track, prefer_mirrored


def test_the_mirror_counts_only_when_strictly_better():
    assert not prefer_mirrored(0.5, None)
    assert prefer_mirrored(None, 0.1)
    assert not prefer_mirrored(0.5, 0.5)  # a tie keeps the attempt's own labels
    assert prefer_mirrored(0.5, 0.5001)
    assert not prefer_mirrored(None, None)


def test_a_track_is_broken_when_most_poses_form_no_body():
    assert not is_broken_track(0, 0)  # nobody at all is "no person", not a broken track
    assert is_broken_track(4, 10) and not is_broken_track(5, 10)


def test_frame_weights_are_distinctiveness_to_a_power():
    np.testing.assert_allclose(frame_weights(np.array([2.0, -1.0, 3.0]), 2.0), [4.0, 0.0, 9.0])
    np.testing.assert_allclose(frame_weights(np.array([2.0, 5.0]), 0.0), [1.0, 1.0])


def test_timeline_means_each_second_of_valid_frames():
    sims = np.array([0.2, 0.4, 0.9, 0.5, 0.7])
    times = np.array([-0.5, 0.5, 1.2, 1.8, 3.1])
    valid = np.array([True, True, False, True, True])
    points = timeline(sims, times, valid, lambda s: 100 * s)
    assert [p.second for p in points] == [0, 1, 2, 3]
    assert points[0].similarity == pytest.approx(0.3) and points[0].score == pytest.approx(30)
    assert points[1].similarity == pytest.approx(0.5)  # the invalid 0.9 is left out
    assert points[2].similarity is None and points[2].score is None
    assert points[3].score == pytest.approx(70)


def test_the_score_smoother_follows_a_step_with_its_time_constant():
    smoother = ScoreSmoother(0.5)
    assert smoother.push(0.0, 0.0) == 0.0
    assert smoother.push(100.0, 0.5) == pytest.approx(100 * (1 - np.exp(-1)))
    assert smoother.push(100.0, 0.5) == pytest.approx(100 * (1 - np.exp(-1)))  # no time, no move
    smoother.reset()
    assert smoother.push(40.0, 9.0) == 40.0


def test_offline_smoothing_is_the_live_smoother_at_the_frame_rate():
    rng = np.random.default_rng(0)
    scores = rng.uniform(0, 100, 50)
    live = ScoreSmoother(0.5)
    expected = [live.push(float(s), k / 30.0) for k, s in enumerate(scores)]
    np.testing.assert_allclose(smoothed_scores(scores, 30.0), expected)
