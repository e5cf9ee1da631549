"""Similarity -> score 0-100, grades, and per-second timelines. Pure numpy.

The map from mean cosine similarity to a score is linear and clipped (``ScoreCalibration``):
``low`` scores 0 and ``high`` scores 100. Both numbers are fitted when the encoder is trained
(see models/MODEL_CARD.md) and travel inside the model file, so a score means the same thing
for every target and attempt scored with one model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
            of both sides counts once; see compare and live_scoring).
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

    def moments(self, count: int = 3) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
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


def per_second(values: np.ndarray, valid: np.ndarray, fps: float) -> list[tuple[int, float | None]]:
    """Mean of ``values`` (N,) over each whole second, using only ``valid`` (N,) frames."""
    seconds = (np.arange(len(values)) / fps).astype(np.intp)
    out: list[tuple[int, float | None]] = []
    for second in range(int(seconds.max(initial=-1)) + 1):
        chosen = (seconds == second) & valid
        out.append((second, float(values[chosen].mean()) if chosen.any() else None))
    return out


def exponential_smoothing(values: np.ndarray, time_constant: float, fps: float) -> np.ndarray:
    """Causal exponential moving average (N,) with the given time constant in seconds."""
    alpha = 1.0 - np.exp(-1.0 / max(time_constant * fps, 1e-6))
    out = np.empty(len(values), np.float64)
    state = float(values[0]) if len(values) else 0.0
    for k, value in enumerate(values):
        state += alpha * (float(value) - state)
        out[k] = state
    return out
