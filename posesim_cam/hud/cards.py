"""The HUD's full cards: the end-of-attempt summary and the camera-lost card.

Layers like those in ``hud.layers`` (built with the ``Layout`` and ``Theme``, one
``draw(canvas, hud)`` method), kept apart because each covers the middle of the frame on its
own. May import the other hud modules (not the compositor) and OpenCV; knows nothing of
cameras, sessions or threads.
"""

from __future__ import annotations

import cv2
import numpy as np

from posesim_cam.hud.draw import (
    LINE,
    ascii_text,
    centered,
    clock_label,
    fit_text,
    panel,
    round_rect_outline,
    star,
    text,
    text_width,
)
from posesim_cam.hud.layers import Canvas, Layer
from posesim_cam.hud.state import HudState, SummaryCard

# What a FINISHED state without a summary shows: "--", no grade, no moments, "First attempt".
EMPTY_SUMMARY = SummaryCard(score=None, grade="")


class EndCard(Layer):
    """The end card (``hud.summary``): final score and grade, best and weakest moments,
    personal best (one player; ``RankingCard`` ends a round of several)."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        card = hud.summary or EMPTY_SUMMARY
        if card.ranking:
            return
        out, layout, theme = canvas.image, self.layout, self.theme
        px, font, thick = layout.px, layout.font, layout.thick
        w = min(layout.width - 2 * px(24), px(600))
        h = min(layout.height - 2 * px(16), px(520))
        x0, y0 = (layout.width - w) // 2, (layout.height - h) // 2
        x1 = x0 + w
        pad = px(36)
        panel(out, (x0, y0, x1, y0 + h), theme.panel, px(18), theme.card_alpha)
        cx = (x0 + x1) // 2
        score = card.score
        small, small_th = font(14), thick(1.4)
        title = ascii_text(hud.target_name).upper() or "ATTEMPT COMPLETE"
        title = fit_text(title, small, small_th, w - 2 * pad)
        centered(out, title, cx, y0 + px(46), small, theme.muted, small_th)
        number = "--" if score is None else f"{round(float(score))}"
        centered(out, number, cx, y0 + px(150), font(84), theme.text, thick(7))
        grade_word = ascii_text(card.grade or "")
        if grade_word:
            color = theme.score_color(score) if score is not None else theme.muted
            centered(out, grade_word, cx, y0 + px(204), font(30), color, thick(2.6))
        rule_th = max(1, px(1.5))
        self._rule(out, x0 + pad, x1 - pad, y0 + px(236), rule_th)
        # Two columns, best and weakest moments: "m:ss" then the score in its ramp colour.
        row_scale, row_th = font(19), thick(1.8)
        col_w = (w - 2 * pad) // 2
        columns = ((card.best, "BEST MOMENTS"), (card.worst, "WEAKEST MOMENTS"))
        for column, (moments, label) in enumerate(columns):
            left = x0 + pad + column * col_w + (px(24) if column else 0)
            text(out, label, (left, y0 + px(276)), small, theme.muted, small_th)
            shown = list(moments or ())[:3]
            if not shown:
                text(out, "-", (left, y0 + px(316)), row_scale, theme.muted, row_th)
            for row, (second, value) in enumerate(shown):
                y = y0 + px(316 + 38 * row)
                text(out, clock_label(second), (left, y), row_scale, theme.text, row_th)
                value_color = theme.score_color(float(value))
                number = f"{round(float(value))}"
                text(out, number, (left + px(96), y), row_scale, value_color, row_th)
        self._rule(out, x0 + pad, x1 - pad, y0 + px(424), rule_th)
        y = y0 + px(476)
        scale, th = font(22), thick(2.2)
        if card.hint:
            centered(out, ascii_text(str(card.hint)), cx, y, scale, theme.text, th)
        elif card.new_record:
            label = "New personal best!"
            star_r, gap = px(14), px(12)
            start = cx - (text_width(label, scale, th) + 2 * star_r + gap) // 2
            star(out, (start + star_r, y - px(11)), star_r, theme.highlight)
            text(out, label, (start + 2 * star_r + gap, y), scale, theme.highlight, th)
        else:
            best = card.personal_best
            label = "First attempt" if best is None else f"Personal best: {round(float(best))}"
            centered(out, label, cx, y, scale, theme.text, th)

    def _rule(self, out: np.ndarray, x0: int, x1: int, y: int, thickness: int) -> None:
        cv2.line(out, (x0, y), (x1, y), self.theme.track, thickness, LINE)


class RankingCard(Layer):
    """The end card of a round of several players: who won, then every player ranked with
    their colour, final score, grade and a star for a new personal best."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        card = hud.summary
        if card is None or not card.ranking:
            return
        out, layout, theme = canvas.image, self.layout, self.theme
        px, font, thick = layout.px, layout.font, layout.thick
        rows = card.ranking
        w = min(layout.width - 2 * px(24), px(600))
        h = min(layout.height - 2 * px(16), px(190 + 64 * len(rows)))
        x0, y0 = (layout.width - w) // 2, (layout.height - h) // 2
        x1 = x0 + w
        pad = px(36)
        panel(out, (x0, y0, x1, y0 + h), theme.panel, px(18), theme.card_alpha)
        cx = (x0 + x1) // 2
        small, small_th = font(14), thick(1.4)
        title = ascii_text(hud.target_name).upper() or "ROUND COMPLETE"
        centered(out, fit_text(title, small, small_th, w - 2 * pad), cx, y0 + px(46), small,
                 theme.muted, small_th)  # fmt: skip
        shown = [round(float(row.score)) for row in rows if row.score is not None]
        if not shown:
            headline = "Nobody could be scored"
        elif shown.count(shown[0]) > 1:  # rows are best first: a tie for first place
            headline = "A tie!"
        else:
            headline = f"{ascii_text(rows[0].name)} wins"
        head_scale, head_th = font(40), thick(3.6)
        headline = fit_text(headline, head_scale, head_th, w - 2 * pad)
        centered(out, headline, cx, y0 + px(110), head_scale, theme.text, head_th)
        cv2.line(out, (x0 + pad, y0 + px(140)), (x1 - pad, y0 + px(140)), theme.track,
                 max(1, px(1.5)), LINE)  # fmt: skip
        row_scale, row_th = font(22), thick(2.0)
        grade_scale, grade_th = font(17), thick(1.6)
        for place, line in enumerate(rows):
            y = y0 + px(190 + 64 * place)
            if y > y0 + h - px(12):
                break
            colour = theme.player_color(line.player)
            text(out, f"{place + 1}", (x0 + pad, y), row_scale, theme.muted, row_th)
            cv2.circle(out, (x0 + pad + px(42), y - px(8)), px(9), colour, -1, LINE)
            number = "--" if line.score is None else f"{round(float(line.score))}"
            number_w = text_width(number, row_scale, row_th)
            right = x1 - pad
            text(out, number, (right - number_w, y), row_scale, theme.text, row_th)
            right -= number_w + px(14)
            if line.grade:
                word = ascii_text(line.grade)
                word_w = text_width(word, grade_scale, grade_th)
                tone = theme.muted if line.score is None else theme.score_color(line.score)
                text(out, word, (right - word_w, y), grade_scale, tone, grade_th)
                right -= word_w + px(14)
            name_x = x0 + pad + px(64)
            if line.new_record:
                star_r = px(10)
                right -= 2 * star_r + px(6)
                star(out, (right + star_r, y - px(8)), star_r, theme.highlight)
            name = fit_text(ascii_text(line.name), row_scale, row_th, max(0, right - name_x))
            text(out, name, (name_x, y), row_scale, theme.text, row_th)


