"""The compositor: output frames, HUD placement, skeleton colours, mirroring, every phase.

Tests read pixels back: a uniform grey camera and a target picture made of colours the HUD
never uses make the layers easy to find without knowing the layout's exact numbers.
"""

from __future__ import annotations

import dataclasses
import time

import cv2
import numpy as np
import pytest

from posesim_cam.hud import Compositor, HudState, Layout, Phase, SummaryCard, Theme
from posesim_cam.hud.cards import CameraLostCard, EndCard
from posesim_cam.hud.compositor import PHASE_LAYERS
from posesim_cam.hud.draw import Placement, paste_rounded
from posesim_cam.hud.layers import (
    Badges,
    Canvas,
    Countdown,
    FpsText,
    PlayerScores,
    ScorePanel,
    SkeletonLayer,
    TargetCard,
)
from posesim_cam.pose.base import Pose
from posesim_cam.skeleton import INDEX, LIMBS

SIZES = [(640, 480), (1280, 720)]
THEME = Theme()
GREY = 90
LIMB_INDEX = {name: k for k, (name, _, _) in enumerate(LIMBS)}
BODY_LIMBS = [name for name in LIMB_INDEX if not name.endswith(("face", "head"))]

# A person in unit coordinates (x, y in [0, 1] of the camera frame), facing the camera: the
# body sits in the middle, clear of the HUD's corner panels and top badges.
PERSON = {
    "nose": (0.50, 0.26),
    "left_eye": (0.51, 0.25),
    "right_eye": (0.49, 0.25),
    "left_ear": (0.52, 0.255),
    "right_ear": (0.48, 0.255),
    "left_shoulder": (0.545, 0.33),
    "right_shoulder": (0.455, 0.33),
    "left_elbow": (0.60, 0.40),
    "right_elbow": (0.40, 0.40),
    "left_wrist": (0.63, 0.50),
    "right_wrist": (0.37, 0.50),
    "left_hip": (0.53, 0.52),
    "right_hip": (0.47, 0.52),
    "left_knee": (0.54, 0.64),
    "right_knee": (0.46, 0.64),
    "left_ankle": (0.545, 0.76),
    "right_ankle": (0.455, 0.76),
}


def person(width: float, height: float, scores: np.ndarray | None = None) -> Pose:
    """PERSON in pixels of a width x height frame."""
    unit = np.array([PERSON[name] for name in INDEX], np.float32)
    keypoints = unit * np.array([width, height], np.float32)
    return Pose.from_keypoints(keypoints, np.ones(17, np.float32) if scores is None else scores)


def grey_camera(width: int, height: int) -> np.ndarray:
    return np.full((height, width, 3), GREY, np.uint8)


