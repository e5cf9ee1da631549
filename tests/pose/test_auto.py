"""The ``auto`` backend (the default): heavy where its model is installed and two inference
threads are free for it, else full; resolved before anything is keyed on the name."""

from __future__ import annotations

from pathlib import Path

import pytest

from posesim_cam.commands import doctor as doctor_command
from posesim_cam.encoder import load_encoder
from posesim_cam.pose.auto import AUTO, choose_backend, resolve_backend
from posesim_cam.pose.graph import THREADS_ENV
from posesim_cam.pose.registry import DEFAULT_BACKEND, available_backends, create_backend
from posesim_cam.targets import TargetCache, content_hash, prepare_video


def test_auto_is_the_default_and_listed():
    assert DEFAULT_BACKEND == AUTO and AUTO in available_backends()
    assert resolve_backend("blazepose") == "blazepose"


def test_without_the_heavy_model_auto_is_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    choice = choose_backend()
    assert choice.name == "blazepose" and "not installed" in choice.reason
    assert "posesim-cam models add" in choice.reason


def test_with_heavy_and_two_threads_auto_is_heavy(
    heavy_installed: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(THREADS_ENV, "2")
    assert choose_backend().name == resolve_backend(AUTO) == "blazepose-heavy"
    estimator = create_backend(AUTO, static_image=True)
    try:
        assert estimator.name == "blazepose-heavy"
    finally:
        estimator.close()
    monkeypatch.setenv(THREADS_ENV, "1")  # one core: heavy would not keep up
    choice = choose_backend()
    assert choice.name == "blazepose" and "needs 2" in choice.reason


def test_a_target_prepared_under_auto_is_cached_under_the_backend_it_stood_for(
    heavy_installed: Path, testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(THREADS_ENV, "2")
    video = testdata / "video" / "squats_1person_5fps.mp4"
    cache = TargetCache(tmp_path / "cache")
    target = prepare_video(video, load_encoder(), cache, backend=AUTO)
    sha = content_hash(video)
    assert cache.load_poses(sha, AUTO) is None
    heavy = cache.load_poses(sha, "blazepose-heavy")
    assert heavy is not None and (heavy.keypoints == target.poses.keypoints).all()
    # Heavy uninstalled: auto now means full, and the heavy poses are not read for it.
    heavy_installed.unlink()
    again = prepare_video(video, load_encoder(), cache, backend=AUTO)
    full = cache.load_poses(sha, "blazepose")
    assert full is not None and (full.keypoints == again.poses.keypoints).all()
    assert not (full.keypoints == heavy.keypoints).all()


def test_doctor_says_what_auto_stands_for(heavy_installed: Path, monkeypatch):
    monkeypatch.setenv(THREADS_ENV, "2")
    checks = {c.name: c for c in doctor_command.doctor(camera=57)}
    assert checks["pose backend"].ok
    assert checks["pose backend"].detail.startswith("auto: blazepose-heavy (the heavy model is")
