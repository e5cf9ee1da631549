"""The overlay and the control page in a real headless Chromium against a real `posesim-cam
run` (a looping real video, real MediaPipe, the null output): the score changes, the page is
transparent, it comes back after a restart, and the control page switches the target."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.control.browser import (
    TOKEN,
    LiveRun,
    chromium,
    free_port,
    posesim,
    require_chromium,
    status,
    user_env,
    wait_for,
)
from tests.polling import wait_until


@pytest.fixture(scope="module")
def home(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A user with two targets in the library (squats, dance)."""
    require_chromium()
    home = tmp_path_factory.mktemp("browser-home")
    env = user_env(home)
    for name, clip in (("squats", "squats_1person_5fps.mp4"), ("dance", "dance_1person_30fps.mp4")):
        added = posesim("targets", "add", str(testdata / "video" / clip), "--name", name, env=env)
        assert added.returncode == 0, added.stderr
    return home, env


@pytest.fixture
def live(home: tuple[Path, dict], testdata: Path, tmp_path: Path) -> Iterator[LiveRun]:
    _, env = home
    # The dance looped against the squats target: a different movement, whose score moves as
    # the dance goes (the same movement would sit at 100).
    run = LiveRun(
        testdata / "video" / "dance_1person_30fps.mp4", "squats", free_port(), env,
        tmp_path / "run.log",
    )  # fmt: skip
    run.start()
    try:
        yield run
    finally:
        run.stop()


OVERLAY_STATE = "return window.posesimOverlay && window.posesimOverlay.state"


def test_the_overlay_shows_a_changing_score_on_a_transparent_page(live: LiveRun):
    with chromium() as driver:
        driver.get(f"http://127.0.0.1:{live.port}/overlay?corner=top-right&scale=1.5")
        wait_for(driver, f"{OVERLAY_STATE} === 'playing'")
        scores = set()
        end = time.monotonic() + 12  # the 13-s target plays on all that time
        while time.monotonic() < end and len(scores) < 3:
            text = driver.execute_script("return document.getElementById('score').textContent")
            if text.isdigit():
                scores.add(int(text))
            time.sleep(0.2)
        assert len(scores) >= 2, scores  # the score moves as the dance goes
        assert all(0 <= s <= 100 for s in scores)
        assert "squats" in driver.execute_script(
            "return document.getElementById('target').textContent"
        )
        picture = cv2.imdecode(
            np.frombuffer(driver.get_screenshot_as_png(), np.uint8), cv2.IMREAD_UNCHANGED
        )
    assert picture.shape[2] == 4  # the screenshot keeps the alpha channel
    height, width = picture.shape[:2]
    alpha = picture[..., 3]
    for y, x in ((height - 1, 0), (height - 1, width - 1), (height // 2, 5)):
        assert alpha[y, x] == 0, (y, x)  # the page itself is transparent
    # The score card sits in the top-right corner, drawn (not transparent).
    card = alpha[: height // 4, width - width // 4 :]
    assert (card > 0).mean() > 0.2


def test_the_overlay_waits_quietly_and_comes_back_after_a_restart(live: LiveRun):
    with chromium() as driver:
        driver.get(f"http://127.0.0.1:{live.port}/overlay")
        wait_for(driver, f"{OVERLAY_STATE} === 'playing'")
        live.stop()
        wait_for(driver, f"{OVERLAY_STATE} === 'waiting'", timeout=15)
        text = driver.execute_script("return document.getElementById('grade').textContent")
        assert "waiting" in text
        live.start()
        wait_for(driver, f"{OVERLAY_STATE} === 'playing'", timeout=60)


def test_the_control_page_switches_the_target_and_the_overlay_follows(live: LiveRun):
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(f"http://127.0.0.1:{live.port}/overlay")
        wait_for(driver, f"{OVERLAY_STATE} === 'playing'")
        overlay = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(f"http://127.0.0.1:{live.port}/")
        wait_for(driver, "return !document.getElementById('login').hidden")
        driver.find_element(By.ID, "token").send_keys(TOKEN)
        driver.find_element(By.CSS_SELECTOR, "#token-form button").click()
        wait_for(driver, "return document.querySelectorAll('#library tr').length === 2")
        assert "token" not in driver.current_url  # the token never goes into a URL
        assert driver.execute_script("return localStorage.getItem('posesim-cam token')") == TOKEN
        row = driver.find_element(By.CSS_SELECTOR, "#library tr[data-name='dance']")
        row.find_element(By.XPATH, ".//button[text()='Start']").click()
        assert wait_until(lambda: (status(live.port) or {}).get("target") == "dance", 20)
        wait_for(driver, "return document.getElementById('live-target').textContent === 'dance'")
        driver.switch_to.window(overlay)
        wait_for(driver, "return document.getElementById('target').textContent === 'dance'")
        # Reloaded, the control page remembers the token.
        driver.switch_to.new_window("tab")
        driver.get(f"http://127.0.0.1:{live.port}/")
        wait_for(driver, "return document.querySelectorAll('#library tr').length === 2")


def test_a_wrong_token_on_the_control_page_asks_again(live: LiveRun):
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(f"http://127.0.0.1:{live.port}/")
        wait_for(driver, "return !document.getElementById('login').hidden")
        driver.find_element(By.ID, "token").send_keys("not-the-token-at-all")
        driver.find_element(By.CSS_SELECTOR, "#token-form button").click()
        message = wait_for(driver, "return document.getElementById('message').textContent")
        assert "not the one" in message
        assert not driver.execute_script("return document.getElementById('login').hidden")
