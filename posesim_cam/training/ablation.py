"""Ablations of encoder v2's objective, measured on held-out mocap and the trainable real clips.

    python -m posesim_cam.training.ablation [VARIANT ...] [--steps N] [--seed S] [--data DIR]
        [--real]

Each variant trains with the same data, seed and budget and is scored on the held-out mocap
renders of ``mocap_eval`` (ROC AUC and mean similarities over 1-second windows). With ``--real``,
also on the real clips that may be trained on (squats_1person and dance_1person): squat rep 1
vs rep 2, and the higher of squats vs dance both ways. With ``--unseen-subject N``, every clip
of CMU subject N is held out of training as well, and the row adds the cross-view similarity
on that subject's clips (other than its walks): generalisation to an activity never trained
on (subject 6: basketball). Prints one JSON line per variant. The lab_dance clips are never
looked at here: settings are chosen on these numbers. Imports the training modules, encoder,
sequences and offline scoring; never the CLI, the commands, the session or the HUD.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from posesim_cam.encoder import Encoder
from posesim_cam.scoring.offline import compare
from posesim_cam.sequence import PoseSequence
from posesim_cam.training.calibration import no_encoder_baseline
from posesim_cam.training.mocap_data import HELD_OUT_CLIPS, MocapClip, load_mocap, split_clips
from posesim_cam.training.mocap_eval import (
    EVAL_SEED,
    camera_height_pairs,
    mocap_metrics,
    mocap_pairs,
    render_clips,
    similarities,
)
from posesim_cam.training.pose_variation import PoseVariation
from posesim_cam.training.real_eval import DANCE, SQUATS, squat_reps
from posesim_cam.training.train_v2 import V2Settings, train_v2

_BASE = V2Settings()
_RECORDED = replace(_BASE, variation=PoseVariation(p=0.0))  # recorded poses only
_NO_ALIGN = replace(_RECORDED, alignment_weight=0.0)
_KERNEL = replace(_RECORDED, kernel_weight=4.0)

VARIANTS: dict[str, V2Settings] = {
    # A denoising autoencoder: rebuild the view's own clean 2-D distances, nothing else.
    "plain AE": replace(_NO_ALIGN, target="2d", contrastive_weight=0.0, mirror_positives=False),
    # + InfoNCE between two views (other camera, build, noise) of the same 3-D pose.
    "+ contrastive": replace(_NO_ALIGN, target="2d", mirror_positives=False),
    # + mirror images as positives.
    "+ mirror positives": replace(_NO_ALIGN, target="2d"),
    # + the decoder rebuilds the 3-D pose (view-free) instead of the 2-D view.
    "+ 3-D target": _NO_ALIGN,
    # + a direct pull (1 - cosine) between the two views.
    "+ alignment": _RECORDED,
    # + new poses: limbs turned about their joints, the upper body leant: the v2 objective.
    "+ varied poses (v2)": _BASE,
    # v2 less one part at a time.
    "v2 without reconstruction": replace(_BASE, reconstruction_weight=0.0),
    "v2 without mirror positives": replace(_BASE, mirror_positives=False),
    # How many poses are varied, and how far.
    "v2, every pose varied": replace(_BASE, variation=PoseVariation(p=1.0)),
    "v2, wider variation": replace(
        _BASE, variation=PoseVariation(p=0.5, limb_deg=40.0, lean_deg=20.0)
    ),
    # Eyes and ears left out: mocap has none (they are placed by rule from the head joint),
    # and an estimator guesses them in side and back views.
    "v2 without eyes and ears": replace(
        _BASE, ignored_joints=("left_eye", "right_eye", "left_ear", "right_ear")
    ),
    # + limbs swapped in from other poses of the batch.
    "v2 + mixed limbs": replace(_BASE, variation=PoseVariation(p=0.5, mix_p=0.5)),
    "v2 + mixed limbs, every pose": replace(_BASE, variation=PoseVariation(p=0.5, mix_p=1.0)),
    # Legs as MediaPipe draws them (shorter against the torso than the mocap skeleton's).
    "v2, legs 0.7-1.05": replace(_BASE, views=replace(_BASE.views, leg_scale=(0.7, 1.05))),
    "v2, legs 0.75-0.85": replace(_BASE, views=replace(_BASE.views, leg_scale=(0.75, 0.85))),
    # Stronger weight decay (regularisation, for poses unlike the recorded ones).
    "v2, weight decay 0.01": replace(_BASE, weight_decay=0.01),
    "v2, weight decay 0.05": replace(_BASE, weight_decay=0.05),
    # The encoder as blocks, one per body part (each limb with the torso, the head with the
    # torso), each writing its own slice of the latent; with or without a block reading all.
    "v2, body parts": replace(_BASE, layout="parts"),
    "v2, body parts + global": replace(_BASE, layout="parts+global"),
    "v2, body parts + half global": replace(_BASE, layout="parts+half global"),
    # A stronger pull between the two views (recorded poses).
    "alignment x2": replace(_RECORDED, alignment_weight=2.0),
    "alignment x4": replace(_RECORDED, alignment_weight=4.0),
    # + every cross-view cosine pulled towards a kernel of the 3-D pose distance (weight 4,
    # width 0.07 statures; recorded poses), and its weight and width varied.
    "+ pose kernel": _KERNEL,
    "+ pose kernel, weight 1": replace(_KERNEL, kernel_weight=1.0),
    "+ pose kernel, weight 8": replace(_KERNEL, kernel_weight=8.0),
    "+ pose kernel, width 0.05": replace(_KERNEL, kernel_width=0.05),
    "+ pose kernel, width 0.1": replace(_KERNEL, kernel_width=0.1),
    "+ pose kernel, without InfoNCE": replace(_KERNEL, contrastive_weight=0.0),
}


def trainable_real_poses(data: Path) -> dict[str, PoseSequence]:
    """MediaPipe poses of the squats and dance clips (cached like any target)."""
    from posesim_cam.encoder import load_encoder
    from posesim_cam.targets import TargetCache, prepare_video

    encoder = load_encoder()  # only to fill the cache; the poses do not depend on it
    return {
        video: prepare_video(data / video, encoder, TargetCache.default()).poses
        for video in (SQUATS, DANCE)
    }


def real_row(poses: dict[str, PoseSequence], encoder: Encoder) -> dict[str, float]:
    squats, dance = poses[SQUATS], poses[DANCE]
    reps = compare(*squat_reps(squats), encoder)
    different = max(
        compare(squats, dance, encoder).similarity, compare(dance, squats, encoder).similarity
    )
    return {"squat_reps": round(reps.similarity, 4), "squats_dance": round(different, 4)}


def unseen_activity_clips(clips: list[MocapClip], subject: int) -> list[MocapClip]:
    """The clips of ``subject`` other than walks (every subject walks in the recordings)."""
    return [c for c in clips if c.subject == subject and c.movement != "walk"]


def run(
    names: list[str],
    steps: int | None,
    seed: int,
    data: Path,
    real: bool = False,
    unseen_subject: int | None = None,
) -> list[dict]:
    clips = load_mocap(data / "mocap")
    poses = trainable_real_poses(data) if real else None
    held_out = list(HELD_OUT_CLIPS)
    unseen_pairs = None
    if unseen_subject is not None:
        held_out += [c.name for c in clips if c.subject == unseen_subject]
        unseen = unseen_activity_clips(clips, unseen_subject)
        if not unseen:
            raise SystemExit(f"subject {unseen_subject} has no recorded clip but walks")
        unseen_pairs = mocap_pairs(render_clips(unseen, EVAL_SEED), EVAL_SEED + 1, different=0)
    _, held = split_clips(clips)
    held = [c for c in held if unseen_subject is None or c.subject != unseen_subject]
    renders = render_clips(held, EVAL_SEED)
    pairs = mocap_pairs(renders, EVAL_SEED + 1)
    height_pairs = camera_height_pairs(held, EVAL_SEED + 2)
    out = []
    for name in names:
        settings = VARIANTS[name]
        if steps is not None:
            settings = replace(settings, steps=steps)
        start = time.perf_counter()
        encoder = train_v2(clips, seed, settings, calibrate=False, held_out=held_out)
        seconds = time.perf_counter() - start
        row = {"variant": name, "steps": settings.steps, "train_s": round(seconds, 1)}
        metrics = mocap_metrics(pairs, encoder)
        row.update(metrics.summary())
        height = mocap_metrics(height_pairs, encoder)
        row["high_camera_cross_view"] = round(float(np.nanmean(height.cross_view)), 4)
        row["high_camera_separation"] = round(height.separation, 4)
        if poses is not None:
            row.update(real_row(poses, encoder))
        if unseen_pairs is not None:
            unseen_cross = similarities(unseen_pairs.cross_view, encoder)
            row["unseen_activity_cross_view"] = round(float(np.nanmean(unseen_cross)), 4)
            row["unseen_activity_cross_view_q10"] = round(
                float(np.nanquantile(unseen_cross, 0.1)), 4
            )
        if name == names[0]:
            baseline = mocap_metrics(pairs, no_encoder_baseline(encoder))
            print(json.dumps({"variant": "no encoder", **baseline.summary()}), flush=True)
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--steps", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data", type=Path, default=Path(os.environ.get("POSESIM_TESTDATA", "../shared/testdata"))
    )
    parser.add_argument("--real", action="store_true", help="also score the squats and dance clips")
    parser.add_argument(
        "--unseen-subject", type=int, help="hold out every clip of this CMU subject (6: basketball)"
    )
    args = parser.parse_args()
    run(args.variants, args.steps, args.seed, args.data, args.real, args.unseen_subject)


if __name__ == "__main__":
    main()
