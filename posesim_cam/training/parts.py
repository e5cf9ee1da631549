"""Body-part structure for the encoder MLP: block-sparse layers, one block per body part.

A part's block reads only the distances between its own joints (each limb together with the
torso, so that it knows how the limb sits on the body and how the body faces the camera) and
writes only its own slice of the latent. A pose never seen whole is then embedded from limb
configurations that were seen, each in its own slice: the cosine of two latents is a sum of
per-part agreements. A ``global`` part, when the layout has one, reads every distance and keeps
what relates the parts to each other (a hand on a knee).

The structure lives only in training, as fixed 0/1 masks on the Linear weights: the trained
encoder is an ordinary dense MLP whose weights happen to be zero outside the blocks, so the
inference code and the model file are those of any encoder. Imports only the skeleton; never the
CLI, the commands, the session or the HUD.
"""

from __future__ import annotations

import numpy as np

from posesim_cam.skeleton import INDEX, NUM_KEYPOINTS, NUM_PAIRS, PAIRS

_TORSO = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
_FACE = ("nose", "left_eye", "right_eye", "left_ear", "right_ear")

_PARTS: dict[str, tuple[str, ...]] = {
    "head": _FACE + _TORSO,
    "left_arm": ("left_elbow", "left_wrist", *_TORSO),
    "right_arm": ("right_elbow", "right_wrist", *_TORSO),
    "left_leg": ("left_knee", "left_ankle", *_TORSO),
    "right_leg": ("right_knee", "right_ankle", *_TORSO),
}
_ALL_JOINTS = tuple(INDEX)

# Layouts by name: the parts whose blocks make up the MLP, each with its share of every layer's
# units. "" is the plain dense MLP.
LAYOUTS: dict[str, dict[str, float]] = {
    "parts": dict.fromkeys(_PARTS, 1.0),
    "parts+global": {**dict.fromkeys(_PARTS, 1.0), "global": 1.0},
    # Half of every layer reads the whole body, the other half is split among the parts.
    "parts+half global": {**dict.fromkeys(_PARTS, 1.0), "global": float(len(_PARTS))},
}


def part_joints(part: str) -> tuple[int, ...]:
    """COCO indices a part reads."""
    names = _ALL_JOINTS if part == "global" else _PARTS[part]
    return tuple(sorted(INDEX[n] for n in names))


def input_mask(part: str) -> np.ndarray:
    """(153,) bool: the network inputs (136 distances, 17 presence flags) a part reads."""
    joints = np.zeros(NUM_KEYPOINTS, bool)
    joints[list(part_joints(part))] = True
    pairs = joints[PAIRS[:, 0]] & joints[PAIRS[:, 1]]
    return np.concatenate([pairs, joints])


def split_units(units: int, shares: list[float]) -> np.ndarray:
    """(units,) part index of each unit, parts in order, sizes in proportion to ``shares``
    (largest remainders round up; every part gets at least one unit)."""
    if units < len(shares):
        raise ValueError(f"{units} units cannot hold {len(shares)} parts")
    exact = np.asarray(shares, np.float64) / np.sum(shares) * units
    sizes = np.maximum(np.floor(exact).astype(int), 1)
    for k in np.argsort(-(exact - np.floor(exact)), kind="stable")[: units - sizes.sum()]:
        sizes[k] += 1
    while sizes.sum() > units:  # the minimum of one unit overdrew: take from the largest
        sizes[np.argmax(sizes)] -= 1
    return np.repeat(np.arange(len(shares)), sizes)


def layer_masks(layout: str, sizes: list[int]) -> list[np.ndarray]:
    """0/1 float32 masks (out, in) for the Linear layers of an MLP ``sizes[0] -> ... -> sizes[-1]``.

    The first layer connects each part's units to that part's inputs; later layers connect
    units of the same part only.
    """
    parts = LAYOUTS[layout]
    if sizes[0] != NUM_PAIRS + NUM_KEYPOINTS:
        raise ValueError(f"a part layout needs the 153 standard inputs, not {sizes[0]}")
    if min(sizes[1:]) < len(parts):
        raise ValueError(f"every layer needs at least {len(parts)} units for layout {layout!r}")
    shares = list(parts.values())
    reads = np.stack([input_mask(p) for p in parts])  # (parts, 153)
    masks = []
    previous: np.ndarray | None = None
    for units in sizes[1:]:
        owner = split_units(units, shares)
        # The first layer reads the part's inputs; later ones only the same part's units.
        mask = reads[owner] if previous is None else owner[:, None] == previous[None, :]
        masks.append(mask.astype(np.float32))
        previous = owner
    return masks
