"""Waiting for something another thread or process does, with a deadline (no fixed sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], object], timeout: float = 30.0, interval: float = 0.02
) -> bool:
    """Whether ``condition()`` became true within ``timeout`` seconds (polled every
    ``interval``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
