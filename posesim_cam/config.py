"""Where posesim-cam keeps its files (platformdirs, so XDG_* are honoured) and its config file.

The config file (``config.toml`` in the user config folder, or ``--config PATH``) holds defaults
for ``posesim-cam run`` in a ``[run]`` table, with the same names as the command's options
(``camera = 1``, ``output = "virtualcam,preview"``, ``mirror_display = true``,
``size = "1280x720"``, ``library = "~/targets"``, ...), and OBS scene mappings in
``[obs.scenes]``. Options given on the command line win. Any other table is refused, so a
misspelt one is not silently ignored. Imports ``errors`` and ``settings``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import platformdirs

from posesim_cam.errors import UserError
from posesim_cam.settings import Kind, Setting, SettingError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

APP_NAME = "posesim-cam"
CONFIG_TABLES = ("run", "obs")
OBS_SCENES = Setting(
    "scenes", Kind.TEXT_TABLE, example='"Squat challenge" = "squats" under [obs.scenes]'
)


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
    if path.is_dir():
        raise UserError(f"The config file {path} is a folder", "give the path of a .toml file")
    try:
        data = path.read_bytes()
        # Windows editors start UTF-8 files with a byte-order mark, which TOML does not allow.
        config = tomllib.loads(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except OSError as error:
        raise UserError(
            f"The config file {path} cannot be read ({error.strerror})",
            "check its permissions or remove it",
        ) from None
    except UnicodeDecodeError:
        raise UserError(
            f"The config file {path} is not UTF-8 text", "save it as UTF-8 (TOML requires it)"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(
            f"The config file {path} is not valid TOML ({error})", "fix the syntax or remove it"
        ) from None
    for name in config:
        if name not in CONFIG_TABLES:
            raise SettingError(
                f"The config file {path} has an unknown table or key {name!r}",
                "use the [run] table for options and [obs.scenes] for scenes",
            )
    if not isinstance(config.get("run", {}), dict):
        raise SettingError(
            f"run in the config file {path} must be a table, not {config['run']!r}",
            "write [run] on a line of its own, then the options as key = value lines",
        )
    if "obs" in config:
        obs = config["obs"]
        if not isinstance(obs, dict) or set(obs) - {"scenes"}:
            raise SettingError(
                f"The config file {path} has an [obs] table with keys other than scenes",
                'map scene names to targets under [obs.scenes], e.g. "Warm-up" = "dance"',
            )
    return config


def obs_scenes(config: dict[str, Any]) -> dict[str, str]:
    """The config file's ``[obs.scenes]`` table: OBS scene name -> target name.

    Raises:
        UserError: the table or one of its values is not what it must be.
    """
    obs = config.get("obs", {})
    scenes = obs.get("scenes", {}) if isinstance(obs, dict) else None
    return OBS_SCENES.check(scenes, "The config file's [obs.scenes]") or {}
