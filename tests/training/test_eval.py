"""Encoder evaluation: ROC AUC, calibration, follower variants and the table's rows."""

from __future__ import annotations

import json
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from posesim_cam.encoder import ScoreCalibration
from posesim_cam.sequence import PoseSequence
from posesim_cam.training.calibration import fit_calibration, no_encoder_baseline, with_calibration
from posesim_cam.training.evaluate import EvalReport, Row, evaluate_models
from posesim_cam.training.mocap_data import load_mocap, split_clips
from posesim_cam.training.mocap_eval import camera_height_pairs, mocap_pairs, render_clips, roc_auc
from posesim_cam.training.real_eval import REAL_VIDEOS, mirrored, slower, smaller
from tests.test_encoder import small_encoder


def brute_force_auc(pos: np.ndarray, neg: np.ndarray) -> float:
    wins = [1.0 if p > n else 0.5 if p == n else 0.0 for p, n in product(pos, neg)]
    return float(np.mean(wins))


def test_roc_auc_known_answers():
    assert roc_auc(np.array([0.9, 0.8]), np.array([0.1, 0.2, 0.3])) == 1.0
    assert roc_auc(np.array([0.1]), np.array([0.5, 0.6])) == 0.0
    assert roc_auc(np.array([0.5, 0.5]), np.array([0.5])) == 0.5
    # 3 positives, 2 negatives: pairs won 1 + 1 + 0.5 + 1 + 0 + 0 = 3.5 of 6.
    assert roc_auc(np.array([0.9, 0.4, 0.2]), np.array([0.4, 0.3])) == pytest.approx(3.5 / 6)
    assert np.isnan(roc_auc(np.array([]), np.array([0.1])))
    assert roc_auc(np.array([0.9, np.nan]), np.array([0.1])) == 1.0


def test_roc_auc_equals_pairwise_count_on_random_data_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(5):
        pos = np.round(rng.normal(0.5, 1, 40), 1)
        neg = np.round(rng.normal(0.0, 1, 30), 1)
        assert roc_auc(pos, neg) == pytest.approx(brute_force_auc(pos, neg))


def test_roc_auc_of_two_gaussians_matches_theory():
    # AUC of N(d, 1) vs N(0, 1) is Phi(d / sqrt 2); d = 1 gives 0.760.
    rng = np.random.default_rng(1)
    auc = roc_auc(rng.normal(1, 1, 4000), rng.normal(0, 1, 4000))
    assert auc == pytest.approx(0.760, abs=0.015)


def test_calibration_puts_quantiles_at_90_and_10():
    rng = np.random.default_rng(2)
    same, different = rng.uniform(0.7, 0.9, 400), rng.uniform(-0.1, 0.3, 400)
    calibration = fit_calibration(same, different)
    assert calibration.score(np.quantile(same, 0.25)) == pytest.approx(90, abs=0.1)
    assert calibration.score(np.quantile(different, 0.75)) == pytest.approx(10, abs=0.1)
    # Overlapping distributions fall back to medians, and never to a reversed map.
    fallback = fit_calibration(np.array([0.1, 0.2, 0.3]), np.array([0.2, 0.3, 0.4]))
    assert fallback.low < fallback.high


def sequence(n: int = 20, seed: int = 0) -> PoseSequence:
    rng = np.random.default_rng(seed)
    kp = rng.uniform(100, 500, (n, 17, 2)).astype(np.float32)
    return PoseSequence(kp, np.ones((n, 17), np.float32), 30.0, (640, 480))


def test_follower_variants():
    s = sequence()
    twice = mirrored(mirrored(s))
    np.testing.assert_allclose(twice.keypoints, s.keypoints, atol=1e-4)
    # A mirror image has the distances of the pose with left and right relabelled.
    np.testing.assert_allclose(
        mirrored(s).features().distances, s.features().mirrored().distances, rtol=1e-4
    )
    small = smaller(s)
    np.testing.assert_allclose(small.features().distances, s.features().distances, rtol=1e-4)
    slow = slower(s)
    assert len(slow) == 30 and slow.fps == s.fps
    np.testing.assert_array_equal(slow.keypoints[0], slow.keypoints[1])


@pytest.fixture(scope="module")
def held_out(testdata: Path, tmp_path_factory: pytest.TempPathFactory):
    clips = load_mocap(testdata / "mocap", tmp_path_factory.mktemp("mocap-cache"))
    return split_clips(clips)[1]