def noise_camera(width: int, height: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def target_picture(width: int, height: int) -> np.ndarray:
    """Red 255 with blue and green ramps up to 150: no HUD element has these colours."""
    xs = np.linspace(0, 150, width)[None, :].repeat(height, 0)
    ys = np.linspace(0, 150, height)[:, None].repeat(width, 1)
    return np.stack([xs, ys, np.full_like(xs, 255)], axis=2).astype(np.uint8)


def target_mask(frame: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels that can only come from target_picture."""
    b, g, r = (frame[..., k].astype(int) for k in range(3))
    return (r >= 250) & (g <= 160) & (b <= 160)


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    assert len(xs), "nothing found"
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def near(pixel: np.ndarray, color: tuple[int, int, int], tolerance: int = 12) -> bool:
    return bool(np.abs(pixel.astype(int) - np.array(color)).max() <= tolerance)


def full_state(phase: Phase | str, width: int, height: int) -> HudState:
    """A HudState with every field filled in, for the given phase."""
    warnings = np.zeros(len(LIMBS), bool)
    warnings[LIMB_INDEX["left_forearm"]] = True
    return HudState(
        phase=phase,
        user_pose=person(width, height),
        limb_warnings=warnings,
        target_frame=target_picture(720, 1280),
        target_pose=person(720, 1280),
        score=78.0,
        grade="Great",
        target_name="Salsa basics — week 2",
        countdown=2.3,
        progress=0.4,
        summary=SummaryCard(
            score=81.0,
            grade="Great",
            best=((12, 95.0), (40, 91.0)),
            worst=((3, 40.0),),
            personal_best=77.0,
            new_record=True,
        ),
        fps=29.8,
        message="No person in view",
    )


# ---------------------------------------------------------------------- frames


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("camera_size", [(1280, 720), (640, 480), (576, 576), (720, 1280)])
def test_output_shape_and_dtype(width: int, height: int, camera_size: tuple[int, int]) -> None:
    out = Compositor(width, height).compose(
        noise_camera(*camera_size), full_state("playing", *camera_size)
    )
    assert out.shape == (height, width, 3)
    assert out.dtype == np.uint8


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("mirror", [False, True])
def test_every_phase_renders(width: int, height: int, phase: Phase, mirror: bool) -> None:
    camera = noise_camera(width, height)
    plain = Compositor(width, height, mirror_display=mirror).compose(camera, HudState())
    out = Compositor(width, height, mirror_display=mirror).compose(
        camera, full_state(phase, width, height)
    )
    assert out.shape == (height, width, 3)
    assert out.dtype == np.uint8
    assert (out != plain).any(axis=2).mean() > 0.01, "the HUD drew (almost) nothing"


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_phase_renders_with_bare_state(width: int, height: int) -> None:
    compositor = Compositor(width, height)
    for phase in list(Phase):
        out = compositor.compose(grey_camera(width, height), HudState(phase=phase))
        assert out.shape == (height, width, 3)


def test_inputs_are_not_modified() -> None:
    camera = noise_camera(1280, 720)
    state = full_state("playing", 1280, 720)
    camera_before = camera.copy()
    target_before = state.target_frame.copy()
    warnings_before = state.limb_warnings.copy()
    for mirror in (False, True):
        out = Compositor(1280, 720, mirror_display=mirror).compose(camera, state)
        assert not np.shares_memory(out, camera)
    np.testing.assert_array_equal(camera, camera_before)
    np.testing.assert_array_equal(state.target_frame, target_before)
    np.testing.assert_array_equal(state.limb_warnings, warnings_before)


def test_camera_is_letterboxed_keeping_its_aspect() -> None:
    camera = np.full((576, 576, 3), 200, np.uint8)
    out = Compositor(1280, 720).compose(camera, HudState(phase="playing"))
    middle = out[300:420]
    # 576x576 fills 720x720 in the middle; the side bars stay black where no panel is.
    assert (middle[:, 40:270] == 0).all()
    assert (middle[:, 1010:1240] == 0).all()
    assert (middle[:, 290:990] == 200).all()


# ---------------------------------------------------------------------- target picture


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("target_size", [(1080, 1920), (1280, 720)])
def test_target_picture_in_picture(width: int, height: int, target_size: tuple[int, int]) -> None:
    import cv2

    target = target_picture(*target_size)
    state = HudState(phase="playing", target_frame=target, target_name="t", progress=0.5)
    out = Compositor(width, height).compose(grey_camera(width, height), state)
    x0, y0, x1, y1 = bounding_box(target_mask(out))
    pip_w, pip_h = x1 - x0, y1 - y0
    # A corner (top right), at most about 30% of the width, aspect kept, inside the frame.
    assert x1 > 0.6 * width and y0 < 0.4 * height
    assert pip_w <= 0.32 * width
    assert y1 <= 0.65 * height, "a portrait target must leave room below for the score"
    assert pip_w / pip_h == pytest.approx(target_size[0] / target_size[1], rel=0.03)
    if target_size[0] > target_size[1]:
        assert pip_w >= 0.25 * width  # landscape targets use the card's full width
    # The box holds the target picture itself, scaled (corners are rounded: compare inside).
    expected = cv2.resize(target, (pip_w, pip_h), interpolation=cv2.INTER_AREA).astype(int)
    inner = (slice(8, -8), slice(8, -8))
    diff = np.abs(out[y0:y1, x0:x1].astype(int)[inner] - expected[inner])
    assert diff.mean() < 4.0
    # Outside it the camera picture is untouched somewhere, e.g. the middle of the frame.
    assert (out[height // 2, width // 2] == GREY).all()


def test_target_skeleton_is_drawn_on_the_picture() -> None:
    target = target_picture(1080, 1920)
    base = HudState(phase="playing", target_frame=target, target_name="t")
    with_pose = HudState(
        phase="playing", target_frame=target, target_name="t", target_pose=person(1080, 1920)
    )
    compositor = Compositor(1280, 720)
    plain = compositor.compose(grey_camera(1280, 720), base)
    drawn = compositor.compose(grey_camera(1280, 720), with_pose)
    x0, y0, x1, y1 = bounding_box(target_mask(plain))
    region = drawn[y0:y1, x0:x1].astype(int)
    white = (np.abs(region - np.array(THEME.target_limb)).max(axis=2) <= 12).sum()
    assert white > 200
    # The skeleton stays inside the picture: the rest of the frame is as without it.
    outside = np.ones(plain.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    np.testing.assert_array_equal(plain[outside], drawn[outside])


# ---------------------------------------------------------------------- user skeleton


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("camera_scale", [1, 2])
def test_user_skeleton_colours(width: int, height: int, mirror: bool, camera_scale: int) -> None:
    # A half-size camera is scaled up 2x to fill the output, with the skeleton.
    cam_w, cam_h = width // camera_scale, height // camera_scale
    scores = np.ones(17, np.float32)
    scores[INDEX["left_knee"]] = 0.1  # too unsure: its joint and both its limbs are skipped
    pose = person(cam_w, cam_h, scores)
    warnings = np.zeros(len(LIMBS), bool)
    warnings[LIMB_INDEX["left_forearm"]] = True
    state = HudState(phase="playing", user_pose=pose, limb_warnings=warnings)
    out = Compositor(width, height, mirror_display=mirror).compose(grey_camera(cam_w, cam_h), state)

    def to_output(xy: np.ndarray) -> np.ndarray:
        x, y = xy * camera_scale
        return np.array([width - x if mirror else x, y])

    for name in BODY_LIMBS:
        _, a, b = LIMBS[LIMB_INDEX[name]]
        mx, my = np.round((to_output(pose.keypoints[a]) + to_output(pose.keypoints[b])) / 2)
        pixel = out[int(my), int(mx)]
        if name in ("left_thigh", "left_shin"):
            assert (pixel == GREY).all(), f"{name} drawn despite a missing knee"
        elif name == "left_forearm":
            assert near(pixel, THEME.limb_warning), f"{name}: {pixel}"
        else:
            assert near(pixel, THEME.limb), f"{name}: {pixel}"
    for joint in ("left_shoulder", "right_wrist", "right_knee"):
        x, y = np.round(to_output(pose.keypoints[INDEX[joint]])).astype(int)
        assert near(out[y, x], THEME.joint), joint
    x, y = np.round(to_output(pose.keypoints[INDEX["left_knee"]])).astype(int)
    assert (out[y, x] == GREY).all()


def test_no_warnings_means_every_limb_in_the_normal_colour() -> None:
    pose = person(1280, 720)
    out = Compositor(1280, 720).compose(
        grey_camera(1280, 720), HudState(phase="playing", user_pose=pose)
    )
    for name in BODY_LIMBS:
        _, a, b = LIMBS[LIMB_INDEX[name]]
        mx, my = np.round((pose.keypoints[a] + pose.keypoints[b]) / 2).astype(int)
        assert near(out[my, mx], THEME.limb), name


def test_wild_or_missing_keypoints_do_not_break_drawing() -> None:
    keypoints = person(1280, 720).keypoints.copy()
    keypoints[INDEX["left_wrist"]] = np.nan
    keypoints[INDEX["right_wrist"]] = (1e12, -1e12)
    pose = Pose(keypoints, np.ones(17, np.float32))
    out = Compositor(1280, 720).compose(
        grey_camera(1280, 720), HudState(phase="playing", user_pose=pose)
    )
    _, a, b = LIMBS[LIMB_INDEX["left_upper_arm"]]
    mx, my = np.round((keypoints[a] + keypoints[b]) / 2).astype(int)
    assert near(out[my, mx], THEME.limb)


# ---------------------------------------------------------------------- mirroring


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_mirror_display_flips_the_camera_picture(width: int, height: int) -> None:
    camera = noise_camera(width, height)
    state = HudState(phase="playing")
    plain = Compositor(width, height).compose(camera, state)
    mirrored = Compositor(width, height, mirror_display=True).compose(camera, state)
    band = slice(int(0.4 * height), int(0.6 * height))  # clear of every panel
    np.testing.assert_array_equal(plain[band], camera[band])
    np.testing.assert_array_equal(mirrored[band], camera[band, ::-1])


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("phase", list(Phase))
def test_text_is_not_mirrored(width: int, height: int, phase: Phase) -> None:
    # On a camera picture that reads the same mirrored, only the HUD is left to differ.
    state = full_state(phase, width, height)
    state = HudState(**{**state.__dict__, "user_pose": None})
    camera = grey_camera(width, height)
    plain = Compositor(width, height).compose(camera, state)
    mirrored = Compositor(width, height, mirror_display=True).compose(camera, state)
    np.testing.assert_array_equal(plain, mirrored)


# ---------------------------------------------------------------------- phases


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_camera_lost_renders_without_a_camera(width: int, height: int) -> None:
    out = Compositor(width, height).compose(None, HudState(phase="camera_lost"))
    assert out.shape == (height, width, 3)
    assert out.mean() < 60, "a dark card"
    assert (out.max(axis=2) > 200).sum() > 500, "with light text on it"
    # The card covers the camera picture completely.
    with_camera = Compositor(width, height).compose(
        noise_camera(width, height), HudState(phase="camera_lost")
    )
    np.testing.assert_array_equal(out, with_camera)


def test_countdown_draws_in_the_centre() -> None:
    camera = grey_camera(1280, 720)
    compositor = Compositor(1280, 720)
    plain = compositor.compose(camera, HudState(phase="countdown"))
    counting = compositor.compose(camera, HudState(phase="countdown", countdown=2.5))
    centre = (slice(310, 410), slice(590, 690))
    assert (plain[centre] == GREY).all()
    changed = (counting[centre] != GREY).any(axis=2)
    assert changed.mean() > 0.9
    assert (counting[centre].max(axis=2) > 220).sum() > 300, "a big light number"
    # Different seconds show different numbers.
    one = compositor.compose(camera, HudState(phase="countdown", countdown=0.5))
    assert (one[centre] != counting[centre]).any()


def test_summary_card_covers_the_middle_and_hides_the_pip() -> None:
    state = full_state(Phase.FINISHED, 1280, 720)
    out = Compositor(1280, 720).compose(grey_camera(1280, 720), state)
    assert not target_mask(out).any()
    middle = out[80:640, 400:880].astype(int)
    assert middle.mean() < GREY, "a dark card"
    record = (np.abs(middle - np.array(THEME.highlight)).max(axis=2) <= 12).sum()
    assert record > 50, "'New personal best!' in the highlight colour"
    no_record = HudState(
        phase=Phase.FINISHED,
        summary=dataclasses.replace(state.summary, new_record=False),
        target_name="x",
    )
    out = Compositor(1280, 720).compose(grey_camera(1280, 720), no_record)
    plain_middle = out[80:640, 400:880].astype(int)
    assert (np.abs(plain_middle - np.array(THEME.highlight)).max(axis=2) <= 12).sum() == 0


def test_summary_card_of_an_attempt_that_cannot_be_scored() -> None:
    summary = SummaryCard(score=None, grade="Cannot score", best=(), worst=())
    card = Compositor(640, 480)
    plain = card.compose(grey_camera(640, 480), HudState(phase=Phase.FINISHED, summary=summary))
    hinted = card.compose(
        grey_camera(640, 480),
        HudState(
            phase=Phase.FINISHED,
            summary=dataclasses.replace(summary, new_record=True, hint="Film it"),
        ),
    )
    # The hint replaces the personal-best line (no highlight star), and it is drawn.
    assert (np.abs(hinted.astype(int) - np.array(THEME.highlight)).max(axis=2) <= 12).sum() == 0
    assert (hinted != plain).any()


@pytest.mark.parametrize(("score", "other"), [(95.0, 20.0), (20.0, 95.0), (60.0, 95.0)])
def test_score_bar_takes_the_score_colour(score: float, other: float) -> None:
    out = Compositor(1280, 720).compose(
        grey_camera(1280, 720), HudState(phase="playing", score=score, grade="x")
    )

    def count(color: tuple[int, int, int]) -> int:
        return int((np.abs(out.astype(int) - np.array(color)).max(axis=2) <= 8).sum())

    assert count(THEME.score_color(score)) > 300
    assert count(THEME.score_color(other)) < 30


def test_score_colour_ramps_red_amber_green() -> None:
    red, amber, green = THEME.score_color(0), THEME.score_color(65), THEME.score_color(100)
    assert red[2] > 2 * red[1], red
    assert amber[2] > 200 and amber[1] > 150 and amber[0] < 80, amber
    assert green[1] > 2 * green[2], green
    assert THEME.score_color(-5) == red and THEME.score_color(150) == green


def test_score_bar_grows_with_the_score() -> None:
    def filled(score: float) -> int:
        out = Compositor(1280, 720).compose(
            grey_camera(1280, 720), HudState(phase="playing", score=score)
        )
        color = np.array(THEME.score_color(score))
        return int((np.abs(out.astype(int) - color).max(axis=2) <= 8).sum())

    assert filled(30.0) < filled(50.0)  # both in the same colour band edge: compare areas
    low, high = filled(10.0), filled(90.0)
    assert high > 3 * low


def test_non_ascii_text_is_transliterated_not_drawn_as_question_marks() -> None:
    camera = grey_camera(1280, 720)
    compositor = Compositor(1280, 720)
    fancy = HudState(phase="playing", target_name="Café – “mix”", message="Step back…")
    plain = HudState(phase="playing", target_name='Cafe - "mix"', message="Step back...")
    np.testing.assert_array_equal(
        compositor.compose(camera, fancy), compositor.compose(camera, plain)
    )


def test_bad_state_is_rejected() -> None:
    with pytest.raises(ValueError, match="phase"):
        HudState(phase="dancing")
    with pytest.raises(ValueError, match="limb_warnings"):
        HudState(limb_warnings=np.zeros(3, bool))
    with pytest.raises(ValueError):
        Compositor(100, 80)
    with pytest.raises(ValueError):
        Compositor(640, 480).compose(np.zeros((480, 640), np.uint8), HudState())


def test_compose_is_fast_enough_for_live_video() -> None:
    # The budget is about 5 ms at 720p on one core; this only catches gross regressions
    # (a full-frame float blend or a slow resize costs tens of milliseconds).
    import cv2

    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        compositor = Compositor(1280, 720)
        camera = noise_camera(1280, 720)
        state = full_state("playing", 1280, 720)
        compositor.compose(camera, state)
        times = []
        for _ in range(15):
            start = time.perf_counter()
            compositor.compose(camera, state)
            times.append(time.perf_counter() - start)
    finally:
        cv2.setNumThreads(threads)
    assert float(np.median(times)) < 0.030


# ---------------------------------------------------------------------- the hud's pieces


@pytest.mark.parametrize(
    ("width", "height", "unit"),
    [(1280, 720, 1.0), (640, 480, 2 / 3), (1280, 1024, 4 / 3), (1920, 1080, 1.5)],
)
def test_layout_scales_720p_sizes_by_the_smaller_ratio(width: int, height: int, unit: float):
    layout = Layout(width, height)
    assert layout.unit == pytest.approx(unit)
    assert layout.px(18) == round(18 * unit)
    assert layout.px(0.1) == 1 and layout.thick(0.1) == 1, "never thinner than a pixel"
    cap = cv2.getTextSize("H", cv2.FONT_HERSHEY_DUPLEX, layout.font(30), 1)[0][1]
    assert abs(cap - 30 * unit) <= 1.5


def test_layout_is_frozen_and_checks_its_size() -> None:
    layout = Layout(640, 480, mirror_display=True)
    assert (layout.width, layout.height, layout.mirror_display) == (640, 480, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        layout.width = 800  # type: ignore[misc]
    with pytest.raises(ValueError, match="160x120"):
        Layout(159, 480)
    compositor = Compositor(640, 480, mirror_display=True)
    assert (compositor.width, compositor.height, compositor.mirror_display) == (640, 480, True)
    assert compositor.theme == Theme()


def test_phase_table_covers_every_phase_in_drawing_order() -> None:
    assert set(PHASE_LAYERS) == set(Phase)
    assert PHASE_LAYERS[Phase.CAMERA_LOST] == (CameraLostCard,)
    assert SkeletonLayer not in PHASE_LAYERS[Phase.FINISHED]
    assert PHASE_LAYERS[Phase.PLAYING] == (
        SkeletonLayer,
        TargetCard,
        ScorePanel,
        PlayerScores,
        Badges,
        FpsText,
    )
    compositor = Compositor(640, 480)
    for phase, kinds in PHASE_LAYERS.items():
        assert tuple(type(layer) for layer in compositor.layers(phase)) == kinds
    # One instance of each layer, shared by the phases that draw it.
    idle, playing = compositor.layers(Phase.IDLE), compositor.layers(Phase.PLAYING)
    assert idle[0] is playing[0]


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize(
    ("kind", "box"),
    [
        # (x0, y0, x1, y1) in 720p pixels measured from the frame's left/top ("L"/"T") or
        # right/bottom ("R"/"B") edge.
        (ScorePanel, (("L", 18), ("B", 156), ("L", 358), ("B", 18))),
        (FpsText, (("R", 100), ("B", 40), ("R", 12), ("B", 2))),  # text and its shadow
    ],
)
def test_a_layer_draws_only_inside_its_box(width: int, height: int, kind, box) -> None:
    layout = Layout(width, height)
    hud = HudState(phase=Phase.PLAYING, score=64.0, grade="Good", fps=30.0)
    image = grey_camera(width, height)
    kind(layout, THEME).draw(Canvas(image), hud)
    changed = (image != GREY).any(axis=2)
    size = {"L": 0, "T": 0, "R": width, "B": height}
    x0, y0, x1, y1 = (size[edge] + (-1 if edge in "RB" else 1) * layout.px(v) for edge, v in box)
    assert changed.sum() > 100, "it drew"
    inside = np.zeros_like(changed)
    inside[y0:y1, x0:x1] = True
    assert not (changed & ~inside).any(), f"drew outside {x0, y0, x1, y1}"


@pytest.mark.parametrize("kind", [SkeletonLayer, Countdown, FpsText, Badges, PlayerScores])
def test_a_layer_with_nothing_to_show_leaves_the_frame_alone(kind) -> None:
    image = noise_camera(640, 480)
    before = image.copy()
    kind(Layout(640, 480), THEME).draw(Canvas(image), HudState(phase=Phase.PLAYING))
    np.testing.assert_array_equal(image, before)


def test_end_card_without_a_summary_draws_an_empty_card() -> None:
    def card(summary: SummaryCard | None) -> np.ndarray:
        image = grey_camera(1280, 720)
        state = HudState(phase=Phase.FINISHED, summary=summary)
        EndCard(Layout(1280, 720), THEME).draw(Canvas(image), state)
        return image

    empty = card(None)
    np.testing.assert_array_equal(empty, card(SummaryCard(score=None, grade="")))
    assert (card(SummaryCard(score=None, grade="", personal_best=50.0)) != empty).any()


def test_placement_maps_source_pixels_to_output_pixels() -> None:
    points = np.array([[0.0, 0.0], [100.0, 50.0]])
    np.testing.assert_allclose(Placement(2.0, 10.0, 20.0).apply(points), [[10, 20], [210, 120]])
    mirrored = Placement(2.0, 10.0, 20.0, mirror_width=100.0).apply(points)
    np.testing.assert_allclose(mirrored, [[210, 20], [10, 120]])
    assert points[1, 0] == 100.0, "the input is not modified"


def test_paste_rounded_copies_the_middle_and_softens_the_corners() -> None:
    out = np.zeros((60, 80, 3), np.uint8)
    pic = np.full((40, 50, 3), 200, np.uint8)
    paste_rounded(out, pic, 10, 5, radius=8)
    np.testing.assert_array_equal(out[5 + 8 : 5 + 32, 10:60], pic[8:32])
    assert (out[5, 10] == 0).all(), "the corner stays outside the rounding"
    assert 0 < int(out[5 + 2, 10 + 2, 0]) < 200, "the arc is anti-aliased"
    assert (out[:5] == 0).all() and (out[:, 60:] == 0).all()


@pytest.mark.parametrize("phase", [Phase.IDLE, Phase.PLAYING, Phase.FINISHED])
def test_a_links_notice_is_a_badge_at_the_top_centre(phase: Phase) -> None:
    camera = grey_camera(1280, 720)
    compositor = Compositor(1280, 720)
    plain = compositor.compose(camera, HudState(phase=phase))
    noticed = compositor.compose(camera, HudState(phase=phase, notices=("class offline",)))
    changed = np.abs(noticed.astype(int) - plain.astype(int)).max(axis=2) > 20
    rows, cols = np.nonzero(changed)
    assert changed.sum() > 500
    assert rows.max() < 720 * 0.3  # the top of the picture
    assert abs((cols.min() + cols.max()) / 2 - 640) < 40  # centred
    # A second notice stacks below the first.
    both = compositor.compose(camera, HudState(phase=phase, notices=("class offline", "x y z")))
    lower = np.abs(both.astype(int) - noticed.astype(int)).max(axis=2) > 20
    assert np.nonzero(lower)[0].min() > rows.min()
