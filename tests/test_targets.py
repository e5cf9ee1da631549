"""The target library and the preparation cache (real video, real MediaPipe)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from posesim_cam.encoder import load_encoder
from posesim_cam.errors import UserError
from posesim_cam.targets import TargetCache, TargetLibrary, prepare_video


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


@pytest.fixture()
def squats(testdata: Path) -> Path:
    return testdata / "video" / "squats_1person_5fps.mp4"


def test_preparation_is_cached_by_content(tmp_path: Path, squats: Path, encoder):
    cache = TargetCache(tmp_path / "cache")
    start = time.perf_counter()
    first = prepare_video(squats, encoder, cache)
    cold = time.perf_counter() - start
    copy = tmp_path / "renamed.mp4"
    shutil.copyfile(squats, copy)  # same bytes, another name: still a cache hit
    start = time.perf_counter()
    second = prepare_video(copy, encoder, cache)
    warm = time.perf_counter() - start
    assert first.sha == second.sha
    np.testing.assert_array_equal(first.latents, second.latents)
    assert len(first.poses) == 65 and first.poses.found.mean() >= 0.95
    assert warm < cold / 5
    assert sorted(p.name.split(".", 1)[1] for p in (tmp_path / "cache").iterdir()) == [
        f"blazepose.15fps.{encoder.version}.latents.npy",
        "blazepose.15fps.poses.npz",
    ]


def test_new_encoder_recomputes_latents_not_misreads(tmp_path: Path, squats: Path, encoder):
    cache = TargetCache(tmp_path / "cache")
    prepare_video(squats, encoder, cache)
    sha = prepare_video(squats, encoder, cache).sha
    # A cache entry made by another encoder version must never be read for this one.
    assert cache.load_latents(sha, "blazepose", "other-encoder-123") is None


def test_corrupt_cache_is_recomputed(tmp_path: Path, squats: Path, encoder):
    cache = TargetCache(tmp_path / "cache")
    target = prepare_video(squats, encoder, cache)
    for path in (tmp_path / "cache").iterdir():
        path.write_bytes(b"garbage")
    again = prepare_video(squats, encoder, cache)
    np.testing.assert_allclose(again.latents, target.latents)


def test_library_add_list_remove(tmp_path: Path, squats: Path, testdata: Path):
    library = TargetLibrary(tmp_path / "lib")
    entry, changed = library.add(squats, "squats")
    assert changed and entry.video.exists() and entry.video != squats
    entry2, changed2 = library.add(squats, "squats")
    assert not changed2 and entry2 == entry
    dance = testdata / "video" / "dance_1person_30fps.mp4"
    with pytest.raises(UserError, match="different video is already in the library as 'squats'"):
        library.add(dance, "squats")
    replaced, _ = library.add(dance, "squats", replace=True)
    assert replaced.sha != entry.sha and not entry.video.exists()
    assert [e.name for e in library.entries()] == ["squats"]
    assert library.resolve("squats") == ("squats", replaced.video)
    assert library.resolve(str(squats)) == ("squats_1person_5fps", squats)
    library.remove("squats")
    assert library.entries() == [] and not replaced.video.exists()
    with pytest.raises(UserError, match="no target called 'squats'"):
        library.remove("squats")
    with pytest.raises(UserError, match="neither a target in the library"):
        library.resolve("squats")


def test_library_refuses_bad_names_and_non_videos(tmp_path: Path, squats: Path):
    library = TargetLibrary(tmp_path / "lib")
    with pytest.raises(UserError, match="cannot be a target name"):
        library.add(squats, "../escape")
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("hello")
    with pytest.raises(UserError, match="cannot be read as a video"):
        library.add(not_video, "notes")
    assert library.entries() == []


@pytest.mark.parametrize(
    "text",
    [
        "{ not json",
        "",
        "[]",
        '{"x": 1}',
        '{"targets": []}',
        '{"targets": {"dance": 3}}',
        '{"targets": {"dance": {"file": 5, "sha": "ab", "added": "now"}}}',
        '{"targets": {"dance": {"file": "../../etc/passwd", "sha": "ab", "added": "now"}}}',
        '{"targets": {"dance": {"file": "/etc/passwd", "sha": "ab", "added": "now"}}}',
    ],
)
def test_a_damaged_library_index_is_one_sentence_and_left_alone(tmp_path: Path, text: str):
    root = tmp_path / "lib"
    root.mkdir()
    (root / "library.json").write_text(text)
    with pytest.raises(UserError, match=r"is damaged .* Restore it from a backup"):
        TargetLibrary(root).entries()
    assert (root / "library.json").read_text() == text


def test_interpolation_between_analysed_frames():
    from posesim_cam.sequence import PoseSequence, interpolate_missing

    keypoints = np.zeros((7, 17, 2), np.float32)
    scores = np.zeros((7, 17), np.float32)
    keypoints[0], scores[0] = 10.0, 1.0
    keypoints[3], scores[3] = 40.0, 0.4
    # frame 6 analysed, nobody found
    analysed = np.array([True, False, False, True, False, False, True])
    filled = interpolate_missing(PoseSequence(keypoints, scores, 30.0, (64, 64)), analysed)
    np.testing.assert_allclose(filled.keypoints[1:3, 0, 0], [20.0, 30.0])
    np.testing.assert_allclose(filled.scores[1:3, 0], [0.8, 0.6])
    # next to a frame without a person: the nearer analysed frame is copied
    assert filled.scores[4, 0] == pytest.approx(0.4) and filled.scores[5, 0] == 0.0


def test_sixty_fps_video_is_analysed_at_fifteen(testdata: Path, tmp_path: Path, encoder):
    from posesim_cam.pose.registry import create_backend
    from posesim_cam.sequence import extract_poses

    video = testdata / "video" / "lab_dance_view1.mp4"
    estimator = create_backend("blazepose")
    calls = []
    original = estimator.estimate
    estimator.estimate = lambda frame: calls.append(1) or original(frame)  # type: ignore[method-assign]
    poses = extract_poses(video, estimator, max_fps=15.0)
    estimator.close()
    assert len(poses) == 100 and len(calls) == 25
    assert poses.found.all()
    # interpolated frames lie between their analysed neighbours
    k = poses.keypoints
    lo, hi = np.minimum(k[0], k[4]), np.maximum(k[0], k[4])
    assert ((k[1:4] >= lo - 1e-3) & (k[1:4] <= hi + 1e-3)).all()
