"""HudState.for_attempt: the HUD rules the live session and the offline render share."""

from __future__ import annotations

import numpy as np
import pytest

from posesim_cam.clock import Phase
from posesim_cam.hud import HudState, SummaryCard
from posesim_cam.pose.base import Pose
from posesim_cam.skeleton import LIMBS

POSE = Pose.from_keypoints(np.full((17, 2), 10.0, np.float32), np.ones(17, np.float32))
WARNINGS = np.zeros(len(LIMBS), bool)


def state(phase: Phase, **changes: object) -> HudState:
    values: dict = {
        "target_name": "t",
        "progress": 0.5,
        "user_pose": POSE,
        "target_pose": POSE,
        "score": 80.0,
        "limb_warnings": WARNINGS,
        "countdown": 2.0,
        "summary": SummaryCard(score=70.0, grade="Good"),
    }
    return HudState.for_attempt(phase, **{**values, **changes})


def test_playing_shows_the_score_its_grade_and_limb_colours_only():
    hud = state(Phase.PLAYING)
    assert hud.score == 80.0 and hud.grade == "Great" and hud.limb_warnings is WARNINGS
    assert hud.countdown is None and hud.summary is None and hud.message is None


def test_nobody_in_view_is_said_while_scoring_only():
    assert state(Phase.PLAYING, user_pose=None).message == "No person in view"
    assert state(Phase.PAUSED, user_pose=None).message == "No person in view"
    assert state(Phase.COUNTDOWN, user_pose=None).message is None


def test_the_countdown_and_the_summary_show_nothing_of_the_score():
    counting = state(Phase.COUNTDOWN)
    assert counting.countdown == 2.0 and counting.score is None and counting.grade is None
    finished = state(Phase.FINISHED)
    assert finished.summary == SummaryCard(score=70.0, grade="Good")
    assert finished.score is None and finished.limb_warnings is None


def test_progress_is_clamped_and_phases_are_checked():
    assert state(Phase.PLAYING, progress=1.7).progress == 1.0
    assert state(Phase.PLAYING, progress=-0.2).progress == 0.0
    assert HudState(phase="paused").phase is Phase.PAUSED  # a phase's value is accepted
    with pytest.raises(ValueError, match="phase"):
        HudState(phase="dancing")
