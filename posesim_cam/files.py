"""Writing the user's files safely: atomic replacement, a lock for read-modify-write, the
clean-up of what a killed process left behind, a check that a path can be written, and a
file's content hash (what caches are keyed by).

Every file posesim-cam keeps (library index, caches, records, personal bests, models) goes
through ``atomic_write_bytes``, so a reader sees the old file or the new one, never half of
one; files that several processes update (the library index, personal bests) are read and
rewritten under ``locked``. A temporary file's name carries its writer's pid, so
``remove_orphans`` can tell one a killed process left from one being written now. Imports
only ``errors``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from posesim_cam.errors import UserError


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    ``mode``: the file's permissions (e.g. 0o600 for a secret); default those of a plain open().
    """
    with _replacing(path, mode) as temporary, open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def atomic_copy(source: Path, path: Path) -> None:
    """Copy the file ``source`` to ``path`` the way ``atomic_write_bytes`` writes (a large
    video streams through, never held in memory)."""
    with _replacing(path, None) as temporary:
        shutil.copyfile(source, temporary)


@contextlib.contextmanager
def _replacing(path: Path, mode: int | None) -> Iterator[Path]:
    """A temporary file beside ``path`` (named by ``temporary_prefix``) that replaces ``path``
    when the block ends, or is removed when it fails. ``mode``: the new file's permissions;
    default those of a plain open()."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=".tmp", dir=path.parent)
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        if mode is None:
            # mkstemp makes the file private; give it the permissions a plain open() would.
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def temporary_prefix(path: Path) -> str:
    """The name prefix of a temporary file that will become ``path``: hidden, with this
    process's pid (see ``remove_orphans``)."""
    return f".{path.name}.{os.getpid()}."


_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")
ORPHAN_AGE_S = 3600.0  # where a pid cannot be asked about: older than this is orphaned


def remove_orphans(folder: Path) -> int:
    """Delete the temporary files in ``folder`` whose writer is gone (killed mid-write);
    returns how many. A file of a process still running is left alone."""
    removed = 0
    try:
        names = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    except OSError:
        return 0
    for path in names:
        match = _TEMPORARY.match(path.name)
        if match is None:
            continue
        if _process_alive(int(match.group(1)), path):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


def _process_alive(pid: int, path: Path) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # no signal 0 there: go by age
        with contextlib.suppress(OSError):
            return time.time() - path.stat().st_mtime < ORPHAN_AGE_S
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a lock file beside the data it guards) until the
    block ends: processes that read, change and rewrite the same file take turns. The lock is
    the operating system's, so a killed holder releases it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after 10 s: keep waiting
                    continue
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


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


def check_folder(path: Path, what: str, remedy: str) -> None:
    """UserError when ``path`` cannot be a folder: it, or the nearest part of it that exists,
    is a file. (A folder that does not exist yet is fine: it is made when first written.)"""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        where = "" if probe == path else f" ({probe} is a file)"
        raise UserError(f"The {what} {path} is not a folder{where}", remedy)


def check_not_an_input(output: Path, inputs: list[Path]) -> None:
    """UserError when ``output`` is one of ``inputs`` (through links too): writing it would
    destroy a video still being read."""
    for video in inputs:
        try:
            same = output.exists() and video.exists() and os.path.samefile(output, video)
        except OSError:
            same = output.resolve() == video.resolve()
        if same:
            raise UserError(
                f"The output {output} is the video {video} being read",
                "write the output to another path",
            )


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes, as 64 hex digits, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
