"""The AlphaPose-style backend: FastPose checkpoints load strictly, the top-down geometry is
right to hand-computed numbers, and the whole path runs on real images.

No AlphaPose weights can be had here, so checkpoints are made in the test, with the official
key names and shapes (listed below from AlphaPose's published architecture, independently of
``pose.fastpose``): they verify compatibility and geometry, not accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from posesim_cam.pose import topdown
from posesim_cam.pose.alphapose import AlphaPoseEstimator, AlphaPoseSettings
from posesim_cam.pose.detectors import Detections
from posesim_cam.pose.fastpose import CheckpointError, FastPose, load_fastpose
from tests.test_cli import assert_user_error, cli

pytestmark = pytest.mark.torch


def official_layout(joints: int = 17) -> dict[str, tuple[int, ...]]:
    """AlphaPose's FastPose ResNet-50 state dict: key -> shape."""
    layout: dict[str, tuple[int, ...]] = {}

    def bn(prefix: str, c: int) -> None:
        for name in ("weight", "bias", "running_mean", "running_var"):
            layout[f"{prefix}.{name}"] = (c,)
        layout[f"{prefix}.num_batches_tracked"] = ()

    layout["preact.conv1.weight"] = (64, 3, 7, 7)
    bn("preact.bn1", 64)
    inplanes = 64
    stages = zip((3, 4, 6, 3), (64, 128, 256, 512), strict=True)
    for stage, (blocks, planes) in enumerate(stages, start=1):
        for block in range(blocks):
            p = f"preact.layer{stage}.{block}"
            layout[f"{p}.conv1.weight"] = (planes, inplanes, 1, 1)
            bn(f"{p}.bn1", planes)
            layout[f"{p}.conv2.weight"] = (planes, planes, 3, 3)
            bn(f"{p}.bn2", planes)
            layout[f"{p}.conv3.weight"] = (planes * 4, planes, 1, 1)
            bn(f"{p}.bn3", planes * 4)
            if block == 0:
                c = planes * 4
                layout[f"{p}.se.fc.0.weight"] = (c, c)
                layout[f"{p}.se.fc.0.bias"] = (c,)
                layout[f"{p}.se.fc.2.weight"] = (c, c)
                layout[f"{p}.se.fc.2.bias"] = (c,)
                layout[f"{p}.downsample.0.weight"] = (c, inplanes, 1, 1)
                bn(f"{p}.downsample.1", c)
            inplanes = planes * 4
    layout["duc1.conv.weight"] = (1024, 512, 3, 3)
    bn("duc1.bn", 1024)
    layout["duc2.conv.weight"] = (512, 256, 3, 3)
    bn("duc2.bn", 512)
    layout["conv_out.weight"] = (joints, 128, 3, 3)
    layout["conv_out.bias"] = (joints,)
    return layout


def make_checkpoint(path: Path, joints: int = 17, seed: int = 0, drop: str | None = None,
                    extra: str | None = None) -> Path:  # fmt: skip
    """A checkpoint file with the official layout: weights from a seeded FastPose, so the
    network's activations stay sane, saved as the model zoo saves them (a bare state dict)."""
    torch.manual_seed(seed)
    state = FastPose(joints).state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == official_layout(joints)
    if drop:
        del state[drop]
    if extra:
        state[extra] = torch.zeros(3)
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "fast_res50_256x192.pth")


# ---------------------------------------------------------------------- checkpoints


@pytest.mark.parametrize(("joints", "kind"), [(17, "COCO-17"), (26, "Halpe-26")])
def test_official_checkpoints_load_strictly(tmp_path: Path, joints: int, kind: str):
    assert len(official_layout(joints)) == 348
    path = make_checkpoint(tmp_path / "c.pth", joints)
    network, report = load_fastpose(path)
    assert (report.kind, report.joints, report.tensors) == (kind, joints, 348)
    assert report.parameters == sum(p.numel() for p in network.parameters())
    with torch.inference_mode():
        out = network(torch.zeros(1, 3, 256, 192))
    assert tuple(out.shape) == (1, joints, 64, 48)


def test_a_checkpoint_saved_under_module_or_state_dict_loads_too(tmp_path: Path):
    torch.manual_seed(1)
    state = FastPose(17).state_dict()
    path = tmp_path / "wrapped.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    assert load_fastpose(path)[1].tensors == 348