class CameraLostCard(Layer):
    """The camera stopped and the capture is reconnecting: a crossed-out camera and a hint,
    drawn onto the dark frame the compositor gives this phase."""

    def draw(self, canvas: Canvas, hud: HudState) -> None:
        out, layout, theme = canvas.image, self.layout, self.theme
        px, font, thick = layout.px, layout.font, layout.thick
        cx, cy = layout.width // 2, layout.height // 2
        # A camera glyph with a slash: understood at a glance, even in a small Zoom tile.
        bw, bh = px(64), px(44)
        top = cy - px(90)
        gx0 = cx - bw // 2 - px(10)
        color = theme.muted
        th = thick(4)
        round_rect_outline(out, (gx0, top, gx0 + bw, top + bh), px(8), color, th)
        lens = np.array(
            [
                [gx0 + bw + px(4), top + bh // 2],
                [gx0 + bw + px(24), top + px(6)],
                [gx0 + bw + px(24), top + bh - px(6)],
            ],
            np.int32,
        )
        cv2.polylines(out, [lens], True, color, th, LINE)
        slash = (cx - px(50), top + bh + px(14)), (cx + px(42), top - px(14))
        cv2.line(out, *slash, theme.limb_warning, th, LINE)
        title = ascii_text("Camera lost — reconnecting…")
        centered(out, title, cx, cy + px(30), font(30), theme.text, thick(2.6))
        hint_scale, hint_th = font(17), thick(1.5)
        hint = "Check the cable, or close other apps using the camera"
        hint = fit_text(hint, hint_scale, hint_th, layout.width - 40)
        centered(out, hint, cx, cy + px(74), hint_scale, theme.muted, hint_th)
