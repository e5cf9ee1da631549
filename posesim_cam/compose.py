"""The picture that goes out to the virtual camera: the webcam frame with the score HUD on it.

One public class, ``Compositor``, with one method, ``compose(camera_bgr, hud)``; ``HudState``
is the snapshot of everything the HUD shows and ``Theme`` its colours. Everything is drawn with
OpenCV, anti-aliased (``cv2.LINE_AA``), onto a fresh uint8 frame:

* translucent panels are blended only inside their own bounding box (a copy of that box, the
  shape drawn onto the copy, ``addWeighted`` back), so a 720p frame costs no full-frame float
  arithmetic;
* sizes are given in pixels of a 720-line frame and scaled by the output height, so the layout
  holds at 640x480 and 1280x720 alike;
* the Hershey fonts cover ASCII only, so text is transliterated first ("—" becomes "-").

Layout: target picture-in-picture card (with its skeleton, name and playback progress) top
right, score panel bottom left, status badges top centre, countdown and end-of-attempt card in
the middle. Video calls compress and shrink the picture, so panels are dark and opaque enough
and text is large enough to survive that.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from posesim_cam.pose.base import Pose
from posesim_cam.scoring import GRADES
from posesim_cam.skeleton import LIMBS

BGR = tuple[int, int, int]
PHASES: tuple[str, ...] = ("idle", "countdown", "playing", "paused", "summary", "camera_lost")

_FONT = cv2.FONT_HERSHEY_DUPLEX
_FONT_CAP = cv2.getTextSize("H", _FONT, 1.0, 1)[0][1]  # cap height in pixels at fontScale 1
_SHIFT = 4  # sub-pixel bits for cv2 drawing: smoother anti-aliased lines and circles
_ONE = 1 << _SHIFT
_LINE = cv2.LINE_AA
_MIN_JOINT_SCORE = 0.3  # same cut as Pose.from_keypoints and limbs.py
# Limbs between face points (nose, eyes, ears) are neither coached nor pleasant to see drawn
# across a face on a video call; they are left out unless the theme asks for them.
_FACE_LIMBS = frozenset(
    k for k, (name, _, _) in enumerate(LIMBS) if name.endswith(("face", "head"))
)
_FACE_JOINTS = frozenset(range(5))
# Characters the Hershey fonts lack, replaced before the generic accent stripping.
_ASCII_REPLACEMENTS = {
    "—": "-",
    "–": "-",
    "…": "...",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "×": "x",
    "•": "-",
    "·": "-",
}


@dataclass(frozen=True)
class Theme:
    """Colours (BGR) and a few style choices of the HUD."""

    text: BGR = (245, 245, 245)
    muted: BGR = (185, 185, 185)
    panel: BGR = (22, 22, 24)
    panel_alpha: float = 0.66
    card_alpha: float = 0.86  # the end card: the picture behind it is secondary
    track: BGR = (72, 72, 72)  # empty part of bars
    limb: BGR = (245, 200, 40)  # the user's skeleton: a bright azure
    limb_warning: BGR = (40, 40, 240)  # a limb off by more than the warning angle: red
    joint: BGR = (255, 255, 255)
    outline: BGR = (25, 25, 25)  # dark edge under lines, so they read on light backgrounds
    target_limb: BGR = (255, 255, 255)
    # Score colour ramp: (score, colour) stops, linear in between.
    score_stops: tuple[tuple[float, BGR], ...] = (
        (0.0, (60, 60, 225)),
        (45.0, (40, 120, 245)),
        (65.0, (20, 195, 250)),
        (85.0, (90, 210, 80)),
        (100.0, (90, 210, 80)),
    )
    highlight: BGR = (20, 200, 255)  # "New personal best!": gold
    draw_face: bool = False

    def score_color(self, score: float) -> BGR:
        """The ramp colour for a 0-100 score: red, then amber, then green."""
        stops = self.score_stops
        score = min(max(float(score), stops[0][0]), stops[-1][0])
        for (s0, c0), (s1, c1) in itertools.pairwise(stops):
            if score <= s1:
                t = 0.0 if s1 == s0 else (score - s0) / (s1 - s0)
                b, g, r = (round(a + (z - a) * t) for a, z in zip(c0, c1, strict=True))
                return b, g, r
        return stops[-1][1]


@dataclass(frozen=True)
class HudState:
    """Everything the HUD shows in one output frame.

    Attributes:
        phase: one of PHASES: "idle" (no target), "countdown", "playing", "paused",
            "summary" (end card), "camera_lost".
        user_pose: the user's pose in camera-frame pixels, or None.
        limb_warnings: (len(LIMBS),) bool, True where the limb is drawn in the warning colour.
        target_frame: (h, w, 3) uint8 BGR picture of the target video at the playhead.
        target_pose: the target's pose in target-frame pixels, or None.
        score: 0-100, smoothed; None while nothing can be scored.
        grade: the grade word for the score (scoring.grade).
        target_name: shown under the target picture.
        countdown: seconds left before the target starts (phase "countdown").
        progress: 0..1, how much of the target has played.
        summary: the end card (phase "summary"), keys: "score" (float | None: "--"), "grade"
            (str), "best" and "worst" (lists of (second, score) moments), "personal_best"
            (float | None, the best before this attempt), "new_record" (bool), "hint" (str |
            None: shown instead of the personal best, e.g. when the attempt cannot be scored).
        fps: frames per second, shown as small debug text when given.
        message: a status line such as "No person in view".
    """

    phase: str = "idle"
    user_pose: Pose | None = None
    limb_warnings: np.ndarray | None = None
    target_frame: np.ndarray | None = None
    target_pose: Pose | None = None
    score: float | None = None
    grade: str | None = None
    target_name: str = ""
    countdown: float | None = None
    progress: float = 0.0
    summary: dict[str, Any] | None = None
    fps: float | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"unknown HUD phase {self.phase!r}; expected one of {PHASES}")
        if self.limb_warnings is not None and np.shape(self.limb_warnings) != (len(LIMBS),):
            raise ValueError(
                f"limb_warnings needs shape ({len(LIMBS)},), got {np.shape(self.limb_warnings)}"
            )


@dataclass(frozen=True)
class _Placement:
    """Where a source picture lands in the output: out = offset + scale * src (x mirrored)."""

    scale: float
    offset_x: float
    offset_y: float
    mirror_width: float | None = None  # source width when the picture is flipped horizontally

    def apply(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) source pixels -> (N, 2) float64 output pixels."""
        xy = np.asarray(points, np.float64).copy()
        if self.mirror_width is not None:
            xy[:, 0] = self.mirror_width - xy[:, 0]
        xy *= self.scale
        xy[:, 0] += self.offset_x
        xy[:, 1] += self.offset_y
        return xy