def test_a_broken_checkpoint_is_refused_naming_the_keys(tmp_path: Path):
    path = make_checkpoint(tmp_path / "b.pth", drop="duc2.bn.weight", extra="head.fc.weight")
    with pytest.raises(CheckpointError) as caught:
        load_fastpose(path)
    message = str(caught.value)
    assert "missing keys: duc2.bn.weight" in message
    assert "unexpected keys: head.fc.weight" in message
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable torch checkpoint"):
        load_fastpose(tmp_path / "junk.pth")


def test_check_checkpoint_command(tmp_path: Path, checkpoint: Path):
    result = cli("check-checkpoint", str(checkpoint))
    assert result.returncode == 0, result.stderr
    assert "COCO-17" in result.stdout and "348 tensors" in result.stdout
    assert "40,577,745 parameters" in result.stdout  # SE-ResNet-50 + DUCs + 17 heatmaps
    halpe = make_checkpoint(tmp_path / "h.pth", 26)
    assert "Halpe-26" in cli("check-checkpoint", str(halpe)).stdout
    broken = make_checkpoint(tmp_path / "b.pth", drop="conv_out.bias", extra="fc.weight")
    assert_user_error(cli("check-checkpoint", str(broken)), "missing keys: conv_out.bias",
                      "unexpected keys: fc.weight")  # fmt: skip
    assert_user_error(cli("check-checkpoint", str(tmp_path / "none.pth")), "does not exist")


# ---------------------------------------------------------------------- geometry, by hand


def test_box_to_centre_and_size_keeps_the_aspect_and_pads():
    centre, size = topdown.box_to_center_scale(np.array([100, 50, 200, 250]))
    # 100x200 is narrower than 3:4, so the width grows to 150; then x1.25.
    np.testing.assert_allclose(centre, [150, 150])
    np.testing.assert_allclose(size, [187.5, 250])
    centre, size = topdown.box_to_center_scale(np.array([0, 0, 300, 100]))
    np.testing.assert_allclose(size, [375, 500])  # wide: the height grows to 400


def test_the_crop_maps_the_padded_box_onto_256x192():
    matrix = topdown.crop_matrix(np.array([150.0, 150.0]), np.array([187.5, 250.0]))
    corners = np.array([[56.25, 25.0], [243.75, 275.0], [150.0, 150.0]])
    np.testing.assert_allclose(topdown.apply_affine(matrix, corners),
                               [[0, 0], [192, 256], [96, 128]], atol=1e-9)  # fmt: skip
    back = topdown.apply_affine(topdown.invert_affine(matrix), np.array([[96.0, 128.0]]))
    np.testing.assert_allclose(back, [[150, 150]])


def test_crops_are_the_region_of_the_frame():
    frame = np.zeros((300, 300, 3), np.uint8)
    frame[140:160, 140:160] = (0, 0, 255)  # a red square at the box centre
    matrix = topdown.crop_matrix(*topdown.box_to_center_scale(np.array([100, 50, 200, 250])))
    crop = topdown.warp_crops(frame, matrix[None])[0]
    red = np.argwhere(crop[..., 2] > 128)
    # 20 frame pixels at 192/187.5 = 1.024 crop pixels each, centred on (96, 128).
    assert abs(red[:, 1].mean() - 96) < 1 and abs(red[:, 0].mean() - 128) < 1
    assert 19 <= red[:, 1].max() - red[:, 1].min() + 1 <= 22
    normalized = topdown.normalize_crops(crop[None])
    assert normalized.shape == (1, 3, 256, 192)
    # RGB order: the red square is in channel 0, 1.0 - 0.406 there; black elsewhere, -mean.
    assert normalized[0, 0, 128, 96] == pytest.approx(1.0 - 0.406)
    assert normalized[0, 2, 0, 0] == pytest.approx(-0.480)


def test_heatmap_peaks_move_a_quarter_pixel_toward_the_higher_neighbour():
    heatmaps = np.zeros((1, 2, 64, 48), np.float32)
    hm = heatmaps[0, 0]
    hm[20, 10] = 1.0
    hm[20, 11], hm[20, 9] = 0.5, 0.2  # right higher: +0.25 in x
    hm[19, 10], hm[21, 10] = 0.4, 0.1  # up higher: -0.25 in y
    heatmaps[0, 1, 0, 5] = 0.7  # on the top edge: not moved
    heatmaps[0, 1, 0, 6] = 0.6
    coords, values = topdown.decode_heatmaps(heatmaps)
    np.testing.assert_allclose(coords[0], [[10.25, 19.75], [5.0, 0.0]])
    np.testing.assert_allclose(values[0], [1.0, 0.7])


