"""How long from a scored frame to the overlay drawing it, in a real headless Chromium against a
real `posesim-cam run`; a table.

    python bench/overlay_bench.py            (POSESIM_TESTDATA picks the media folder)

The session stamps each status snapshot with ``time.time()`` right after the frame's pose was
scored (``Status.at``, the events' ``t``). The overlay page (``?latency=1``) records, at the
first animation frame after it has put an event on the page, ``Date.now() - t``: scored frame
to pixels. Beside it, in the same run, a plain HTTP client reads the same ``/events`` stream and
records the arrival delay (server and loopback only): the browser's share is the difference.
Same machine, same clock. The camera is dance_1person (30 fps, looped, --realtime); the target
is squats_1person (13 s, so it plays for the whole measure; the score does not matter here).
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.control.browser import LiveRun, chromium, free_port, user_env, wait_for

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
SECONDS = 10.0


def client_delays(port: int, seconds: float, out: list[float], states: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/events")
    response = connection.getresponse()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        line = response.readline()
        if line.startswith(b"data: "):
            event = json.loads(line[6:])
            out.append((time.time() - event["t"]) * 1000)
            states.append(event["state"])
    connection.close()


def row(name: str, delays: list[float], seconds: float) -> tuple[str, ...]:
    values = np.array(delays)
    return (name, str(len(values)), f"{len(values) / seconds:.1f}",
            f"{np.percentile(values, 50):.1f}", f"{np.percentile(values, 95):.1f}",
            f"{values.max():.1f}")  # fmt: skip


def main() -> None:
    dance = TESTDATA / "video" / "dance_1person_30fps.mp4"
    squats = str(TESTDATA / "video" / "squats_1person_5fps.mp4")
    with tempfile.TemporaryDirectory() as work:
        run = LiveRun(dance, squats, free_port(), user_env(Path(work)), Path(work) / "log")
        run.start()
        try:
            with chromium(1280, 720) as driver:
                driver.get(f"http://127.0.0.1:{run.port}/overlay?latency=1")
                wait_for(driver, "return window.posesimOverlay.state === 'playing'")
                driver.execute_script("window.posesimOverlay.latencies.length = 0")
                client: list[float] = []
                states: list[str] = []
                reader = threading.Thread(
                    target=client_delays, args=(run.port, SECONDS, client, states)
                )
                reader.start()
                time.sleep(SECONDS)
                reader.join()
                page = driver.execute_script("return window.posesimOverlay.latencies.slice()")
        finally:
            run.stop()
    table = Table(title="scored frame -> overlay, ms (a 30 fps camera)")
    for column in ("measured at", "events", "per second", "p50", "p95", "max"):
        table.add_column(column, justify="right")
    table.add_row(*row("HTTP client: event received", client, SECONDS))
    table.add_row(*row("overlay page: event drawn", page, SECONDS))
    Console(width=120).print(table)
    playing = states.count("playing") / max(len(states), 1)
    print(f"goal: overlay p95 <= 100 ms; {playing:.0%} of events while playing; "
          f"{os.cpu_count()} cpus")  # fmt: skip


if __name__ == "__main__":
    main()
