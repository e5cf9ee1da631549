"""Targets: a video prepared once into poses and latents, and the user's library of them.

Preparation is cached next to a content hash of the video: poses by (hash, backend), latents by
(hash, backend, encoder version), so preparing the same video again is instant and a new
encoder recomputes latents instead of misreading old ones. Every file is written to a temporary
name and renamed, so an interrupted run never leaves a half-written cache or library. Imports
config, encoder, sequence, video, the pose registry and ``files``; knows no session, HUD or CLI.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from posesim_cam.config import cache_dir
from posesim_cam.encoder import Encoder
from posesim_cam.errors import UserError
from posesim_cam.files import (
    atomic_copy,
    atomic_write_bytes,
    check_folder,
    file_sha256,
    locked,
    remove_orphans,
)
from posesim_cam.pose.auto import resolve_backend
from posesim_cam.pose.registry import create_backend
from posesim_cam.progress import ProgressFactory, start_bar
from posesim_cam.sequence import PoseSequence, extract_poses
from posesim_cam.video import probe_video

# Poses are estimated at most this often per second of a prepared video, and interpolated in
# between: scoring needs no more, and preparation of a 60 fps video costs a quarter.
ANALYSIS_FPS = 15.0

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_. ")


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (first 20 hex digits)."""
    return file_sha256(path)[:20]


@dataclass(frozen=True)
class Target:
    """A prepared target video.

    Attributes:
        name: library name, or the file name for a video given by path.
        video: path of the video file.
        sha: content hash of the video.
        poses: the target person's poses in every frame.
        latents: (T, D) encoder latents of every frame (rows of frames with no person are 0).
        encoder_version: the encoder that made ``latents``.
    """

    name: str
    video: Path
    sha: str
    poses: PoseSequence
    latents: np.ndarray
    encoder_version: str

    @property
    def fps(self) -> float:
        return self.poses.fps

    @property
    def duration(self) -> float:
        return len(self.poses) / self.poses.fps


class TargetCache:
    """Prepared poses and latents on disk, keyed by content hash, backend and encoder."""

    def __init__(self, root: Path) -> None:
        check_folder(root, "cache folder", "set XDG_CACHE_HOME to a folder you can write to")
        self.root = root
        remove_orphans(root)

    @classmethod
    def default(cls) -> TargetCache:
        """The cache in the user cache folder (``config.cache_dir()``)."""
        return cls(cache_dir() / "prepared")

    def _poses_path(self, sha: str, backend: str) -> Path:
        return self.root / f"{sha}.{backend}.{ANALYSIS_FPS:g}fps.poses.npz"

    def _latents_path(self, sha: str, backend: str, encoder_version: str) -> Path:
        return self.root / f"{sha}.{backend}.{ANALYSIS_FPS:g}fps.{encoder_version}.latents.npy"

    def load_poses(self, sha: str, backend: str) -> PoseSequence | None:
        path = self._poses_path(sha, backend)
        try:
            return PoseSequence.from_bytes(path.read_bytes())
        except Exception:  # absent, truncated, empty or of another shape: recompute
            return None

    def save_poses(self, sha: str, backend: str, poses: PoseSequence) -> None:
        atomic_write_bytes(self._poses_path(sha, backend), poses.to_bytes())

    def load_latents(self, sha: str, backend: str, encoder_version: str) -> np.ndarray | None:
        try:
            latents = np.load(self._latents_path(sha, backend, encoder_version))
        except Exception:  # absent, truncated or not an array: recompute
            return None
        if not isinstance(latents, np.ndarray) or latents.ndim != 2 or latents.dtype.kind != "f":
            return None
        if not np.isfinite(latents).all():
            return None
        return latents

    def save_latents(
        self, sha: str, backend: str, encoder_version: str, latents: np.ndarray
    ) -> None:
        buffer = io.BytesIO()
        np.save(buffer, latents)
        atomic_write_bytes(self._latents_path(sha, backend, encoder_version), buffer.getvalue())


