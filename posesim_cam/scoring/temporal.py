"""Temporal smoothing of pose latents: each frame's latent averaged with its neighbours in time.

A pose estimator's errors differ from frame to frame (jitter, a limb guessed in one frame and
not the next, a depth ambiguity resolved one way and then the other), while a person's pose
changes smoothly. A Gaussian-weighted mean of the latents within a short time window keeps the
movement and averages much of that error away, on both sides of a comparison.

Times, not frame counts, set the window, so sequences at different frame rates, and with frames
left out (nobody found, an implausible pose), are smoothed alike. Offline comparisons use a
centred window (``smooth_latents``); the live scorer cannot see the future and uses the past
half of the window on both sides (``causal=True`` and ``CausalSmoother``), which keeps the two
sides comparable (the same filter on both) at the price of a lag the online alignment absorbs.

The mean of unit vectors is shorter than they are; it is scaled back to unit length, so that
the dot product of two smoothed latents stays their cosine similarity (``OnlineAligner`` relies
on that). Pure numpy; latents are (T, D) float32 unit rows, times (T,) seconds, increasing.
Imports nothing of posesim_cam.
"""

from __future__ import annotations

import bisect

import numpy as np

# Standard deviation of the Gaussian window, seconds. Chosen on held-out mocap (separation) and
# on the clips that may be trained on (squat reps, squats vs dance); see models/MODEL_CARD.md.
LATENT_SMOOTHING = 0.15
# The window is cut at this many standard deviations (the weight there is 1 %).
WINDOW_SDS = 3.0


def _check(latents: np.ndarray, times: np.ndarray) -> None:
    if latents.ndim != 2 or times.shape != (len(latents),):
        raise ValueError(
            f"smooth_latents needs latents (T, D) and times (T,), got {latents.shape} "
            f"and {times.shape}"
        )


def smooth_latents(
    latents: np.ndarray, times: np.ndarray, sigma: float, causal: bool = False
) -> np.ndarray:
    """(T, D) float32: each row the direction of the Gaussian-weighted mean (s.d. ``sigma``
    seconds) of the rows whose times lie within ``WINDOW_SDS * sigma`` of its own; with
    ``causal``, of those rows at or before it only. ``sigma`` <= 0 returns a copy.

    Where the window is cut short (the ends of a sequence, a gap in ``times``) only the rows
    inside it count, so a constant sequence stays constant.
    """
    latents = np.asarray(latents, np.float32)
    times = np.asarray(times, np.float64)
    _check(latents, times)
    if sigma <= 0 or len(latents) < 2:
        return latents.copy()
    reach = WINDOW_SDS * sigma
    # The largest number of rows a window holds on one side: the most rows after any row
    # within ``reach``.
    ends = np.searchsorted(times, times + reach, side="right")
    span = int((ends - np.arange(len(times))).max()) - 1
    total = latents.astype(np.float64)  # the row itself, weight 1
    weight = np.ones(len(latents))
    for k in range(1, span + 1):
        # Row i takes row i - k (earlier) and, unless causal, row i + k (later).
        gap = times[k:] - times[:-k]
        w = np.where(gap <= reach, np.exp(-0.5 * (gap / sigma) ** 2), 0.0)
        total[k:] += w[:, None] * latents[:-k]
        weight[k:] += w
        if not causal:
            total[:-k] += w[:, None] * latents[k:]
            weight[:-k] += w
    return _unit_rows(total / weight[:, None])


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), float32."""
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norm, 1e-12)).astype(np.float32)


class CausalSmoother:
    """``smooth_latents(..., causal=True)`` one frame at a time, for the live loop.

    It runs twice per live frame (both orientations), so it keeps to a handful of numpy calls:
    the times in a list, the latents in a small array (the rows within the window, oldest
    first), and no division by the weights' sum, since only the direction is kept.

    Args:
        sigma: standard deviation of the window, seconds; <= 0 passes latents through.
    """

    def __init__(self, sigma: float) -> None:
        self.sigma = sigma
        self._times: list[float] = []
        self._latents = np.empty((0, 0), np.float64)

    def reset(self) -> None:
        self._times.clear()

    def push(self, latent: np.ndarray, time: float) -> np.ndarray:
        """The smoothed latent (D,) float32, unit length, at ``time`` seconds, given this
        frame's ``latent``.

        A time earlier than the last one (the target restarted, a seek back) starts afresh.
        """
        latent = np.asarray(latent, np.float32)
        if self.sigma <= 0:
            return latent.copy()
        times = self._times
        if times and time < times[-1]:
            times.clear()
        if self._latents.shape[1] != latent.shape[0]:
            self._latents = np.empty((16, latent.shape[0]), np.float64)
            times.clear()
        # Drop the rows that fell out of the window (times only grow), then append.
        first = bisect.bisect_left(times, time - WINDOW_SDS * self.sigma)
        n = len(times) - first
        if first:
            del times[:first]
            self._latents[:n] = self._latents[first : first + n]
        if n == len(self._latents):  # a window holding more frames than ever before
            self._latents = np.concatenate([self._latents, np.empty_like(self._latents)])
        times.append(time)
        self._latents[n] = latent
        gaps = (time - np.array(times)) / self.sigma
        mean = np.exp(-0.5 * gaps * gaps) @ self._latents[: n + 1]
        return (mean / max(float(np.sqrt(mean @ mean)), 1e-12)).astype(np.float32)
