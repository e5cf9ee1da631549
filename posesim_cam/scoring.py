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