def test_heatmap_pixels_go_back_to_frame_pixels():
    matrix = topdown.crop_matrix(np.array([150.0, 150.0]), np.array([187.5, 250.0]))
    coords = np.array([[[24.0, 32.0], [0.0, 0.0], [48.0, 64.0]]])
    frame = topdown.heatmap_to_frame(coords, matrix[None])
    np.testing.assert_allclose(frame[0], [[150, 150], [56.25, 25], [243.75, 275]])


def test_flip_back_mirrors_and_swaps_left_and_right():
    mirrored = np.zeros((1, 17, 64, 48), np.float32)
    mirrored[0, 9, 30, 10] = 1.0  # the left wrist, in the mirrored crop, at x = 10
    back = topdown.flip_back(mirrored, topdown.COCO_PAIRS)
    # Unmirrored it is the right wrist at 47 - 10, shifted one column: x = 38.
    assert back[0, 10, 30, 38] == 1.0 and back[0, 9].max() == 0.0
    assert back[0, 0].max() == 0.0


def test_pose_nms_drops_a_repeat_and_keeps_two_people():
    rng = np.random.default_rng(0)
    one = rng.uniform(100, 200, (17, 2))
    two = one + 300
    boxes = np.array([[100, 100, 200, 200], [102, 98, 203, 201], [400, 400, 500, 500]], float)
    people = topdown.PersonPoses(
        boxes.astype(np.float32), np.array([0.9, 0.8, 0.7], np.float32),
        np.stack([one, one + 2, two]).astype(np.float32), np.full((3, 17), 0.8, np.float32),
    )  # fmt: skip
    np.testing.assert_array_equal(topdown.pose_nms(people), [0, 2])
    faint = topdown.PersonPoses(people.boxes[:1], people.box_scores[:1], people.keypoints[:1],
                                np.full((1, 17), 0.01, np.float32))  # fmt: skip
    assert len(topdown.pose_nms(faint)) == 0


# ---------------------------------------------------------------------- the whole path


class CentreRunner:
    """Heatmaps peaking at the heatmap's centre for every joint: every keypoint must then
    land on its box's centre if crops and their inverse are right."""

    joints = 17

    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        self.batches.append(len(crops))
        out = np.zeros((len(crops), 17, 64, 48), np.float32)
        out[:, :, 32, 24] = 0.9
        return out


def test_top_down_on_a_real_image_puts_each_box_centre_back(checkpoint: Path, testdata: Path):
    image = cv2.imread(str(testdata / "images" / "two_people.jpg"))
    estimator = AlphaPoseEstimator(AlphaPoseSettings(checkpoint))
    estimator.runner = CentreRunner()
    try:
        found = estimator.detector.detect(image)
        assert len(found) >= 2, "the default detector finds the people in two_people.jpg"
        people = estimator.poses_in_boxes(image, found)
    finally:
        estimator.close()
    assert estimator.runner.batches == [len(found)], "one batch for everybody"
    centres = (found.boxes[:, :2] + found.boxes[:, 2:]) / 2
    np.testing.assert_allclose(people.keypoints, np.repeat(centres[:, None], 17, 1), atol=1e-3)
    np.testing.assert_allclose(people.scores, 0.9)


def test_the_real_network_on_real_images(checkpoint: Path, testdata: Path):
    estimator = AlphaPoseEstimator(AlphaPoseSettings(checkpoint))
    try:
        for name in ("two_people.jpg", "basketball1.png"):
            image = cv2.imread(str(testdata / "images" / name))
            people = estimator.detections(image)
            assert len(people) >= 2
            assert np.isfinite(people.keypoints).all()
            for box, keypoints in zip(people.boxes, people.keypoints, strict=True):
                centre, size = topdown.box_to_center_scale(box)
                assert (np.abs(keypoints - centre) <= size / 2 + 1).all(), "inside its crop"
            poses = estimator.estimate(image)
            assert all(p.keypoints.shape == (17, 2) for p in poses)
    finally:
        estimator.close()


