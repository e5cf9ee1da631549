"""The HUD's colours and style choices: ``Theme`` and the ``BGR`` colour type.

A plain frozen value the layers read; change a colour here, not in a layer. Imports nothing of
posesim_cam, and nothing of OpenCV or numpy: it knows colours, not pictures.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

BGR = tuple[int, int, int]


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
    # The other players' skeletons (player 2, 3, 4): orange, magenta, lime.
    player_limbs: tuple[BGR, ...] = ((40, 140, 255), (220, 80, 220), (60, 220, 160))
    draw_face: bool = False

    def player_color(self, player: int) -> BGR:
        """Player ``player``'s colour (from 0): the user's limb colour, then ``player_limbs``."""
        if player <= 0:
            return self.limb
        return self.player_limbs[(player - 1) % len(self.player_limbs)]

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
