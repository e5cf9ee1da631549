"""The rules the offline comparison and the live scorer share, written once.

Which joints take part, which frames count and how much, when a pose track is too broken to
score, and which orientation (as filmed or mirrored) counts. Pure numpy over ``PoseFeatures``
and the encoder; imports no video, session or HUD.
"""

from __future__ import annotations

import numpy as np

from posesim_cam.encoder import Encoder
from posesim_cam.features import PoseFeatures

# A joint takes part in a comparison when it is visible in at least this share of frames on
# both sides; so an attempt filmed from the waist up is scored on the upper body alone.
MIN_VISIBLE_SHARE = 0.5
MIN_SHARED_JOINTS = 6
# At least this share of the frames with a person must hold a plausible pose to be scored.
MIN_USABLE_SHARE = 0.5
# Each frame counts in the similarity with its pose's distinctiveness (``Encoder.
# embed_with_distinctiveness``) to this power: poses near the average one (standing) count
# less, so two different movements that both start and end standing are not alike for it.
# Chosen on held-out mocap and the trainable clips (models/MODEL_CARD.md); 0 weighs every
# frame alike.
DISTINCTIVE_POWER = 2.0
# The mirrored orientation must beat the one as filmed by more than this to count.
_MIRROR_MARGIN = 1e-9


def frame_weights(distinctiveness: np.ndarray, power: float = DISTINCTIVE_POWER) -> np.ndarray:
    """(T,) float64 weights of frames in the similarity, from their distinctiveness (T,)."""
    return np.power(np.maximum(np.asarray(distinctiveness, np.float64), 0.0), power)


def visible_joints(sequence_features: PoseFeatures) -> np.ndarray:
    """(17,) bool: joints present in at least MIN_VISIBLE_SHARE of the frames given."""
    if len(sequence_features) == 0:
        return np.zeros(sequence_features.joint_weights.shape[1], bool)
    share = (sequence_features.joint_weights > 0).mean(axis=0)
    return share >= MIN_VISIBLE_SHARE


def plausible_frames(features: PoseFeatures, found: np.ndarray, encoder: Encoder) -> np.ndarray:
    """(T,) bool: frames with a person (``found``) whose pose is plausible
    (``Encoder.plausible``); ``features`` are those of every frame of the sequence."""
    usable = found.copy()
    usable[found] = encoder.plausible(features.select(found))
    return usable


def is_broken_track(usable: int, with_person: int) -> bool:
    """Fewer than MIN_USABLE_SHARE of the ``with_person`` frames hold a plausible pose: the
    attempt gets "cannot score", not a low score that reads as "different"."""
    return with_person > 0 and usable < MIN_USABLE_SHARE * with_person


def prefer_mirrored(as_filmed: float | None, mirrored: float | None) -> bool:
    """Whether the mirrored orientation counts, from each orientation's similarity (None: not
    scored): only when it is strictly better, so a symmetric pose keeps its own labels."""
    if mirrored is None:
        return False
    return as_filmed is None or mirrored > as_filmed + _MIRROR_MARGIN
