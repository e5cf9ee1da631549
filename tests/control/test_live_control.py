"""A real session steered over real HTTP: real video as the camera, real MediaPipe, the
control server `posesim-cam run` starts, and what reaches the HUD."""

from __future__ import annotations

import contextlib
import io
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from posesim_cam.capture import FileSource
from posesim_cam.commands.control import start_control_api
from posesim_cam.commands.workspace import Workspace
from posesim_cam.config import data_dir
from posesim_cam.control.server import bind_loopback
from posesim_cam.encoder import load_encoder
from posesim_cam.hud import Compositor, HudState
from posesim_cam.outputs import NullOutput
from posesim_cam.pose.registry import create_backend
from posesim_cam.records import RecordStore
from posesim_cam.session import LiveSession, LiveSettings
from tests.control.test_api import TOKEN, request
from tests.polling import wait_until
from tests.test_cli import cli, write_empty_video

LIBRARIES: list[Path] = []  # the library folder of the latest ``live`` fixture


@pytest.fixture
def live(testdata: Path, tmp_path: Path) -> Iterator[tuple[object, LiveSession, list[HudState]]]:
    """A session on a looping, paced real video with two library targets, and its API."""
    workspace = Workspace(library_dir=tmp_path / "library")
    LIBRARIES.append(tmp_path / "library")
    encoder = load_encoder()
    for name, clip in (("dance", "dance_1person_30fps.mp4"), ("squats", "squats_1person_5fps.mp4")):
        video = testdata / "video" / clip
        workspace.prepare(video, encoder, name)
        workspace.library.add(video, name)
    compositor = Compositor(640, 480)
    seen: list[HudState] = []
    compose = compositor.compose

    def spy(image, hud):  # type: ignore[no-untyped-def]
        seen.append(hud)
        return compose(image, hud)

    compositor.compose = spy  # type: ignore[method-assign]
    output = NullOutput()
    source = FileSource(testdata / "video" / "dance_1person_30fps.mp4", realtime=True, loop=True)
    session = LiveSession(
        source,
        create_backend("blazepose"),
        encoder,
        [output],
        compositor,
        lambda name: workspace.load_target(name, encoder),
        ["dance", "squats"],
        RecordStore(data_dir()),
        LiveSettings(countdown=0.5),
    )
    with contextlib.ExitStack() as stack:
        log = io.StringIO()
        server = start_control_api(session, workspace, bind_free_port(), TOKEN, stack, log)
        assert server is not None, log.getvalue()
        runner = threading.Thread(target=session.run, args=("dance",))
        runner.start()
        try:
            assert wait_until(lambda: output.frames_sent > 3)
            yield server, session, seen
        finally:
            session.stop()
            runner.join(timeout=20)
            source.close()
    assert not runner.is_alive()


def bind_free_port() -> int:
    sock = bind_loopback(0)
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_switching_pausing_and_hiding_over_http_reach_the_session_and_the_hud(live):
    server, _, seen = live
    status = lambda: request(server, "GET", "/status")[1]  # noqa: E731
    assert wait_until(lambda: status()["target"] == "dance")
    assert status()["targets"] == 2 and status()["fps"] > 0

    assert request(server, "POST", "/target", {"name": "squats"})[0] == 200
    assert wait_until(lambda: status()["target"] == "squats"), status()
    switched = len(seen)
    assert wait_until(lambda: any(h.target_name == "squats" for h in seen[switched - 1 :]))

    assert request(server, "POST", "/target", {"step": "next"})[0] == 200  # wraps to dance
    assert wait_until(lambda: status()["target"] == "dance"), status()
    assert request(server, "POST", "/target", {"index": 2})[0] == 200
    assert wait_until(lambda: status()["target"] == "squats"), status()

    assert wait_until(lambda: status()["state"] == "playing"), status()
    assert request(server, "POST", "/pause")[0] == 200
    assert wait_until(lambda: status()["state"] == "paused"), status()
    paused_at = status()["position"]
    time.sleep(0.5)
    assert status()["position"] == pytest.approx(paused_at)  # the clock stands still
    assert request(server, "POST", "/resume")[0] == 200
    assert wait_until(lambda: status()["state"] == "playing"), status()
    assert request(server, "POST", "/restart")[0] == 200
    assert wait_until(lambda: status()["state"] == "countdown"), status()

    assert request(server, "POST", "/hud", {"visible": False})[0] == 200
    assert wait_until(lambda: status()["hud_visible"] is False)
    hidden = len(seen)
    assert wait_until(lambda: any(not h.visible for h in seen[hidden:]))
    assert request(server, "POST", "/hud", {"visible": True})[0] == 200
    assert wait_until(lambda: status()["hud_visible"] is True)


