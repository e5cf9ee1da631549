"""Writing the user's files safely: atomic replacement, a check that a path can be written,
and a file's content hash (what caches are keyed by).

Every file posesim-cam keeps (library index, caches, records, personal bests, models) goes
through ``atomic_write_bytes``, so a reader sees the old file or the new one, never half of
one. Imports only ``errors``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from posesim_cam.errors import UserError


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    ``mode``: the file's permissions (e.g. 0o600 for a secret); default those of a plain open().
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is None:
            # mkstemp makes the file private; give it the permissions a plain open() would.
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_writable(path: Path) -> None:
    """UserError unless ``path`` is a file that can be created or replaced, checked before any
    long work: its nearest existing folder is writable and it is not itself a folder."""
    folder = path.parent if str(path.parent) else Path(".")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    writable = probe.is_dir() and os.access(probe, os.W_OK)
    if not writable or path.is_dir() or (path.exists() and not os.access(path, os.W_OK)):
        raise UserError(f"Cannot write to {path}", "choose a path in a folder you can write to")


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, as 64 hex digits, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