def test_halpe_poses_come_out_as_coco_17(tmp_path: Path, testdata: Path):
    path = make_checkpoint(tmp_path / "halpe.pth", 26)
    estimator = AlphaPoseEstimator(AlphaPoseSettings(path))
    image = cv2.imread(str(testdata / "images" / "person_full_body.jpg"))
    try:
        found = estimator.detector.detect(image)
        people = estimator.poses_in_boxes(image, found)
        assert people.keypoints.shape[1] == 26
        estimator.last_people = None
        for pose in estimator.estimate(image):
            assert pose.keypoints.shape == (17, 2)
    finally:
        estimator.close()


def test_flip_test_averages_both_orientations(checkpoint: Path, testdata: Path):
    image = cv2.imread(str(testdata / "images" / "person_full_body.jpg"))
    boxes = Detections(np.array([[235, 240, 777, 667]], np.float32), np.ones(1, np.float32))
    plain = AlphaPoseEstimator(AlphaPoseSettings(checkpoint))
    flipped = AlphaPoseEstimator(AlphaPoseSettings(checkpoint, flip_test=True))
    try:
        a, b = plain.poses_in_boxes(image, boxes), flipped.poses_in_boxes(image, boxes)
    finally:
        plain.close()
        flipped.close()
    assert a.keypoints.shape == b.keypoints.shape and not np.array_equal(a.scores, b.scores)


def test_onnx_runtime_gives_the_same_heatmaps_as_torch(checkpoint: Path, tmp_path: Path):
    from posesim_cam.pose.runners import OnnxRunner, TorchRunner

    network, _ = load_fastpose(checkpoint)
    crops = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 3, 256, 192)).astype(np.float32)
    expected = TorchRunner(network, "cpu")(crops)
    runner = OnnxRunner(network, tmp_path / "fastpose.onnx")
    np.testing.assert_allclose(runner(crops), expected, atol=1e-4)
    assert runner(crops[:0]).shape == (0, 17, 64, 48)


# ---------------------------------------------------------------------- the onnx detector


