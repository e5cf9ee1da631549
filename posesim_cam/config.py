"""Where posesim-cam keeps its files (platformdirs, so XDG_DATA_HOME etc. are honoured)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "posesim-cam"


def data_dir() -> Path:
    """User data: the target library and session records."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Recomputable data: prepared target poses and latents."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_library_dir() -> Path:
    return data_dir() / "targets"
