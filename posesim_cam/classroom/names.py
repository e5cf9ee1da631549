"""Player names in a class: what a student may call themselves, and what the board shows of a
name that came over the network (never trusted). Pure: imports ``errors`` only.
"""

from __future__ import annotations

import unicodedata

from posesim_cam.errors import UserError

MAX_NAME = 24
PUNCTUATION = " -_.'"
EXAMPLE = "--player Ana, or --player 'Ben K.'"


def _allowed(char: str) -> bool:
    return char.isalnum() or char in PUNCTUATION


def _squeezed(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def player_name(text: str, source: str = "--player") -> str:
    """A student's name as given, spaces squeezed; UserError if it is empty, longer than
    MAX_NAME or has characters other than letters, digits and `` -_.'``."""
    name = _squeezed(text)
    if not name:
        raise UserError(f"{source} is empty", f"give the name the class sees, e.g. {EXAMPLE}")
    if len(name) > MAX_NAME:
        raise UserError(
            f"{source} is {len(name)} characters long; a name has at most {MAX_NAME}",
            "give a shorter name",
        )
    odd = sorted({c for c in name if not _allowed(c)})
    if odd:
        shown = " ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in odd)
        raise UserError(
            f"{source} has characters a name cannot have ({shown})",
            "use letters, digits, spaces and - _ . ' only",
        )
    return name


def shown_name(value: object) -> str | None:
    """What the board shows of a name read from Redis: letters, digits and `` -_.'`` only, at
    most MAX_NAME; None when nothing is left (the entry is not shown)."""
    if not isinstance(value, str):
        return None
    name = _squeezed("".join(c if _allowed(c) else " " for c in value[: MAX_NAME * 4]))
    return name[:MAX_NAME].strip() or None


def name_key(name: str) -> str:
    """The form two names are compared in: "Ana" and "ana " are the same player."""
    return unicodedata.normalize("NFKC", name).casefold().strip()
