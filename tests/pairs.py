"""The real-media pairings of ../shared/testdata/SOURCES.md: one list, kept in the package."""

from posesim_cam.training.real_eval import REAL_VIDEOS as ALL_VIDEOS
from posesim_cam.training.real_eval import VARIANTS, real_pairs

__all__ = ["ALL_VIDEOS", "VARIANTS", "real_pairs"]
