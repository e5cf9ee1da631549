"""The control API over real HTTP on loopback: every endpoint, every error code, concurrency.

The endpoints drive a recording stand-in for the session here (what each request asks of the
session is the point); test_live_control.py drives a real session through the same server.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from posesim_cam.clock import Phase
from posesim_cam.control.api import MAX_BODY, create_app, host_is_loopback
from posesim_cam.control.controls import Status
from posesim_cam.control.server import ControlServer, bind_loopback
from posesim_cam.control.token import load_token, token_path
from posesim_cam.errors import UserError

TOKEN = "test-token-0123456789abcdef"


class RecordingControls:
    """Controls that keep what they were asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.names = ["dance", "squats", "lab"]
        self.current: str | None = "dance"

    def status(self) -> Status:
        return Status(self.current, Phase.PLAYING, 71.234, "Good", 29.97, len(self.names))

    def target_names(self) -> list[str]:
        return list(self.names)

    def select_target(self, name: str) -> None:
        self.calls.append(("select", name))
        self.current = name

    def step_target(self, step: int) -> None:
        self.calls.append(("step", step))

    def pause(self) -> None:
        self.calls.append(("pause",))

    def resume(self) -> None:
        self.calls.append(("resume",))

    def restart(self) -> None:
        self.calls.append(("restart",))

    def set_hud_visible(self, visible: bool) -> None:
        self.calls.append(("hud", visible))


@pytest.fixture
def api() -> Iterator[tuple[ControlServer, RecordingControls]]:
    controls = RecordingControls()
    with ControlServer(create_app(controls, TOKEN), port=0) as server:
        yield server, controls


def request(
    server: ControlServer,
    method: str,
    path: str,
    body: bytes | dict | None = None,
    token: str | None = TOKEN,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    payload = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, payload


def test_status_and_targets(api):
    server, _ = api
    status, body = request(server, "GET", "/status")
    assert status == 200
    assert body["target"] == "dance" and body["state"] == "playing" and body["targets"] == 3
    assert body["score"] == 71.23 and body["fps"] == 30.0 and body["grade"] == "Good"
    status, body = request(server, "GET", "/targets")
    assert status == 200 and body["current"] == "dance"
    assert body["targets"] == [
        {"index": 1, "name": "dance"},
        {"index": 2, "name": "squats"},
        {"index": 3, "name": "lab"},
    ]


def test_choosing_a_target_by_name_index_and_step(api):
    server, controls = api
    assert request(server, "POST", "/target", {"name": "squats"})[0] == 200
    status, body = request(server, "POST", "/target", {"index": 3})
    assert status == 200 and body["target"] == "lab" and body["status"]["target"] == "lab"
    assert request(server, "POST", "/target", {"step": "next"})[0] == 200
    assert request(server, "POST", "/target", {"step": "prev"})[0] == 200
    assert controls.calls == [("select", "squats"), ("select", "lab"), ("step", 1), ("step", -1)]


def test_commands(api):
    server, controls = api
    for path in ("/pause", "/resume", "/restart"):
        status, body = request(server, "POST", path)
        assert status == 200 and body["ok"] is True
    assert request(server, "POST", "/hud", {"visible": False})[0] == 200
    assert request(server, "POST", "/hud", {"visible": True})[0] == 200
    assert request(server, "POST", "/pause", {})[0] == 200  # an empty JSON object is fine
    assert controls.calls == [
        ("pause",), ("resume",), ("restart",), ("hud", False), ("hud", True), ("pause",)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/status", None),
        ("GET", "/targets", None),
        ("POST", "/target", {"name": "dance"}),
        ("POST", "/pause", None),
        ("POST", "/resume", None),
        ("POST", "/restart", None),
        ("POST", "/hud", {"visible": False}),
    ],
)
@pytest.mark.parametrize("token", [None, "wrong-token-0123456789", "", TOKEN + "x"])
def test_every_endpoint_wants_the_token(api, method, path, body, token):
    server, controls = api
    status, answer = request(server, method, path, body, token=token)
    assert status == 401 and "token" in answer["error"]
    assert controls.calls == []


def test_a_token_in_another_scheme_is_refused(api):
    server, _ = api
    status, _ = request(server, "GET", "/status", token=None, headers={"Authorization": TOKEN})
    assert status == 401


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2]",
        b'"name"',
        b"\xff\xfe",
        {},
        {"name": 3},
        {"name": "dance", "index": 1},
        {"index": "1"},
        {"index": True},
        {"step": "sideways"},
        {"colour": "red"},
    ],
)
def test_malformed_target_bodies_are_400(api, body):
    server, controls = api
    status, answer = request(server, "POST", "/target", body)
    assert status == 400 and answer["error"]
    assert controls.calls == []


@pytest.mark.parametrize("body", [b"", {}, {"visible": "no"}, {"visible": 1}, {"shown": True}])
def test_malformed_hud_bodies_are_400(api, body):
    server, _ = api
    assert request(server, "POST", "/hud", body)[0] == 400


