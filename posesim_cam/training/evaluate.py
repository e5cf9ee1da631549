"""Encoder evaluation table: held-out mocap and the real test pairings, as one report.

``evaluate_models`` runs several encoders (each with its own frozen score calibration) through
the held-out mocap pairs (``mocap_eval``), the camera-height pairs, the embedding speed and, when
given their poses, the real pairings (``real_eval``: each pair's similarity and score, the same
with the follower mirrored, smaller and slower, and the margin min(same) - max(different)), and
returns an ``EvalReport`` of ``Row``s and facts; ``markdown_table`` writes it as Markdown. Pure
computation: it returns numbers and rows, the CLI prints them. It may import the package's
numerics and the other training modules, never the CLI, the commands, the session or the HUD.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from posesim_cam.encoder import Encoder
from posesim_cam.features import pose_features
from posesim_cam.progress import ProgressFactory, start_bar
from posesim_cam.sequence import PoseSequence
from posesim_cam.skeleton import NUM_KEYPOINTS
from posesim_cam.training.mocap_data import MocapClip
from posesim_cam.training.mocap_eval import (
    EVAL_SEED,
    HIGH_PITCH,
    LEVEL_PITCH,
    MocapMetrics,
    camera_height_pairs,
    mocap_metrics,
    mocap_pairs,
    render_clips,
)
from posesim_cam.training.real_eval import RealResult, real_results

# The seed method's reported numbers (DESIGN.md): mean cosine similarity.
SEED_SAME, SEED_DIFFERENT = 0.65, 0.33


def embed_time_ms(encoder: Encoder, repeats: int = 2000) -> float:
    """Median wall time of ``encoder.embed`` on the features of one pose, in milliseconds."""
    rng = np.random.default_rng(0)
    features = pose_features(rng.uniform(0, 400, (1, NUM_KEYPOINTS, 2)))
    times = np.empty(repeats)
    for k in range(repeats):
        start = time.perf_counter()
        encoder.embed(features)
        times[k] = time.perf_counter() - start
    return float(np.median(times) * 1000.0)


@dataclass
class Row:
    """One line of the evaluation table.

    Attributes:
        section: "mocap", "real", "summary" or "reference".
        item: what is measured.
        target: the goal, as text ("" if none).
        cells: model name -> text.
        values: model name -> number (similarity, AUC or score; NaN if absent).
    """

    section: str
    item: str
    target: str
    cells: dict[str, str] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)


@dataclass
class EvalReport:
    models: list[str]
    rows: list[Row]
    facts: dict


def _pair_cell(similarity: float, score: float) -> str:
    if np.isnan(similarity):
        return "cannot score"
    return f"{similarity:.3f} / {score:.0f}"


def _mocap_rows(
    names: list[str], models: dict[str, Encoder], metrics: dict[str, MocapMetrics]
) -> list[Row]:
    def row(item: str, target: str, values: dict[str, float], fmt: str = ".3f") -> Row:
        return Row("mocap", item, target, {n: format(v, fmt) for n, v in values.items()}, values)

    def mean(get: Callable[[MocapMetrics], np.ndarray]) -> dict[str, float]:
        return {n: float(np.nanmean(get(metrics[n]))) for n in names}

    scores = {
        n: (
            float(np.nanmean(models[n].calibration.score(metrics[n].cross_view))),
            float(np.nanmean(models[n].calibration.score(metrics[n].different))),
        )
        for n in names
    }
    score_row = Row(
        "mocap",
        "mean score, same movement cross view / different",
        "",
        {n: f"{a:.0f} / {b:.0f}" for n, (a, b) in scores.items()},
        {n: a for n, (a, _) in scores.items()},
    )
    return [
        row(
            "ROC AUC same vs different movement (1-s windows)",
            "≥ 0.95",
            {n: metrics[n].auc for n in names},
        ),
        row(
            "ROC AUC cross-view same vs different",
            "",
            {n: metrics[n].auc_cross_view for n in names},
        ),
        row("mean similarity, same movement, same view", "", mean(lambda m: m.same_view)),
        row("mean similarity, same movement, cross view", "", mean(lambda m: m.cross_view)),
        row(
            "mean similarity, same movement, another take (whole clips)",
            "",
            mean(lambda m: m.other_take),
        ),
        row("mean similarity, different movements", "", mean(lambda m: m.different)),
        row(
            "separation: q10 cross-view same − q90 different",
            "",
            {n: metrics[n].separation for n in names},
        ),
        score_row,
    ]


_REAL_TARGETS = {"self": "≥ 0.95 / ≥ 95", "same": "≥ 0.85 / ≥ 85", "different": "≤ 0.25 / ≤ 30"}


def _real_rows(names: list[str], results: dict[str, list[RealResult]]) -> list[Row]:
    rows = []
    for index, r in enumerate(results[names[0]]):
        label = r.label + (f" (follower {r.variant})" if r.variant else "")
        target = _REAL_TARGETS[r.kind]
        if r.kind == "same" and "squat" in r.label and not r.variant:
            target = "≥ 0.95 / ≥ 85"  # the same view
        picked = {n: results[n][index] for n in names}
        rows.append(
            Row(
                f"real: {r.kind}",
                label,
                target,
                {n: _pair_cell(x.similarity, x.score) for n, x in picked.items()},
                {n: x.similarity for n, x in picked.items()},
            )
        )
    for variants, title in ((False, "as filmed"), (True, "incl. follower variants")):

        def pick(n: str, kind: str, attribute: str, variants: bool = variants) -> np.ndarray:
            return np.array(
                [
                    getattr(r, attribute)
                    for r in results[n]
                    if r.kind == kind and (variants or not r.variant)
                ]
            )

        margin = {
            n: float(
                np.nanmin(pick(n, "same", "similarity"))
                - np.nanmax(pick(n, "different", "similarity"))
            )
            for n in names
        }
        rows.append(
            Row(
                "summary",
                f"margin min(same) − max(different) similarity, {title}",
                "" if variants else "≥ 0.6",
                {n: f"{v:.3f}" for n, v in margin.items()},
                margin,
            )
        )
        lowest = {n: float(np.nanmin(pick(n, "same", "score"))) for n in names}
        highest = {n: float(np.nanmax(pick(n, "different", "score"))) for n in names}
        rows.append(
            Row(
                "summary",
                f"min score same movement / max score different, {title}",
                "≥ 85 / ≤ 30",
                {n: f"{lowest[n]:.0f} / {highest[n]:.0f}" for n in names},
                lowest,
            )
        )
    return rows


def evaluate_models(
    models: dict[str, Encoder],
    held_out: Sequence[MocapClip],
    real_poses: dict[str, PoseSequence] | None,
    seed: int = EVAL_SEED,
    progress: ProgressFactory | None = None,
) -> EvalReport:
    """The evaluation table for several encoders (each with its own frozen calibration).

    ``real_poses`` (from ``load_real_poses``) None: the mocap section only.
    """
    names = list(models)
    pairs = mocap_pairs(render_clips(held_out, seed), seed + 1)
    height_pairs = camera_height_pairs(held_out, seed + 2)
    bar = start_bar(progress, "Evaluating", len(names))
    metrics: dict[str, MocapMetrics] = {}
    height: dict[str, MocapMetrics] = {}
    results: dict[str, list[RealResult]] = {}
    for k, name in enumerate(names):
        metrics[name] = mocap_metrics(pairs, models[name])
        height[name] = mocap_metrics(height_pairs, models[name])
        if real_poses is not None:
            results[name] = real_results(real_poses, models[name])
        bar(k + 1)
    rows = _mocap_rows(names, models, metrics)
    level, high = (f"{a:.0f}…{b:.0f}°" for a, b in (LEVEL_PITCH, HIGH_PITCH))
    rows += [
        Row(
            "mocap",
            f"camera {level} vs camera {high} above: mean cross-view similarity / separation",
            "",
            {
                n: f"{np.nanmean(height[n].cross_view):.3f} / {height[n].separation:.3f}"
                for n in names
            },
            {n: float(np.nanmean(height[n].cross_view)) for n in names},
        )
    ]
    speed = {n: embed_time_ms(models[n]) for n in names}
    rows.append(
        Row(
            "speed",
            "embedding one pose (numpy Encoder.embed, median), ms",
            "≤ 0.2",
            {n: f"{v:.3f}" for n, v in speed.items()},
            speed,
        )
    )
    facts: dict = {
        "seed": seed,
        "mocap_pairs": {
            "same_view": len(pairs.same_view),
            "cross_view": len(pairs.cross_view),
            "different": len(pairs.different),
            "other_take": len(pairs.other_take),
        },
        "mocap": {n: metrics[n].summary() for n in names},
        "mocap_camera_height": {n: height[n].summary() for n in names},
        "calibration": {
            n: [round(models[n].calibration.low, 4), round(models[n].calibration.high, 4)]
            for n in names
        },
    }
    if real_poses is not None:
        rows += _real_rows(names, results)
        facts["real"] = {
            n: [
                {
                    "kind": r.kind,
                    "pair": r.label,
                    "variant": r.variant,
                    "similarity": round(r.similarity, 4),
                    "score": round(r.score, 2),
                }
                for r in results[n]
            ]
            for n in names
        }
    rows.append(
        Row(
            "reference",
            "seed autoencoder as reported (DESIGN.md): mean similarity same / different movement",
            "",
            {
                n: (f"{SEED_SAME:.2f} / {SEED_DIFFERENT:.2f}" if k == 0 else "")
                for k, n in enumerate(names)
            },
        )
    )
    return EvalReport(names, rows, facts)


def markdown_table(report: EvalReport) -> str:
    """The report as a Markdown table (for docs/scores.md and the model card)."""
    header = ["section", "measure", "target", *report.models]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in report.rows:
        cells = [row.section, row.item, row.target, *(row.cells.get(m, "") for m in report.models)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
