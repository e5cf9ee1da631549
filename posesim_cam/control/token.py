"""The control API's token: one secret per user, kept in a 0600 file in the config folder.

Generated on first use (``posesim-cam token`` prints it); ``--token`` or ``POSESIM_TOKEN``
override the file. Imports ``config``, ``errors`` and ``files``.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from posesim_cam.config import config_dir
from posesim_cam.errors import UserError
from posesim_cam.files import atomic_write_bytes

TOKEN_ENV = "POSESIM_TOKEN"
TOKEN_FILE = "token"
# A token shorter than this is refused: it would be guessable by anything on the machine.
MIN_TOKEN_LENGTH = 16
MAX_TOKEN_LENGTH = 512  # an HTTP header, not a file


def token_path() -> Path:
    return config_dir() / TOKEN_FILE


def check_token(token: str, source: str) -> str:
    token = token.strip()
    if (
        not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH
        or not token.isascii()
        or not token.isprintable()
        or any(c.isspace() for c in token)
    ):
        raise UserError(
            f"The control token from {source} is too short, too long, or holds spaces or "
            "characters other than ASCII",
            f"use {MIN_TOKEN_LENGTH} to {MAX_TOKEN_LENGTH} ASCII letters, digits or "
            "punctuation, or leave it out to use the generated one (`posesim-cam token`)",
        )
    return token


def load_token(given: str | None = None, path: Path | None = None) -> str:
    """The token to require: ``given`` (``--token``), else $POSESIM_TOKEN, else the token file,
    created with a new random token (0600) when it does not exist.

    Raises:
        UserError: a given token is too short, or the file cannot be read or written.
    """
    if given is not None:
        return check_token(given, "--token")
    if os.environ.get(TOKEN_ENV):
        return check_token(os.environ[TOKEN_ENV], f"${TOKEN_ENV}")
    path = path or token_path()
    try:
        existing = path.read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        existing = ""
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not text"
        raise UserError(
            f"The token file {path} cannot be read ({reason or error})",
            f"fix its permissions or delete it (a new one is made), or pass --token or set "
            f"{TOKEN_ENV}",
        ) from None
    if existing:
        return check_token(existing, str(path))
    try:
        return _create_token_file(path)
    except OSError as error:
        raise UserError(
            f"The token file {path} cannot be written ({error.strerror or error})",
            f"make {path.parent} writable, or pass --token or set {TOKEN_ENV}",
        ) from None


def _create_token_file(path: Path) -> str:
    """A new token in ``path`` (0600), unless another process made one first: two first runs
    at once (`run` and `posesim-cam token`) must end with one token, the one in the file."""
    token = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".token.", dir=path.parent)  # 0600 from the start
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
        try:
            os.link(temporary, path)  # fails if the file exists: never replaces another's
        except FileExistsError:
            return check_token(path.read_text(), str(path))
        except OSError:  # no hard links on this file system: the old way, not exclusive
            atomic_write_bytes(path, (token + "\n").encode(), mode=0o600)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return token
