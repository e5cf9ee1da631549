"""Typed settings: one checked loader for every value a user or a client hands posesim-cam
(command-line options, the config file, environment variables, control API bodies and query
strings).

A ``Setting`` declares a value's kind, bounds and an example; ``Setting.check`` turns a raw
value (TOML, JSON, a click value, an environment string) into the typed one or raises
``SettingError``: one sentence naming where the value came from, the value, and what to write
instead. ``check_table`` checks a whole table against a schema, so an unknown key is refused
with the known ones listed. Schemas live with their users (``commands.run.RUN_SETTINGS``, the
control API's bodies); this module holds only the machinery. Imports only ``errors``.
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posesim_cam.errors import UserError

MAX_TEXT = 4096  # characters: longer than any name, path or password a person writes
MIN_SIZE = (160, 120)
MAX_SIZE = (7680, 4320)


class SettingError(UserError):
    """A value of the wrong type or out of bounds (exit 2 on the command line, 400 in the API)."""


class Kind(enum.Enum):
    """What a setting holds."""

    INTEGER = "a whole number"
    NUMBER = "a number"
    FLAG = "true or false"
    TEXT = "text"
    PATH = "a path"
    SIZE = "a size such as 1280x720"
    CAMERA = "a camera index or a device path"
    CHOICE = "one of a few words"
    TEXT_TABLE = "a table of text values"


@dataclass(frozen=True)
class Setting:
    """One value's name, kind and bounds.

    ``name`` is what a user writes (config key, JSON field, query parameter);
    ``stores`` the name it is kept under where that differs (``library`` fills ``library_dir``);
    ``aliases`` other names accepted for it.
    ``low``/``high`` bound numbers (inclusive); ``choices`` bound CHOICE; ``optional`` lets
    ``None`` (JSON null) through; ``empty`` lets blank text through; ``secret`` keeps the value
    out of the error (passwords, tokens); ``example`` is the fix shown in the error.
    """

    name: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = True
    example: str = ""
    stores: str = ""
    aliases: tuple[str, ...] = ()
    empty: bool = True
    secret: bool = False

    @property
    def target(self) -> str:
        return self.stores or self.name

    def check(self, value: Any, where: str) -> Any:
        """The typed value; SettingError naming ``where`` (e.g. "--countdown", "countdown in
        the config file's [run] table") unless ``value`` is of this kind and in bounds."""
        if value is None:
            if self.optional:
                return None
            self._fail(value, where)
        checker = _CHECKERS[self.kind]
        return checker(self, value, where)

    def check_text(self, raw: str, where: str) -> Any:
        """Like ``check``, for a value that arrives as text (an environment variable, a query
        string): numbers and flags are read from it first."""
        text = raw.strip()
        value: Any = text
        if self.kind is Kind.INTEGER and text.lstrip("+-").isdigit():
            value = int(text)
        elif self.kind is Kind.NUMBER:
            with contextlib.suppress(ValueError):
                value = float(text)
        elif self.kind is Kind.FLAG:
            value = _TEXT_FLAGS.get(text.lower(), text)
        return self.check(value, where)

    def _fail(self, value: Any, where: str, why: str = "") -> None:
        what = why or f"must be {self._describe()}"
        remedy = (
            f"write e.g. {self._example(where)}" if self.example else f"give {self._describe()}"
        )
        hide = what.endswith("empty") or self.secret  # a password may be a number too
        problem = f"{where} {what}" if hide else f"{where} {what}, not {_shown(value)}"
        raise SettingError(problem, remedy)

    def _example(self, where: str) -> str:
        """The example as the user would write it there: ``countdown = 3`` in a config file,
        ``--countdown 3`` on the command line."""
        prefix = f"{self.name} = "
        if where.startswith("--") and self.example.startswith(prefix):
            value = self.example[len(prefix) :].strip('"')
            return f"--{self.name.replace('_', '-')} {value}"
        return self.example

    def _describe(self) -> str:
        if self.kind is Kind.CHOICE:
            return "one of " + ", ".join(self.choices)
        if self.kind in (Kind.INTEGER, Kind.NUMBER) and self.low is not None:
            high = "" if self.high is None else f" to {_number(self.high)}"
            return f"{self.kind.value} from {_number(self.low)}{high}"
        return self.kind.value


_TEXT_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_integer(setting: Setting, value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        setting._fail(value, where)
    _check_bounds(setting, value, where)
    return int(value)


def _check_number(setting: Setting, value: Any, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        setting._fail(value, where)
    if not math.isfinite(value):
        setting._fail(value, where, "must be a finite number")
    _check_bounds(setting, value, where)
    return float(value)


def _check_bounds(setting: Setting, value: float, where: str) -> None:
    low, high = setting.low, setting.high
    if (low is not None and value < low) or (high is not None and value > high):
        setting._fail(value, where)


def _check_flag(setting: Setting, value: Any, where: str) -> bool:
    # Only a real boolean: "no" is text, and text is true in Python.
    if not isinstance(value, bool):
        setting._fail(value, where, "must be true or false (without quotes)")
    return value


def _check_text(setting: Setting, value: Any, where: str) -> str:
    if not isinstance(value, str):
        setting._fail(value, where, "must be text (in quotes)")
    if len(value) > MAX_TEXT or "\x00" in value:
        setting._fail(value, where, f"must be text of at most {MAX_TEXT} characters")
    if not setting.empty and not value.strip():
        setting._fail(value, where, "must not be empty")
    return value


def _check_path(setting: Setting, value: Any, where: str) -> Path:
    if isinstance(value, Path):
        value = str(value)
    text = _check_text(setting, value, where)
    if not text.strip():
        setting._fail(value, where, "must be a path, not empty")
    return Path(text.strip()).expanduser()


def _check_size(setting: Setting, value: Any, where: str) -> tuple[int, int]:
    if isinstance(value, str):
        parts = value.lower().replace(" ", "").split("x")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            value = (int(parts[0]), int(parts[1]))
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        setting._fail(value, where)
    width, height = value
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        setting._fail(
            value,
            where,
            f"must be from {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]}",
        )
    return int(width), int(height)


def _check_camera(setting: Setting, value: Any, where: str) -> int | str:
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and value.isascii():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 63:
            setting._fail(value, where, "must be a camera index from 0 to 63")
        return value
    text = _check_text(setting, value, where)
    if not text.strip():
        setting._fail(value, where, "must be a camera index or a device path, not empty")
    return text.strip()


def _check_choice(setting: Setting, value: Any, where: str) -> str:
    if not isinstance(value, str) or value.strip().lower() not in setting.choices:
        setting._fail(value, where)
    return str(value).strip().lower()


def _check_text_table(setting: Setting, value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_TEXT for k, v in value.items()
    ):
        setting._fail(value, where)
    return dict(value)


_CHECKERS = {
    Kind.INTEGER: _check_integer,
    Kind.NUMBER: _check_number,
    Kind.FLAG: _check_flag,
    Kind.TEXT: _check_text,
    Kind.PATH: _check_path,
    Kind.SIZE: _check_size,
    Kind.CAMERA: _check_camera,
    Kind.CHOICE: _check_choice,
    Kind.TEXT_TABLE: _check_text_table,
}


def check_table(
    table: Any, schema: Iterable[Setting], source: str, as_options: bool = False
) -> dict[str, Any]:
    """``table``'s values checked against ``schema``, keyed by each setting's ``target``.

    An error names the key "in ``source``", or with ``as_options`` the command-line option
    (``--camera-size``). Raises SettingError for a table that is not a table, an unknown key
    (listing the known ones), or a bad value.
    """
    if not isinstance(table, Mapping):
        raise SettingError(f"{source} must be a table of settings, not {_shown(table)}",
                           "write it as [name] followed by key = value lines")  # fmt: skip
    by_name: dict[str, Setting] = {}
    for setting in schema:
        for name in (setting.name, *setting.aliases):
            by_name[name] = setting
    checked: dict[str, Any] = {}
    for key, value in table.items():
        setting = by_name.get(key) if isinstance(key, str) else None
        if setting is None:
            known = sorted({s.name for s in by_name.values()})
            raise SettingError(
                f"Unknown key {_shown(key)} in {source}", f"use one of: {', '.join(known)}"
            )
        where = f"--{setting.name.replace('_', '-')}" if as_options else f"{key} in {source}"
        checked[setting.target] = setting.check(value, where)
    return checked


def from_environment(setting: Setting, environ: Mapping[str, str] | None = None) -> Any:
    """The environment variable ``setting.name`` checked (None when unset or empty)."""
    raw = (os.environ if environ is None else environ).get(setting.name, "")
    if not raw.strip():
        return None
    return setting.check_text(raw, f"${setting.name}")


def check_text_table(
    table: Mapping[str, str], schema: Iterable[Setting], source: str
) -> dict[str, Any]:
    """Like ``check_table`` for values that arrive as text (a query string's parameters).
    Keys not in ``schema`` are left out, not refused: clients add cache-busters."""
    return {
        setting.target: setting.check_text(table[setting.name], f"{setting.name} in {source}")
        for setting in schema
        if setting.name in table
    }
