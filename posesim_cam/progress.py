"""The progress-bar seam: long work (preparation, training, evaluation) reports through a
``ProgressFactory`` it is given, and never knows how the bars are drawn (``console`` draws them
with rich for the CLI; tests pass none). Imports nothing of posesim_cam.
"""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int], None]
"""Called with the number of steps done so far."""

ProgressFactory = Callable[[str, int], ProgressCallback]
"""Called with (description, total steps); returns the callback of one new bar."""


def start_bar(progress: ProgressFactory | None, description: str, total: int) -> ProgressCallback:
    """A new bar's callback, or one that does nothing when there is no factory."""
    if progress is None:
        return _ignore
    return progress(description, total)


def _ignore(done: int) -> None:
    pass
