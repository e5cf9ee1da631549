"""``Workspace``: the few settings every use case shares, in one value instead of a trio of
arguments threaded through each call (library folder, pose backend, encoder model, cache).

Imports targets, encoder, pose registry and config; nothing above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from posesim_cam.config import default_library_dir
from posesim_cam.encoder import Encoder, load_encoder
from posesim_cam.errors import NoPersonError, UserError, require_module
from posesim_cam.pose.registry import DEFAULT_BACKEND
from posesim_cam.progress import ProgressFactory
from posesim_cam.targets import Target, TargetCache, TargetLibrary, prepare_video


@dataclass(frozen=True)
class Workspace:
    """Where the user's targets and caches are and how poses are found.

    Attributes:
        library_dir: the target library folder; None: the user data folder's.
        backend: the pose backend's registered name.
        model_path: the encoder file; None: the one shipped.
        cache_root: where prepared targets are cached; None: the user cache folder's.
    """

    library_dir: Path | None = None
    backend: str = DEFAULT_BACKEND
    model_path: Path | None = None
    cache_root: Path | None = None

    @property
    def library(self) -> TargetLibrary:
        return TargetLibrary(self.library_dir or default_library_dir())

    @property
    def cache(self) -> TargetCache:
        return TargetCache(self.cache_root) if self.cache_root else TargetCache.default()

    def encoder(self) -> Encoder:
        """The encoder (loaded anew: a file may change between calls)."""
        return load_encoder(self.model_path)

    def prepare(
        self,
        video: Path,
        encoder: Encoder,
        name: str | None = None,
        progress: ProgressFactory | None = None,
    ) -> Target:
        """A video prepared into poses and latents (cached)."""
        return prepare_video(video, encoder, self.cache, self.backend, name, progress)

    def load_target(
        self, name_or_path: str, encoder: Encoder, progress: ProgressFactory | None = None
    ) -> Target:
        """A library name or a video path, prepared."""
        name, video = self.library.resolve(name_or_path)
        return self.prepare(video, encoder, name, progress)


def backend_name(
    backend: str,
    checkpoint: Path | None = None,
    detector: str | None = None,
    detector_model: Path | None = None,
    pose_runtime: str | None = None,
    flip_test: bool | None = False,
) -> str:
    """The pose backend the command line asks for, as a registered name: ``--backend
    alphapose`` with its ``--checkpoint`` (and detector, runtime, flip test) becomes a backend
    named after the checkpoint's hash (``pose.alphapose.register_alphapose``)."""
    extras = {"--checkpoint": checkpoint, "--detector": detector,
              "--detector-model": detector_model, "--pose-runtime": pose_runtime,
              "--flip-test": flip_test or None}  # fmt: skip
    if backend != "alphapose":
        given = [option for option, value in extras.items() if value is not None]
        if given:
            raise UserError(
                f"{given[0]} is an option of the alphapose backend, not of {backend}",
                "add --backend alphapose, or leave it out",
            )
        return backend
    require_module("torch", "alphapose", "The alphapose backend")
    from posesim_cam.pose.alphapose import DOWNLOAD_HINT, AlphaPoseSettings, register_alphapose
    from posesim_cam.pose.detectors import DEFAULT_DETECTOR

    if checkpoint is None:
        raise UserError("--backend alphapose needs --checkpoint PATH", DOWNLOAD_HINT)
    settings = AlphaPoseSettings(
        checkpoint, detector or DEFAULT_DETECTOR, detector_model, pose_runtime or "torch",
        flip_test=bool(flip_test),
    )  # fmt: skip
    return register_alphapose(settings)


ALPHAPOSE_OPTIONS = ("checkpoint", "detector", "detector_model", "pose_runtime", "flip_test")


def check_alphapose_options(backend: str, typed: dict) -> None:
    """UserError when ``typed`` (the options given on the command line) holds an alphapose
    option and ``backend`` is another one; a config file may keep them unused."""
    if backend != "alphapose":
        backend_name(backend, **{n: typed[n] for n in ALPHAPOSE_OPTIONS if n in typed})


def naming_role(role: str, error: NoPersonError) -> NoPersonError:
    """``error`` with the side it concerns ("the target", "the attempt") in its sentence."""
    return NoPersonError(f"{error.problem} (the {role})", error.remedy)
