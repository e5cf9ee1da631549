"""The overlay and control pages over real HTTP on loopback: what needs no token and what does,
the live event stream of a real session, and the library endpoints over a real library (real
videos prepared by real MediaPipe)."""

from __future__ import annotations

import http.client
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from posesim_cam.commands.control import WorkspaceLibrary
from posesim_cam.commands.workspace import Workspace
from posesim_cam.control.api import create_app
from posesim_cam.control.library_api import MAX_UPLOAD
from posesim_cam.control.pages import STATIC_FILES, asset
from posesim_cam.control.server import ControlServer
from posesim_cam.records import RecordStore
from tests.control.test_api import TOKEN, RecordingControls, request
from tests.control.test_live_control import live  # noqa: F401  (a fixture)


def get(server: ControlServer, path: str, host: str | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", path, headers={"Host": host} if host else {})
    return connection.getresponse()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ControlServer, WorkspaceLibrary]]:
    library = WorkspaceLibrary(
        Workspace(library_dir=tmp_path / "library"), RecordStore(tmp_path / "records")
    )
    with ControlServer(create_app(RecordingControls(), TOKEN, library), port=0) as server:
        yield server, library


def test_pages_need_no_token_and_carry_a_strict_policy(served):
    server, _ = served
    for path, kind in (("/overlay", "text/html"), ("/", "text/html"),
                       ("/static/overlay.js", "text/javascript"),
                       ("/static/control.css", "text/css")):  # fmt: skip
        response = get(server, path)
        assert response.status == 200 and response.getheader("content-type").startswith(kind)
        policy = response.getheader("content-security-policy")
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert response.getheader("x-content-type-options") == "nosniff"
        response.read()


def test_nothing_is_loaded_from_outside():
    for name in ("overlay.html", "control.html", *STATIC_FILES):
        text = asset(name).decode()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I), name
        assert "<script>" not in text and "innerHTML" not in text, name  # no inline or markup


def test_only_the_listed_files_are_served(served):
    server, _ = served
    for path in ("/static/../api.py", "/static/api.py", "/static/%2e%2e%2fapi.py"):
        response = get(server, path)
        assert response.status == 404, path
        assert "error" in json.loads(response.read())


@pytest.mark.parametrize("path", ["/overlay", "/events", "/"])
def test_a_page_asked_for_by_another_host_name_is_refused(served, path: str):
    server, _ = served
    response = get(server, path, host="attacker.example:8765")
    assert response.status == 421


