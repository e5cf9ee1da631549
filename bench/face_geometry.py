"""Where the face sits on the body: MediaPipe's poses of real people against the mocap skeleton.

    python bench/face_geometry.py            (POSESIM_TESTDATA picks the media folder)
    python bench/face_geometry.py blazepose-heavy   (the heavy backend's poses)

For upright poses seen from the front, prints how far the nose, eyes and ears sit above the
shoulders (in torso lengths) and how wide the eyes and ears are (in shoulder widths):
- MediaPipe on the real media that may be trained on or looked at (squats_1person and
  dance_1person, frames with face, shoulders and hips found with confidence over 0.5; the
  three full-body stills), and their mean;
- every mocap clip (one frame in five, seen from straight in front by an orthographic camera)
  with the face turned up from the skeleton's head frame by several angles, the shipped one
  (``mocap.HEAD_PITCH_DEG``) marked, and each angle's RMS gap to the real mean.

The lab_dance clips are not read: they are for evaluation only.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from posesim_cam.encoder import load_encoder
from posesim_cam.pose.registry import create_backend
from posesim_cam.skeleton import INDEX
from posesim_cam.targets import TargetCache, prepare_video
from posesim_cam.training.bvh import Motion, load_bvh
from posesim_cam.training.mocap import HEAD_PITCH_DEG, coco3d_from_motion, facing_directions
from posesim_cam.training.real_eval import DANCE, SQUATS

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
STILLS = ("images/person_full_body.jpg", "images/basketball1.png", "images/basketball2.png")
PITCHES = (0.0, 10.0, 15.0, 20.0, 25.0, 30.0)
HEIGHTS = ("nose", "eyes", "ears")
FIT = [f"{part} above shoulders" for part in HEIGHTS]
_FACE_AND_TORSO = [
    INDEX[n]
    for n in (
        "nose", "left_eye", "right_eye", "left_ear", "right_ear",
        "left_shoulder", "right_shoulder", "left_hip", "right_hip",
    )
]  # fmt: skip


def _mid(xy: np.ndarray, a: str, b: str) -> np.ndarray:
    return (xy[:, INDEX[a]] + xy[:, INDEX[b]]) / 2


def _width(xy: np.ndarray, a: str, b: str) -> np.ndarray:
    return np.linalg.norm(xy[:, INDEX[a]] - xy[:, INDEX[b]], axis=1)


def upright_front(xy: np.ndarray) -> np.ndarray:
    """(N,) bool: torso within ~18 degrees of vertical and shoulders at least half a torso wide
    (seen from the front or back, not the side). ``xy`` (N, 17, 2) with y up."""
    torso = _mid(xy, "left_shoulder", "right_shoulder") - _mid(xy, "left_hip", "right_hip")
    length = np.linalg.norm(torso, axis=1)
    return (torso[:, 1] > 0.95 * length) & (
        _width(xy, "left_shoulder", "right_shoulder") > 0.5 * length
    )


def face_geometry(xy: np.ndarray) -> dict[str, float]:
    """Medians over poses (N, 17, 2), y up, of the face's height and width measures."""
    shoulders = _mid(xy, "left_shoulder", "right_shoulder")
    torso = np.linalg.norm(shoulders - _mid(xy, "left_hip", "right_hip"), axis=1)
    shoulder_width = _width(xy, "left_shoulder", "right_shoulder")
    points = {
        "nose": xy[:, INDEX["nose"]],
        "eyes": _mid(xy, "left_eye", "right_eye"),
        "ears": _mid(xy, "left_ear", "right_ear"),
    }
    out = {f"{k} above shoulders": (p[:, 1] - shoulders[:, 1]) / torso for k, p in points.items()}
    out["eye width"] = _width(xy, "left_eye", "right_eye") / shoulder_width
    out["ear width"] = _width(xy, "left_ear", "right_ear") / shoulder_width
    return {k: float(np.median(v)) for k, v in out.items()}


def real_sources(backend: str = "blazepose") -> dict[str, np.ndarray]:
    """MediaPipe poses (N, 17, 2), y up, of the upright frontal frames of each real source."""
    encoder = load_encoder()
    out = {}
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = TargetCache(Path(cache_dir))
        for video in (SQUATS, DANCE):
            poses = prepare_video(TESTDATA / video, encoder, cache, backend).poses
            xy = poses.keypoints * np.array([1.0, -1.0], np.float32)
            sure = poses.found & (poses.scores[:, _FACE_AND_TORSO].min(axis=1) > 0.5)
            out[Path(video).stem] = xy[sure & upright_front(xy)]
    estimator = create_backend(backend, static_image=True)
    try:
        for still in STILLS:
            image = cv2.imread(str(TESTDATA / still))
            if image is None:
                raise SystemExit(f"cannot read {TESTDATA / still}")
            found = estimator.estimate(image)
            if found:
                xy = found[0].keypoints[None] * np.array([1.0, -1.0], np.float32)
                out[Path(still).stem] = xy[upright_front(xy)]
    finally:
        estimator.close()
    return {k: v for k, v in out.items() if len(v)}


def mocap_front_views(pitch: float, motions: list[Motion]) -> np.ndarray:
    """Every mocap clip at 6 fps with the face turned up by ``pitch``, seen from the front."""
    points = np.concatenate([coco3d_from_motion(m, fps=6.0, head_pitch_deg=pitch) for m in motions])
    facing = facing_directions(points)
    right = np.cross(np.array([0.0, 1.0, 0.0]), facing)
    right /= np.linalg.norm(right, axis=1, keepdims=True)
    # The viewer's x: the person's left appears on the right of the image.
    xy = np.stack([np.einsum("nkd,nd->nk", points, -right), points[..., 1]], axis=-1)
    return xy[upright_front(xy)]


def main(backend: str = "blazepose") -> None:
    sources = real_sources(backend)
    real = {name: face_geometry(xy) for name, xy in sources.items()}
    keys = list(next(iter(real.values())))
    mean = {k: float(np.mean([r[k] for r in real.values()])) for k in keys}
    motions = [load_bvh(p) for p in sorted((TESTDATA / "mocap").glob("*.bvh"))]
    header = ["source", "poses", *keys, "RMS gap to the real mean (heights)"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in real.items():
        cells = [name, str(len(sources[name])), *(f"{row[k]:.3f}" for k in keys), ""]
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["real, mean", "", *(f"{mean[k]:.3f}" for k in keys), ""]
    lines.append("| " + " | ".join(cells) + " |")
    for pitch in PITCHES:
        xy = mocap_front_views(pitch, motions)
        row = face_geometry(xy)
        gap = float(np.sqrt(np.mean([(row[k] - mean[k]) ** 2 for k in FIT])))
        label = f"mocap, face up {pitch:g}°" + (" (shipped)" if pitch == HEAD_PITCH_DEG else "")
        cells = [label, str(len(xy)), *(f"{row[k]:.3f}" for k in keys), f"{gap:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:2])
