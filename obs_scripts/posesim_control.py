"""posesim-cam control for OBS Studio: hotkeys and a panel that steer a running posesim-cam.

Load it in OBS with Tools -> Scripts -> "+". Set the API URL (default http://127.0.0.1:8765)
and the token (`posesim-cam token` prints it), then bind the hotkeys in Settings -> Hotkeys
("posesim: next target", ...). The panel lists the library's targets, starts one, and shows
whether posesim-cam is reachable.

Standard library only: this file runs in the Python that OBS embeds (3.10-3.12). Every network
call runs in a worker thread of its own; hotkey, button and timer callbacks only queue work, so
a slow or absent posesim-cam never blocks OBS. The worker stops in script_unload.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import urllib.error
import urllib.parse
import urllib.request

try:
    import obspython as obs  # present only inside OBS
except ImportError:  # imported by tests and tools outside OBS
    obs = None

DEFAULT_API_URL = "http://127.0.0.1:8765"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
TIMEOUT = 2.0  # seconds for one HTTP request
POLL_SECONDS = 3.0  # how often the worker refreshes the status line while idle

# (hotkey name, description shown in OBS's hotkey settings, action)
HOTKEYS = [
    ("posesim.next_target", "posesim: next target", ("step", "next")),
    ("posesim.prev_target", "posesim: previous target", ("step", "prev")),
    ("posesim.restart", "posesim: restart target", ("post", "/restart")),
    ("posesim.pause_resume", "posesim: pause / resume", ("toggle_pause",)),
    ("posesim.pause", "posesim: pause", ("post", "/pause")),
    ("posesim.resume", "posesim: resume", ("post", "/resume")),
    ("posesim.toggle_hud", "posesim: show / hide the HUD", ("toggle_hud",)),
] + [(f"posesim.target_{n}", f"posesim: target {n}", ("index", n)) for n in range(1, 10)]


# posesim-cam is on this machine: never send the token through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ApiError(Exception):
    """A request that did not succeed, with the sentence for the status line."""


def settings_problem(url: str, token: str) -> str | None:
    """What is wrong with the script's settings, in one sentence (None: nothing). The token
    goes only to posesim-cam on this machine, so only a loopback URL is taken; the token
    itself is never repeated (OBS's Script Log may be shared)."""
    parsed = urllib.parse.urlsplit(url or DEFAULT_API_URL)
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if (
        parsed.scheme != "http"
        or parsed.hostname not in LOOPBACK_HOSTS
        or port == -1
        or parsed.path not in ("", "/")
        or parsed.query
        or parsed.username
    ):
        return f"the API URL must be {DEFAULT_API_URL} or another port on 127.0.0.1 or localhost"
    token = token.strip()
    if token and (not token.isascii() or not token.isprintable() or " " in token):
        return "the token holds characters a token never has: paste `posesim-cam token`'s output"
    return None


class Api:
    """The few calls the script makes to the control API."""

    def __init__(self, url: str, token: str) -> None:
        self.url = (url or DEFAULT_API_URL).rstrip("/")
        self.token = token.strip()
        self.problem = settings_problem(url, token)

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        if self.problem is not None:
            raise ApiError(self.problem)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _OPENER.open(request, timeout=TIMEOUT) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            if error.code == 401:
                raise ApiError("wrong token: paste the output of `posesim-cam token`") from None
            try:
                message = json.loads(error.read()).get("error", "")
            except ValueError:
                message = ""
            raise ApiError(f"posesim-cam answered {error.code}: {message}") from None
        except (urllib.error.URLError, OSError, ValueError):
            raise ApiError(f"not running: nothing answers at {self.url}") from None

    def status(self) -> dict:
        return self.call("GET", "/status")

    def targets(self) -> list[str]:
        return [t["name"] for t in self.call("GET", "/targets").get("targets", [])]

    def perform(self, action: tuple) -> None:
        """Carry out one hotkey or button action."""
        kind = action[0]
        if kind == "step":
            self.call("POST", "/target", {"step": action[1]})
        elif kind == "index":
            self.call("POST", "/target", {"index": action[1]})
        elif kind == "name":
            self.call("POST", "/target", {"name": action[1]})
        elif kind == "post":
            self.call("POST", action[1])
        elif kind == "toggle_pause":
            paused = self.status().get("state") == "paused"
            self.call("POST", "/resume" if paused else "/pause")
        elif kind == "toggle_hud":
            visible = self.status().get("hud_visible", True)
            self.call("POST", "/hud", {"visible": not visible})


def describe(status: dict) -> str:
    """The status line for a reachable posesim-cam."""
    target = status.get("target") or "no target"
    line = f"reachable: {target}, {status.get('state', '?')}"
    if status.get("score") is not None:
        line += f", score {round(status['score'])}"
    return line


class Worker:
    """The script's one network thread: actions in a queue, results in plain attributes that
    callbacks read without waiting."""

    def __init__(self) -> None:
        self.api = Api(DEFAULT_API_URL, "")
        self.status_line = "not checked yet"
        self.targets: list[str] = []
        self._queue: queue.Queue = queue.Queue(maxsize=64)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="posesim-control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 1.0)
        self._thread = None

    def configure(self, url: str, token: str) -> None:
        self.api = Api(url, token)
        self.submit(("refresh",))

    def submit(self, action: tuple) -> None:
        """Queue an action; never blocks (a full queue drops it: keys pressed faster than
        posesim-cam answers)."""
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(action)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                action = self._queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                action = ("status",)
            if action is None:
                return
            api = self.api
            try:
                if action[0] == "refresh" or not self.targets:
                    self.targets = api.targets()
                if action[0] not in ("refresh", "status"):
                    api.perform(action)
                line = describe(api.status())
            except ApiError as error:
                line = str(error)
            except Exception as error:  # never let the worker die: OBS would lose its hotkeys
                line = f"error: {type(error).__name__}"  # its text could hold the token
            if action[0] not in ("refresh", "status") or line != self.status_line:
                print(f"posesim-cam {action[0]}: {line}")  # OBS's Script Log
            self.status_line = line


WORKER = Worker()
_hotkey_ids: dict[str, int] = {}


# -- OBS's script interface -------------------------------------------------------------------


def script_description() -> str:
    return (
        "<b>posesim-cam control</b><br>Steer a running <code>posesim-cam run</code>: "
        "hotkeys for the next, previous or n-th target, pause, resume, restart and the HUD "
        '(Settings &rarr; Hotkeys, "posesim: ..."). The token is printed by '
        "<code>posesim-cam token</code>."
    )


def script_defaults(settings) -> None:  # type: ignore[no-untyped-def]
    obs.obs_data_set_default_string(settings, "api_url", DEFAULT_API_URL)


def script_properties():  # type: ignore[no-untyped-def]
    props = obs.obs_properties_create()
    obs.obs_properties_add_text(props, "status", "Status: " + WORKER.status_line, obs.OBS_TEXT_INFO)
    obs.obs_properties_add_text(props, "api_url", "API URL", obs.OBS_TEXT_DEFAULT)
    obs.obs_properties_add_text(props, "token", "Token", obs.OBS_TEXT_PASSWORD)
    targets = obs.obs_properties_add_list(
        props, "target", "Target", obs.OBS_COMBO_TYPE_LIST, obs.OBS_COMBO_FORMAT_STRING
    )
    for name in WORKER.targets:
        obs.obs_property_list_add_string(targets, name, name)
    obs.obs_properties_add_button(props, "start", "Start this target", _start_clicked)
    obs.obs_properties_add_button(props, "refresh", "Refresh targets and status", _refresh_clicked)
    return props


_settings = None


def script_update(settings) -> None:  # type: ignore[no-untyped-def]
    global _settings
    _settings = settings
    WORKER.configure(
        obs.obs_data_get_string(settings, "api_url"), obs.obs_data_get_string(settings, "token")
    )


def script_load(settings) -> None:  # type: ignore[no-untyped-def]
    WORKER.start()
    for name, description, action in HOTKEYS:
        hotkey_id = obs.obs_hotkey_register_frontend(name, description, _hotkey(action))
        _hotkey_ids[name] = hotkey_id
        saved = obs.obs_data_get_array(settings, name)
        obs.obs_hotkey_load(hotkey_id, saved)
        obs.obs_data_array_release(saved)
    script_update(settings)


def script_save(settings) -> None:  # type: ignore[no-untyped-def]
    for name, hotkey_id in _hotkey_ids.items():
        saved = obs.obs_hotkey_save(hotkey_id)
        obs.obs_data_set_array(settings, name, saved)
        obs.obs_data_array_release(saved)


def script_unload() -> None:
    WORKER.stop()
    _hotkey_ids.clear()


def _hotkey(action: tuple):  # type: ignore[no-untyped-def]
    def pressed(is_pressed: bool) -> None:
        if is_pressed:
            WORKER.submit(action)

    return pressed


def _start_clicked(props, prop) -> bool:  # type: ignore[no-untyped-def]
    name = obs.obs_data_get_string(_settings, "target") if _settings is not None else ""
    if name:
        WORKER.submit(("name", name))
    return False


def _refresh_clicked(props, prop) -> bool:  # type: ignore[no-untyped-def]
    WORKER.submit(("refresh",))
    return True  # redraw the panel with what the worker has so far
