"""A class URL: ``redis://HOST:PORT/CLASS`` or ``rediss://[USER]:PASSWORD@HOST:PORT/CLASS``.

The path names the class (not a Redis database number, as in redis-py's own URLs), so several
classes share one Redis. The password is kept out of ``str`` and of every message. Imports
``errors`` and the standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from posesim_cam.errors import UserError

SCHEMES = {"redis": False, "rediss": True}  # scheme -> TLS
DEFAULT_PORT = 6379
DEFAULT_BOARD_PORT = 8770  # where `class board` serves, on 127.0.0.1
CLASS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
EXAMPLE = (
    "redis://127.0.0.1:6379/yoga-monday, or rediss://:PASSWORD@HOST:PORT/yoga-monday (in a "
    "password, write @ as %40, / as %2F, : as %3A)"
)


@dataclass(frozen=True)
class ClassAddress:
    """Where a class lives: a Redis server and the class's name on it.

    Attributes:
        host, port: the Redis server.
        name: the class (letters, digits, ``_ . -``; up to 64), the prefix of its keys.
        tls: ``rediss://``: the connection is TLS, the server's certificate checked.
        username, password: Redis ACL login; None: none (the password is never shown).
    """

    host: str
    port: int
    name: str
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        login = ":***@" if self.password else ""
        user = self.username or ""
        return f"{'rediss' if self.tls else 'redis'}://{user}{login}{self.host}:{self.port}/{self.name}"

    def connection_options(self) -> dict[str, object]:
        """Keyword arguments of ``redis.Redis`` for this server."""
        return {"host": self.host, "port": self.port, "username": self.username,
                "password": self.password, "ssl": self.tls}  # fmt: skip


def parse_class_url(text: str, source: str = "--class") -> ClassAddress:
    """The class at ``text``; UserError naming ``source`` when it is not a class URL."""

    def bad(problem: str) -> UserError:
        return UserError(f"{source} {problem}", f"write it like {EXAMPLE}")

    text = text.strip()
    if not text:
        raise bad("is empty")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise bad("has a port that is not a number from 0 to 65535") from None
    if parts.scheme not in SCHEMES:
        shown = f"'{parts.scheme}'" if parts.scheme else "no scheme"
        raise bad(f"has {shown}; a class URL starts with redis:// or rediss:// (TLS)")
    if not parts.hostname:
        raise bad("names no host")
    if port == 0:
        raise bad("has port 0; give the Redis server's port (6379 unless told otherwise)")
    name = unquote(parts.path.strip("/"))
    if not name:
        raise bad("names no class: add its name as the path, e.g. /yoga-monday")
    if name.isdigit():
        raise bad(
            f"names class '{name}', a number: the path is the class's name, not a Redis "
            "database number"
        )
    if not CLASS_NAME.match(name):
        raise bad("has a class name that is not 1-64 letters, digits, '_', '.' or '-'")
    if parts.query or parts.fragment:
        raise bad("has a query or fragment; a class URL has neither")
    return ClassAddress(
        host=parts.hostname,
        port=port or DEFAULT_PORT,
        name=name,
        tls=SCHEMES[parts.scheme],
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
