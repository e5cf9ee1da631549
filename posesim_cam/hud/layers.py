"""The HUD's layers: one small class per panel, each drawing itself onto the output frame.

A layer is built with the ``Layout`` and ``Theme`` and has one method, ``draw(canvas, hud)``:
``canvas`` is the frame being drawn plus where the camera picture landed in it, ``hud`` the
``HudState``. A layer draws only its own panel, and nothing when ``hud`` has nothing for it;
which layers draw in which phase is the compositor's table, not theirs. This module holds the
layers drawn over the live picture; the full cards (end of attempt, camera lost) are in
``hud.cards``. May import the other hud modules (not the compositor), the scoring grades and
OpenCV; knows nothing of cameras, sessions or threads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from posesim_cam.clock import Phase
from posesim_cam.hud.draw import (
    LINE,
    Placement,
    ascii_text,
    bar,
    blend,
    draw_skeleton,
    fit_text,
    panel,
    paste_rounded,
    resize,
    text,
    text_width,
)
from posesim_cam.hud.layout import Layout
from posesim_cam.hud.state import HudState
from posesim_cam.hud.theme import Theme
from posesim_cam.scoring.outcome import GRADES


@dataclass(frozen=True)
class Canvas:
    """The output frame being drawn (modified in place) and where the camera picture landed."""

    image: np.ndarray
    placement: Placement = field(default_factory=Placement)


class Layer:
    """One panel of the HUD; subclasses implement ``draw``."""

    def __init__(self, layout: Layout, theme: Theme) -> None:
        self.layout = layout
        self.theme = theme

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        """Draw this layer of ``hud`` onto ``canvas.image``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__


class SkeletonLayer(Layer):
    """The user's skeleton over the camera picture, limbs off target in the warning colour;
    other players' skeletons (several players) in their own colours."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        px = self.layout.px
        for index, pose in enumerate(hud.other_poses, start=1):
            if pose is None:
                continue
            draw_skeleton(
                canvas.image,
                pose,
                canvas.placement,
                self.theme,
                thickness=px(6),
                radius=px(5.5),
                color=self.theme.player_color(index),
            )
        if hud.user_pose is None:
            return
        draw_skeleton(
            canvas.image,
            hud.user_pose,
            canvas.placement,
            self.theme,
            thickness=px(6),
            radius=px(5.5),
            warnings=hud.limb_warnings,
        )


class TargetCard(Layer):
    """Top-right card: the target picture (aspect kept) with its skeleton, name, progress."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        out, layout, theme = canvas.image, self.layout, self.theme
        px = layout.px
        margin, pad = px(18), px(8)
        card_w_max = round(0.30 * layout.width)
        name_scale, name_th = layout.font(15), layout.thick(1.4)
        bar_h = px(5)
        caption_h = px(15) + pad + bar_h + pad + pad
        pic_w = pic_h = 0
        frame = hud.target_frame
        if frame is not None and frame.size:
            th, tw = frame.shape[:2]
            fit = min((card_w_max - 2 * pad) / tw, (0.58 * layout.height - 2 * pad) / th)
            pic_w, pic_h = max(1, round(tw * fit)), max(1, round(th * fit))
        card_w = max(pic_w + 2 * pad, round(0.2 * layout.width))
        x1, y0 = layout.width - margin, margin
        x0 = x1 - card_w
        y1 = y0 + (pic_h + pad if pic_h else 0) + caption_h
        panel(out, (x0, y0, x1, y1), theme.panel, px(12), theme.panel_alpha)
        if frame is not None and pic_w:
            px0, py0 = x0 + (card_w - pic_w) // 2, y0 + pad
            paste_rounded(out, resize(frame, pic_w, pic_h), px0, py0, px(7))
            if hud.target_pose is not None:
                tw = frame.shape[1]
                region = out[py0 : py0 + pic_h, px0 : px0 + pic_w]  # clips lines to the picture
                draw_skeleton(
                    region,
                    hud.target_pose,
                    Placement(pic_w / tw),
                    theme,
                    thickness=px(3),
                    radius=px(2.5),
                    color=theme.target_limb,
                )
        text_y = y1 - pad - bar_h - pad - pad
        name = fit_text(
            ascii_text(hud.target_name) or "Target", name_scale, name_th, card_w - 2 * pad
        )
        text(out, name, (x0 + pad, text_y), name_scale, theme.text, name_th)
        bar_y = y1 - pad - bar_h // 2 - 1
        progress = min(max(float(hud.progress), 0.0), 1.0)
        bar(out, x0 + pad, x1 - pad, bar_y, bar_h, progress, theme.text, theme.track)


