"""Where posesim-cam keeps its files (platformdirs, so XDG_* are honoured) and its config file.

The config file (``config.toml`` in the user config folder, or ``--config PATH``) holds defaults
for ``posesim-cam run`` in a ``[run]`` table, with the same names as the command's options
(``camera = 1``, ``output = "virtualcam,preview"``, ``mirror_display = true``,
``size = "1280x720"``, ...). Options given on the command line win. Imports only ``errors``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import platformdirs

from posesim_cam.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

APP_NAME = "posesim-cam"


def data_dir() -> Path:
    """User data: the target library and session records."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Recomputable data: prepared target poses and latents."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def default_library_dir() -> Path:
    return data_dir() / "targets"


def config_dir() -> Path:
    """User configuration: config.toml and the control API's token."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    return config_dir() / "config.toml"


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The config file as a dict ({} when the default file does not exist)."""
    explicit = path is not None
    path = path or config_path()
    if not path.exists():
        if explicit:
            raise UserError(f"The config file {path} does not exist", "check the --config path")
        return {}
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UserError(
            f"The config file {path} cannot be read ({error})", "fix the TOML syntax or remove it"
        ) from None


def obs_scenes(config: dict[str, Any]) -> dict[str, str]:
    """The config file's ``[obs.scenes]`` table: OBS scene name -> target name.

    Raises:
        UserError: the table or one of its values is not what it must be.
    """
    obs = config.get("obs", {})
    scenes = obs.get("scenes", {}) if isinstance(obs, dict) else None
    if not isinstance(scenes, dict) or not all(isinstance(v, str) for v in scenes.values()):
        raise UserError(
            "The config file's [obs.scenes] must map scene names to target names",
            'write lines such as "Squat challenge" = "squats" under [obs.scenes]',
        )
    return dict(scenes)
