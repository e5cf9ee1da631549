"""LiveScorer with numbers: a lagging copy of the target, its mirror image, and gaps."""

from __future__ import annotations

import numpy as np
import pytest

from posesim_cam.encoder import default_model_path, load_encoder
from posesim_cam.features import mirror_keypoints
from posesim_cam.pose.base import Pose
from posesim_cam.scoring.online import LiveScorer
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import INDEX


def moving_person(frames: int = 90, fps: float = 30.0) -> PoseSequence:
    """A standing figure that raises its left arm and lowers it again."""
    base = np.array(
        [
            [320, 100],
            [330, 90],
            [310, 90],
            [340, 95],
            [300, 95],
            [360, 150],
            [280, 150],
            [380, 220],
            [260, 220],
            [390, 290],
            [250, 290],
            [345, 290],
            [295, 290],
            [345, 380],
            [295, 380],
            [345, 470],
            [295, 470],
        ],
        np.float32,
    )
    keypoints = np.repeat(base[None], frames, axis=0)
    angle = np.sin(np.linspace(0, np.pi, frames)) * np.pi * 0.9  # up and down again
    shoulder = base[INDEX["left_shoulder"]]
    for joint, length in (("left_elbow", 75.0), ("left_wrist", 145.0)):
        keypoints[:, INDEX[joint], 0] = shoulder[0] + length * np.sin(angle)
        keypoints[:, INDEX[joint], 1] = shoulder[1] + length * np.cos(angle)
    return PoseSequence(keypoints, np.ones((frames, 17), np.float32), fps, (640, 480))


def run(scorer: LiveScorer, user: PoseSequence, lag: int) -> list:
    results = []
    for t in range(len(user)):
        index = max(t - lag, 0)
        pose = Pose.from_keypoints(user.keypoints[index], user.scores[index])
        results.append(scorer.step(pose, playhead=t, time=t / user.fps))
    return results


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


def test_a_lagging_copy_scores_near_the_top(encoder):
    target = moving_person()
    scorer = LiveScorer(target, encoder)
    results = run(scorer, target, lag=15)  # half a second behind
    assert np.mean([r.similarity for r in results[20:]]) > 0.95
    summary = scorer.summary()
    assert summary.score >= 90 and not summary.mirrored
    assert summary.frames == summary.scored_frames == 90
    assert [p.second for p in summary.timeline] == [0, 1, 2]


def test_the_mirror_image_is_recognised_and_refused_with_no_mirror():
    # v1 tells a pose from its mirror image, so --no-mirror can refuse a mirrored follower.
    encoder = load_encoder(default_model_path().with_name("encoder_v1.npz"))
    target = moving_person()
    keypoints, scores = mirror_keypoints(target.keypoints, target.scores, 640)
    mirrored_user = PoseSequence(keypoints, scores, target.fps, target.frame_size)
    scorer = LiveScorer(target, encoder, mirror=True)
    run(scorer, mirrored_user, lag=0)
    assert scorer.summary().mirrored and scorer.summary().score >= 90
    strict = LiveScorer(target, encoder, mirror=False)
    run(strict, mirrored_user, lag=0)
    assert strict.summary().score < scorer.summary().score


def test_the_default_encoder_treats_a_pose_and_its_mirror_image_alike(encoder):
    # v2 learnt that a back view, as MediaPipe labels it, is the mirror image of a front view.
    target = moving_person()
    keypoints, scores = mirror_keypoints(target.keypoints, target.scores, 640)
    mirrored_user = PoseSequence(keypoints, scores, target.fps, target.frame_size)
    strict = LiveScorer(target, encoder, mirror=False)
    run(strict, mirrored_user, lag=0)
    assert strict.summary().similarity > 0.9


def test_frames_without_a_person_are_not_scored(encoder):
    target = moving_person()
    scorer = LiveScorer(target, encoder)
    result = scorer.step(None, playhead=0, time=0.0)
    assert result.similarity is None and result.score is None
    assert scorer.summary().scored_frames == 0 and scorer.summary().frames == 1


def test_scattered_keypoints_are_not_scored(encoder):
    target = moving_person()
    scorer = LiveScorer(target, encoder)
    rng = np.random.default_rng(1)
    junk = [Pose.from_keypoints(rng.uniform(0, 480, (17, 2)), np.ones(17)) for _ in range(30)]
    results = [scorer.step(pose, playhead=t, time=t / 30) for t, pose in enumerate(junk)]
    assert sum(r.similarity is None for r in results) >= 20
    assert scorer.summary().scored_frames == sum(r.similarity is not None for r in results)


def test_a_track_of_mostly_scattered_keypoints_is_broken(encoder):
    target = moving_person()
    rng = np.random.default_rng(2)
    broken, fine = LiveScorer(target, encoder), LiveScorer(target, encoder)
    for t in range(len(target)):
        scattered = Pose.from_keypoints(rng.uniform(0, 480, (17, 2)), np.ones(17))
        body = Pose.from_keypoints(target.keypoints[t], target.scores[t])
        broken.step(scattered if t % 4 else body, playhead=t, time=t / 30)
        fine.step(body if t % 4 else scattered, playhead=t, time=t / 30)
    assert broken.broken_track and not fine.broken_track
