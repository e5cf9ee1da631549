"""COCO-17 keypoints: names, limbs, left/right pairs and the joint-confidence cut.

The one source of truth for joint order. Imports nothing of posesim_cam.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
NUM_KEYPOINTS = len(KEYPOINT_NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(KEYPOINT_NAMES)}

# Limbs drawn and scored: (name, joint a, joint b).
LIMBS: tuple[tuple[str, int, int], ...] = (
    ("left_upper_arm", INDEX["left_shoulder"], INDEX["left_elbow"]),
    ("left_forearm", INDEX["left_elbow"], INDEX["left_wrist"]),
    ("right_upper_arm", INDEX["right_shoulder"], INDEX["right_elbow"]),
    ("right_forearm", INDEX["right_elbow"], INDEX["right_wrist"]),
    ("left_thigh", INDEX["left_hip"], INDEX["left_knee"]),
    ("left_shin", INDEX["left_knee"], INDEX["left_ankle"]),
    ("right_thigh", INDEX["right_hip"], INDEX["right_knee"]),
    ("right_shin", INDEX["right_knee"], INDEX["right_ankle"]),
    ("shoulders", INDEX["left_shoulder"], INDEX["right_shoulder"]),
    ("hips", INDEX["left_hip"], INDEX["right_hip"]),
    ("left_flank", INDEX["left_shoulder"], INDEX["left_hip"]),
    ("right_flank", INDEX["right_shoulder"], INDEX["right_hip"]),
    ("left_face", INDEX["nose"], INDEX["left_eye"]),
    ("right_face", INDEX["nose"], INDEX["right_eye"]),
    ("left_head", INDEX["left_eye"], INDEX["left_ear"]),
    ("right_head", INDEX["right_eye"], INDEX["right_ear"]),
)

# Index permutation that swaps left and right: mirrored[k] = original[FLIP_INDEX[k]].
FLIP_INDEX: np.ndarray = np.array(
    [
        INDEX[n.replace("left_", "@").replace("right_", "left_").replace("@", "right_")]
        for n in KEYPOINT_NAMES
    ],
    dtype=np.intp,
)

# The 136 joint pairs (i < j) whose distances are the seed's features, in a fixed order.
PAIRS: np.ndarray = np.array(list(combinations(range(NUM_KEYPOINTS), 2)), dtype=np.intp)
NUM_PAIRS = len(PAIRS)

TORSO = (INDEX["left_shoulder"], INDEX["right_shoulder"], INDEX["left_hip"], INDEX["right_hip"])

# A joint whose confidence is below this counts as not seen: it is left out of the features,
# the limb errors, the drawn skeleton and a pose's box.
MIN_JOINT_SCORE = 0.3
