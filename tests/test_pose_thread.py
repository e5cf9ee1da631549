"""The picture never waits for the pose: real video, real MediaPipe, a model made slower than
the camera (as heavy is on a slow machine) by a wrapper that sleeps after each real call."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from posesim_cam.capture import FileSource, Frame
from posesim_cam.commands.workspace import Workspace
from posesim_cam.config import data_dir
from posesim_cam.encoder import load_encoder
from posesim_cam.hud import Compositor
from posesim_cam.outputs import NullOutput
from posesim_cam.pipeline import PoseWorker
from posesim_cam.pose.base import Pose, PoseEstimator
from posesim_cam.pose.registry import create_backend
from posesim_cam.records import RecordStore
from posesim_cam.session import LiveSession, LiveSettings
from tests.polling import wait_until


class SlowedEstimator:
    """A real backend that takes at least ``seconds`` a call: a model slower than the camera."""

    def __init__(self, inner: PoseEstimator, seconds: float) -> None:
        self.inner, self.seconds, self.name = inner, seconds, inner.name
        self.threads: set[str] = set()

    def estimate(self, frame_bgr: np.ndarray) -> list[Pose]:
        self.threads.add(threading.current_thread().name)
        begin = time.perf_counter()
        poses = self.inner.estimate(frame_bgr)
        time.sleep(max(self.seconds - (time.perf_counter() - begin), 0.0))
        return poses

    def reset(self) -> None:
        self.inner.reset()

    def close(self) -> None:
        self.inner.close()


def frames_of(path: Path, count: int) -> list[Frame]:
    with FileSource(path) as source:
        frames = []
        while len(frames) < count and (frame := source.read(timeout=5)) is not None:
            frames.append(frame)
    return frames


def test_the_worker_estimates_the_newest_frame_and_never_blocks_the_caller(testdata: Path):
    frames = frames_of(testdata / "video" / "dance_1person_30fps.mp4", 12)
    estimator = SlowedEstimator(create_backend("blazepose"), 0.08)
    worker = PoseWorker(estimator)
    worker.start()
    try:
        offered_in = []
        for frame in frames:
            begin = time.perf_counter()
            worker.offer(frame)
            offered_in.append(time.perf_counter() - begin)
            time.sleep(0.01)  # frames come much faster than the model takes them
        assert worker.wait_idle(10)
        results = worker.take()
    finally:
        worker.stop()
        estimator.close()
    assert max(offered_in) < 0.02  # offering never waits for the 80 ms model
    indices = [r.frame.index for r in results]
    assert 1 < len(results) < len(frames) and worker.skipped == len(frames) - len(results)
    assert indices == sorted(indices) and indices[-1] == frames[-1].index  # newest wins
    assert all(r.pose is not None and r.seconds >= 0.08 for r in results)
    assert all(r.latency >= r.seconds for r in results)
    assert estimator.threads == {"pose"}
    assert worker.take() == []


def test_a_pose_failure_surfaces_in_the_session_thread(testdata: Path):
    class Broken(SlowedEstimator):
        def estimate(self, frame_bgr: np.ndarray) -> list[Pose]:
            raise RuntimeError("the model crashed")

    worker = PoseWorker(Broken(create_backend("blazepose"), 0.0))
    worker.start()
    try:
        worker.offer(frames_of(testdata / "video" / "dance_1person_30fps.mp4", 1)[0])
        assert wait_until(lambda: _raises(worker), 5)
    finally:
        worker.stop()


def _raises(worker: PoseWorker) -> bool:
    try:
        worker.take()
    except RuntimeError as error:
        return "the model crashed" in str(error)
    return False


class TimedOutput(NullOutput):
    """Counts pictures, as NullOutput does, and keeps when each went out."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def send(self, frame_bgr: np.ndarray) -> None:
        super().send(frame_bgr)
        self.times.append(time.monotonic())


def live_session(source: FileSource, estimator: PoseEstimator, target_video: Path, **settings):
    encoder = load_encoder()
    target = Workspace().load_target(str(target_video), encoder)
    output = NullOutput()
    session = LiveSession(
        source,
        estimator,
        encoder,
        [output],
        Compositor(640, 480),
        lambda name: target,
        [],
        RecordStore(data_dir()),
        LiveSettings(countdown=0.0, **settings),
    )
    return session, output


def test_a_slow_model_lowers_the_pose_rate_not_the_picture_rate(testdata: Path):
    dance = testdata / "video" / "dance_1person_30fps.mp4"
    estimator = SlowedEstimator(create_backend("blazepose"), 1 / 12)  # 12 Hz against 30 fps
    with FileSource(dance, realtime=True) as source:
        session, output = live_session(source, estimator, dance, drop_frames=True)
        summary = session.run(first_target=str(dance)).to_dict()
    # Every captured frame went out, at the source's rate, while poses came at the model's.
    assert summary["frames"] == 120 and output.frames_sent >= 114, (summary, output.frames_sent)
    assert summary["fps"] >= 24, summary  # waiting for the model would give at most 12
    assert 6 <= summary["pose_fps"] <= 14, summary
    assert summary["pose_latency_ms"]["p50"] >= 80
    assert summary["latency_ms"]["p95"] < 80  # the picture does not trail by the model's time
    # Scored at each pose's own frame time, the dance against itself still scores high.
    assert summary["score"] >= 80, summary
    assert estimator.threads == {"pose"}


def test_a_file_without_realtime_estimates_every_frame(testdata: Path):
    dance = testdata / "video" / "dance_1person_30fps.mp4"
    estimator = SlowedEstimator(create_backend("blazepose"), 0.0)
    with FileSource(dance) as source:
        session, output = live_session(
            source, estimator, dance, drop_frames=False, pose_every_frame=True
        )
        summary = session.run(first_target=str(dance)).to_dict()
    assert summary["frames"] == session.poses == 120
    # The file ends with its target: its summary card follows, 2 s at 30 fps.
    assert output.frames_sent == 120 + 60
    assert summary["pose_fps"] == summary["fps"], summary
    assert summary["score"] >= 85, summary
    assert estimator.threads == {"MainThread"}


def test_a_target_being_prepared_does_not_stop_the_picture(testdata: Path):
    dance = testdata / "video" / "dance_1person_30fps.mp4"
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    encoder = load_encoder()
    loaded = {n: Workspace().load_target(str(p), encoder) for n, p in (("a", dance), ("b", squats))}

    def load(name: str):
        if name == "b":
            time.sleep(1.5)  # a new video being prepared
        return loaded[name]

    output = TimedOutput()
    with FileSource(dance, realtime=True) as source:
        session = LiveSession(
            source,
            create_backend("blazepose"),
            encoder,
            [output],
            Compositor(640, 480),
            load,
            ["a", "b"],
            RecordStore(data_dir()),
            LiveSettings(countdown=0.0),
        )

        def steer() -> None:
            session.select_target("b")
            session.pause()  # queued behind the selection: applies to b, once it is ready

        timer = threading.Timer(0.5, steer)
        timer.start()
        try:
            summary = session.run().to_dict()
        finally:
            timer.cancel()
    assert output.frames_sent >= 114, summary
    assert max(np.diff(output.times)) < 0.5, summary  # no stall while b was prepared (1.5 s)
    assert session.target_name == loaded["b"].name
    assert session.status().state.value == "paused"
    # Target a played (and was recorded) until b was ready, about 2 s later.
    assert [a.target for a in session.attempts][:1] == [loaded["a"].name]
