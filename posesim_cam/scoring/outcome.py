"""What an attempt came to: grades, the per-second timeline, the displayed score's smoothing,
and the ``Outcome`` both the offline and the live scorer return. Pure numpy.

The map from mean cosine similarity to a score is linear and clipped (``encoder.
ScoreCalibration``): ``low`` scores 0 and ``high`` scores 100. Both numbers are fitted when the
encoder is trained (see models/MODEL_CARD.md) and travel inside the model file, so a score
means the same thing for every target and attempt scored with one model. Imports nothing of
posesim_cam; knows no encoder, video or session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Moment = tuple[int, float]
"""(second, score): one second of an attempt, for the best and weakest moments."""

# Time constant of the displayed score's exponential smoothing, seconds: the live HUD and the
# offline render show the same curve.
SCORE_SMOOTHING = 0.5

# (lowest score, word): the first row whose score is reached names the grade.
GRADES: tuple[tuple[float, str], ...] = (
    (90.0, "Perfect"),
    (75.0, "Great"),
    (60.0, "Good"),
    (40.0, "OK"),
    (0.0, "Keep going"),
)


def grade(score: float) -> str:
    """The grade word for a 0-100 score."""
    for threshold, word in GRADES:
        if score >= threshold:
            return word
    return GRADES[-1][1]


@dataclass(frozen=True)
class TimelinePoint:
    """One second of an attempt: mean similarity and score, None where nothing could be scored."""

    second: int
    similarity: float | None
    score: float | None


@dataclass(frozen=True)
class Outcome:
    """How an attempt went, offline or live.

    Attributes:
        score: 0-100 overall score.
        similarity: aligned mean cosine similarity of attempt and target frames (each frame
            of both sides counts once; see ``offline`` and ``online``).
        frames: frames in the attempt; scored_frames: those with a person in them.
        mirrored: whether the attempt was scored as the target's mirror image.
        timeline: one point per second.
    """

    score: float
    similarity: float
    frames: int
    scored_frames: int
    mirrored: bool
    timeline: list[TimelinePoint]

    @property
    def grade(self) -> str:
        return grade(self.score)

    def moments(self, count: int = 3) -> tuple[list[Moment], list[Moment]]:
        """The ``count`` best and worst seconds, as (second, score), best or worst first."""
        ranked = sorted(
            ((p.second, p.score) for p in self.timeline if p.score is not None),
            key=lambda item: item[1],
        )
        return ranked[::-1][:count], ranked[:count]

    def to_dict(self) -> dict:
        best, worst = self.moments()
        return {
            "score": round(self.score, 2),
            "grade": self.grade,
            "similarity": round(self.similarity, 4),
            "frames": self.frames,
            "scored_frames": self.scored_frames,
            "mirrored": self.mirrored,
            "timeline": [
                {
                    "second": p.second,
                    "score": None if p.score is None else round(p.score, 2),
                    "similarity": None if p.similarity is None else round(p.similarity, 4),
                }
                for p in self.timeline
            ],
            "best": [[s, round(v, 2)] for s, v in best],
            "worst": [[s, round(v, 2)] for s, v in worst],
        }


def timeline(
    similarity: np.ndarray,
    times: np.ndarray,
    valid: np.ndarray,
    score: Callable[[float], float],
) -> list[TimelinePoint]:
    """One point per whole second of ``times`` (N,) seconds: the mean of ``similarity`` (N,)
    over the ``valid`` (N,) frames of that second and its ``score``; None where none is valid.
    Negative times count in second 0."""
    seconds = np.floor(np.maximum(np.asarray(times, np.float64), 0.0)).astype(np.intp)
    similarity = np.asarray(similarity)
    points = []
    for second in range(int(seconds.max(initial=-1)) + 1):
        chosen = (seconds == second) & valid
        value = float(similarity[chosen].mean()) if chosen.any() else None
        points.append(TimelinePoint(second, value, None if value is None else float(score(value))))
    return points


class ScoreSmoother:
    """Causal exponential smoothing of a score over time (the displayed score).

    Args:
        time_constant: seconds; a step in the input is 63 % followed after this long.
    """

    def __init__(self, time_constant: float = SCORE_SMOOTHING) -> None:
        self.time_constant = time_constant
        self.reset()

    def reset(self) -> None:
        self.value: float | None = None
        self._last_time: float | None = None

    def push(self, score: float, time: float) -> float:
        """Take the score at ``time`` (seconds, non-decreasing); returns the smoothed score."""
        if self.value is None or self._last_time is None:
            self.value = float(score)
        else:
            dt = max(time - self._last_time, 0.0)
            alpha = 1.0 - np.exp(-dt / max(self.time_constant, 1e-6))
            self.value += float(alpha * (score - self.value))
        self._last_time = time
        return self.value


def smoothed_scores(
    scores: np.ndarray, fps: float, time_constant: float = SCORE_SMOOTHING
) -> np.ndarray:
    """(N,) ``scores`` of frames at ``fps`` through a ``ScoreSmoother``, as the live HUD shows
    them."""
    smoother = ScoreSmoother(time_constant)
    return np.array([smoother.push(float(v), k / fps) for k, v in enumerate(scores)], np.float64)
