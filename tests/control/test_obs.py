"""posesim-cam with a real OBS Studio (headless under Xvfb): hotkeys from the project's OBS
script, scenes that pick targets, the score in a text source, a Media Source that drives the
target clock, a wrong password, and OBS killed and started again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from posesim_cam.commands.workspace import Workspace
from posesim_cam.encoder import load_encoder
from tests.control.obs_studio import PASSWORD, ObsStudio, free_port, have_obs
from tests.control.test_api import TOKEN, request
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(
    not have_obs() and os.environ.get("CI") != "true",
    reason="OBS Studio and Xvfb are not installed (apt-get install obs-studio xvfb)",
)
POSESIM = Path(sys.executable).parent / "posesim-cam"


class Api:
    """The control API of one `posesim-cam run`, by port."""

    def __init__(self, port: int) -> None:
        self.port = port

    def status(self) -> dict:
        try:
            return request(self, "GET", "/status")[1]  # type: ignore[arg-type]
        except OSError:
            return {}


@pytest.fixture(scope="module")
def studio(
    tmp_path_factory: pytest.TempPathFactory, testdata: Path
) -> Iterator[tuple[ObsStudio, Path, Path, dict[str, str]]]:
    if not have_obs():
        pytest.fail("OBS Studio and Xvfb are needed under CI=true: apt-get install obs-studio xvfb")
    root = tmp_path_factory.mktemp("obs")
    home = tmp_path_factory.getbasetemp() / "home"
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "POSESIM_TOKEN": TOKEN,
    }
    library = root / "library"
    # Prepared into the cache the `run` processes read (the autouse XDG folders are not set yet
    # for a module-scoped fixture).
    workspace = Workspace(library, cache_root=home / "cache" / "posesim-cam" / "prepared")
    encoder = load_encoder()
    for name, clip in (("dance", "dance_1person_30fps.mp4"), ("squats", "squats_1person_5fps.mp4")):
        video = testdata / "video" / clip
        workspace.prepare(video, encoder, name)
        workspace.library.add(video, name)
    # The user's own copy of the dance video: OBS plays it; posesim-cam matches it by content.
    media = root / "my videos" / "dance copy.mp4"
    media.parent.mkdir()
    shutil.copyfile(testdata / "video" / "dance_1person_30fps.mp4", media)
    api_port = free_port()
    obs = ObsStudio(root / "obs-home", media, f"http://127.0.0.1:{api_port}", TOKEN)
    env["POSESIM_TEST_API_PORT"] = str(api_port)
    try:
        obs.start()
        yield obs, library, testdata / "video" / "squats_1person_5fps.mp4", env
    finally:
        obs.stop()


@contextmanager
def running(studio, *extra: str) -> Iterator[tuple[Api, subprocess.Popen, Path]]:  # type: ignore[no-untyped-def]
    """`posesim-cam run` on a looping real video, linked with the studio's OBS."""
    obs, library, video, env = studio
    port = int(env["POSESIM_TEST_API_PORT"])
    log = library.parent / f"run-{time.monotonic_ns()}.log"
    command = [
        str(POSESIM), "run", "--source", str(video), "--loop", "--realtime", "--output", "null",
        "--library", str(library), "--control-port", str(port),
        "--obs", f"127.0.0.1:{obs.port}", *extra,
    ]  # fmt: skip
    with open(log, "w") as err:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    api = Api(port)
    try:
        # Up when frames flow (the models are loaded): the status then has a rate.
        assert wait_until(lambda: api.status().get("fps", 0) > 0, 90), log.read_text()
        yield api, process, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    assert process.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def obs_call(obs: ObsStudio, request_name: str, **fields: object) -> dict:
    from obswebsocket import requests

    client = obs.client()
    try:
        answer = client.call(getattr(requests, request_name)(**fields))
        assert answer.status, (request_name, fields, answer.datain)
        return answer.datain
    finally:
        client.disconnect()


def score_text(obs: ObsStudio) -> str:
    return obs_call(obs, "GetInputSettings", inputName="PoseSim Score")["inputSettings"].get(
        "text", ""
    )


def test_hotkeys_of_the_obs_script_steer_the_session(studio):
    obs = studio[0]
    with running(studio, "--obs-password", PASSWORD, "--target", "dance") as (api, _, log):
        assert wait_until(lambda: api.status().get("target") == "dance"), api.status()
        assert wait_until(lambda: "connected to OBS" in log.read_text()), log.read_text()
        obs_call(obs, "TriggerHotkeyByName", hotkeyName="posesim.next_target")
        assert wait_until(lambda: api.status().get("target") == "squats"), api.status()
        assert wait_until(lambda: api.status().get("state") == "playing"), api.status()
        obs_call(obs, "TriggerHotkeyByName", hotkeyName="posesim.pause")
        assert wait_until(lambda: api.status().get("state") == "paused"), api.status()
        obs_call(obs, "TriggerHotkeyByName", hotkeyName="posesim.pause_resume")
        assert wait_until(lambda: api.status().get("state") == "playing"), api.status()
        obs_call(obs, "TriggerHotkeyByName", hotkeyName="posesim.toggle_hud")
        assert wait_until(lambda: api.status().get("hud_visible") is False), api.status()
        obs_call(obs, "TriggerHotkeyByName", hotkeyName="posesim.target_1")
        assert wait_until(lambda: api.status().get("target") == "dance"), api.status()


