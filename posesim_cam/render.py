"""`score --render`: the live composition, made offline for a scored pair of videos."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from posesim_cam.compare import ScoreResult
from posesim_cam.compose import Compositor, HudState
from posesim_cam.encoder import ScoreCalibration
from posesim_cam.limbs import pose_limb_warnings
from posesim_cam.live import TargetVideo
from posesim_cam.live_app import output_size
from posesim_cam.outputs import FileOutput
from posesim_cam.scoring import exponential_smoothing, grade
from posesim_cam.targets import ProgressFactory, Target
from posesim_cam.video import iter_frames

SUMMARY_SECONDS = 2.0  # the summary card is held this long at the end of the video
SMOOTHING = 0.5  # seconds, as the live score


def render_comparison(
    target: Target,
    attempt: Target,
    result: ScoreResult,
    out: Path,
    calibration: ScoreCalibration,
    progress: ProgressFactory | None = None,
) -> Path:
    """Write ``out`` (mp4): the attempt with the target picture-in-picture and the HUD.

    The target frame shown beside each attempt frame is the one DTW matched it with, so the
    video shows the alignment the score is based on. Nothing is left at ``out`` if it fails.
    """
    width, height = output_size(attempt.poses.frame_size)
    file = FileOutput(out, width, height, attempt.fps)
    compositor = Compositor(width, height)
    video = TargetVideo(target.video)
    similarity = np.nan_to_num(result.per_frame_similarity, nan=result.similarity)
    scores = exponential_smoothing(calibration.score(similarity), SMOOTHING, attempt.fps)
    callback = progress(f"Rendering {out.name}", len(attempt.poses)) if progress else None
    try:
        last = None
        for index, (_, frame) in enumerate(iter_frames(attempt.video)):
            if index >= len(attempt.poses):
                break
            matched = int(result.matched_target[index])
            pose = attempt.poses.pose(index)
            target_pose = target.poses.pose(matched) if matched >= 0 else None
            warnings = pose_limb_warnings(pose, target_pose, result.mirrored)
            score = float(scores[index]) if pose is not None else None
            last = HudState(
                phase="playing",
                user_pose=pose,
                limb_warnings=warnings,
                target_frame=video.frame(max(matched, 0)),
                target_pose=target_pose,
                score=score,
                grade=None if score is None else grade(score),
                target_name=target.name,
                progress=(index + 1) / len(attempt.poses),
                message=None if pose is not None else "No person in view",
            )
            file.send(compositor.compose(frame, last))
            if callback:
                callback(index + 1)
        if last is not None:
            best, worst = result.moments()
            card = replace(
                last,
                phase="summary",
                summary={
                    "score": result.score,
                    "grade": result.grade,
                    "best": best,
                    "worst": worst,
                    "personal_best": None,
                    "new_record": False,
                },
            )
            picture = compositor.compose(frame, card)
            for _ in range(round(SUMMARY_SECONDS * attempt.fps)):
                file.send(picture)
    except BaseException:
        file.discard()
        raise
    finally:
        video.close()
    file.close()
    return out
