"""Pose inference on every core: the thread setting, and that it changes no result."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from posesim_cam.errors import UserError
from posesim_cam.pose.graph import (
    MAX_AUTO_THREADS,
    THREADS_ENV,
    pose_threads,
    set_inference_threads,
)
from posesim_cam.pose.registry import create_backend
from posesim_cam.video import iter_frames


def test_pose_threads_default_to_the_cores_here(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    cores = len(os.sched_getaffinity(0))
    assert pose_threads() == max(1, min(cores, MAX_AUTO_THREADS))
    monkeypatch.setenv(THREADS_ENV, "3")
    assert pose_threads() == 3


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5", "65"])
def test_a_bad_thread_count_is_one_sentence(monkeypatch: pytest.MonkeyPatch, value: str):
    monkeypatch.setenv(THREADS_ENV, value)
    with pytest.raises(UserError, match=rf"^\${THREADS_ENV} must be a whole number from 1 to 64"):
        pose_threads()


def test_both_models_of_mediapipes_graph_get_the_threads():
    import mediapipe
    from mediapipe.python._framework_bindings import validated_graph_config

    graph = validated_graph_config.ValidatedGraphConfig()
    root = Path(mediapipe.__file__).parent
    graph.initialize(
        binary_graph_path=str(root / "modules/pose_landmark/pose_landmark_cpu.binarypb")
    )
    from mediapipe.framework import calculator_pb2

    # Expanded: the subgraphs' calculators are nodes, as SolutionBase hands them over.
    config = calculator_pb2.CalculatorGraphConfig.FromString(graph.binary_config)
    assert set_inference_threads(config, 3) == 2  # person detector and landmarks
    from mediapipe.calculators.tensor import inference_calculator_pb2

    ext = inference_calculator_pb2.InferenceCalculatorOptions.ext
    threads = [
        n.options.Extensions[ext].delegate.xnnpack.num_threads
        for n in config.node
        if n.calculator.startswith("InferenceCalculator")
    ]
    assert threads == [3, 3]


def test_more_threads_give_the_same_poses(testdata: Path):
    clip = testdata / "video" / "dance_1person_30fps.mp4"
    frames = [frame for _, frame in iter_frames(clip)][:20]
    found = {}
    for threads in (1, 2):
        estimator = create_backend("blazepose", threads=threads)
        try:
            found[threads] = [estimator.estimate(frame)[0].keypoints for frame in frames]
        finally:
            estimator.close()
    difference = np.abs(np.array(found[1]) - np.array(found[2]))
    # Float sums in another order: well under a pixel on a 576-pixel frame.
    assert difference.max() < 0.5, difference.max()