def embed_sequence(poses: PoseSequence, encoder: Encoder) -> np.ndarray:
    """(T, D) latents of every frame; rows of frames with nobody in them are 0."""
    latents = np.zeros((len(poses), encoder.config.latent_dim), np.float32)
    if poses.found.any():
        latents[poses.found] = encoder.embed(poses.features())[poses.found]
    return latents


def prepare_video(
    video: Path,
    encoder: Encoder,
    cache: TargetCache,
    backend: str = "blazepose",
    name: str | None = None,
    progress: ProgressFactory | None = None,
) -> Target:
    """Poses and latents of ``video``, from the cache when it has them (cached per concrete
    backend: ``auto`` is resolved first, so its poses are never read for another backend)."""
    backend = resolve_backend(backend)
    info = probe_video(video)
    sha = content_hash(video)
    poses = cache.load_poses(sha, backend)
    if poses is None:
        estimator = create_backend(backend)
        try:
            bar = start_bar(progress, f"Preparing {video.name}", info.frame_count)
            poses = extract_poses(video, estimator, bar, max_fps=ANALYSIS_FPS)
        finally:
            estimator.close()
        cache.save_poses(sha, backend, poses)
    latents = cache.load_latents(sha, backend, encoder.version)
    if latents is None or latents.shape != (len(poses), encoder.config.latent_dim):
        latents = embed_sequence(poses, encoder)
        cache.save_latents(sha, backend, encoder.version, latents)
    return Target(name or video.stem, video, sha, poses, latents, encoder.version)


@dataclass(frozen=True)
class LibraryEntry:
    name: str
    video: Path
    sha: str
    added: str
    duration: float


