"""A real headless Chromium (Debian's chromium and chromium-driver, never a downloaded browser)
driven by Selenium, and a real `posesim-cam run` to point it at. Used by the browser tests and
by bench/overlay_screenshots.py and bench/overlay_bench.py."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOKEN = "browser-test-token-0123456789"
SCRIPT = Path(sys.executable).with_name("posesim-cam")


def require_chromium() -> None:
    """Skip without Chromium here; under CI=true that is a failure (.ci/run installs it)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        message = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def chromium(width: int = 1280, height: int = 720) -> Iterator[object]:
    """A headless Chromium whose default page background is transparent (as OBS's Browser
    Source composes a page over the scene)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={width},{height}", "--hide-scrollbars",
                     "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDefaultBackgroundColorOverride",
            {"color": {"r": 0, "g": 0, "b": 0, "a": 0}},
        )
        yield driver
    finally:
        driver.quit()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status(port: int) -> dict | None:
    """GET /status with the token, or None while nothing answers."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/status", headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        return json.loads(response.read()) if response.status == 200 else None
    except OSError:
        return None


def posesim(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "posesim_cam"]
    return subprocess.run([*command, *args], env=env, capture_output=True, text=True, timeout=300)


class LiveRun:
    """`posesim-cam run` on a looping, paced real video with the null output, its control
    server on ``port``; ``start`` (again after ``stop``) and ``stop``."""

    def __init__(self, source: Path, target: str, port: int, env: dict[str, str], log: Path):
        self.source, self.target, self.port, self.env, self.log = source, target, port, env, log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> LiveRun:
        command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "posesim_cam"]
        args = ["run", "--source", str(self.source), "--loop", "--realtime", "--target",
                self.target, "--output", "null", "--control-port", str(self.port),
                "--token", TOKEN]  # fmt: skip
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([*command, *args], env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"posesim-cam run ended: {self.log.read_text()[-2000:]}")
            if status(self.port) is not None:
                return self
            time.sleep(0.2)
        raise AssertionError(f"posesim-cam run did not serve: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def user_env(home: Path) -> dict[str, str]:
    """The environment of a posesim-cam with its own data, cache and config folders."""
    env = dict(os.environ)
    for name in ("DATA", "CACHE", "CONFIG"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    env.pop("POSESIM_TOKEN", None)
    return env


def wait_for(driver: object, script: str, timeout: float = 30.0) -> object:
    """The value of ``script`` (JavaScript returning something) once truthy."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = driver.execute_script(script)  # type: ignore[attr-defined]
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{script!r} stayed {value!r} for {timeout} s")
