"""Evidence on real media: the pairings of SOURCES.md through real MediaPipe and the default
encoder (v2, trained and calibrated on motion capture alone)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posesim_cam.compare import compare
from posesim_cam.encoder import load_encoder
from posesim_cam.targets import TargetCache, prepare_video
from tests.pairs import ALL_VIDEOS, VARIANTS, real_pairs


@pytest.fixture(scope="module")
def scored(testdata: Path, tmp_path_factory: pytest.TempPathFactory):
    encoder = load_encoder()
    cache = TargetCache(tmp_path_factory.mktemp("cache"))
    poses = {v: prepare_video(testdata / v, encoder, cache).poses for v in ALL_VIDEOS}
    scored = {
        kind: {name: compare(t, a, encoder) for name, t, a in pairs}
        for kind, pairs in real_pairs(poses).items()
    }
    for kind in ("same", "different"):
        for name, target, attempt in real_pairs(poses)[kind]:
            for variant, make in VARIANTS.items():
                scored.setdefault(variant, {})[name] = compare(target, make(attempt), encoder)
    return scored


def test_a_clip_against_itself_scores_at_least_95(scored):
    for name, result in scored["self"].items():
        assert result.score >= 95, name


def test_same_movement_scores_well_above_different_movements(scored):
    same = [r.score for r in scored["same"].values()]
    different = [r.score for r in scored["different"].values()]
    assert np.mean(same) - np.mean(different) >= 40, (same, different)
    # Every same-movement pair, other viewpoints included, above every different pair.
    assert min(same) - max(different) >= 25, (same, different)


@pytest.mark.parametrize("variant", ["mirrored", "smaller"])
def test_a_mirrored_or_smaller_follower_scores_as_filmed(scored, variant: str):
    for kind in ("same", "different"):
        for name, result in scored[kind].items():
            assert abs(scored[variant][name].score - result.score) <= 2, (variant, name)


def test_a_slower_follower_keeps_same_and_different_apart(scored):
    same = [scored["slower"][name].score for name in scored["same"]]
    different = [scored["slower"][name].score for name in scored["different"]]
    assert min(same) - max(different) >= 25, (same, different)


def test_timeline_covers_every_second_of_the_attempt(scored):
    result = scored["same"]["lab_dance view 1 vs view 2"]
    assert [p.second for p in result.timeline] == list(range(2))  # 100 frames at 60 fps
    assert all(p.score is not None and 0 <= p.score <= 100 for p in result.timeline)