def constant_detector(path: Path, rows: np.ndarray, size: int = 64) -> Path:
    """An ONNX graph taking (1, 3, size, size) images and giving ``rows`` (plus 0 x the image's
    mean, so the input is used)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
            helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
            helper.make_node("Add", ["rows", "nothing"], ["output"]),
        ],
        "constant_detector",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(rows.shape))],
        [
            numpy_helper.from_array(rows.astype(np.float32), "rows"),
            numpy_helper.from_array(np.zeros((), np.float32), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def test_onnx_detector_rows_come_back_in_frame_pixels(tmp_path: Path):
    from posesim_cam.pose.detectors import OnnxDetector

    rows = np.array([[[16, 24, 48, 40, 0.9, 0],    # a person
                      [0, 16, 10, 20, 0.95, 1],    # another class: dropped
                      [30, 30, 40, 40, 0.1, 0]]])  # too faint: dropped  # fmt: skip
    detector = OnnxDetector(constant_detector(tmp_path / "rows.onnx", rows))
    # A 128x64 frame letterboxes into 64x64 at half size, 16 grey rows above and below.
    found = detector.detect(np.zeros((64, 128, 3), np.uint8))
    np.testing.assert_allclose(found.boxes, [[32, 16, 96, 48]])
    np.testing.assert_allclose(found.scores, [0.9], rtol=1e-6)


def test_onnx_detector_reads_a_yolov8_head(tmp_path: Path):
    from posesim_cam.pose.detectors import OnnxDetector

    # (1, 4 + 2 classes, 3 anchors): cx cy w h, person score, other score.
    head = np.array([[[32, 32, 10], [32, 33, 10], [16, 16, 4], [32, 32, 4],
                      [0.8, 0.75, 0.9], [0.1, 0.1, 0.0]]])  # fmt: skip
    detector = OnnxDetector(constant_detector(tmp_path / "yolo.onnx", head))
    found = detector.detect(np.zeros((64, 64, 3), np.uint8))
    # The second anchor repeats the first (IoU > 0.45) and goes; the third is kept.
    np.testing.assert_allclose(found.boxes, [[8, 8, 12, 12], [24, 16, 40, 48]])


# ---------------------------------------------------------------------- the command line


def test_pose_json_prints_every_detected_box(checkpoint: Path, testdata: Path):
    image = str(testdata / "images" / "two_people.jpg")
    result = cli("pose", image, "--backend", "alphapose", "--checkpoint", str(checkpoint),
                 "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert len(record["people"]) >= 2
    for person in record["people"]:
        assert 0 < person["box_score"] <= 1 and len(person["keypoints"]) == 17


def test_targets_add_and_score_run_with_alphapose(tmp_path: Path, testdata: Path):
    # A checkpoint whose heatmaps are flat at 0.9: every joint decodes to the crop's top-left
    # corner with confidence 0.9, so the poses are sure (if not a body) and the path runs.
    torch.manual_seed(0)
    state = FastPose(17).state_dict()
    state["conv_out.weight"].zero_()
    state["conv_out.bias"].fill_(0.9)
    flat = tmp_path / "flat.pth"
    torch.save(state, flat)
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    library = str(tmp_path / "lib")
    added = cli("targets", "add", squats, "--library", library, "--backend", "alphapose",
                "--checkpoint", str(flat))  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "squats_1person_5fps" in cli("targets", "list", "--library", library).stdout
    scored = cli("score", "squats_1person_5fps", squats, "--library", library, "--backend",
                 "alphapose", "--checkpoint", str(flat), "--json")  # fmt: skip
    # Every joint on one point is no body: scoring says so in one sentence.
    assert_user_error(scored, "Cannot score")


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        (["--backend", "alphapose"], "--backend alphapose needs --checkpoint PATH"),
        (["--checkpoint", "x.pth"], "--checkpoint is an option of the alphapose backend"),
        (["--backend", "alphapose", "--checkpoint", "missing.pth"], "does not exist"),
        (["--backend", "alphapose", "--checkpoint", "CKPT", "--detector", "yolo"],
         "--detector yolo is not a person detector"),
        (["--backend", "alphapose", "--checkpoint", "CKPT", "--detector", "onnx"],
         "--detector onnx needs the detector's model file"),
    ],
)  # fmt: skip
def test_bad_alphapose_options_are_one_sentence(testdata: Path, checkpoint: Path, options, phrase):
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    options = [str(checkpoint) if o == "CKPT" else o for o in options]
    result = cli("score", squats, squats, *options)
    assert_user_error(result, phrase)


def test_a_broken_checkpoint_stops_run_with_one_sentence(tmp_path: Path, testdata: Path):
    broken = make_checkpoint(tmp_path / "b.pth", drop="preact.conv1.weight")
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    result = cli("run", "--source", squats, "--target", squats, "--output", "null",
                 "--no-control", "--backend", "alphapose", "--checkpoint", str(broken))  # fmt: skip
    assert_user_error(result, "missing keys: preact.conv1.weight")


# ---------------------------------------------------------------------- CUDA


@pytest.mark.cuda
def test_cuda_fp16_and_graphs_match_the_cpu(checkpoint: Path):
    from posesim_cam.pose.runners import TorchRunner

    network, _ = load_fastpose(checkpoint)
    crops = np.random.default_rng(0).uniform(-0.5, 0.5, (3, 3, 256, 192)).astype(np.float32)
    cpu = TorchRunner(load_fastpose(checkpoint)[0], "cpu")(crops)
    eager = TorchRunner(network, "cuda", half=False, cuda_graphs=False)(crops)
    np.testing.assert_allclose(eager, cpu, atol=1e-3)
    graphs = TorchRunner(load_fastpose(checkpoint)[0], "cuda")  # fp16 + graphs
    out = graphs(crops)
    assert out.shape == cpu.shape
    assert np.abs(out - cpu).max() < 0.05 * max(1.0, np.abs(cpu).max())
    np.testing.assert_array_equal(graphs(crops[:1]).shape, (1, 17, 64, 48))


def test_run_reads_the_alphapose_settings_from_the_config_file(tmp_path: Path, testdata: Path):
    broken = make_checkpoint(tmp_path / "b.pth", drop="duc1.conv.weight")
    config = tmp_path / "config.toml"
    config.write_text(f'[run]\nbackend = "alphapose"\ncheckpoint = "{broken}"\n')
    squats = str(testdata / "video" / "squats_1person_5fps.mp4")
    run = ("run", "--source", squats, "--target", squats, "--output", "null", "--no-control")
    assert_user_error(cli(*run, "--config", str(config)), "missing keys: duc1.conv.weight")
    # Another backend on the command line leaves the file's alphapose settings unused...
    other = cli(*run, "--config", str(config), "--backend", "blazepose", "--json")
    assert other.returncode == 0, other.stderr
    # ... but an alphapose option typed beside another backend is a mistake.
    assert_user_error(cli(*run, "--backend", "blazepose", "--checkpoint", str(broken)),
                      "--checkpoint is an option of the alphapose backend")  # fmt: skip
