"""Named factories of one pluggable kind (pose backends, outputs, aligners), looked up by name.

The shape pyvirtualcam gives its backends: adding one is a ``register`` call, and a name that
is not there is a ``UserError`` listing the names that are. Built-in entries may be given as
``"module:attribute"`` strings, imported on first lookup, so a registry never imports a heavy
runtime (mediapipe, torch) until it is asked for, and a registered module never needs to
import the registry that names it. Imports only ``errors``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Generic, TypeVar, cast

from posesim_cam.errors import UserError

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one kind by name.

    Args:
        kind: what an entry is, for messages ("pose backend", "output").
        builtins: name -> "package.module:attribute", imported when first looked up.
        remedy: the remedy of an unknown name; ``{names}`` becomes the known names' usages.
    """

    def __init__(
        self,
        kind: str,
        builtins: Mapping[str, str] | None = None,
        remedy: str = "choose one of: {names}",
    ) -> None:
        self.kind = kind
        self.remedy = remedy
        self._lazy: dict[str, str] = dict(builtins or {})
        self._entries: dict[str, T] = {}
        self._usages: dict[str, str] = {}

    def register(self, name: str, entry: T, usage: str | None = None) -> None:
        """Make ``entry`` available as ``name`` (replacing one of that name); ``usage`` is how
        messages show it, e.g. ``"file:PATH"`` (default: the name)."""
        self._lazy.pop(name, None)
        self._entries[name] = entry
        self._usages[name] = usage or name

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted({*self._entries, *self._lazy})

    def usages(self) -> str:
        """The names as messages show them, comma-separated."""
        return ", ".join(self._usages.get(name, name) for name in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._lazy

    def get(self, name: str) -> T:
        """The entry registered as ``name``.

        Raises:
            UserError: no entry of that name; the remedy lists the known ones.
        """
        if name in self._lazy:
            module, _, attribute = self._lazy[name].partition(":")
            self.register(name, cast(T, getattr(importlib.import_module(module), attribute)))
        try:
            return self._entries[name]
        except KeyError:
            raise self.unknown(name) from None

    def unknown(self, name: str) -> UserError:
        """The error for a name that is not registered."""
        return UserError(
            f"There is no {self.kind} called {name!r}", self.remedy.format(names=self.usages())
        )

    def copy(self) -> Registry[T]:
        """An independent registry with the same entries (tests register into a copy)."""
        other: Registry[T] = Registry(self.kind, self._lazy, self.remedy)
        other._entries = dict(self._entries)
        other._usages = dict(self._usages)
        return other
