"""A network camera that goes away mid-session and comes back: a real MJPEG stream over HTTP
on loopback, read by the real capture, pose backend and session. The picture shows the
"camera lost" card meanwhile, and scoring resumes by itself."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from posesim_cam.capture import open_source
from posesim_cam.clock import Phase
from posesim_cam.commands.workspace import Workspace
from posesim_cam.config import data_dir
from posesim_cam.encoder import load_encoder
from posesim_cam.hud import Compositor, HudState
from posesim_cam.outputs import NullOutput
from posesim_cam.pose.registry import create_backend
from posesim_cam.records import RecordStore
from posesim_cam.session import LiveSession, LiveSettings
from tests.capture.mjpeg import MjpegCamera
from tests.polling import wait_until


def test_a_camera_lost_mid_run_shows_the_card_retries_and_resumes(testdata: Path):
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    camera = MjpegCamera(squats, fps=15.0)
    encoder = load_encoder()
    target = Workspace().load_target(squats, encoder)
    compositor = Compositor(640, 480)
    phases: list[Phase] = []
    compose = compositor.compose

    def spy(image, hud: HudState):  # type: ignore[no-untyped-def]
        phases.append(hud.phase)
        return compose(image, hud)

    compositor.compose = spy  # type: ignore[method-assign]
    output = NullOutput()
    source = open_source(source=camera.url)
    session = LiveSession(
        source, create_backend("blazepose"), encoder, [output], compositor,
        lambda name: target, [], RecordStore(data_dir()), LiveSettings(countdown=0.0),
    )  # fmt: skip
    runner = threading.Thread(target=session.run, args=(str(squats),))
    runner.start()
    try:
        assert wait_until(lambda: Phase.PLAYING in phases, 30), phases[-5:]
        camera.unplug()
        assert wait_until(lambda: session.status().state == Phase.CAMERA_LOST, 15)
        assert wait_until(lambda: phases and phases[-1] == Phase.CAMERA_LOST, 5)
        lost_at = output.frames_sent
        time.sleep(1.0)
        assert output.frames_sent > lost_at  # the card keeps going out while it is gone
        camera.plug()
        assert wait_until(lambda: session.status().state == Phase.PLAYING, 30)
        frames_back = session.frames
        assert wait_until(lambda: session.frames > frames_back + 10, 15)
        assert session.status().score is not None
    finally:
        session.stop()
        runner.join(timeout=30)
        source.close()
        camera.close()
    assert not runner.is_alive()
    first_lost = phases.index(Phase.CAMERA_LOST)
    assert Phase.PLAYING in phases[first_lost:]  # scoring resumed after the loss
