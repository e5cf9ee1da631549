"""Where the lab_dance cross-view gap comes from: the estimator's disagreement between views, or
the encoder's view invariance. Prints a table; a diagnostic, never used to choose settings.

    pip download --no-deps pose2sim==0.10.49 -d /tmp/p2s && unzip -o -q /tmp/p2s/*.whl \\
        'Pose2Sim/Demo_SinglePerson/calibration/*' -d /tmp/p2s
    python bench/cross_view_oracle.py /tmp/p2s/Pose2Sim/Demo_SinglePerson/calibration/Calib.qca.txt
    python bench/cross_view_oracle.py CALIB blazepose-heavy      (the heavy backend's keypoints)

The four lab_dance clips are Pose2Sim's demo, filmed by four calibrated cameras (its Qualisys
calibration ships in the pose2sim wheel on PyPI; this project holds no copy). The script
triangulates MediaPipe's keypoints of the four views into one 3-D skeleton per frame (dropping
the view that disagrees most where that fits the others better) and projects it back into each
camera. The reprojections show exactly the same 3-D pose in every view, so their cross-view
similarity is what the encoder gives when the estimator agrees with itself across views.
Lens distortion is ignored (its coefficients are small; the reprojection error is reported).

A second table renders the triangulated skeleton with the training renderer, from pairs of
random cameras whose yaw differs by as much as the lab's cameras do (68, 107 and 162 degrees
from view 1), with the evaluation's estimator errors, beside the held-out mocap clips rendered
the same way: it tells whether the encoder's part of the gap comes from the camera angles or
from the poses themselves.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from posesim_cam.encoder import load_encoder
from posesim_cam.scoring.offline import compare
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import FLIP_INDEX, INDEX
from posesim_cam.targets import TargetCache, prepare_video
from posesim_cam.training.augment import augment_sequence, vary_bone_lengths
from posesim_cam.training.mocap import facing_directions, random_cameras, render_views_with_scores
from posesim_cam.training.mocap_data import FPS, load_mocap, split_clips
from posesim_cam.training.mocap_eval import EVAL_AUGMENT
from posesim_cam.training.real_eval import LAB

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
# Qualisys stores pixel quantities in sub-pixels of 1/64 pixel.
SUBPIXELS = 64.0
# A triangulation without one view must fit the other three this much better to be preferred.
DROP_VIEW_GAIN = 1.5
# Yaw differences of the synthetic camera pairs (degrees), and pairs per difference and clip.
YAW_DIFFERENCES = (0, 70, 110, 160)
PAIRS_PER_YAW = 16
# The lab cameras: 13-23 degrees above the person, 2.6-4.1 m away.
LAB_PITCH, LAB_DISTANCE = (12.0, 22.0), (3.0, 4.0)


def read_qualisys_cameras(path: Path) -> list[np.ndarray]:
    """(3, 4) projection matrices (world mm -> pixels) of a Qualisys .qca calibration.

    The transform gives the camera's position and a rotation whose rows map world axes to a
    camera frame looking along -z with y up; pixels are x right, y down, hence the flip.
    """
    text = path.read_text(encoding="ascii")
    cameras = []
    for block in re.findall(r"<camera .*?</camera>", text, re.S):
        transform = _attributes(block, "transform")
        intrinsic = _attributes(block, "intrinsic")
        rotation = np.array([[transform[f"r{i}{j}"] for j in (1, 2, 3)] for i in (1, 2, 3)])
        position = np.array([transform[k] for k in "xyz"])
        k = (
            np.array(
                [
                    [intrinsic["focalLengthU"], 0.0, intrinsic["centerPointU"]],
                    [0.0, intrinsic["focalLengthV"], intrinsic["centerPointV"]],
                    [0.0, 0.0, SUBPIXELS],
                ]
            )
            / SUBPIXELS
        )
        world_to_camera = np.diag([1.0, -1.0, -1.0]) @ rotation
        extrinsic = np.hstack([world_to_camera, (-world_to_camera @ position)[:, None]])
        cameras.append(k @ extrinsic)
    if not cameras:
        raise SystemExit(f"{path} holds no <camera> of a Qualisys calibration")
    return cameras


def _attributes(block: str, tag: str) -> dict[str, float]:
    element = re.search(rf"<{tag}\b[^>]*>", block)
    if element is None:
        raise SystemExit(f"a camera of the calibration has no <{tag}>")
    return {k: float(v) for k, v in re.findall(r'(\w+)="([-\d.e]+)"', element.group(0))}


def triangulate(projections: list[np.ndarray], points: np.ndarray, weights: np.ndarray):
    """Weighted linear (DLT) triangulation of one joint seen in several views: (3,) mm."""
    rows = []
    for p, (u, v), w in zip(projections, points, weights, strict=True):
        rows += [w * (u * p[2] - p[0]), w * (v * p[2] - p[1])]
    _, _, vt = np.linalg.svd(np.asarray(rows))
    return vt[-1, :3] / vt[-1, 3]


def project(projection: np.ndarray, point: np.ndarray) -> np.ndarray:
    x = projection @ np.append(point, 1.0)
    return x[:2] / x[2]


def robust_joint(projections, points, weights) -> tuple[np.ndarray, float]:
    """Triangulate from all views, or from all but the one that disagrees most: (3,), error."""
    best: tuple[float, np.ndarray] | None = None
    views = range(len(projections))
    for drop in [None, *views]:
        use = [k for k in views if k != drop]
        point = triangulate([projections[k] for k in use], points[use], weights[use])
        error = max(np.linalg.norm(project(projections[k], point) - points[k]) for k in use)
        penalised = error * (1.0 if drop is None else DROP_VIEW_GAIN)
        if best is None or penalised < best[0]:
            best = (penalised, point)
    assert best is not None
    return best[1], best[0]


def main() -> None:
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    projections = read_qualisys_cameras(Path(sys.argv[1]))
    backend = sys.argv[2] if len(sys.argv) == 3 else "blazepose"
    encoder = load_encoder()
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = TargetCache(Path(cache_dir))
        views = [
            prepare_video(TESTDATA / LAB.format(v), encoder, cache, backend).poses
            for v in (1, 2, 3, 4)
        ]
    frames, joints = views[0].keypoints.shape[:2]
    skeleton = np.zeros((frames, joints, 3))
    errors = np.zeros((frames, joints))
    for f in range(frames):
        for j in range(joints):
            points = np.array([v.keypoints[f, j] for v in views], np.float64)
            weights = np.array([v.scores[f, j] for v in views], np.float64)
            skeleton[f, j], errors[f, j] = robust_joint(projections, points, weights)
    reprojected = []
    for view, projection in zip(views, projections, strict=True):
        uv = np.array([[project(projection, x) for x in pose] for pose in skeleton], np.float32)
        ones = np.ones((frames, joints), np.float32)
        reprojected.append(PoseSequence(uv, ones, view.fps, view.frame_size))
    print(
        f"triangulation: median over joints of the largest reprojection error among the views "
        f"used, {np.median(errors):.1f} px (images 1920 px high)\n"
    )
    print("| pair | MediaPipe as filmed | consistent reprojections |")
    print("|---|---|---|")
    for v in (1, 2, 3):
        filmed = compare(views[0], views[v], encoder).similarity
        consistent = compare(reprojected[0], reprojected[v], encoder).similarity
        print(f"| lab_dance view 1 vs view {v + 1} | {filmed:.3f} | {consistent:.3f} |")
    for v in range(4):
        own = compare(views[v], reprojected[v], encoder).similarity
        print(f"| view {v + 1}: MediaPipe vs its reprojection | {own:.3f} | |")
    skeleton_table(skeleton, views[0].fps, encoder)


def render_at_yaw(
    points: np.ndarray, fps: float, yaw: float, rng: np.random.Generator
) -> PoseSequence:
    """One evaluation-style render ((T, 17, 3) cm, +Y up) from a lab-like camera at ``yaw``."""
    (camera,) = random_cameras(
        rng, 1, points, yaw_range=(yaw, yaw), pitch_range=LAB_PITCH, distance_range=LAB_DISTANCE
    )
    body = vary_bone_lengths(points, rng)
    kp, sc = render_views_with_scores(body, [camera], follow=True)
    kp, sc = kp[0], sc[0]
    hips = (body[:, INDEX["left_hip"]] + body[:, INDEX["right_hip"]]) / 2
    behind = (facing_directions(body) * (camera.position - hips)).sum(axis=1) < 0
    kp = np.where(behind[:, None, None], kp[:, FLIP_INDEX], kp)  # as MediaPipe labels it
    sc = np.where(behind[:, None], sc[:, FLIP_INDEX], sc)
    kp, sc = augment_sequence(kp, sc, rng, EVAL_AUGMENT)
    return PoseSequence(kp, sc, fps, (camera.width, camera.height))


def synthetic_cross_view(
    clips: list[tuple[np.ndarray, float]], encoder, seed: int = 5
) -> dict[int, float]:
    """Mean similarity of camera pairs ``YAW_DIFFERENCES`` apart over ``clips`` ((points, fps))."""
    rng = np.random.default_rng(seed)
    out = {}
    for delta in YAW_DIFFERENCES:
        sims = []
        for points, fps in clips:
            for _ in range(PAIRS_PER_YAW):
                base = rng.uniform(-180.0, 180.0)
                a = render_at_yaw(points, fps, base, rng)
                b = render_at_yaw(points, fps, base + delta, rng)
                sims.append(compare(a, b, encoder).similarity)
        out[delta] = float(np.mean(sims))
    return out


def skeleton_table(skeleton_mm: np.ndarray, fps: float, encoder) -> None:
    # Qualisys world: z up, millimetres; the renderer: +Y up, centimetres (a proper rotation).
    skeleton = (skeleton_mm[..., [0, 2, 1]] * np.array([1.0, 1.0, -1.0]) / 10.0).astype(np.float32)
    length = round(len(skeleton) / fps * FPS)  # mocap windows as long as the lab clip
    _, held = split_clips(load_mocap(TESTDATA / "mocap"))
    windows = [
        (clip.points[start : start + length], FPS)
        for clip in held
        for start in range(0, len(clip.points) - length + 1, length)[:2]
    ]
    mocap = synthetic_cross_view(windows, encoder)
    lab = synthetic_cross_view([(skeleton, fps)], encoder)
    print(
        f"\n| camera yaw difference | held-out mocap ({len(windows)} windows of "
        f"{length / FPS:.1f} s) | lab_dance triangulated skeleton |"
    )
    print("|---|---|---|")
    for delta in YAW_DIFFERENCES:
        print(f"| {delta}° | {mocap[delta]:.3f} | {lab[delta]:.3f} |")


if __name__ == "__main__":
    main()