class TargetLibrary:
    """Named target videos in a folder: ``library.json`` plus a copy of each video.

    The library keeps its own copy of each video so that moving or deleting the original never
    breaks a target. The index is read and rewritten under a lock (``files.locked``), so two
    processes adding at once both keep their entry; copies are content-addressed and written
    atomically, and what a killed process left half-written is removed on the next start.
    """

    INDEX = "library.json"
    LOCK = ".library.lock"

    def __init__(self, root: Path) -> None:
        check_folder(root, "target library", "pass --library DIR with a folder, or move the file")
        self.root = root
        for folder in (root, root / "videos"):
            remove_orphans(folder)

    def _read(self) -> dict[str, dict]:
        path = self.root / self.INDEX
        try:
            text = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return {}
        except OSError as error:
            raise UserError(
                f"The target library index {path} cannot be read ({error.strerror})",
                "check the folder's permissions, or pass --library DIR",
            ) from None
        try:
            data = json.loads(text)
            entries = data["targets"]
            if not isinstance(entries, dict):
                raise TypeError
            return {str(name): _check_entry(entry) for name, entry in entries.items()}
        except (ValueError, KeyError, TypeError):
            raise UserError(
                f"The target library index {path} is damaged (not the index posesim-cam writes)",
                "restore it from a backup, or move it away to start a new library",
            ) from None

    def _write(self, entries: dict[str, dict]) -> None:
        text = json.dumps({"version": 1, "targets": entries}, indent=2, sort_keys=True)
        atomic_write_bytes(self.root / self.INDEX, text.encode())

    def entries(self) -> list[LibraryEntry]:
        return [
            LibraryEntry(name, self.root / e["file"], e["sha"], e["added"], e.get("duration", 0.0))
            for name, e in sorted(self._read().items())
        ]

    def get(self, name: str) -> LibraryEntry | None:
        for entry in self.entries():
            if entry.name == name:
                return entry
        return None

    def add(
        self, video: Path, name: str | None = None, replace: bool = False
    ) -> tuple[LibraryEntry, bool]:
        """Copy ``video`` into the library under ``name``; returns (entry, whether it changed).

        Adding the same video under the same name again is a no-op (and brings back a copy
        that went missing); a different video under a taken name is refused unless
        ``replace``.
        """
        info = probe_video(video)
        name = name or video.stem
        _check_name(name)
        sha = content_hash(video)
        file_name = f"videos/{sha}{video.suffix.lower()}"
        self._refuse_taken(self._read(), name, sha, replace)  # before the lock: fail fast
        with locked(self.root / self.LOCK):
            entries = self._read()  # again: another process may have added meanwhile
            old = entries.get(name)
            self._refuse_taken(entries, name, sha, replace)
            # The copy under the lock too, so that no other process's clean-up can drop it
            # before the index names it.
            self._copy_in(video, self.root / file_name)
            if old is not None and old["file"] == file_name:
                return self.get(name), False  # type: ignore[return-value]
            entries[name] = {
                "file": file_name,
                "sha": sha,
                "source": str(video.resolve()),
                "added": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "duration": round(info.duration, 3),
            }
            self._write(entries)
            if old is not None:
                self._drop_unused(old["file"], entries)
        return self.get(name), True  # type: ignore[return-value]

    @staticmethod
    def _refuse_taken(entries: dict[str, dict], name: str, sha: str, replace: bool) -> None:
        old = entries.get(name)
        if old is not None and old["sha"] != sha and not replace:
            raise UserError(
                f"A different video is already in the library as {name!r}",
                "choose another --name, or add --replace to replace it",
            )

    @staticmethod
    def _copy_in(video: Path, destination: Path) -> None:
        """Copy ``video`` to its content-addressed place, atomically (a copy already there
        with the right size is kept: same hash, same bytes)."""
        if not (destination.exists() and destination.stat().st_size == video.stat().st_size):
            atomic_copy(video, destination)

    def remove(self, name: str) -> None:
        with locked(self.root / self.LOCK):
            entries = self._read()
            if name not in entries:
                raise UserError(
                    f"There is no target called {name!r} in the library",
                    "`posesim-cam targets list` shows the names",
                )
            old = entries.pop(name)
            self._write(entries)
            self._drop_unused(old["file"], entries)

    def _drop_unused(self, file_name: str, entries: dict[str, dict]) -> None:
        if all(e["file"] != file_name for e in entries.values()):
            (self.root / file_name).unlink(missing_ok=True)

    def resolve(self, name_or_path: str) -> tuple[str, Path]:
        """(name, video path) for a library name or a video path."""
        entry = self.get(name_or_path)
        if entry is not None:
            if not entry.video.is_file():
                raise UserError(
                    f"The library's copy of {entry.name!r} ({entry.video}) is missing",
                    f"add the video again: `posesim-cam targets add VIDEO --name "
                    f"{entry.name!r}` (the same video brings it back)",
                )
            return entry.name, entry.video
        path = Path(name_or_path).expanduser()
        if path.exists():
            return path.stem, path
        names = ", ".join(e.name for e in self.entries()) or "none yet"
        raise UserError(
            f"{name_or_path!r} is neither a target in the library ({names}) nor a video file",
            "give a video path, or add it with `posesim-cam targets add VIDEO --name NAME`",
        )


def _check_entry(entry: object) -> dict:
    """A library index entry as ``add`` writes it; TypeError for anything else."""
    if not isinstance(entry, dict):
        raise TypeError
    file_name, sha = entry.get("file"), entry.get("sha")
    if not (
        isinstance(file_name, str) and isinstance(sha, str) and isinstance(entry.get("added"), str)
    ):
        raise TypeError
    # A path from the index never leaves the library folder.
    if Path(file_name).is_absolute() or ".." in Path(file_name).parts:
        raise TypeError
    duration = entry.get("duration", 0.0)
    if not isinstance(duration, (int, float)) or isinstance(duration, bool):
        raise TypeError
    return entry


def _check_name(name: str) -> None:
    if not name.strip() or not set(name) <= _NAME_CHARS or name.startswith("."):
        raise UserError(
            f"{name!r} cannot be a target name",
            "use letters, digits, spaces, dots, dashes and underscores",
        )
