"""A real redis-server for class-mode tests: Debian's `redis-server`, on a free loopback port,
started and killed by pid (never a shared or system instance)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.control.browser import free_port


def require_redis() -> str:
    """The redis-server executable; skip without it, fail under CI=true (.ci/run installs it)."""
    found = shutil.which("redis-server")
    if found is None:
        message = "redis-server is missing: apt-get install redis-server"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


class RedisServer:
    """One redis-server process; ``kill`` (SIGKILL, as a crash) and ``start`` again on the same
    port. Nothing is saved to disk: a restart comes back empty, the harder case for clients."""

    def __init__(self, folder: Path, password: str | None = None) -> None:
        self.executable = require_redis()
        self.folder = folder
        self.password = password
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, name: str = "test", password: str | None = None) -> str:
        secret = self.password if password is None else password
        login = f":{secret}@" if secret else ""
        return f"redis://{login}127.0.0.1:{self.port}/{name}"

    def start(self) -> RedisServer:
        args = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.folder)]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        raise AssertionError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def client(self):  # type: ignore[no-untyped-def]
        import redis

        return redis.Redis(port=self.port, password=self.password, decode_responses=True)
