"""Body-part block structure of the encoder: masks, and what a trained block can read."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posesim_cam.encoder import EncoderConfig
from posesim_cam.skeleton import INDEX, NUM_KEYPOINTS, NUM_PAIRS, PAIRS
from posesim_cam.training.model import PoseAutoencoder
from posesim_cam.training.parts import LAYOUTS, input_mask, layer_masks, part_joints, split_units

pytestmark = pytest.mark.torch


def test_limb_reads_its_joints_and_the_torso_only() -> None:
    mask = input_mask("left_arm")
    names = {"left_elbow", "left_wrist", "left_shoulder", "right_shoulder", "left_hip", "right_hip"}
    assert set(part_joints("left_arm")) == {INDEX[n] for n in names}
    pairs, present = mask[:NUM_PAIRS], mask[NUM_PAIRS:]
    assert pairs.sum() == 15  # 6 joints, every pair among them
    assert present.sum() == 6
    for k, (i, j) in enumerate(PAIRS):
        assert pairs[k] == (i in part_joints("left_arm") and j in part_joints("left_arm"))
    assert input_mask("global").all()


def test_split_units_follows_the_shares() -> None:
    owner = split_units(32, [1.0] * 5)
    assert np.bincount(owner).tolist() == [7, 7, 6, 6, 6]
    assert (np.diff(owner) >= 0).all()
    assert np.bincount(split_units(32, [1, 1, 1, 1, 1, 5])).tolist() == [4, 3, 3, 3, 3, 16]
    assert np.bincount(split_units(6, [1, 1, 1, 1, 1, 100])).tolist() == [1] * 6
    with pytest.raises(ValueError, match="cannot hold"):
        split_units(4, [1.0] * 5)


def test_layer_masks_are_block_diagonal_after_the_first_layer() -> None:
    sizes = [NUM_PAIRS + NUM_KEYPOINTS, 10, 10, 5]
    first, second, last = layer_masks("parts", sizes)
    assert first.shape == (10, 153) and second.shape == (10, 10) and last.shape == (5, 10)
    owner = split_units(10, [1.0] * 5)
    assert (second == (owner[:, None] == owner[None, :])).all()
    # Unit 0 belongs to the head: it reads the nose-left_eye distance, not an ankle's.
    nose_eye = int(np.flatnonzero((PAIRS[:, 0] == 0) & (PAIRS[:, 1] == 1))[0])
    ankle = int(
        np.flatnonzero((PAIRS[:, 0] == INDEX["left_knee"]) & (PAIRS[:, 1] == INDEX["left_ankle"]))[
            0
        ]
    )
    assert first[0, nose_eye] == 1 and first[0, ankle] == 0
    with pytest.raises(ValueError, match="at least 5 units"):
        layer_masks("parts", [153, 4, 32])


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_part_slice_of_the_latent_ignores_other_limbs(layout: str) -> None:
    torch.manual_seed(0)
    model = PoseAutoencoder(EncoderConfig(hidden=(64, 32), latent_dim=12), layout)
    x = torch.randn(8, NUM_PAIRS + NUM_KEYPOINTS)
    moved = x.clone()
    only_left_leg = input_mask("left_leg") & ~input_mask("head") & ~input_mask("left_arm")
    moved[:, torch.from_numpy(only_left_leg)] += 3.0
    with torch.no_grad():
        change = (model(moved)[0] - model(x)[0]).abs().amax(dim=0).numpy()
    owner = split_units(12, list(LAYOUTS[layout].values()))
    parts = LAYOUTS[layout]
    for k, part in enumerate(parts):
        reads_leg = part in ("left_leg", "global")
        assert (change[owner == k] > 0).any() == reads_leg, part
    # Training keeps the structure: the weights the inference encoder gets are zero outside it.
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    model(x)[0].square().sum().backward()
    optimiser.step()
    linears = [m for m in model.encoder if isinstance(m, torch.nn.Linear)]
    sizes = [NUM_PAIRS + NUM_KEYPOINTS, 64, 32, 12]
    for linear, mask in zip(linears, layer_masks(layout, sizes), strict=True):
        assert (linear.weight.detach().numpy()[mask == 0] == 0).all()