class ScorePanel(Layer):
    """Bottom-left panel: big score number, grade word, score bar with grade ticks (one
    player; ``PlayerScores`` draws several)."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        if hud.players:
            return
        out, layout, theme = canvas.image, self.layout, self.theme
        px, font, thick = layout.px, layout.font, layout.thick
        score, grade = hud.score, hud.grade
        margin, pad = px(18), px(16)
        w, h = px(340), px(138)
        x0, y1 = margin, layout.height - margin
        x1, y0 = x0 + w, y1 - h
        panel(out, (x0, y0, x1, y1), theme.panel, px(14), theme.panel_alpha)
        color = theme.score_color(score) if score is not None else theme.muted
        number = "--" if score is None else f"{round(min(max(score, 0.0), 100.0))}"
        num_scale, num_th = font(56), thick(5)
        baseline = y0 + pad + px(56)
        num_w = text(out, number, (x0 + pad, baseline), num_scale, theme.text, num_th)
        # Reserve two digits so the grade column stays put as the score changes (a rare 100
        # pushes it right).
        col_x = x0 + pad + max(num_w, text_width("00", num_scale, num_th)) + px(16)
        text(out, "SCORE", (col_x, y0 + pad + px(14)), font(13), theme.muted, thick(1.2))
        if grade:
            word = ascii_text(grade)
            room = x1 - pad - col_x
            # Long words ("Keep going") shrink to fit, down to 60%; only then are they cut.
            full_w = max(1, text_width(word, font(30), thick(2.4)))
            cap = max(16.0, min(30.0, 30.0 * room / full_w))
            g_scale, g_th = font(cap), thick(2.4 * cap / 30.0)
            text(out, fit_text(word, g_scale, g_th, room), (col_x, baseline), g_scale, color, g_th)
        bar_h = px(14)
        bar_y = y1 - pad - bar_h // 2
        fraction = 0.0 if score is None else min(max(score, 0.0), 100.0) / 100.0
        bar(out, x0 + pad, x1 - pad, bar_y, bar_h, fraction, color, theme.track)
        # Ticks where the next grades start, so the user sees how far the next one is.
        for threshold, _ in GRADES:
            if 0.0 < threshold < 100.0:
                tx = round(x0 + pad + bar_h / 2 + (w - 2 * pad - bar_h) * threshold / 100.0)
                top, bottom = (tx, bar_y - bar_h // 2), (tx, bar_y + bar_h // 2)
                cv2.line(out, top, bottom, theme.panel, max(1, px(2)), LINE)


class PlayerScores(Layer):
    """Bottom-left panel with several players: a row per player, left to right, each with
    their colour, name, grade, score and a bar in their colour ("not found" while unseen)."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        if not hud.players:
            return
        out, layout, theme = canvas.image, self.layout, self.theme
        px, font, thick = layout.px, layout.font, layout.thick
        margin, pad, row_h = px(18), px(14), px(50)
        w = px(340)
        h = 2 * pad + row_h * len(hud.players) - px(6)
        x0, y1 = margin, layout.height - margin
        x1, y0 = x0 + w, y1 - h
        panel(out, (x0, y0, x1, y1), theme.panel, px(14), theme.panel_alpha)
        name_scale, name_th = font(17), thick(1.6)
        num_scale, num_th = font(26), thick(2.4)
        grade_scale, grade_th = font(14), thick(1.3)
        for row, line in enumerate(hud.players):
            top = y0 + pad + row * row_h
            colour = theme.player_color(line.player)
            cv2.circle(out, (x0 + pad + px(6), top + px(14)), px(6), colour, -1, LINE)
            baseline = top + px(21)
            right = x1 - pad
            if not line.found or line.score is None:
                label, label_color = ("not found" if not line.found else "--"), theme.muted
                label_w = text_width(label, grade_scale, grade_th)
                text(out, label, (right - label_w, baseline), grade_scale, label_color, grade_th)
                right -= label_w + px(10)
            else:
                score = min(max(line.score, 0.0), 100.0)
                number = f"{round(score)}"
                number_w = text_width(number, num_scale, num_th)
                text(out, number, (right - number_w, baseline + px(4)), num_scale, theme.text,
                     num_th)  # fmt: skip
                right -= number_w + px(10)
                if line.grade:
                    word = ascii_text(line.grade)
                    word_w = text_width(word, grade_scale, grade_th)
                    origin = (right - word_w, baseline)
                    text(out, word, origin, grade_scale, theme.score_color(score), grade_th)
                    right -= word_w + px(10)
            name_x = x0 + pad + px(20)
            name = fit_text(ascii_text(line.name), name_scale, name_th, max(0, right - name_x))
            text(out, name, (name_x, baseline), name_scale, theme.text, name_th)
            shown = line.found and line.score is not None
            fraction = min(max(line.score, 0.0), 100.0) / 100.0 if shown else 0.0
            bar(out, x0 + pad, x1 - pad, top + px(36), px(8), fraction, colour, theme.track)


