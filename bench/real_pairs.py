"""Scores of the real test pairings (SOURCES.md) for the shipped encoder and the no-encoder
baseline (normalised distances, centred by the training mean), in one run; prints a table.

    python bench/real_pairs.py            (POSESIM_TESTDATA picks the media folder)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from posesim_cam.encoder import Encoder, load_encoder
from posesim_cam.scoring.offline import compare
from posesim_cam.targets import TargetCache, prepare_video
from posesim_cam.training import calibration
from posesim_cam.training.calibration import with_calibration
from posesim_cam.training.real_eval import REAL_VIDEOS as ALL_VIDEOS
from posesim_cam.training.real_eval import real_pairs

TESTDATA = Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))


def no_encoder_baseline(encoder: Encoder) -> Encoder:
    """No network, with the shipped encoder's statistics and calibration: only the embedding
    differs."""
    return with_calibration(calibration.no_encoder_baseline(encoder), encoder.calibration)


def main() -> None:
    encoder = load_encoder()
    name = str(encoder.info.get("name", "encoder")).replace("_", " ")
    models = {name: encoder, "no encoder": no_encoder_baseline(encoder)}
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
