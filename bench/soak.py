"""Soak: the live loop for minutes on a looping file source to a virtual camera, with the
control API and the overlay's events polled all along; RSS growth and frame-time stability.

    python bench/soak.py [--minutes 10]        (POSESIM_TESTDATA picks the media folder)

The source is dance_1person (30 fps, looped, paced in real time), the target squats_1person,
restarted whenever it ends so that scoring never stops; the virtual camera is a pyvirtualcam
backend registered here that keeps no frames (only when each arrived), since there is no
v4l2loopback device here. Two clients poll ``GET /status`` and read ``/events`` meanwhile.
The table: RSS at the end of the first minute and at the end, its growth, the p50/p95 time
between pictures in the first and in the last minute and their ratio, requests answered.
Pass: RSS growth <= 50 MB, p95 of the last minute within 10 % of the first.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyvirtualcam
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from posesim_cam.commands import run as run_command
from tests.control.browser import free_port

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
TOKEN = "soak-token-0123456789abcdef"
ARRIVALS: list[float] = []


class CountingCamera:
    """A virtual-camera backend that notes when each frame arrived, and keeps nothing else."""

    def __init__(self, width: int, height: int, fps: float, **_: Any) -> None:
        self.width, self.height, self.fps = width, height, fps

    def send(self, frame: np.ndarray) -> None:
        ARRIVALS.append(time.monotonic())

    def close(self) -> None:
        pass

    def device(self) -> str:
        return "soak"

    def native_fourcc(self) -> int | None:
        return None


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def poll(port: int, stop: threading.Event, answered: list[int]) -> None:
    while not stop.is_set():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path in ("/status", "/targets"):
            connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
            response = connection.getresponse()
            response.read()
            answered.append(response.status)
        connection.close()
        time.sleep(0.2)


def read_events(port: int, stop: threading.Event, events: list[int]) -> None:
    while not stop.is_set():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/events")
        response = connection.getresponse()
        end = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < end:
            if response.readline().startswith(b"data: "):
                events.append(1)
        connection.close()


def restart_when_finished(port: int, stop: threading.Event) -> None:
    """Start the target again each time it ends, so the loop scores all along."""
    import json

    while not stop.wait(1.0):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        connection.request("GET", "/status", headers=headers)
        state = json.loads(connection.getresponse().read())["state"]
        if state == "finished":
            connection.request("POST", "/restart", body=b"{}", headers=headers)
            connection.getresponse().read()
        connection.close()


def gaps_ms(start: float, end: float) -> np.ndarray:
    times = np.array([t for t in ARRIVALS if start <= t < end])
    return np.diff(times) * 1000


def measure(port: int, minutes: float, result: dict[str, Any]) -> None:
    """From the first picture: poll for ``minutes``, note RSS, then end the session."""
    stop = threading.Event()
    answered: list[int] = []
    events: list[int] = []
    began = time.monotonic()
    while not ARRIVALS and time.monotonic() - began < 300:
        time.sleep(0.1)
    start = time.monotonic()
    for target, args in ((poll, (port, stop, answered)), (read_events, (port, stop, events)),
                         (restart_when_finished, (port, stop))):  # fmt: skip
        threading.Thread(target=target, args=args, daemon=True).start()
    end = start + minutes * 60
    while time.monotonic() < end:
        time.sleep(5)
        if "first_rss" not in result and time.monotonic() - start >= 60:
            result["first_rss"] = rss_mb()
    result.update(last_rss=rss_mb(), start=start, end=end, answered=answered, events=events)
    stop.set()
    os.kill(os.getpid(), signal.SIGTERM)  # the session ends as a background process does


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    minutes = parser.parse_args().minutes
    pyvirtualcam.register_backend("soak", CountingCamera)
    port = free_port()
    dance = TESTDATA / "video" / "dance_1person_30fps.mp4"
    squats = TESTDATA / "video" / "squats_1person_5fps.mp4"
    options = run_command.RunOptions(
        source=str(dance), target=str(squats), output="virtualcam", virtualcam_backend="soak",
        realtime=True, loop=True, control_port=port, token=TOKEN, countdown=0.0,
    )  # fmt: skip
    result: dict[str, Any] = {}
    threading.Thread(target=measure, args=(port, minutes, result), daemon=True).start()
    with open(os.devnull, "w") as quiet:
        run_command.run(options, log=quiet)  # in the main thread: SIGTERM stops it cleanly
    start, end = result["start"], result["end"]
    first, last = gaps_ms(start, start + 60), gaps_ms(end - 60, end)
    first_rss, last_rss = result["first_rss"], result["last_rss"]
    answered, events = result["answered"], result["events"]
    title = f"soak: {minutes:g} min, dance looped at 30 fps, control API and events polled"
    table = Table(title=title)
    for column in ("measure", "first minute", "last minute", "ratio / growth"):
        table.add_column(column)
    table.add_row(
        "RSS MB", f"{first_rss:.0f}", f"{last_rss:.0f}", f"+{last_rss - first_rss:.1f} MB"
    )
    for q in (50, 95):
        a, b = np.percentile(first, q), np.percentile(last, q)
        table.add_row(f"time between pictures p{q} ms", f"{a:.1f}", f"{b:.1f}", f"{b / a:.3f}")
    table.add_row("pictures per second", f"{len(first) / 60:.1f}", f"{len(last) / 60:.1f}", "")
    table.add_row("requests answered", str(len(answered)), "", f"{answered.count(200)} were 200")
    table.add_row("events read", str(len(events)), "", "")
    Console().print(table)


if __name__ == "__main__":
    main()