class Compositor:
    """Draws the camera picture, skeletons, target picture-in-picture and score HUD.

    Args:
        width, height: output frame size in pixels (at least 160x120).
        mirror_display: flip the camera picture (and the user's skeleton) horizontally for a
            selfie view; text is drawn afterwards, so it always reads normally.
        theme: colours; the default Theme when None.
    """

    def __init__(
        self, width: int, height: int, mirror_display: bool = False, theme: Theme | None = None
    ) -> None:
        if width < 160 or height < 120:
            raise ValueError(f"output must be at least 160x120, got {width}x{height}")
        self.width = int(width)
        self.height = int(height)
        self.mirror_display = bool(mirror_display)
        self.theme = theme or Theme()
        # One layout unit: a pixel of a 1280x720 frame. Narrow frames scale by width instead,
        # so the corner panels never meet.
        self._u = min(self.height / 720.0, self.width / 960.0)
        self._corner_masks: dict[int, np.ndarray] = {}

    # ------------------------------------------------------------------ public

    def compose(self, camera_bgr: np.ndarray | None, hud: HudState) -> np.ndarray:
        """The output frame for one camera frame.

        Args:
            camera_bgr: (h, w, 3) uint8 BGR webcam frame, any size (letterboxed to fit), or
                None (a dark background; expected only in phase "camera_lost"). Not modified.
            hud: what to show.

        Returns:
            (height, width, 3) uint8 BGR, a new array.
        """
        if hud.phase == "camera_lost":
            out = np.full((self.height, self.width, 3), 16, np.uint8)
            self._draw_camera_lost(out)
            return out
        out, placement = self._background(camera_bgr)
        if hud.user_pose is not None and hud.phase != "summary":
            self._draw_skeleton(
                out, hud.user_pose, placement, hud.limb_warnings, self._px(6), self._px(5.5)
            )
        if hud.phase in ("countdown", "playing", "paused"):
            self._draw_target_card(out, hud)
        if hud.phase in ("playing", "paused"):
            self._draw_score_panel(out, hud.score, hud.grade)
        badges: list[tuple[str, bool]] = []
        if hud.phase == "idle":
            badges.append(("No target selected", False))
        if hud.phase == "paused":
            badges.append(("Paused", True))
        if hud.message:
            badges.append((hud.message, False))
        self._draw_badges(out, badges)
        if hud.phase == "countdown" and hud.countdown is not None:
            self._draw_countdown(out, hud.countdown)
        if hud.phase == "summary":
            self._draw_summary(out, hud.summary or {}, hud.target_name)
        if hud.fps is not None:
            self._draw_fps(out, hud.fps)
        return out

    # ------------------------------------------------------------------ layers

    def _background(self, camera: np.ndarray | None) -> tuple[np.ndarray, _Placement]:
        """The camera picture letterboxed into a new output frame, and where it landed."""
        w, h = self.width, self.height
        if camera is None:
            return np.zeros((h, w, 3), np.uint8), _Placement(1.0, 0.0, 0.0)
        if camera.ndim != 3 or camera.shape[2] != 3 or camera.dtype != np.uint8:
            raise ValueError(
                f"camera frame must be (h, w, 3) uint8, got {camera.shape} {camera.dtype}"
            )
        ch, cw = camera.shape[:2]
        mirror = float(cw) if self.mirror_display else None
        if (cw, ch) == (w, h):
            out = cv2.flip(camera, 1) if self.mirror_display else camera.copy()
            return out, _Placement(1.0, 0.0, 0.0, mirror)
        scale = min(w / cw, h / ch)
        nw, nh = max(1, round(cw * scale)), max(1, round(ch * scale))
        x0, y0 = (w - nw) // 2, (h - nh) // 2
        out = np.zeros((h, w, 3), np.uint8)
        resized = _resize(camera, nw, nh)
        out[y0 : y0 + nh, x0 : x0 + nw] = cv2.flip(resized, 1) if self.mirror_display else resized
        return out, _Placement(nw / cw, float(x0), float(y0), mirror)

    def _draw_skeleton(
        self,
        img: np.ndarray,
        pose: Pose,
        placement: _Placement,
        warnings: np.ndarray | None,
        thickness: int,
        radius: float,
        color: BGR | None = None,
    ) -> None:
        """Limbs as outlined anti-aliased lines, joints as filled dots, low-score joints skipped.

        ``color`` overrides the theme's limb colours (used for the target's skeleton).
        """
        theme = self.theme
        where = placement.apply(pose.keypoints)
        finite = np.isfinite(where).all(axis=1)
        seen = (np.asarray(pose.scores) >= _MIN_JOINT_SCORE) & finite
        # Clipped far outside the frame so a wild keypoint cannot overflow cv2's int32 maths.
        where = np.clip(np.where(finite[:, None], where, 0.0), -1e5, 1e5)
        points = np.round(where * _ONE).astype(np.int64)
        limbs = [
            (k, a, b)
            for k, (_, a, b) in enumerate(LIMBS)
            if seen[a] and seen[b] and (theme.draw_face or k not in _FACE_LIMBS)
        ]
        warned = np.zeros(len(LIMBS), bool) if warnings is None else np.asarray(warnings, bool)
        edge = thickness + max(2, round(thickness * 0.6))
        # Outlines first, then normal limbs, then warned ones, so a warning is never hidden.
        for _, a, b in limbs:
            cv2.line(img, _pt(points[a]), _pt(points[b]), theme.outline, edge, _LINE, _SHIFT)
        for k, a, b in sorted(limbs, key=lambda limb: bool(warned[limb[0]])):
            limb_color = color or (theme.limb_warning if warned[k] else theme.limb)
            cv2.line(img, _pt(points[a]), _pt(points[b]), limb_color, thickness, _LINE, _SHIFT)
        r_out = round((radius + max(1.0, radius * 0.35)) * _ONE)
        r_in = round(radius * _ONE)
        for j in np.flatnonzero(seen):
            if j in _FACE_JOINTS and not theme.draw_face:
                continue
            cv2.circle(img, _pt(points[j]), r_out, theme.outline, -1, _LINE, _SHIFT)
            cv2.circle(img, _pt(points[j]), r_in, theme.joint, -1, _LINE, _SHIFT)

    def _draw_target_card(self, out: np.ndarray, hud: HudState) -> None:
        """Top-right card: the target picture (aspect kept) with its skeleton, name, progress."""
        theme = self.theme
        margin, pad = self._px(18), self._px(8)
        card_w_max = round(0.30 * self.width)
        name_scale, name_th = self._font(15), self._thick(1.4)
        bar_h = self._px(5)
        caption_h = self._px(15) + pad + bar_h + pad + pad
        pic_w = pic_h = 0
        frame = hud.target_frame
        if frame is not None and frame.size:
            th, tw = frame.shape[:2]
            fit = min((card_w_max - 2 * pad) / tw, (0.58 * self.height - 2 * pad) / th)
            pic_w, pic_h = max(1, round(tw * fit)), max(1, round(th * fit))
        card_w = max(pic_w + 2 * pad, round(0.2 * self.width))
        x1, y0 = self.width - margin, margin
        x0 = x1 - card_w
        y1 = y0 + (pic_h + pad if pic_h else 0) + caption_h
        radius = self._px(12)
        _blend(
            out,
            (x0, y0, x1, y1),
            theme.panel_alpha,
            lambda roi, o: _fill_round_rect(roi, o, theme.panel, radius),
        )
        if frame is not None and pic_w:
            px0, py0 = x0 + (card_w - pic_w) // 2, y0 + pad
            pic = _resize(frame, pic_w, pic_h)
            self._paste_rounded(out, pic, px0, py0, self._px(7))
            if hud.target_pose is not None:
                th, tw = frame.shape[:2]
                region = out[py0 : py0 + pic_h, px0 : px0 + pic_w]  # clips lines to the picture
                self._draw_skeleton(
                    region,
                    hud.target_pose,
                    _Placement(pic_w / tw, 0.0, 0.0),
                    None,
                    self._px(3),
                    self._px(2.5),
                    color=theme.target_limb,
                )
        text_y = y1 - pad - bar_h - pad - pad
        name = _fit_text(_ascii(hud.target_name) or "Target", name_scale, name_th, card_w - 2 * pad)
        _text(out, name, (x0 + pad, text_y), name_scale, theme.text, name_th)
        bar_y = y1 - pad - bar_h // 2 - 1
        progress = min(max(float(hud.progress), 0.0), 1.0)
        _bar(out, x0 + pad, x1 - pad, bar_y, bar_h, progress, theme.text, theme.track)

    def _draw_score_panel(self, out: np.ndarray, score: float | None, grade: str | None) -> None:
        """Bottom-left panel: big score number, grade word, score bar with grade ticks."""
        theme = self.theme
        margin, pad = self._px(18), self._px(16)
        w, h = self._px(340), self._px(138)
        x0, y1 = margin, self.height - margin
        x1, y0 = x0 + w, y1 - h
        _blend(
            out,
            (x0, y0, x1, y1),
            theme.panel_alpha,
            lambda roi, o: _fill_round_rect(roi, o, theme.panel, self._px(14)),
        )
        color = theme.score_color(score) if score is not None else theme.muted
        number = "--" if score is None else f"{round(min(max(score, 0.0), 100.0))}"
        num_scale, num_th = self._font(56), self._thick(5)
        baseline = y0 + pad + self._px(56)
        num_w = _text(out, number, (x0 + pad, baseline), num_scale, theme.text, num_th)
        # Reserve two digits so the grade column stays put as the score changes (a rare 100
        # pushes it right).
        col_x = x0 + pad + max(num_w, _text_width("00", num_scale, num_th)) + self._px(16)
        _text(
            out,
            "SCORE",
            (col_x, y0 + pad + self._px(14)),
            self._font(13),
            theme.muted,
            self._thick(1.2),
        )
        if grade:
            word = _ascii(grade)
            room = x1 - pad - col_x
            # Long words ("Keep going") shrink to fit, down to 60%; only then are they cut.
            cap = max(
                16.0,
                min(
                    30.0, 30.0 * room / max(1, _text_width(word, self._font(30), self._thick(2.4)))
                ),
            )
            g_scale, g_th = self._font(cap), self._thick(2.4 * cap / 30.0)
            _text(
                out, _fit_text(word, g_scale, g_th, room), (col_x, baseline), g_scale, color, g_th
            )
        bar_h = self._px(14)
        bar_y = y1 - pad - bar_h // 2
        fraction = 0.0 if score is None else min(max(score, 0.0), 100.0) / 100.0
        _bar(out, x0 + pad, x1 - pad, bar_y, bar_h, fraction, color, theme.track)
        # Ticks where the next grades start, so the user sees how far the next one is.
        for threshold, _ in GRADES:
            if 0.0 < threshold < 100.0:
                tx = round(x0 + pad + bar_h / 2 + (w - 2 * pad - bar_h) * threshold / 100.0)
                cv2.line(
                    out,
                    (tx, bar_y - bar_h // 2),
                    (tx, bar_y + bar_h // 2),
                    theme.panel,
                    max(1, self._px(2)),
                    _LINE,
                )

    def _draw_badges(self, out: np.ndarray, badges: Sequence[tuple[str, bool]]) -> None:
        """Status pills stacked at the top centre; ``(text, pause_icon)`` each."""
        theme = self.theme
        scale, th = self._font(19), self._thick(1.8)
        h, pad = self._px(44), self._px(18)
        y = self._px(18)
        max_w = round(self.width * 0.42)
        for text, pause_icon in badges:
            icon_w = self._px(22) if pause_icon else 0
            label = _fit_text(_ascii(text), scale, th, max_w - 2 * pad - icon_w)
            text_w = _text_width(label, scale, th)
            w = text_w + 2 * pad + icon_w
            x0 = (self.width - w) // 2
            _blend(
                out,
                (x0, y, x0 + w, y + h),
                theme.panel_alpha,
                lambda roi, o: _fill_round_rect(roi, o, theme.panel, h // 2),
            )
            if pause_icon:
                bar_w, bar_h = max(2, self._px(5)), self._px(18)
                top = y + (h - bar_h) // 2
                for bx in (x0 + pad, x0 + pad + bar_w + self._px(5)):
                    cv2.rectangle(out, (bx, top), (bx + bar_w - 1, top + bar_h - 1), theme.text, -1)
            _text(
                out, label, (x0 + pad + icon_w, y + (h + self._px(19)) // 2), scale, theme.text, th
            )
            y += h + self._px(10)

    def _draw_countdown(self, out: np.ndarray, seconds_left: float) -> None:
        """A big 3, 2, 1 on a dark disc, with a ring that empties over each second."""
        theme = self.theme
        cx, cy = self.width // 2, self.height // 2
        r = self._px(110)
        _blend(
            out,
            (cx - r - 2, cy - r - 2, cx + r + 3, cy + r + 3),
            theme.panel_alpha,
            lambda roi, o: cv2.circle(roi, (cx + o[0], cy + o[1]), r, theme.panel, -1, _LINE),
        )
        whole = max(1, math.ceil(seconds_left))
        fraction = min(max(seconds_left - (whole - 1), 0.0), 1.0)
        ring_r, ring_th = r - self._px(12), self._thick(7)
        cv2.circle(out, (cx, cy), ring_r, theme.track, ring_th, _LINE)
        if fraction > 0.0:
            cv2.ellipse(
                out,
                (cx, cy),
                (ring_r, ring_r),
                -90.0,
                0.0,
                360.0 * fraction,
                theme.highlight,
                ring_th,
                _LINE,
            )
        scale, th = self._font(100), self._thick(8)
        label = str(whole)
        _text(
            out,
            label,
            (cx - _text_width(label, scale, th) // 2, cy + self._px(50)),
            scale,
            theme.text,
            th,
        )
        note_scale, note_th = self._font(19), self._thick(1.8)
        note = "Get ready"
        note_w, note_h = _text_width(note, note_scale, note_th) + 2 * self._px(18), self._px(44)
        top = cy + r + self._px(14)
        left = cx - note_w // 2
        _blend(
            out,
            (left, top, left + note_w, top + note_h),
            theme.panel_alpha,
            lambda roi, o: _fill_round_rect(roi, o, theme.panel, note_h // 2),
        )
        _text(
            out,
            note,
            (left + self._px(18), top + (note_h + self._px(19)) // 2),
            note_scale,
            theme.text,
            note_th,
        )

    def _draw_summary(self, out: np.ndarray, summary: dict[str, Any], target_name: str) -> None:
        """The end card: final score and grade, best and weakest moments, personal best."""
        theme = self.theme
        w = min(self.width - 2 * self._px(24), self._px(600))
        h = min(self.height - 2 * self._px(16), self._px(520))
        x0, y0 = (self.width - w) // 2, (self.height - h) // 2
        x1 = x0 + w
        pad = self._px(36)
        _blend(
            out,
            (x0, y0, x1, y0 + h),
            theme.card_alpha,
            lambda roi, o: _fill_round_rect(roi, o, theme.panel, self._px(18)),
        )
        cx = (x0 + x1) // 2
        score = summary.get("score")
        small, small_th = self._font(14), self._thick(1.4)
        title = _fit_text(
            _ascii(target_name).upper() or "ATTEMPT COMPLETE", small, small_th, w - 2 * pad
        )
        _centered(out, title, cx, y0 + self._px(46), small, theme.muted, small_th)
        number = "--" if score is None else f"{round(float(score))}"
        _centered(out, number, cx, y0 + self._px(150), self._font(84), theme.text, self._thick(7))
        grade_word = _ascii(str(summary.get("grade") or ""))
        if grade_word:
            color = theme.score_color(score) if score is not None else theme.muted
            _centered(
                out, grade_word, cx, y0 + self._px(204), self._font(30), color, self._thick(2.6)
            )
        rule_th = max(1, self._px(1.5))
        cv2.line(
            out,
            (x0 + pad, y0 + self._px(236)),
            (x1 - pad, y0 + self._px(236)),
            theme.track,
            rule_th,
            _LINE,
        )
        # Two columns, best and weakest moments: "m:ss" then the score in its ramp colour.
        row_scale, row_th = self._font(19), self._thick(1.8)
        col_w = (w - 2 * pad) // 2
        for column, (key, label) in enumerate(
            (("best", "BEST MOMENTS"), ("worst", "WEAKEST MOMENTS"))
        ):
            left = x0 + pad + column * col_w + (self._px(24) if column else 0)
            _text(out, label, (left, y0 + self._px(276)), small, theme.muted, small_th)
            moments = list(summary.get(key) or [])[:3]
            if not moments:
                _text(out, "-", (left, y0 + self._px(316)), row_scale, theme.muted, row_th)
            for row, (second, value) in enumerate(moments):
                y = y0 + self._px(316 + 38 * row)
                _text(out, _clock(second), (left, y), row_scale, theme.text, row_th)
                _text(
                    out,
                    f"{round(float(value))}",
                    (left + self._px(96), y),
                    row_scale,
                    theme.score_color(float(value)),
                    row_th,
                )
        cv2.line(
            out,
            (x0 + pad, y0 + self._px(424)),
            (x1 - pad, y0 + self._px(424)),
            theme.track,
            rule_th,
            _LINE,
        )
        y = y0 + self._px(476)
        personal_best = summary.get("personal_best")
        scale, th = self._font(22), self._thick(2.2)
        if summary.get("hint"):
            _centered(out, _ascii(str(summary["hint"])), cx, y, scale, theme.text, th)
        elif summary.get("new_record"):
            text = "New personal best!"
            star_r, gap = self._px(14), self._px(12)
            start = cx - (_text_width(text, scale, th) + 2 * star_r + gap) // 2
            _star(out, (start + star_r, y - self._px(11)), star_r, theme.highlight)
            _text(out, text, (start + 2 * star_r + gap, y), scale, theme.highlight, th)
        else:
            text = (
                "First attempt"
                if personal_best is None
                else f"Personal best: {round(float(personal_best))}"
            )
            _centered(out, text, cx, y, scale, theme.text, th)

    def _draw_camera_lost(self, out: np.ndarray) -> None:
        """Dark full-frame card: the camera stopped; the capture thread is reconnecting."""
        theme = self.theme
        cx, cy = self.width // 2, self.height // 2
        # A camera glyph with a slash: understood at a glance, even in a small Zoom tile.
        bw, bh = self._px(64), self._px(44)
        top = cy - self._px(90)
        gx0 = cx - bw // 2 - self._px(10)
        color = theme.muted
        th = self._thick(4)
        _round_rect_outline(out, (gx0, top, gx0 + bw, top + bh), self._px(8), color, th)
        lens = np.array(
            [
                [gx0 + bw + self._px(4), top + bh // 2],
                [gx0 + bw + self._px(24), top + self._px(6)],
                [gx0 + bw + self._px(24), top + bh - self._px(6)],
            ],
            np.int32,
        )
        cv2.polylines(out, [lens], True, color, th, _LINE)
        cv2.line(
            out,
            (cx - self._px(50), top + bh + self._px(14)),
            (cx + self._px(42), top - self._px(14)),
            theme.limb_warning,
            th,
            _LINE,
        )
        title = _ascii("Camera lost — reconnecting…")
        _centered(out, title, cx, cy + self._px(30), self._font(30), theme.text, self._thick(2.6))
        hint = "Check the cable, or close other apps using the camera"
        _centered(
            out,
            _fit_text(hint, self._font(17), self._thick(1.5), self.width - 40),
            cx,
            cy + self._px(74),
            self._font(17),
            theme.muted,
            self._thick(1.5),
        )

    def _draw_fps(self, out: np.ndarray, fps: float) -> None:
        """Small debug text in the bottom-right corner."""
        theme = self.theme
        label = f"{fps:.0f} fps"
        scale, th = self._font(12), self._thick(1.2)
        x = self.width - self._px(18) - _text_width(label, scale, th)
        _text(
            out,
            label,
            (x, self.height - self._px(14)),
            scale,
            theme.muted,
            th,
            shadow=theme.outline,
        )

    # ------------------------------------------------------------------ helpers

    def _px(self, size: float) -> int:
        """A size given in 720p pixels, in output pixels (at least 1)."""
        return max(1, round(size * self._u))

    def _thick(self, size: float) -> int:
        return max(1, round(size * self._u))

    def _font(self, cap_height: float) -> float:
        """fontScale whose capital letters are ``cap_height`` 720p pixels tall."""
        return cap_height * self._u / _FONT_CAP

    def _paste_rounded(self, out: np.ndarray, pic: np.ndarray, x: int, y: int, radius: int) -> None:
        """Copy ``pic`` into ``out`` at (x, y) with anti-aliased rounded corners.

        Only the four radius x radius corner squares are blended; the rest is a plain copy.
        """
        h, w = pic.shape[:2]
        radius = min(radius, h // 2, w // 2)
        region = out[y : y + h, x : x + w]
        if region.shape[:2] != (h, w):  # would leave the frame: the layout keeps it inside
            return
        if radius < 2:
            region[:] = pic
            return
        mask = self._corner_masks.get(radius)
        if mask is None:
            mask = _corner_mask(radius)
            self._corner_masks[radius] = mask
        corners = [
            (slice(0, radius), slice(0, radius), mask),
            (slice(0, radius), slice(w - radius, w), mask[:, ::-1]),
            (slice(h - radius, h), slice(0, radius), mask[::-1, :]),
            (slice(h - radius, h), slice(w - radius, w), mask[::-1, ::-1]),
        ]
        under = [region[rows, cols].astype(np.float32) for rows, cols, _ in corners]
        region[:] = pic
        for (rows, cols, m), below in zip(corners, under, strict=True):
            mixed = pic[rows, cols].astype(np.float32) * m + below * (1.0 - m)
            region[rows, cols] = (mixed + 0.5).astype(np.uint8)


# ---------------------------------------------------------------------- drawing primitives


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` resized to width x height, fast enough to run on every frame.

    OpenCV's INTER_AREA is fast only for whole-number ratios: straight from 1080x1920 to PiP
    size it costs about 10 ms on one core here. A bilinear step to exactly twice the size and a
    2:1 area step cost about 1.2 ms and stay within 48 dB PSNR of it (bilinear alone aliases:
    35 dB). Bilinear is enough for ratios up to 2, where it still reads every source pixel.
    """
    h, w = image.shape[:2]
    if w > 2 * width and h > 2 * height:
        half = cv2.resize(image, (2 * width, 2 * height), interpolation=cv2.INTER_LINEAR)
        return cv2.resize(half, (width, height), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)


def _pt(xy: np.ndarray) -> tuple[int, int]:
    return int(xy[0]), int(xy[1])


def _blend(
    img: np.ndarray,
    box: tuple[int, int, int, int],
    alpha: float,
    draw: Any,
) -> None:
    """Blend a shape onto ``img`` with opacity ``alpha``, touching only ``box`` (x0, y0, x1, y1).

    ``draw(roi, offset)`` paints the opaque shape on a copy of the box; ``offset`` is the
    (dx, dy) that turns frame coordinates into box coordinates. Pixels the shape leaves alone
    blend with themselves and stay exactly as they were, so rounded corners come out right.
    """
    x0, y0, x1, y1 = box
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x1, img.shape[1]), min(y1, img.shape[0])
    if cx1 <= cx0 or cy1 <= cy0:
        return
    roi = img[cy0:cy1, cx0:cx1]
    overlay = roi.copy()
    draw(overlay, (-cx0, -cy0))
    roi[:] = cv2.addWeighted(overlay, alpha, roi, 1.0 - alpha, 0.0)


def _fill_round_rect(img: np.ndarray, offset: tuple[int, int], color: BGR, radius: int) -> None:
    """Fill the whole of ``img`` (a panel's box) with a rounded rectangle.

    Meant as a ``_blend`` draw function; ``offset`` is unused because the shape is the box.
    """
    h, w = img.shape[:2]
    _round_rect_fill(img, (0, 0, w, h), radius, color)


def _round_rect_fill(
    img: np.ndarray, box: tuple[int, int, int, int], radius: int, color: BGR
) -> None:
    x0, y0, x1, y1 = box
    r = max(0, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
    cv2.rectangle(img, (x0 + r, y0), (x1 - 1 - r, y1 - 1), color, -1)
    cv2.rectangle(img, (x0, y0 + r), (x1 - 1, y1 - 1 - r), color, -1)
    if r:
        for cx, cy in (
            (x0 + r, y0 + r),
            (x1 - 1 - r, y0 + r),
            (x0 + r, y1 - 1 - r),
            (x1 - 1 - r, y1 - 1 - r),
        ):
            cv2.circle(img, (cx, cy), r, color, -1, _LINE)


def _round_rect_outline(
    img: np.ndarray, box: tuple[int, int, int, int], radius: int, color: BGR, thickness: int
) -> None:
    x0, y0, x1, y1 = box
    r = max(1, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
    for p, q in (
        ((x0 + r, y0), (x1 - r, y0)),
        ((x0 + r, y1), (x1 - r, y1)),
        ((x0, y0 + r), (x0, y1 - r)),
        ((x1, y0 + r), (x1, y1 - r)),
    ):
        cv2.line(img, p, q, color, thickness, _LINE)
    for (cx, cy), start in (
        ((x0 + r, y0 + r), 180),
        ((x1 - r, y0 + r), 270),
        ((x1 - r, y1 - r), 0),
        ((x0 + r, y1 - r), 90),
    ):
        cv2.ellipse(img, (cx, cy), (r, r), 0, start, start + 90, color, thickness, _LINE)


def _bar(
    img: np.ndarray, x0: int, x1: int, y: int, height: int, fraction: float, color: BGR, track: BGR
) -> None:
    """A horizontal bar with round ends from x0 to x1 centred on row y, filled to ``fraction``.

    Drawn as thick anti-aliased lines, whose round caps give the rounded ends for free.
    """
    half = height / 2.0
    a, b = x0 + half, x1 - half
    cv2.line(img, _fixed(a, y), _fixed(b, y), track, height, _LINE, _SHIFT)
    if fraction > 0.0:
        cv2.line(img, _fixed(a, y), _fixed(a + (b - a) * fraction, y), color, height, _LINE, _SHIFT)


def _fixed(x: float, y: float) -> tuple[int, int]:
    return round(x * _ONE), round(y * _ONE)


def _corner_mask(radius: int) -> np.ndarray:
    """(radius, radius, 1) float32 coverage of a top-left rounded corner (1 inside)."""
    centre = radius - 0.5  # pixel-centre coordinates of the arc's centre
    yy, xx = np.mgrid[0:radius, 0:radius].astype(np.float32)
    dist = np.hypot(centre - xx, centre - yy)
    coverage = np.clip(radius - dist, 0.0, 1.0)
    return coverage[:, :, None].astype(np.float32)


def _star(img: np.ndarray, centre: tuple[int, int], radius: int, color: BGR) -> None:
    """A filled five-pointed star (the Hershey fonts have none)."""
    angles = np.arange(10) * np.pi / 5 - np.pi / 2
    radii = np.where(np.arange(10) % 2 == 0, radius, radius * 0.45)
    points = np.stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], 1)
    cv2.fillPoly(img, [np.round(points * _ONE).astype(np.int32)], color, _LINE, _SHIFT)


def _text(
    img: np.ndarray,
    text: str,
    origin: tuple[int, int],
    scale: float,
    color: BGR,
    thickness: int,
    shadow: BGR | None = None,
) -> int:
    """Draw ``text`` with its baseline's left end at ``origin``; returns its width in pixels.

    ``shadow`` draws a thicker dark copy underneath, for text straight on the video.
    """
    if shadow is not None:
        cv2.putText(img, text, origin, _FONT, scale, shadow, thickness + max(2, thickness), _LINE)
    cv2.putText(img, text, origin, _FONT, scale, color, thickness, _LINE)
    return _text_width(text, scale, thickness)


def _centered(
    img: np.ndarray, text: str, cx: int, baseline: int, scale: float, color: BGR, thickness: int
) -> None:
    _text(
        img,
        text,
        (cx - _text_width(text, scale, thickness) // 2, baseline),
        scale,
        color,
        thickness,
    )


def _text_width(text: str, scale: float, thickness: int) -> int:
    return cv2.getTextSize(text, _FONT, scale, thickness)[0][0]


def _fit_text(text: str, scale: float, thickness: int, max_width: int) -> str:
    """``text``, shortened with "..." until it is at most ``max_width`` pixels wide."""
    if _text_width(text, scale, thickness) <= max_width:
        return text
    while text and _text_width(text + "...", scale, thickness) > max_width:
        text = text[:-1]
    return text.rstrip() + "..."


def _ascii(text: str) -> str:
    """``text`` in the ASCII the Hershey fonts can draw: dashes and quotes replaced, accents
    stripped (é -> e), anything else dropped."""
    for char, replacement in _ASCII_REPLACEMENTS.items():
        text = text.replace(char, replacement)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _clock(second: float) -> str:
    """'m:ss' for a time in seconds."""
    whole = max(0, int(second))
    return f"{whole // 60}:{whole % 60:02d}"
