"""The docs' pictures of the overlay and of the control page, made in a real headless Chromium
against a real `posesim-cam run` (the test suite's helper, tests/control/browser.py).

    python bench/overlay_screenshots.py docs/      (POSESIM_TESTDATA picks the media folder)

Writes overlay.png (the transparent overlay page, skeleton on, composed over the camera frame
it was drawn for, as OBS's Browser Source puts it over the camera) and control_page.png.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.control.browser import (
    TOKEN,
    LiveRun,
    chromium,
    free_port,
    posesim,
    user_env,
    wait_for,
)

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
SIZE = 720  # dance_1person is square: the page is too, so the skeleton lies on the person


def compose(overlay_png: bytes, frame: np.ndarray) -> np.ndarray:
    page = cv2.imdecode(np.frombuffer(overlay_png, np.uint8), cv2.IMREAD_UNCHANGED)
    camera = cv2.resize(frame, (page.shape[1], page.shape[0]), interpolation=cv2.INTER_AREA)
    alpha = page[..., 3:4].astype(np.float32) / 255.0
    return (page[..., :3] * alpha + camera * (1 - alpha)).astype(np.uint8)


def main(out: Path) -> None:
    dance = TESTDATA / "video" / "dance_1person_30fps.mp4"
    squats = TESTDATA / "video" / "squats_1person_5fps.mp4"
    frames = []
    capture = cv2.VideoCapture(str(dance))
    while (frame := capture.read())[0]:
        frames.append(frame[1])
    with tempfile.TemporaryDirectory() as work:
        env = user_env(Path(work))
        for name, clip in (("dance", dance), ("squats", squats)):
            posesim("targets", "add", str(clip), "--name", name, env=env)
        run = LiveRun(dance, "dance", free_port(), env, Path(work) / "run.log").start()
        try:
            with chromium(SIZE, SIZE) as driver:
                driver.get(f"http://127.0.0.1:{run.port}/overlay?corner=top-right&scale=1.3")
                # Mid-target, with a score and a skeleton: the frame the page drew is known
                # from the event's target position (the target is the same clip).
                wait_for(driver, "const o = window.posesimOverlay; return o.last && "
                         "o.last.state === 'playing' && o.last.position > 2.0 && "
                         "o.last.score !== null && o.last.skeleton")  # fmt: skip
                png = driver.get_screenshot_as_png()
                last = driver.execute_script("return window.posesimOverlay.last")
            index = min(round(last["position"] * 30), len(frames) - 1)
            cv2.imwrite(str(out / "overlay.png"), compose(png, frames[index]))
            time.sleep(3)  # the attempt finishes: the history has a record
            with chromium(1000, 820) as driver:
                driver.get(f"http://127.0.0.1:{run.port}/")
                wait_for(driver, "return !document.getElementById('login').hidden")
                driver.execute_script(
                    "localStorage.setItem('posesim-cam token', arguments[0]); location.reload()",
                    TOKEN,
                )
                wait_for(driver, "return document.querySelectorAll('#history tr').length > 0")
                wait_for(driver, "return document.getElementById('live-score').textContent != '--'")
                (out / "control_page.png").write_bytes(driver.get_screenshot_as_png())
        finally:
            run.stop()
    print(f"wrote {out / 'overlay.png'} and {out / 'control_page.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