def read_events(server: ControlServer, seconds: float) -> list[tuple[float, dict]]:
    """(arrival time, event) for each ``data:`` line of GET /events during ``seconds``."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/events")
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("content-type").startswith("text/event-stream")
    events, end = [], time.monotonic() + seconds
    assert response.readline() == b"retry: 1000\n"
    while time.monotonic() < end:
        line = response.readline()
        if line.startswith(b"data: "):
            events.append((time.monotonic(), json.loads(line[6:])))
    connection.close()
    return events


def test_the_events_follow_a_real_session_many_times_a_second(live):  # noqa: F811
    server, _, _ = live
    events = read_events(server, 2.0)
    playing = [(at, e) for at, e in events if e["state"] == "playing"]
    assert len(playing) >= 20, [e["state"] for _, e in events]
    span = playing[-1][0] - playing[0][0]
    assert (len(playing) - 1) / span >= 15, span
    first = playing[-1][1]
    assert {"score", "grade", "target", "state", "countdown", "t", "skeleton"} <= first.keys()
    assert first["target"] == "dance" and abs(first["t"] - time.time()) < 5
    assert len(first["skeleton"]) == 17
    assert all(-0.5 < x < 1.5 and -0.5 < y < 1.5 and 0 <= c <= 1 for x, y, c in first["skeleton"])
    assert any(isinstance(e["score"], float) for _, e in playing)


def test_the_library_lists_adds_and_removes_real_videos(served, testdata: Path):
    server, _ = served
    squats = testdata / "video" / "squats_1person_5fps.mp4"
    assert request(server, "GET", "/library", token=None)[0] == 401
    assert request(server, "GET", "/library") == (200, {"targets": []})
    status, body = request(server, "POST", "/library", {"path": str(squats), "name": "squats"})
    assert status == 201 and body["target"]["name"] == "squats", body
    assert abs(body["target"]["duration"] - 13.0) < 0.1
    names = [t["name"] for t in request(server, "GET", "/library")[1]["targets"]]
    assert names == ["squats"]
    status, body = request(server, "POST", "/library", {"path": str(squats), "name": "squats"})
    assert status == 201  # the same video again: nothing changes
    assert request(server, "DELETE", "/library/squats") == (200, {"ok": True})
    status, body = request(server, "DELETE", "/library/squats")
    assert status == 404 and "no target called 'squats'" in body["error"]


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ({"path": "/nowhere/clip.mp4"}, "is not a video file here"),
        ({"path": "/dev/zero"}, "is not a video file here"),
        ({"name": "x"}, 'Give {"path": "VIDEO"}'),
        ({"path": 5}, "path in the body must be text (in quotes), not 5"),
        ({"path": "x", "extra": 1}, "Unknown key 'extra' in the body. Use one of: name, path"),
        ({"path": "x", "replace": "yes"}, "replace in the body must be true or false"),
    ],
)
def test_adding_something_that_is_no_video_is_one_sentence(served, body, phrase: str):
    server, _ = served
    status, answer = request(server, "POST", "/library", body)
    assert status == 400 and phrase in answer["error"], answer


def test_a_readme_is_not_a_video(served):
    server, _ = served
    readme = Path(__file__).resolve().parents[2] / "README.md"
    status, answer = request(server, "POST", "/library", {"path": str(readme)})
    assert status == 400 and "video" in answer["error"].lower(), answer


def upload(server: ControlServer, query: str, data: bytes, length: int | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/octet-stream"}
    if length is not None:
        headers["Content-Length"] = str(length)
    connection.request("POST", f"/library/upload?{query}", body=data, headers=headers)
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    return response.status, answer


def test_an_upload_becomes_a_target_and_a_bad_one_leaves_nothing(served, testdata: Path):
    server, library = served
    dance = (testdata / "video" / "dance_1person_30fps.mp4").read_bytes()
    status, answer = upload(server, "name=dance&suffix=mp4", dance)
    assert status == 201 and answer["target"]["name"] == "dance", answer
    entry = library.workspace.library.get("dance")
    assert entry is not None and entry.video.read_bytes() == dance
    status, answer = upload(server, "name=junk", b"not a video at all" * 100)
    assert status == 400 and "video" in answer["error"].lower(), answer
    assert upload(server, "suffix=mp4", dance)[0] == 400  # no name
    assert upload(server, "name=x&suffix=../../a", dance)[0] == 400
    status, answer = upload(server, "name=big", b"", length=MAX_UPLOAD + 1)
    assert status == 413 and "MiB" in answer["error"]
    assert list(library.upload_folder().iterdir()) == []  # no partial upload is left
    names = [t["name"] for t in request(server, "GET", "/library")[1]["targets"]]
    assert names == ["dance"]


def test_history_lists_sessions_with_personal_bests(served, tmp_path: Path):
    server, library = served
    sessions = library.records.root / "sessions"
    sessions.mkdir(parents=True)
    record = {"target": "dance", "target_sha": "abc", "score": 81.5, "grade": "Great",
              "finished": True}  # fmt: skip
    (sessions / "20261201T100000000000Z-dance.json").write_text(json.dumps(record))
    (sessions / "20261201T110000000000Z-dance.json").write_text("{not json")
    bests = {"version": 1, "targets": {"abc": {"name": "dance", "score": 90.0}}}
    (library.records.root / "personal_bests.json").write_text(json.dumps(bests))
    status, body = request(server, "GET", "/history?limit=5")
    assert status == 200
    assert body["sessions"] == [
        {"date": "2026-12-01T10:00:00+00:00", "target": "dance", "score": 81.5,
         "grade": "Great", "finished": True, "personal_best": 90.0}
    ]  # fmt: skip
    assert request(server, "GET", "/history?limit=0")[0] == 400
    assert request(server, "GET", "/history", token=None)[0] == 401


def test_openapi_describes_every_route_of_the_server(served):
    server, library = served
    app = create_app(RecordingControls(), TOKEN, library)
    routes = {route.path for route in app.app.routes}  # type: ignore[attr-defined]
    spec = request(server, "GET", "/openapi.json", token=None)[1]
    assert set(spec["paths"]) == routes - {"/openapi.json", "/static/{name}"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            public = path in ("/", "/overlay", "/events")
            assert ("security" in operation) != public, (path, method)
