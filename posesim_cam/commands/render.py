"""``score --render``: the live composition, made offline for a scored pair of videos.

Builds the same ``HudState`` the live session does (``HudState.for_attempt``) from the offline
result. Imports the HUD, outputs, video and scoring; no session, no CLI.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posesim_cam.clock import Phase
from posesim_cam.encoder import ScoreCalibration
from posesim_cam.hud import Compositor, HudState, SummaryCard
from posesim_cam.outputs import FileOutput, output_size
from posesim_cam.progress import ProgressFactory, start_bar
from posesim_cam.scoring.limbs import pose_limb_warnings
from posesim_cam.scoring.offline import ScoreResult
from posesim_cam.scoring.outcome import smoothed_scores
from posesim_cam.targets import Target
from posesim_cam.video import TargetVideo, iter_frames

SUMMARY_SECONDS = 2.0  # the summary card is held this long at the end of the video


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
    scores = smoothed_scores(calibration.score(similarity), attempt.fps)
    bar = start_bar(progress, f"Rendering {out.name}", len(attempt.poses))
    frames = len(attempt.poses)
    try:
        hud: HudState | None = None
        for index, (_, frame) in enumerate(iter_frames(attempt.video)):
            if index >= frames:
                break
            matched = int(result.matched_target[index])
            pose = attempt.poses.pose(index)
            target_pose = target.poses.pose(matched) if matched >= 0 else None
            hud = HudState.for_attempt(
                Phase.PLAYING,
                target_name=target.name,
                progress=(index + 1) / frames,
                user_pose=pose,
                target_pose=target_pose,
                score=float(scores[index]) if pose is not None else None,
                limb_warnings=pose_limb_warnings(pose, target_pose, result.mirrored),
                target_frame=video.frame(max(matched, 0)),
            )
            file.send(compositor.compose(frame, hud))
            bar(index + 1)
        if hud is not None:
            best, worst = result.moments()
            card = HudState.for_attempt(
                Phase.FINISHED,
                target_name=target.name,
                progress=1.0,
                user_pose=hud.user_pose,
                target_pose=hud.target_pose,
                summary=SummaryCard(result.score, result.grade, tuple(best), tuple(worst)),
                target_frame=hud.target_frame,
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
