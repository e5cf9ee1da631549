"""Evidence on real media: the pairings of SOURCES.md through real MediaPipe (full, and heavy
installed from the npm tarball) and the default encoder (v2, trained and calibrated on motion
capture alone). Every test runs for both backends; a target prepared with one is prepared
again, never misread, for the other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posesim_cam.encoder import load_encoder
from posesim_cam.errors import CannotScoreError
from posesim_cam.pose.models import add_model
from posesim_cam.scoring.offline import compare
from posesim_cam.sequence import PoseSequence
from posesim_cam.targets import TargetCache, content_hash, prepare_video
from tests.conftest import heavy_data_home
from tests.pairs import ALL_VIDEOS, VARIANTS, real_pairs

BACKENDS = ["blazepose", "blazepose-heavy"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> TargetCache:
    """One cache for both backends, as a user switching backends has."""
    return TargetCache(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "blazepose-heavy":
        tarball = request.getfixturevalue("heavy_tarball")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("XDG_DATA_HOME", str(heavy_data_home(tmp_path_factory)))
            add_model(tarball)
    return request.param


@pytest.fixture(scope="module")
def poses(
    testdata: Path, backend: str, cache: TargetCache, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, PoseSequence]:
    with pytest.MonkeyPatch.context() as patch:  # the heavy model where the backend looks
        patch.setenv("XDG_DATA_HOME", str(heavy_data_home(tmp_path_factory)))
        encoder = load_encoder()
        return {v: prepare_video(testdata / v, encoder, cache, backend).poses for v in ALL_VIDEOS}


@pytest.fixture(scope="module")
def scored(poses: dict[str, PoseSequence]):
    encoder = load_encoder()
    scored = {
        kind: {name: compare(t, a, encoder) for name, t, a in pairs}
        for kind, pairs in real_pairs(poses).items()
    }
    for kind in ("same", "different"):
        for name, target, attempt in real_pairs(poses)[kind]:
            for variant, make in VARIANTS.items():
                scored.setdefault(variant, {})[name] = compare(target, make(attempt), encoder)
    return scored


def test_each_backend_has_its_own_poses_in_the_cache(
    poses, backend: str, cache: TargetCache, testdata: Path
):
    for video, sequence in poses.items():
        sha = content_hash(testdata / video)
        again = cache.load_poses(sha, backend)
        assert again is not None and np.array_equal(again.keypoints, sequence.keypoints)
        other = cache.load_poses(sha, next(b for b in BACKENDS if b != backend))
        if other is not None:  # prepared for the other backend too: its own poses, not these
            assert not np.array_equal(other.keypoints, sequence.keypoints), video


def test_squat_reps_match_and_different_movements_score_at_most_20(scored):
    for variant in ("same", "mirrored", "smaller", "slower"):
        assert scored[variant]["squat rep 1 vs rep 2"].similarity >= 0.95, variant
    for variant in ("different", "mirrored", "smaller", "slower"):
        for name in scored["different"]:
            result = scored[variant][name]
            assert result.similarity <= 0.15 and result.score <= 20, (variant, name, result)


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


def broken(sequence: PoseSequence, share: float, seed: int = 0) -> tuple[PoseSequence, np.ndarray]:
    """``sequence`` with the keypoints of a ``share`` of its frames scattered at random over the
    frame (confident scores): what a tracker that lost the body can put out."""
    rng = np.random.default_rng(seed)
    keypoints = sequence.keypoints.copy()
    hit = rng.random(len(sequence)) < share
    size = np.asarray(sequence.frame_size, np.float32)
    keypoints[hit] = rng.uniform(0, 1, (int(hit.sum()), 17, 2)) * size
    scores = np.where(hit[:, None], 0.9, sequence.scores).astype(np.float32)
    return PoseSequence(keypoints, scores, sequence.fps, sequence.frame_size), hit


def test_a_broken_pose_track_cannot_be_scored(poses):
    dance = poses["video/dance_1person_30fps.mp4"]
    attempt, _ = broken(dance, 0.9)
    with pytest.raises(CannotScoreError, match="Cannot score the attempt"):
        compare(dance, attempt, load_encoder())
    with pytest.raises(CannotScoreError, match="Cannot score the target"):
        compare(attempt, dance, load_encoder())


def test_a_few_broken_frames_are_left_out_not_scored_as_different(poses):
    dance = poses["video/dance_1person_30fps.mp4"]
    attempt, hit = broken(dance, 0.2)
    result = compare(dance, attempt, load_encoder())
    # Most scattered frames are recognised and left out; the rest of the copy still matches.
    assert result.scored_frames <= len(dance) - 0.7 * hit.sum()
    assert result.score >= 90
