"""Dynamic time warping of a user's latent sequence against a target's.

Pure numpy (and the ``registry`` the aligners are named in). Sequences are (N, D) latents,
L2-normalised, so the dot product is the cosine similarity and the step cost is
``1 - similarity``. Imports no video, session or HUD.

Aligners are looked up by name (``ALIGNERS``): ``exact`` (default, vectorised exact DTW with an
optional Sakoe-Chiba window) and ``fastdtw`` (the approximate reference from the seed).

The exact DTW fills the cost matrix a row at a time. Within a row the recurrence
``D[i, j] = c[i, j] + min(a[j], D[i, j-1])`` with ``a[j] = min(D[i-1, j], D[i-1, j-1])``
unrolls to ``D[i, j] = S[j] + min_{k<=j}(a[k] - S[k-1])`` where ``S`` is the running sum of the
row's costs, so one ``cumsum`` and one ``minimum.accumulate`` replace the inner Python loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from posesim_cam.registry import Registry


@dataclass(frozen=True)
class Alignment:
    """A warping path between a user sequence (rows) and a target sequence (columns).

    Attributes:
        path: (L, 2) int, pairs (user index, target index), both non-decreasing.
        similarity: (L,) float32, cosine similarity of each matched pair.
        cost: total DTW cost (sum of ``1 - similarity`` along the path).
    """

    path: np.ndarray
    similarity: np.ndarray
    cost: float

    @property
    def mean_similarity(self) -> float:
        return float(self.similarity.mean()) if len(self.similarity) else 0.0

    def per_user_frame(self, n_user: int) -> np.ndarray:
        """(n_user,) mean similarity of each user frame over the target frames it matched."""
        return self._per_frame(0, n_user)

    def per_target_frame(self, n_target: int) -> np.ndarray:
        """(n_target,) mean similarity of each target frame over the user frames it matched."""
        return self._per_frame(1, n_target)

    def symmetric_similarity(
        self,
        n_user: int,
        n_target: int,
        user_weights: np.ndarray | None = None,
        target_weights: np.ndarray | None = None,
    ) -> float:
        """Mean of the user-side and the target-side per-frame means.

        Every frame of both sequences counts once, so a stretch where one side dwells (a user
        standing still, matched many times to the target's few standing frames) weighs no
        more than its length on the other side: doing part of the target well does not hide
        the parts that were not done. With weights ((n_user,), (n_target,), >= 0), each side's
        mean is weighted by them.
        """
        if len(self.similarity) == 0:
            return 0.0
        user = _weighted_mean(self.per_user_frame(n_user), user_weights)
        target = _weighted_mean(self.per_target_frame(n_target), target_weights)
        return (user + target) / 2

    def _per_frame(self, side: int, n: int) -> np.ndarray:
        sums = np.bincount(self.path[:, side], weights=self.similarity, minlength=n)
        counts = np.bincount(self.path[:, side], minlength=n)
        return (sums / np.maximum(counts, 1)).astype(np.float32)

    def matched_target(self, n_user: int) -> np.ndarray:
        """(n_user,) int: for each user frame, the last target frame it was matched with."""
        matched = np.zeros(n_user, np.intp)
        matched[self.path[:, 0]] = self.path[:, 1]
        return matched


def _weighted_mean(values: np.ndarray, weights: np.ndarray | None) -> float:
    if weights is None or float(np.sum(weights)) <= 0:
        return float(values.mean())
    return float(np.dot(values, weights) / np.sum(weights))


def cosine_similarity_matrix(user: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(N, D), (M, D) -> (N, M) cosine similarity (rows normalised here, zero rows give 0)."""
    u = user / np.maximum(np.linalg.norm(user, axis=1, keepdims=True), 1e-8)
    t = target / np.maximum(np.linalg.norm(target, axis=1, keepdims=True), 1e-8)
    return u @ t.T


def _band(n: int, m: int, window: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-row column range [lo, hi) of a Sakoe-Chiba band around the (stretched) diagonal."""
    if window is None:
        return np.zeros(n, np.intp), np.full(n, m, np.intp)
    centre = np.round(np.arange(n) * ((m - 1) / max(n - 1, 1))).astype(np.intp)
    lo = np.clip(centre - window, 0, m - 1)
    hi = np.clip(centre + window + 1, 1, m)
    return lo, hi


def accumulated_cost(cost: np.ndarray, window: int | None = None) -> np.ndarray:
    """The DTW accumulated cost matrix (N, M) of a step-cost matrix; inf outside the window."""
    n, m = cost.shape
    lo, hi = _band(n, m, window)
    # Column 0 is a border of inf so that the diagonal predecessor of column 0 exists.
    acc = np.full((n, m + 1), np.inf)
    for i in range(n):
        a, b = lo[i], hi[i]
        row_cost = cost[i, a:b].astype(np.float64)
        if i == 0:
            prev = np.full(b - a, np.inf)
            prev[0] = 0.0 if a == 0 else np.inf  # the path starts at (0, 0)
        else:
            prev = np.minimum(acc[i - 1, a + 1 : b + 1], acc[i - 1, a:b])  # up, diagonal
        running = np.cumsum(row_cost)
        acc[i, a + 1 : b + 1] = running + np.minimum.accumulate(prev - (running - row_cost))
    return acc[:, 1:]


def backtrack(acc: np.ndarray) -> np.ndarray:
    """The optimal path (L, 2) ending at the last cell of an accumulated cost matrix."""
    i, j = acc.shape[0] - 1, acc.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            options = (acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
            step = int(np.argmin(options))
            if step == 0:
                i, j = i - 1, j - 1
            elif step == 1:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return np.array(path[::-1], np.intp)


def _finish(path: np.ndarray, similarity: np.ndarray) -> Alignment:
    steps = similarity[path[:, 0], path[:, 1]].astype(np.float32)
    return Alignment(path, steps, float((1.0 - steps).sum()))


def align_exact(user: np.ndarray, target: np.ndarray, window: int | None = None) -> Alignment:
    """Exact DTW of ``user`` (N, D) against ``target`` (M, D) with cost 1 - cosine similarity.

    ``window`` is the Sakoe-Chiba half-width in frames around the stretched diagonal; it is
    widened where needed so that a path always exists.
    """
    _check(user, target)
    similarity = cosine_similarity_matrix(user, target)
    n, m = similarity.shape
    if window is not None:
        window = max(window, abs(n - m) + 1)
    acc = accumulated_cost(1.0 - similarity, window)
    return _finish(backtrack(acc), similarity)


def align_fastdtw(user: np.ndarray, target: np.ndarray, window: int | None = None) -> Alignment:
    """The seed's approximate DTW (fastdtw, ``radius`` = window or 1), with cosine cost."""
    from fastdtw import fastdtw

    _check(user, target)
    similarity = cosine_similarity_matrix(user, target)
    _, pairs = fastdtw(
        np.arange(len(user)),
        np.arange(len(target)),
        radius=window or 1,
        dist=lambda i, j: 1.0 - similarity[int(i), int(j)],
    )
    return _finish(np.array(pairs, np.intp), similarity)


def _check(user: np.ndarray, target: np.ndarray) -> None:
    if len(user) == 0 or len(target) == 0:
        raise ValueError("cannot align an empty sequence")
    if user.shape[1] != target.shape[1]:
        raise ValueError(f"latent sizes differ: {user.shape[1]} and {target.shape[1]}")


AlignFunction = Callable[..., Alignment]
ALIGNERS: Registry[AlignFunction] = Registry("aligner")
ALIGNERS.register("exact", align_exact)
ALIGNERS.register("fastdtw", align_fastdtw)


def get_aligner(name: str) -> AlignFunction:
    """The aligner registered as ``name``; UserError listing the known ones if none is."""
    return ALIGNERS.get(name)


class OnlineAligner:
    """Online DTW of a live user stream against a target sequence, one user frame at a time.

    Each step adds one row of the DTW matrix, restricted to the target frames a follower can be
    at: from ``max_lag`` frames behind the playhead to ``max_lead`` frames ahead of it. The
    accumulated costs are shifted so the row minimum is 0 (argmins do not change), so they do
    not grow over a long session. The matched target frame is the end of the cheapest path.
    Cost per step is O(max_lag + max_lead) numpy work.

    The aligner also keeps the target side of the comparison (``target_coverage``): each target
    frame's mean similarity with the user frames matched to it, and target frames the path
    jumped over (the user went faster) count with the user frame that jumped, as a
    horizontal step of the offline path would.

    Args:
        target: (M, D) L2-normalised target latents.
        max_lag: frames the user may be behind the playhead.
        max_lead: frames the user may be ahead of it.
        target_weights: (M,) >= 0, how much each target frame counts in ``target_coverage``
            (the offline ``symmetric_similarity`` weights); None: all alike.
    """

    def __init__(
        self,
        target: np.ndarray,
        max_lag: int,
        max_lead: int = 0,
        target_weights: np.ndarray | None = None,
    ) -> None:
        if len(target) == 0:
            raise ValueError("cannot align against an empty target")
        self.target = np.ascontiguousarray(target, np.float32)
        self.target_weights = (
            np.ones(len(target)) if target_weights is None else np.asarray(target_weights, float)
        )
        self.max_lag = max_lag
        self.max_lead = max_lead
        self.reset()

    def reset(self) -> None:
        """Forget the user's past (a restart)."""
        self._row: np.ndarray | None = None
        self._lo = 0
        self._playhead: int | None = None
        self._matched: int | None = None
        self._target_sums = np.zeros(len(self.target), np.float64)
        self._target_counts = np.zeros(len(self.target), np.int64)
        # Running weighted sum of the per-frame means and the weight of the matched frames:
        # target_coverage in O(1), since it is asked for on every live frame.
        self._coverage_total = 0.0
        self._coverage_weight = 0.0
        self._coverage_frames = 0

    def per_target_frame(self) -> np.ndarray:
        """(M,) mean similarity of each target frame over the user frames matched to it so
        far; NaN where none was."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._target_sums / self._target_counts

    def target_coverage(self) -> float | None:
        """Mean over the target frames matched so far of ``per_target_frame``, weighted by
        ``target_weights`` (None before the first step)."""
        if self._coverage_frames == 0:
            return None
        if self._coverage_weight <= 0:
            return 0.0
        return self._coverage_total / self._coverage_weight

    def step(self, latent: np.ndarray, playhead: int) -> tuple[int, float]:
        """Add the user's newest latent (D,); returns (matched target index, similarity)."""
        m = len(self.target)
        playhead = min(max(playhead, 0), m - 1)
        lo = max(playhead - self.max_lag, 0)
        hi = min(playhead + self.max_lead + 1, m)
        sims = self.target[lo:hi] @ latent
        cost = (1.0 - sims).astype(np.float64)
        # The target frames the playhead moved since the previous user frame: one at the
        # camera's rate, more when poses come slower than the target's frames (a model slower
        # than the camera). A step may advance that far at no extra cost, as a diagonal step
        # does at equal rates; otherwise sparse poses would pay for every target frame
        # between them and the path would lag.
        span = 1 if self._playhead is None else max(1, playhead - self._playhead)
        span = min(span, hi - lo)
        self._playhead = playhead
        if self._row is None:
            # Open begin: the user may start anywhere in the window.
            row = cost
        else:
            n = hi - lo
            prev = np.full(n + span, np.inf)  # prev[k] = previous row at column lo + k - span
            old_lo, old = self._lo, self._row
            src_a, src_b = max(lo - span, old_lo), min(hi, old_lo + len(old))
            if src_b > src_a:
                prev[src_a - lo + span : src_b - lo + span] = old[src_a - old_lo : src_b - old_lo]
            # Up (the same target frame) or on by 1..span frames.
            from_prev = prev[span:].copy()
            for back in range(1, span + 1):
                np.minimum(from_prev, prev[span - back : span - back + n], out=from_prev)
            running = np.cumsum(cost)
            row = running + np.minimum.accumulate(from_prev - (running - cost))
            if not np.isfinite(row).any():  # the window jumped past every old path: restart
                row = cost
        best = int(np.argmin(row))
        self._row = row - row[best]
        self._lo = lo
        self._count_target_side(lo + best, lo, sims)
        return lo + best, float(sims[best])

    def _count_target_side(self, index: int, lo: int, sims: np.ndarray) -> None:
        # Frames skipped since the last match (inside this window) count with this user frame.
        start = index if self._matched is None or index <= self._matched else self._matched + 1
        start = max(start, lo)
        span = slice(start, index + 1)
        sums, counts = self._target_sums[span], self._target_counts[span]
        weights = self.target_weights[span]
        before = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        new = counts == 0
        self._coverage_frames += int(new.sum())
        self._coverage_weight += float(weights[new].sum())
        sums += sims[start - lo : index - lo + 1]
        counts += 1
        self._coverage_total += float(((sums / counts - before) * weights).sum())
        self._matched = index
