"""The real test pairings of SOURCES.md: which clips pair with which, follower variants, scores.

``real_pairs`` builds the pairings of the real test videos (each clip with itself, the same
movement, different movements), ``VARIANTS`` the follower as a mirror image, smaller in the
frame and slower, and ``real_results`` scores every pairing through ``scoring.offline.compare``;
``load_real_poses`` gets the videos' poses through the target cache. The report (``evaluate``),
the ablations, the benches and the real-media tests share these pairings. It may import the
package's numerics and ``posesim_cam.targets`` (for the poses), never the CLI, the
commands, the session or the HUD.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posesim_cam.encoder import Encoder
from posesim_cam.errors import UserError
from posesim_cam.features import mirror_keypoints
from posesim_cam.pose.registry import DEFAULT_BACKEND
from posesim_cam.progress import ProgressFactory
from posesim_cam.scoring.offline import compare
from posesim_cam.sequence import PoseSequence
from posesim_cam.targets import TargetCache, prepare_video

SQUATS = "video/squats_1person_5fps.mp4"
DANCE = "video/dance_1person_30fps.mp4"
LAB = "video/lab_dance_view{}.mp4"
REAL_VIDEOS = (SQUATS, DANCE, *(LAB.format(v) for v in (1, 2, 3, 4)))


def clip_frames(sequence: PoseSequence, start: int, stop: int) -> PoseSequence:
    """Frames ``start`` to ``stop`` (exclusive) of ``sequence``."""
    return PoseSequence(
        sequence.keypoints[start:stop],
        sequence.scores[start:stop],
        sequence.fps,
        sequence.frame_size,
    )


def squat_reps(squats: PoseSequence) -> tuple[PoseSequence, PoseSequence]:
    """Rep 1 (frames 0-24) and rep 2 (frames 24-49) of the squats clip (SOURCES.md)."""
    return clip_frames(squats, 0, 25), clip_frames(squats, 24, 50)


def real_pairs(
    poses: dict[str, PoseSequence],
) -> dict[str, list[tuple[str, PoseSequence, PoseSequence]]]:
    """The pairings of SOURCES.md by kind: 'self', 'same' (same movement) and 'different'."""
    squats, dance, lab1 = poses[SQUATS], poses[DANCE], poses[LAB.format(1)]
    return {
        "self": [(f"{Path(k).stem} vs itself", s, s) for k, s in poses.items()],
        "same": [
            ("squat rep 1 vs rep 2", *squat_reps(squats)),
            *[(f"lab_dance view 1 vs view {v}", lab1, poses[LAB.format(v)]) for v in (2, 3, 4)],
        ],
        "different": [
            ("squats vs dance", squats, dance),
            ("dance vs squats", dance, squats),
            ("squats vs lab_dance", squats, lab1),
            ("lab_dance vs squats", lab1, squats),
            ("dance vs lab_dance", dance, lab1),
            ("lab_dance vs dance", lab1, dance),
        ],
    }


def mirrored(sequence: PoseSequence) -> PoseSequence:
    """The follower as a mirror image (a mirrored webcam picture)."""
    kp, sc = mirror_keypoints(sequence.keypoints, sequence.scores, sequence.frame_size[0])
    return PoseSequence(kp, np.asarray(sc, np.float32), sequence.fps, sequence.frame_size)


def smaller(sequence: PoseSequence, factor: float = 0.5) -> PoseSequence:
    """The follower smaller in the frame: keypoints scaled by ``factor`` about the centre."""
    centre = np.asarray(sequence.frame_size, np.float32) / 2
    kp = (centre + (sequence.keypoints - centre) * factor).astype(np.float32)
    return PoseSequence(kp, sequence.scores, sequence.fps, sequence.frame_size)


def slower(sequence: PoseSequence, factor: float = 1.5) -> PoseSequence:
    """The follower ``factor`` times slower: frames repeated, same frame rate."""
    index = np.floor(np.arange(0, len(sequence), 1.0 / factor)).astype(np.intp)
    return PoseSequence(
        sequence.keypoints[index], sequence.scores[index], sequence.fps, sequence.frame_size
    )


VARIANTS: dict[str, Callable[[PoseSequence], PoseSequence]] = {
    "mirrored": mirrored,
    "smaller": smaller,
    "slower": slower,
}


@dataclass(frozen=True)
class RealResult:
    kind: str
    label: str
    variant: str  # "" for the pair as filmed
    similarity: float
    score: float


def real_results(
    poses: dict[str, PoseSequence], encoder: Encoder, variants: bool = True
) -> list[RealResult]:
    """Every pairing (and, for same/different, its follower variants) through ``compare``."""
    out = []
    for kind, pairs in real_pairs(poses).items():
        for label, target, attempt in pairs:
            todo = [("", attempt)]
            if variants and kind != "self":
                todo += [(name, make(attempt)) for name, make in VARIANTS.items()]
            for variant, seq in todo:
                try:
                    result = compare(target, seq, encoder)
                    out.append(RealResult(kind, label, variant, result.similarity, result.score))
                except UserError:
                    out.append(RealResult(kind, label, variant, float("nan"), float("nan")))
    return out


def load_real_poses(
    testdata: Path,
    encoder: Encoder,
    cache: TargetCache,
    backend: str = DEFAULT_BACKEND,
    progress: ProgressFactory | None = None,
) -> dict[str, PoseSequence]:
    """Poses of the real test videos (via the target cache: estimated once per backend)."""
    out = {}
    for video in REAL_VIDEOS:
        path = Path(testdata) / video
        if not path.exists():
            raise UserError(
                f"The test video {path} does not exist",
                "point --data or POSESIM_TESTDATA at the shared testdata folder",
            )
        out[video] = prepare_video(path, encoder, cache, backend, progress=progress).poses
    return out
