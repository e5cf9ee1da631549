"""The OBS script's own logic, outside OBS (it runs inside OBS in test_obs.py): its calls to the
control API over real HTTP, the status line, the worker thread, and Python 3.10 syntax."""

from __future__ import annotations

import ast
import importlib.util
import sys
import time
from types import ModuleType

import pytest

from posesim_cam.control.api import create_app
from posesim_cam.control.server import ControlServer, bind_loopback
from tests.control.obs_studio import SCRIPT
from tests.control.test_api import TOKEN, RecordingControls


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("posesim_control_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def served():  # type: ignore[no-untyped-def]
    controls = RecordingControls()
    with ControlServer(create_app(controls, TOKEN), port=0) as server:
        yield server, controls


def test_the_script_imports_nothing_but_the_standard_library_and_obspython():
    tree = ast.parse(SCRIPT.read_text(), feature_version=(3, 10))  # OBS may embed 3.10
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module.split(".")[0])
    assert modules - {"obspython", "__future__"} <= set(sys.stdlib_module_names)
    assert load_script().obs is None  # outside OBS it still imports


def test_every_hotkey_has_the_name_streamers_bind():
    names = [name for name, _, _ in load_script().HOTKEYS]
    assert names[:7] == [
        "posesim.next_target", "posesim.prev_target", "posesim.restart", "posesim.pause_resume",
        "posesim.pause", "posesim.resume", "posesim.toggle_hud",
    ]  # fmt: skip
    assert names[7:] == [f"posesim.target_{n}" for n in range(1, 10)]


def test_actions_reach_the_api(served):
    server, controls = served
    script = load_script()
    api = script.Api(server.url, TOKEN)
    refused = []
    for _, _, action in script.HOTKEYS:
        try:
            api.perform(action)
        except script.ApiError as error:
            refused.append((action, str(error)))
    assert [a for a, _ in refused] == [("index", n) for n in range(4, 10)]
    assert "404: There is no target 4" in refused[0][1]
    assert controls.calls[:4] == [("step", 1), ("step", -1), ("restart",), ("pause",)]
    assert ("hud", False) in controls.calls  # the toggle read hud_visible (true) and hid it
    assert [c for c in controls.calls if c[0] == "select"] == [
        ("select", name) for name in ("dance", "squats", "lab")
    ]  # targets 4 to 9 do not exist: refused, nothing selected
    assert script.describe(api.status()) == "reachable: lab, playing, score 71"


def test_the_status_line_names_what_is_wrong(served):
    server, _ = served
    script = load_script()
    with pytest.raises(script.ApiError, match="wrong token"):
        script.Api(server.url, "not-the-token-000000").status()
    sock = bind_loopback(0)
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(script.ApiError, match="not running"):
        script.Api(f"http://127.0.0.1:{port}", TOKEN).status()


def test_the_worker_never_blocks_its_callers_and_stops(served):
    server, controls = served
    script = load_script()
    worker = script.Worker()
    started = time.perf_counter()
    for _ in range(500):  # far more than the queue holds: the rest are dropped, not waited on
        worker.submit(("post", "/restart"))
    assert time.perf_counter() - started < 0.5
    worker.configure(server.url, TOKEN)
    worker.start()
    deadline = time.monotonic() + 10
    while worker.status_line.startswith("not checked") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.status_line.startswith("reachable: dance")
    assert worker.targets == ["dance", "squats", "lab"]
    worker.stop()
    assert worker._thread is None
    assert 0 < sum(c == ("restart",) for c in controls.calls) <= 64


def test_the_script_never_sends_the_token_through_a_proxy(served, monkeypatch):
    server, _ = served
    # A proxy from the environment that would see the token: it must not be used.
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("no_proxy", "")
    script = load_script()
    assert script.Api(server.url, TOKEN).status()["target"] == "dance"


@pytest.mark.parametrize(
    ("url", "token", "phrase"),
    [
        ("http://evil.example:8765", TOKEN, "the API URL must be"),
        ("https://127.0.0.1:8765", TOKEN, "the API URL must be"),
        ("ftp://127.0.0.1", TOKEN, "the API URL must be"),
        ("http://127.0.0.1:notaport", TOKEN, "the API URL must be"),
        ("http://user:pw@127.0.0.1:8765", TOKEN, "the API URL must be"),
        ("http://127.0.0.1:8765/x?y", TOKEN, "the API URL must be"),
        ("http://127.0.0.1:8765", "tök-secret-ünicode", "holds characters"),
        ("http://127.0.0.1:8765", "secret with spaces", "holds characters"),
    ],
)
def test_bad_script_settings_are_one_sentence_and_send_nothing(url: str, token: str, phrase: str):
    script = load_script()
    api = script.Api(url, token)
    with pytest.raises(script.ApiError) as caught:
        api.status()
    message = str(caught.value)
    assert phrase in message and token not in message and "secret" not in message
    assert script.settings_problem("http://localhost:9000", TOKEN) is None
    assert script.settings_problem("", TOKEN) is None  # the default URL
