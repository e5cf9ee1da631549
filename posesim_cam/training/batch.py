"""What a training batch holds: plain numpy arrays, so that the data pipeline (and ``eval``,
which shares it) needs no torch. Imports numpy only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Batch:
    """One training batch (B poses).

    Attributes:
        view_a, view_b: (B, 153) network inputs of two corrupted views of each pose.
        clean: (B, 136) standardised clean distances (the reconstruction target).
        clean_mask: (B, 136) 1 where the clean distance exists.
        clean_b, clean_mask_b: view b's own target and mask where it differs from view a's
            (e.g. a view with left and right relabelled); None: the same as ``clean``.
        pose_distance: (B, B) how far apart the poses are in 3-D, whatever the camera and
            build (``pose_distance.pose_distance_matrix``, in statures); None where unknown.
    """

    view_a: np.ndarray
    view_b: np.ndarray
    clean: np.ndarray
    clean_mask: np.ndarray
    clean_b: np.ndarray | None = None
    clean_mask_b: np.ndarray | None = None
    pose_distance: np.ndarray | None = None


BatchSampler = Callable[[np.random.Generator, int], Batch]
