"""The 0-100 score map, fitted on held-out mocap, and the encoders derived from another one.

``fit_calibration`` turns same- and different-movement similarities into a ``ScoreCalibration``
(the q25 same-movement window scores 90, the q75 different one 10); ``calibrate_on_mocap`` fits
it on held-out mocap renders with its own camera seed, never on the real clips;
``with_calibration`` gives an encoder another score map, and ``no_encoder_baseline`` is the
reference "encoder" that passes the standardised distances through. Used by training
(``train_v2``) as well as by the evaluation, which is why it is not part of the report. It may
import the package's numerics and the other training modules, never the CLI, the commands, the
session or the HUD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from posesim_cam.encoder import Encoder, EncoderConfig, ScoreCalibration
from posesim_cam.skeleton import NUM_KEYPOINTS, NUM_PAIRS
from posesim_cam.training.mocap_data import MocapClip
from posesim_cam.training.mocap_eval import mocap_pairs, render_clips, similarities

# The cameras of the calibration renders (another seed than the evaluation's).
CALIBRATION_SEED = 7


# Where the score map puts its ends: a same-movement window at the CALIBRATION_SAME quantile of
# the cross-view similarities scores SAME_SCORE; a different-movement window at the
# CALIBRATION_DIFFERENT quantile of the different similarities scores DIFFERENT_SCORE.
CALIBRATION_SAME = 0.25
CALIBRATION_DIFFERENT = 0.75
SAME_SCORE, DIFFERENT_SCORE = 90.0, 10.0


def fit_calibration(same: np.ndarray, different: np.ndarray) -> ScoreCalibration:
    """The linear map that scores the q25 same-movement window 90 and q75 different window 10.

    If the two quantiles are in the wrong order (an encoder that cannot separate), the map
    falls back to 0 at the different median and 100 at the same median (or a unit span).
    """
    s = float(np.nanquantile(same, CALIBRATION_SAME))
    d = float(np.nanquantile(different, CALIBRATION_DIFFERENT))
    if s - d > 1e-3:
        # score(x) = 100 (x - low) / (high - low); solve score(s) = 90, score(d) = 10.
        span = (s - d) * 100.0 / (SAME_SCORE - DIFFERENT_SCORE)
        low = d - span * DIFFERENT_SCORE / 100.0
        return ScoreCalibration(low=round(low, 6), high=round(low + span, 6))
    low, high = float(np.nanmedian(different)), float(np.nanmedian(same))
    if high - low < 1e-3:
        high = low + 1.0
    return ScoreCalibration(low=round(low, 6), high=round(high, 6))


def calibrate_on_mocap(
    encoder: Encoder,
    held_out: Sequence[MocapClip],
    seed: int = CALIBRATION_SEED,
    different: int = 800,
) -> tuple[ScoreCalibration, dict]:
    """Fit the score map on held-out mocap renders (own cameras; never the real clips)."""
    pairs = mocap_pairs(render_clips(held_out, seed), seed + 1, different=different)
    if not pairs.cross_view or not pairs.different:
        raise ValueError("calibration needs held-out clips of at least two movement kinds")
    same = similarities(pairs.cross_view, encoder)
    different = similarities(pairs.different, encoder)
    calibration = fit_calibration(same, different)
    facts = {
        "data": "held-out mocap renders, 1-s windows",
        "cross_view_mean": round(float(np.nanmean(same)), 4),
        "different_mean": round(float(np.nanmean(different)), 4),
        "cross_view_q25": round(float(np.nanquantile(same, CALIBRATION_SAME)), 4),
        "different_q75": round(float(np.nanquantile(different, CALIBRATION_DIFFERENT)), 4),
        "pairs": [int(np.isfinite(same).sum()), int(np.isfinite(different).sum())],
    }
    return calibration, facts


def with_calibration(
    encoder: Encoder, calibration: ScoreCalibration, info: dict | None = None
) -> Encoder:
    """The same network with another score calibration (and, if given, training info)."""
    return replace(encoder, calibration=calibration, info=encoder.info if info is None else info)


def no_encoder_baseline(encoder: Encoder) -> Encoder:
    """The standardised, mean-centred 136 distances themselves as the 'latent' (statistics of
    ``encoder``; its calibration is a placeholder to be refitted)."""
    select = np.hstack([np.eye(NUM_PAIRS), np.zeros((NUM_PAIRS, NUM_KEYPOINTS))]).astype(np.float32)
    return Encoder(
        EncoderConfig(hidden=(), latent_dim=NUM_PAIRS),
        [(select, np.zeros(NUM_PAIRS, np.float32))],
        encoder.feature_mean,
        encoder.feature_std,
        np.zeros(NUM_PAIRS, np.float32),
        ScoreCalibration(0.0, 1.0),
        {"name": "no-encoder"},
    )
