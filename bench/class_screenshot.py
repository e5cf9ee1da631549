"""docs/class_board.png: the class board in a real headless Chromium, over a real redis-server,
with six students' links (scores made up, sent as `run --class` sends them) and two finals.

    python bench/class_screenshot.py [OUT.png]
"""

from __future__ import annotations

import io
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from posesim_cam.classroom.address import parse_class_url
from posesim_cam.classroom.link import ClassLink
from posesim_cam.clock import Phase
from posesim_cam.commands.classroom import serve_board
from posesim_cam.control.controls import Status
from posesim_cam.records import AttemptRecord
from posesim_cam.scoring.outcome import Outcome
from tests.classroom.redis_server import RedisServer
from tests.control.browser import chromium, free_port


def final(score: float) -> AttemptRecord:
    outcome = Outcome(score, 0.9, 900, 880, False, [])
    return AttemptRecord("sun salutation", "ab12" * 5, "encoder_v2", True, outcome)


STUDENTS = {"Ana": 91.4, "Ben K.": 84.0, "Chloé": 77.2, "Dev": 63.5, "Emeka": 58.9, "Fran": None}


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/class_board.png")
    with tempfile.TemporaryDirectory() as scratch:
        server = RedisServer(Path(scratch)).start()
        url = server.url("yoga-monday")
        address = parse_class_url(url)

        def status(score: float | None) -> Status:
            phase = Phase.PLAYING if score is not None else Phase.COUNTDOWN
            return Status("sun salutation", phase, score, None, 30.0, 1)

        links = [
            ClassLink(address, name, f"m{k}", lambda s=score: status(s)).start()
            for k, (name, score) in enumerate(STUDENTS.items())
        ]
        links[0].submit(final(88.6))
        links[1].submit(final(81.3))
        pages: list[str] = []
        stop = threading.Event()
        thread = threading.Thread(target=serve_board,
                                  args=(url, free_port(), io.StringIO(), pages.append, stop),
                                  daemon=True)  # fmt: skip
        thread.start()
        while not pages:
            time.sleep(0.05)
        try:
            with chromium(760, 760) as driver:
                driver.get(pages[0])
                time.sleep(4)  # rows settle, finals read
                out.write_bytes(driver.get_screenshot_as_png())
        finally:
            stop.set()
            thread.join(timeout=10)
            for link in links:
                link.close()
            server.kill()
    print(out)


if __name__ == "__main__":
    main()