def test_unknown_targets_are_404(api):
    server, controls = api
    for body in ({"name": "nope"}, {"index": 0}, {"index": 4}, {"name": "../../etc/passwd"}):
        status, answer = request(server, "POST", "/target", body)
        assert status == 404 and answer["error"], body
    controls.names = []
    assert request(server, "POST", "/target", {"step": "next"})[0] == 404
    assert controls.calls == []


def test_unknown_paths_are_404_and_wrong_methods_405(api):
    server, _ = api
    assert request(server, "GET", "/nothing")[0] == 404
    for method, path in (("POST", "/status"), ("GET", "/pause"), ("DELETE", "/target")):
        status, answer = request(server, method, path)
        assert status == 405 and answer["error"], (method, path)


def test_bodies_over_64_kib_are_413(api):
    server, controls = api
    big = b'{"name": "' + b"a" * MAX_BODY + b'"}'
    assert request(server, "POST", "/target", big)[0] == 413
    # Without a Content-Length (chunked), the body is cut off as it arrives.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("POST", "/target")
    connection.putheader("Authorization", f"Bearer {TOKEN}")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    chunk = b"a" * 16384
    try:
        for _ in range(6):
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server may close the connection once it has refused the body
    assert connection.getresponse().status == 413
    connection.close()
    assert controls.calls == []


def test_foreign_host_headers_are_refused(api):
    server, _ = api
    for host in ("evil.example", "evil.example:8765", "192.168.1.5", "localhost.evil.example"):
        status, _ = request(server, "GET", "/status", headers={"Host": host})
        assert status == 421, host
    for host in ("localhost", f"localhost:{server.port}", "127.0.0.1", "[::1]:8765"):
        assert request(server, "GET", "/status", headers={"Host": host})[0] == 200, host
    assert host_is_loopback("[::1]") and not host_is_loopback("[::2]:80")


def test_openapi_describes_every_endpoint(api):
    server, _ = api
    status, spec = request(server, "GET", "/openapi.json", token=None)
    assert status == 200 and spec["openapi"].startswith("3.")
    assert set(spec["paths"]) >= {
        "/status", "/targets", "/target", "/pause", "/resume", "/restart", "/hud"
    }  # fmt: skip
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_concurrent_clients_and_a_stalled_one(api):
    server, controls = api
    # A client that sends half a request and waits must not hold anyone else up.
    stalled = socket.create_connection(("127.0.0.1", server.port))
    stalled.sendall(b"POST /pause HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{")
    results: list[int] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        for _ in range(10):
            if k % 2:
                status, _ = request(server, "GET", "/status")
            else:
                status, _ = request(server, "POST", "/target", {"index": 1 + k % 3})
            with lock:
                results.append(status)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    stalled.close()
    assert results == [200] * 160
    assert time.perf_counter() - started < 20
    assert sum(call[0] == "select" for call in controls.calls) == 80


def test_a_port_in_use_names_the_port_and_the_option():
    holder = bind_loopback(0)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(UserError, match=f"Port {port}") as info:
            ControlServer(create_app(RecordingControls(), TOKEN), port).start()
        assert "--control-port" in info.value.remedy
    finally:
        holder.close()


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc/net/tcp writes them) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def test_the_server_listens_on_loopback_only(api):
    server, _ = api
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read listening sockets from (not Linux)")
    assert listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, nothing else


def test_the_token_file_is_made_once_and_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "config" / "token"
    first = load_token(path=path)
    assert len(first) >= 16 and path.stat().st_mode & 0o777 == 0o600
    assert load_token(path=path) == first
    monkeypatch.setenv("POSESIM_TOKEN", "from-the-environment-123")
    assert load_token(path=path) == "from-the-environment-123"
    assert load_token("given-on-the-command-line", path=path) == "given-on-the-command-line"
    with pytest.raises(UserError, match="too short"):
        load_token("short")


def test_an_unwritable_token_file_is_one_sentence(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UserError, match="cannot be written") as info:
        load_token(path=blocker / "token")
    assert "--token" in info.value.remedy


def test_the_default_token_file_is_in_the_config_folder():
    assert token_path().parent.name == "posesim-cam" and token_path().name == "token"
    assert replace(RecordingControls().status(), score=None).to_dict()["score"] is None


def test_two_first_runs_at_once_end_with_one_token(tmp_path: Path):
    path = tmp_path / "config" / "token"
    tokens: list[str] = []
    lock = threading.Lock()

    def first_use() -> None:
        token = load_token(path=path)
        with lock:
            tokens.append(token)

    threads = [threading.Thread(target=first_use) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(tokens) == 12 and set(tokens) == {path.read_text().strip()}
    assert sorted(p.name for p in path.parent.iterdir()) == ["token"]  # no temporary left
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_bracketed_host_must_be_loopback_and_nothing_else():
    assert host_is_loopback("[::1]:8765") and host_is_loopback("[::1]")
    for host in ("[::1]evil", "[::1]:80x", "[::1", "localhost:80:80", ""):
        assert not host_is_loopback(host), host
