"""The real-media pairings of ../shared/testdata/SOURCES.md, as (name, target, attempt)."""

from __future__ import annotations

from pathlib import Path

from posesim_cam.sequence import PoseSequence

SQUATS = "video/squats_1person_5fps.mp4"
DANCE = "video/dance_1person_30fps.mp4"
LAB = "video/lab_dance_view{}.mp4"


def clip(sequence: PoseSequence, start: int, stop: int) -> PoseSequence:
    return PoseSequence(
        sequence.keypoints[start:stop],
        sequence.scores[start:stop],
        sequence.fps,
        sequence.frame_size,
    )


def real_pairs(
    poses: dict[str, PoseSequence],
) -> dict[str, list[tuple[str, PoseSequence, PoseSequence]]]:
    """Pairs by kind: 'self', 'same' (same movement) and 'different'."""
    squats, dance, lab1 = poses[SQUATS], poses[DANCE], poses[LAB.format(1)]
    return {
        "self": [(f"{Path(k).stem} vs itself", s, s) for k, s in poses.items()],
        "same": [
            ("squat rep 1 vs rep 2", clip(squats, 0, 25), clip(squats, 24, 50)),
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


ALL_VIDEOS = (SQUATS, DANCE, *(LAB.format(v) for v in (1, 2, 3, 4)))