def test_clients_hammering_the_api_do_not_stall_the_loop(live):
    server, session, _ = live
    before, started = session.frames, time.monotonic()
    done: list[int] = []

    def client() -> None:
        for _ in range(40):
            done.append(request(server, "GET", "/status")[0])

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    assert done == [200] * 320
    # The paced 30 fps source kept being processed while 320 requests were answered.
    assert (session.frames - before) / elapsed > 10


def test_a_target_added_while_running_can_be_started(live, testdata: Path):
    server, _, _ = live
    library = Workspace(library_dir=LIBRARIES[-1]).library
    video = testdata / "video" / "lab_dance_view1.mp4"
    Workspace(library_dir=LIBRARIES[-1]).prepare(video, load_encoder(), "lab")
    library.add(video, "lab")
    status, body = request(server, "GET", "/targets")
    assert status == 200 and [t["name"] for t in body["targets"]] == ["dance", "lab", "squats"]
    assert request(server, "POST", "/target", {"name": "lab"})[0] == 200
    assert wait_until(lambda: request(server, "GET", "/status")[1]["target"] == "lab")
    assert request(server, "GET", "/status")[1]["targets"] == 3


def test_run_reports_a_port_in_use_and_goes_on(testdata: Path):
    holder = bind_loopback(0)
    port = holder.getsockname()[1]
    try:
        squats = str(testdata / "video" / "squats_1person_5fps.mp4")
        result = cli(
            "run", "--source", squats, "--target", squats, "--output", "null",
            "--control-port", str(port), "--json",
        )  # fmt: skip
    finally:
        holder.close()
    assert result.returncode == 0, result.stderr
    assert f"Port {port}" in result.stderr and "--control-port" in result.stderr
    assert "goes on without the control API" in result.stderr
    assert "Traceback" not in result.stderr
    assert '"frames": 65' in result.stdout


def test_run_without_control_serves_nothing(testdata: Path):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    result = cli("run", "--source", squats, "--target", squats, "--output", "null", "--no-control")
    assert result.returncode == 0, result.stderr
    assert "control API" not in result.stderr


def test_token_command_prints_the_token_file(tmp_path: Path):
    first = cli("token")
    assert first.returncode == 0 and len(first.stdout.strip()) >= 16
    assert cli("token").stdout == first.stdout
    assert cli("token", env={"POSESIM_TOKEN": "from-env-0123456789"}).stdout.strip() == (
        "from-env-0123456789"
    )


def test_what_the_link_says_while_mediapipe_starts_is_not_lost(testdata: Path, tmp_path: Path):
    # MediaPipe points fd 2 at /dev/null while its graphs start and until they first find
    # somebody (an empty room: dozens of calls); the OBS link says at once, from its own
    # thread, that OBS is not there, and that line must reach the console.
    empty = write_empty_video(tmp_path / "empty room.mp4", frames=60)
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    result = cli(
        "run", "--source", str(empty), "--realtime", "--target", squats, "--output", "null",
        "--obs", f"127.0.0.1:{bind_free_port()}", "--no-control",
    )  # fmt: skip
    assert "OBS is not reachable at 127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr
    # Nobody in the room the whole time: the session's last word says so (exit 2).
    assert result.returncode == 2 and "No person was seen" in result.stderr.splitlines()[-1]


def test_the_console_stream_is_heard_while_mediapipe_mutes_stderr():
    import subprocess

    code = (
        "import sys\n"
        "from posesim_cam.commands.run import console_stream\n"
        "from posesim_cam.pose.graph import quiet_native_stderr\n"
        "with console_stream() as console, quiet_native_stderr():\n"
        "    print('lost: sys.stderr while fd 2 is muted', file=sys.stderr, flush=True)\n"
        "    print('heard: the console stream', file=console, flush=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "heard: the console stream" in result.stderr
    assert "lost:" not in result.stderr  # the mute is real: without the stream it is gone


def test_a_damaged_target_is_one_sentence_and_the_current_one_goes_on(live):
    server, session, _ = live
    session.log = io.StringIO()
    library = LIBRARIES[-1]
    squats = next(e for e in Workspace(library_dir=library).library.entries() if e.name == "squats")
    squats.video.write_bytes(squats.video.read_bytes()[:5000])  # cut short: no index, no frames
    before = session.frames
    assert request(server, "POST", "/target", {"name": "squats"})[0] == 200
    assert wait_until(lambda: "could not be" in session.log.getvalue()
                      or "cannot be read" in session.log.getvalue(), 30)  # fmt: skip
    message = session.log.getvalue().strip()
    assert message.count("\n") == 0 and ("squats" in message or "cannot be read" in message)
    assert session.status().target == "dance"
    assert wait_until(lambda: session.frames > before + 10, 10)  # the loop went on