def test_scenes_pick_targets_and_the_score_reaches_the_text_source(studio):
    obs = studio[0]
    with running(studio, "--obs-password", PASSWORD, "--target", "dance") as (api, _, log):
        assert wait_until(lambda: "\ndance" in score_text(obs)), score_text(obs)
        obs_call(obs, "SetCurrentProgramScene", sceneName="PoseSim: squats")
        assert wait_until(lambda: api.status().get("target") == "squats"), api.status()
        # The text shows the live score and grade over the target's name.
        scored = lambda: score_text(obs).split("\n")[0][:1].isdigit()  # noqa: E731
        assert wait_until(lambda: scored() and score_text(obs).endswith("\nsquats")), score_text(
            obs
        )
        obs_call(obs, "CreateScene", sceneName="PoseSim: nobody")
        obs_call(obs, "SetCurrentProgramScene", sceneName="PoseSim: nobody")
        assert wait_until(lambda: "'nobody', which is not in the library" in log.read_text())
        assert api.status().get("target") == "squats"  # the session goes on as it was
        obs_call(obs, "SetCurrentProgramScene", sceneName="Main")


def test_a_media_source_drives_the_target_clock(studio):
    obs = studio[0]
    with running(studio, "--obs-password", PASSWORD, "--obs-media", "--target", "squats") as (
        api,
        _,
        log,
    ):
        # The Media Source plays a copy of the dance video: that target is chosen by content.
        assert wait_until(lambda: api.status().get("target") == "dance"), (api.status(), log)
        assert wait_until(lambda: api.status().get("state") == "playing"), api.status()
        # The clip is 4 s: from its start, so that a loaded machine pauses it before its end.
        for action in ("RESTART", "PAUSE"):
            obs_call(
                obs,
                "TriggerMediaInputAction",
                inputName="PoseSim Target",
                mediaAction=f"OBS_WEBSOCKET_MEDIA_INPUT_ACTION_{action}",
            )
        assert wait_until(lambda: api.status().get("state") == "paused"), api.status()
        cursor = obs_call(obs, "GetMediaInputStatus", inputName="PoseSim Target")["mediaCursor"]
        assert api.status()["position"] == pytest.approx(cursor / 1000, abs=0.4)
        obs_call(
            obs,
            "TriggerMediaInputAction",
            inputName="PoseSim Target",
            mediaAction="OBS_WEBSOCKET_MEDIA_INPUT_ACTION_PLAY",
        )
        assert wait_until(lambda: api.status().get("state") == "playing"), api.status()


def test_a_wrong_password_is_one_sentence_and_the_session_goes_on(studio):
    with running(studio, "--obs-password", "not-the-password") as (api, _, log):
        assert wait_until(lambda: "refused the password" in log.read_text(), 60), repr(
            log.read_text()
        )
        assert "--obs-password" in log.read_text()
        assert wait_until(lambda: api.status().get("fps", 0) > 0), repr(api.status())


def test_the_link_comes_back_after_obs_is_killed_and_restarted(studio):
    obs = studio[0]
    with running(studio, "--obs-password", PASSWORD, "--target", "dance") as (api, process, log):
        assert wait_until(lambda: "\ndance" in score_text(obs)), score_text(obs)
        obs.kill()
        try:
            assert wait_until(lambda: "lost the connection to OBS" in log.read_text(), 20), (
                log.read_text()
            )
            assert "Connection lost!" not in log.read_text()  # the library's own log is quiet
            assert process.poll() is None and api.status().get("target") == "dance"
        finally:
            obs.start()  # the other tests share this OBS
        assert wait_until(lambda: log.read_text().count("connected to OBS at") >= 2, 30)
        assert wait_until(lambda: "\ndance" in score_text(obs)), score_text(obs)


def test_doctor_checks_the_obs_link(studio):
    obs, _, _, env = studio
    address = f"127.0.0.1:{obs.port}"
    good = subprocess.run(
        [str(POSESIM), "doctor", "--camera", "57", "--obs", address, "--obs-password", PASSWORD],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert "ok   OBS link        OBS 29" in good.stdout, good.stdout
    bad = subprocess.run(
        [str(POSESIM), "doctor", "--camera", "57", "--obs", address, "--obs-password", "nope"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1 and "FIX  OBS link" in bad.stdout
    assert "refused the password" in bad.stdout and "Traceback" not in bad.stderr


def test_a_missing_text_source_is_added_to_the_program_scene(studio):
    obs = studio[0]
    with running(studio, "--obs-password", PASSWORD, "--obs-text", "My Score") as (api, _, log):
        assert wait_until(lambda: "added the text source 'My Score'" in log.read_text()), (
            log.read_text()
        )
        settings = obs_call(obs, "GetInputSettings", inputName="My Score")
        assert settings["inputKind"] == "text_ft2_source_v2"
        assert wait_until(
            lambda: (
                obs_call(obs, "GetInputSettings", inputName="My Score")["inputSettings"]
                .get("text", "")
                .endswith("\ndance")
            )
        )
        assert api.status().get("target") == "dance"
    obs_call(obs, "RemoveInput", inputName="My Score")


def test_a_media_source_playing_no_target_is_one_sentence(studio, testdata: Path, tmp_path: Path):
    obs = studio[0]
    stranger = tmp_path / "not a target.mp4"
    shutil.copyfile(testdata / "video" / "lab_dance_view1.mp4", stranger)
    before = obs_call(obs, "GetInputSettings", inputName="PoseSim Target")["inputSettings"]
    obs_call(
        obs,
        "SetInputSettings",
        inputName="PoseSim Target",
        inputSettings={"local_file": str(stranger)},
    )
    try:
        with running(studio, "--obs-password", PASSWORD, "--obs-media", "--target", "squats") as (
            api,
            _,
            log,
        ):
            assert wait_until(lambda: "which is not a target" in log.read_text()), log.read_text()
            assert f"posesim-cam targets add {stranger}" in log.read_text()
            assert api.status().get("target") == "squats"  # the session goes on with its own
    finally:
        obs_call(obs, "SetInputSettings", inputName="PoseSim Target", inputSettings=before)
