"""Test doubles for what cannot exist on these machines: a v4l2loopback virtual camera.

Registered with pyvirtualcam only inside tests (via the ``fake_backend`` fixture), since a
registered backend also catches default lookups.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np
import pyvirtualcam


class FakeBackend:
    """A pyvirtualcam backend that keeps what it is sent (the interface of pyvirtualcam.Backend).

    pyvirtualcam hands ``send`` a flat C-contiguous uint8 array in the format given by
    ``fourcc``; we keep copies to inspect.
    """

    instances: ClassVar[list[FakeBackend]] = []

    def __init__(
        self, *, width: int, height: int, fps: float, fourcc: int, device: str | None, **kw: Any
    ) -> None:
        self.width, self.height, self.fps, self.fourcc = width, height, fps, fourcc
        self._device = device or "fake-cam-0"
        self.frames: list[np.ndarray] = []
        self.closed = False
        FakeBackend.instances.append(self)

    def send(self, frame: np.ndarray) -> None:
        self.frames.append(frame.copy())

    def close(self) -> None:
        self.closed = True

    def device(self) -> str:
        return self._device

    def native_fourcc(self) -> int | None:
        return None


class FailingBackend(FakeBackend):
    def __init__(self, **kw: Any) -> None:
        raise RuntimeError("no device for you")


@contextmanager
def fake_pyvirtualcam() -> Iterator[type[FakeBackend]]:
    """Make FakeBackend the only pyvirtualcam backend; restore the registry afterwards."""
    saved = dict(pyvirtualcam.camera.BACKENDS)
    pyvirtualcam.camera.BACKENDS.clear()
    pyvirtualcam.register_backend("fake", FakeBackend)
    FakeBackend.instances = []
    try:
        yield FakeBackend
    finally:
        pyvirtualcam.camera.BACKENDS.clear()
        pyvirtualcam.camera.BACKENDS.update(saved)
