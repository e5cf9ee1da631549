"""Scores of the real test pairings (SOURCES.md) for the shipped encoder and the no-encoder
baseline (normalised distances, centred by the training mean), in one run; prints a table.

    python bench/real_pairs.py            (POSESIM_TESTDATA picks the media folder)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from posesim_cam.compare import compare
from posesim_cam.encoder import Encoder, EncoderConfig, load_encoder
from posesim_cam.skeleton import NUM_KEYPOINTS, NUM_PAIRS
from posesim_cam.targets import TargetCache, prepare_video
from tests.pairs import ALL_VIDEOS, real_pairs

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))


def no_encoder_baseline(encoder: Encoder) -> Encoder:
    """The standardised 136 distances themselves as the 'latent' (same statistics, same
    calibration as the shipped encoder, so only the embedding differs)."""
    select = np.hstack([np.eye(NUM_PAIRS), np.zeros((NUM_PAIRS, NUM_KEYPOINTS))]).astype(np.float32)
    return Encoder(
        EncoderConfig(hidden=(), latent_dim=NUM_PAIRS),
        [(select, np.zeros(NUM_PAIRS, np.float32))],
        encoder.feature_mean,
        encoder.feature_std,
        np.zeros(NUM_PAIRS, np.float32),
        encoder.calibration,
        {"name": "no-encoder"},
    )


def main() -> None:
    encoder = load_encoder()
    models = {"encoder v1": encoder, "no encoder": no_encoder_baseline(encoder)}
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = TargetCache(Path(cache_dir))
        poses = {v: prepare_video(TESTDATA / v, encoder, cache).poses for v in ALL_VIDEOS}
    header = ["kind", "pair (target vs attempt)"]
    for name in models:
        header += [f"{name} similarity", f"{name} score"]
    lines = [
        f"Real pairings, {encoder.version}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    means: dict[tuple[str, str], list[float]] = {}
    for kind, pairs in real_pairs(poses).items():
        for label, target, attempt in pairs:
            cells = []
            for name, model in models.items():
                result = compare(target, attempt, model)
                cells += [f"{result.similarity:.3f}", f"{result.score:.1f}"]
                means.setdefault((kind, name), []).append(result.score)
            lines.append("| " + " | ".join([kind, label, *cells]) + " |")
    print("\n".join(lines))
    print()
    for name in models:
        same = np.mean(means[("same", name)])
        different = np.mean(means[("different", name)])
        print(
            f"{name}: mean score same movement {same:.1f}, different {different:.1f}, "
            f"gap {same - different:.1f} points"
        )


if __name__ == "__main__":
    main()