def test_mocap_pairs_have_every_kind(held_out):
    few = [c for c in held_out if c.name in ("005_14", "005_15", "002_01")]
    pairs = mocap_pairs(render_clips(few, seed=1, cameras=3), seed=2, different=50)
    assert len(pairs.same_view) > 0 and len(pairs.cross_view) == 3 * len(pairs.same_view)
    assert len(pairs.different) == 50
    assert len(pairs.other_take) == 6  # 005_14 vs 005_15, 3 x 3 cameras less the 3 shared
    assert all(len(a) == len(b) == 30 for a, b in pairs.cross_view)


def test_camera_height_pairs_pair_every_window_of_a_clip_across_cameras(held_out):
    few = [c for c in held_out if c.name in ("005_14", "002_01")]
    pairs = camera_height_pairs(few, seed=4, different=20)
    assert not pairs.same_view and not pairs.other_take and len(pairs.different) == 20
    windows = sum(len(c.points) // 30 for c in few)  # 1-s windows at 30 fps
    assert len(pairs.cross_view) == windows


def test_the_table_has_the_required_rows(held_out):
    few = [c for c in held_out if c.name in ("005_14", "005_15", "006_01")]
    encoder = small_encoder()
    encoder = with_calibration(encoder, ScoreCalibration(0.1, 0.9))
    baseline = with_calibration(no_encoder_baseline(encoder), ScoreCalibration(0.0, 1.0))
    # Stand-ins for the real clips' poses (the real ones need the pose backend).
    renders = render_clips(few, seed=5, cameras=2)
    real = {}
    for video, render in zip(REAL_VIDEOS, renders, strict=False):
        real[video] = render.sequence
    report = evaluate_models({"model": encoder, "no encoder": baseline}, few, real, seed=3)
    items = [r.item for r in report.rows]
    for required in (
        "ROC AUC same vs different movement (1-s windows)",
        "mean similarity, same movement, same view",
        "mean similarity, same movement, cross view",
        "mean similarity, different movements",
        "squat rep 1 vs rep 2",
        "lab_dance view 1 vs view 4",
        "lab_dance view 1 vs view 2 (follower mirrored)",
        "lab_dance view 1 vs view 3 (follower smaller)",
        "squats vs dance (follower slower)",
        "margin min(same) − max(different) similarity, as filmed",
        "camera -10…10° vs camera 35…50° above: mean cross-view similarity / separation",
    ):
        assert required in items, required
    assert any("seed autoencoder" in i for i in items)
    for row in report.rows:
        assert set(row.cells) <= {"model", "no encoder"}
    auc = report.rows[items.index("ROC AUC same vs different movement (1-s windows)")]
    assert 0.0 <= auc.values["model"] <= 1.0
    assert report.facts["mocap"]["no encoder"]["auc"] == pytest.approx(
        auc.values["no encoder"], abs=1e-4
    )


def test_eval_command_prints_one_table(monkeypatch: pytest.MonkeyPatch):
    from click.testing import CliRunner

    from posesim_cam.cli import main
    from posesim_cam.commands import model

    report = EvalReport(
        ["encoder_v2", "no encoder"],
        [
            Row("mocap", "ROC AUC same vs different movement (1-s windows)", "≥ 0.95",
                {"encoder_v2": "0.990", "no encoder": "0.917"}),
            Row("real: same", "squat rep 1 vs rep 2", "≥ 0.95 / ≥ 85",
                {"encoder_v2": "0.970 / 96", "no encoder": "0.940 / 90"}),
        ],
        {},
    )  # fmt: skip
    seen = {}

    def fake(workspace, data, seed, real, progress):  # type: ignore[no-untyped-def]
        seen.update(model_path=workspace.model_path, real=real, seed=seed)
        return report

    monkeypatch.setattr(model, "evaluate_encoder", fake)
    result = CliRunner().invoke(main, ["eval", "--no-real", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "ROC AUC" in result.output and "squat rep 1" in result.output
    assert "encoder_v2" in result.output and "no encoder" in result.output
    assert seen == {"model_path": None, "real": False, "seed": 3}
    as_json = CliRunner().invoke(main, ["eval", "--json"])
    assert json.loads(as_json.output)["rows"][1]["item"] == "squat rep 1 vs rep 2"
    markdown = CliRunner().invoke(main, ["eval", "--markdown"]).output
    row = "| real: same | squat rep 1 vs rep 2 | ≥ 0.95 / ≥ 85 | 0.970 / 96 | 0.940 / 90 |"
    assert row in markdown