class Badges(Layer):
    """Status pills stacked at the top centre: "No target selected" (idle), "Paused" with a
    pause icon (paused), then ``hud.message``, then the session's ``hud.notices``."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        badges: list[tuple[str, bool]] = []  # (text, pause icon)
        if hud.phase == Phase.IDLE:
            badges.append(("No target selected", False))
        if hud.phase == Phase.PAUSED:
            badges.append(("Paused", True))
        if hud.message:
            badges.append((hud.message, False))
        badges.extend((notice, False) for notice in hud.notices)
        out, layout, theme = canvas.image, self.layout, self.theme
        px = layout.px
        scale, th = layout.font(19), layout.thick(1.8)
        h, pad = px(44), px(18)
        y = px(18)
        max_w = round(layout.width * 0.42)
        for words, pause_icon in badges:
            icon_w = px(22) if pause_icon else 0
            label = fit_text(ascii_text(words), scale, th, max_w - 2 * pad - icon_w)
            w = text_width(label, scale, th) + 2 * pad + icon_w
            x0 = (layout.width - w) // 2
            panel(out, (x0, y, x0 + w, y + h), theme.panel, h // 2, theme.panel_alpha)
            if pause_icon:
                bar_w, bar_h = max(2, px(5)), px(18)
                top = y + (h - bar_h) // 2
                for bx in (x0 + pad, x0 + pad + bar_w + px(5)):
                    cv2.rectangle(out, (bx, top), (bx + bar_w - 1, top + bar_h - 1), theme.text, -1)
            text(out, label, (x0 + pad + icon_w, y + (h + px(19)) // 2), scale, theme.text, th)
            y += h + px(10)


class Countdown(Layer):
    """A big 3, 2, 1 on a dark disc, with a ring that empties over each second."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        if hud.countdown is None:
            return
        seconds_left = hud.countdown
        out, layout, theme = canvas.image, self.layout, self.theme
        px, font, thick = layout.px, layout.font, layout.thick
        cx, cy = layout.width // 2, layout.height // 2
        r = px(110)

        def disc(roi: np.ndarray, offset: tuple[int, int]) -> None:
            centre = (cx + offset[0], cy + offset[1])
            cv2.circle(roi, centre, r, theme.panel, -1, LINE)

        blend(out, (cx - r - 2, cy - r - 2, cx + r + 3, cy + r + 3), theme.panel_alpha, disc)
        whole = max(1, math.ceil(seconds_left))
        fraction = min(max(seconds_left - (whole - 1), 0.0), 1.0)
        ring_r, ring_th = r - px(12), thick(7)
        cv2.circle(out, (cx, cy), ring_r, theme.track, ring_th, LINE)
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
                LINE,
            )
        scale, th = font(100), thick(8)
        label = str(whole)
        origin = (cx - text_width(label, scale, th) // 2, cy + px(50))
        text(out, label, origin, scale, theme.text, th)
        note_scale, note_th = font(19), thick(1.8)
        note = "Get ready"
        note_w, note_h = text_width(note, note_scale, note_th) + 2 * px(18), px(44)
        top = cy + r + px(14)
        left = cx - note_w // 2
        panel(
            out,
            (left, top, left + note_w, top + note_h),
            theme.panel,
            note_h // 2,
            theme.panel_alpha,
        )
        text(
            out,
            note,
            (left + px(18), top + (note_h + px(19)) // 2),
            note_scale,
            theme.text,
            note_th,
        )


class FpsText(Layer):
    """Small debug text in the bottom-right corner: frames per second, when ``hud.fps`` is set."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        if hud.fps is None:
            return
        layout, theme = self.layout, self.theme
        label = f"{hud.fps:.0f} fps"
        scale, th = layout.font(12), layout.thick(1.2)
        x = layout.width - layout.px(18) - text_width(label, scale, th)
        origin = (x, layout.height - layout.px(14))
        text(canvas.image, label, origin, scale, theme.muted, th, shadow=theme.outline)
