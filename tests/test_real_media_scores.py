"""Evidence on real media: the pairings of SOURCES.md through real MediaPipe and encoder v1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posesim_cam.compare import compare
from posesim_cam.encoder import load_encoder
from posesim_cam.targets import TargetCache, prepare_video
from tests.pairs import ALL_VIDEOS, real_pairs


@pytest.fixture(scope="module")
def scored(testdata: Path, tmp_path_factory: pytest.TempPathFactory):
    encoder = load_encoder()
    cache = TargetCache(tmp_path_factory.mktemp("cache"))
    poses = {v: prepare_video(testdata / v, encoder, cache).poses for v in ALL_VIDEOS}
    return {
        kind: {name: compare(t, a, encoder) for name, t, a in pairs}
        for kind, pairs in real_pairs(poses).items()
    }


def test_a_clip_against_itself_scores_at_least_95(scored):
    for name, result in scored["self"].items():
        assert result.score >= 95, name


def test_same_movement_scores_25_points_above_different_movements(scored):
    same = np.mean([r.score for r in scored["same"].values()])
    different = np.mean([r.score for r in scored["different"].values()])
    assert same - different >= 25, (same, different)


def test_timeline_covers_every_second_of_the_attempt(scored):
    result = scored["same"]["lab_dance view 1 vs view 2"]
    assert [p.second for p in result.timeline] == list(range(2))  # 100 frames at 60 fps
    assert all(p.score is not None and 0 <= p.score <= 100 for p in result.timeline)
