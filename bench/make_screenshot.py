"""Render the README screenshots of the live HUD from real test media, and time compose().

Camera: a frame of dance_1person_30fps.mp4 (576x576, letterboxed into the output); target: a
frame of lab_dance_view1.mp4 (portrait 1080x1920). Both poses come from the default pose
backend, the limb warnings from posesim_cam.scoring.limbs, exactly as in the live loop.

    python bench/make_screenshot.py [--out docs] [--camera-frame 100] [--target-frame 10]

Test media: $POSESIM_TESTDATA, default ../shared/testdata relative to the repository root.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import cv2
import numpy as np

from posesim_cam.hud import Compositor, HudState, Phase, SummaryCard
from posesim_cam.pose import create_backend
from posesim_cam.pose.base import Pose
from posesim_cam.scoring.limbs import pose_limb_warnings
from posesim_cam.scoring.outcome import grade

REPO_ROOT = Path(__file__).resolve().parent.parent
SIZES = ((640, 480), (1280, 720))
SCORE = 78.0
MAX_PNG_BYTES = 600_000


def testdata_dir() -> Path:
    return Path(os.environ.get("POSESIM_TESTDATA", REPO_ROOT.parent / "shared" / "testdata"))


def read_frame(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` (0-based) of the video at ``path``, BGR."""
    cap = cv2.VideoCapture(str(path))
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok:
        raise SystemExit(f"cannot read frame {index} of {path}")
    return frame


def main_pose(estimator, frame: np.ndarray, what: str) -> Pose:
    poses = estimator.estimate(frame)
    if not poses:
        raise SystemExit(f"no person found in the {what} frame")
    return poses[0]


def write_png(path: Path, image: np.ndarray) -> None:
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise SystemExit(f"cannot encode {path}")
    if len(data) > MAX_PNG_BYTES:
        raise SystemExit(f"{path} would be {len(data)} bytes, over {MAX_PNG_BYTES}")
    path.write_bytes(data.tobytes())
    print(f"wrote {path} ({len(data) // 1024} KB)")


def time_compose(
    compositor: Compositor, camera: np.ndarray, hud: HudState, runs: int = 200
) -> float:
    """Median milliseconds per compose() call."""
    for _ in range(10):
        compositor.compose(camera, hud)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        compositor.compose(camera, hud)
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs")
    parser.add_argument("--camera-frame", type=int, default=100)
    parser.add_argument("--target-frame", type=int, default=10)
    parser.add_argument("--mirrored", action="store_true", help="compare with the target mirrored")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()

    video = testdata_dir() / "video"
    camera = read_frame(video / "dance_1person_30fps.mp4", args.camera_frame)
    target = read_frame(video / "lab_dance_view1.mp4", args.target_frame)
    estimator = create_backend("blazepose", static_image=True)
    user_pose = main_pose(estimator, camera, "camera")
    target_pose = main_pose(estimator, target, "target")
    estimator.close()

    warnings = pose_limb_warnings(user_pose, target_pose, args.mirrored)
    playing = HudState(
        phase=Phase.PLAYING,
        user_pose=user_pose,
        limb_warnings=warnings,
        target_frame=target,
        target_pose=target_pose,
        score=SCORE,
        grade=grade(SCORE),
        target_name="lab_dance_view1",
        progress=0.42,
    )
    summary = HudState(
        phase=Phase.FINISHED,
        target_name="lab_dance_view1",
        summary=SummaryCard(
            score=84.0,
            grade=grade(84.0),
            best=((12, 96.0), (31, 93.0), (7, 91.0)),
            worst=((22, 41.0), (3, 55.0)),
            personal_best=79.0,
            new_record=True,
        ),
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        compositor = Compositor(width, height)
        frame = compositor.compose(camera, playing)
        write_png(args.out / f"screenshot_{width}x{height}.png", frame)
    write_png(args.out / "screenshot_summary.png", Compositor(1280, 720).compose(camera, summary))

    if not args.no_timing:
        cv2.setNumThreads(1)  # the budget is for one core
        # A webcam delivers the output size itself; a 576x576 clip needs letterboxing too.
        for width, height in SIZES:
            compositor = Compositor(width, height)
            native = cv2.resize(camera, (width, height))
            ms_native = time_compose(compositor, native, playing)
            ms_letterbox = time_compose(compositor, camera, playing)
            print(
                f"compose {width}x{height}: {ms_native:.2f} ms (camera at output size), "
                f"{ms_letterbox:.2f} ms (576x576 camera letterboxed), one thread, median"
            )


if __name__ == "__main__":
    main()
