"""What every frame source gives: ``Frame`` and the ``FrameSource`` protocol.

Imports nothing of posesim_cam.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One picture from a source.

    Attributes:
        image: (H, W, 3) uint8, BGR.
        timestamp: seconds on the source's own clock. Files: frame index / fps (this drives the
            target clock, so it keeps counting across loops). Cameras: monotonic seconds since
            the source opened.
        index: frame number from the source, counting from 0 and never going back.
        captured_at: ``time.monotonic()`` when the frame was grabbed (cameras) or handed out
            (files), to measure latency through the pipeline.
    """

    image: np.ndarray
    timestamp: float
    index: int
    captured_at: float


class FrameSource(Protocol):
    """Where frames come from. Sources are context managers that ``close()`` on exit."""

    def read(self, timeout: float | None = None) -> Frame | None:
        """The next frame, waiting at most ``timeout`` seconds (None: as long as it takes).

        Returns None when nothing new came within the timeout, when a file has ended
        (then ``ended`` is True) or once the source is closed.
        """
        ...

    @property
    def ended(self) -> bool:
        """True once a file (not looping) has handed out its last frame; cameras never end."""
        ...

    @property
    def fps(self) -> float:
        """Nominal frames per second."""
        ...

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames in pixels."""
        ...

    def close(self) -> None:
        """Stop the reader thread and release the device or file; safe to call twice."""
        ...

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
