"""The picture that goes out to the virtual camera: the webcam frame with the score HUD on it.

``Compositor.compose(camera_bgr, hud)`` lays the camera picture into a fresh uint8 frame
(letterboxed, mirrored for a selfie view if asked) and draws the layers of ``hud``'s phase over
it, in the order of ``PHASE_LAYERS``. Layout: target picture-in-picture card top right, score
panel bottom left, status badges top centre, countdown and end-of-attempt card in the middle.
Video calls compress and shrink the picture, so panels are dark and opaque enough and text is
large enough to survive that. May import every hud module and OpenCV; knows nothing of
cameras, sessions or threads.
"""

from __future__ import annotations

import cv2
import numpy as np

from posesim_cam.clock import Phase
from posesim_cam.hud.cards import CameraLostCard, EndCard, RankingCard
from posesim_cam.hud.draw import Placement, resize
from posesim_cam.hud.layers import (
    Badges,
    Canvas,
    Countdown,
    FpsText,
    Layer,
    PlayerScores,
    ScorePanel,
    SkeletonLayer,
    TargetCard,
)
from posesim_cam.hud.layout import Layout
from posesim_cam.hud.state import HudState
from posesim_cam.hud.theme import Theme

CAMERA_LOST_GREY = 16  # the dark frame under the camera-lost card

# Which layers draw in which phase, bottom first. Each layer draws nothing when the state has
# nothing for it (no user pose, no countdown, no fps, no badge; the one-player panel and card
# with several players, and the several-player ones with one).
PHASE_LAYERS: dict[Phase, tuple[type[Layer], ...]] = {
    Phase.IDLE: (SkeletonLayer, Badges, FpsText),
    Phase.COUNTDOWN: (SkeletonLayer, TargetCard, Badges, Countdown, FpsText),
    Phase.PLAYING: (SkeletonLayer, TargetCard, ScorePanel, PlayerScores, Badges, FpsText),
    Phase.PAUSED: (SkeletonLayer, TargetCard, ScorePanel, PlayerScores, Badges, FpsText),
    Phase.FINISHED: (Badges, EndCard, RankingCard, FpsText),
    Phase.CAMERA_LOST: (CameraLostCard,),
}


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
        self.layout = Layout(width, height, mirror_display)
        self.theme = theme or Theme()
        # One instance of each layer, shared by the phases that draw it.
        unique = dict.fromkeys(kind for kinds in PHASE_LAYERS.values() for kind in kinds)
        built = {kind: kind(self.layout, self.theme) for kind in unique}
        self._layers = {
            phase: tuple(built[kind] for kind in kinds) for phase, kinds in PHASE_LAYERS.items()
        }

    @property
    def width(self) -> int:
        return self.layout.width

    @property
    def height(self) -> int:
        return self.layout.height

    @property
    def mirror_display(self) -> bool:
        return self.layout.mirror_display

    def layers(self, phase: Phase) -> tuple[Layer, ...]:
        """The layers drawn in ``phase``, bottom first."""
        return self._layers[Phase(phase)]

    def compose(self, camera_bgr: np.ndarray | None, hud: HudState) -> np.ndarray:
        """The output frame for one camera frame.

        Args:
            camera_bgr: (h, w, 3) uint8 BGR webcam frame, any size (letterboxed to fit), or
                None (a dark background; expected only in phase CAMERA_LOST, which ignores the
                camera). Not modified.
            hud: what to show.

        Returns:
            (height, width, 3) uint8 BGR, a new array.
        """
        if hud.phase == Phase.CAMERA_LOST:
            shape = (self.height, self.width, 3)
            canvas = Canvas(np.full(shape, CAMERA_LOST_GREY, np.uint8))
        else:
            canvas = self._background(camera_bgr)
            if not hud.visible:
                return canvas.image
        for layer in self._layers[hud.phase]:
            layer.draw(canvas, hud)
        return canvas.image

    def _background(self, camera: np.ndarray | None) -> Canvas:
        """The camera picture letterboxed into a new output frame, and where it landed."""
        w, h, mirror_display = self.width, self.height, self.mirror_display
        if camera is None:
            return Canvas(np.zeros((h, w, 3), np.uint8))
        if camera.ndim != 3 or camera.shape[2] != 3 or camera.dtype != np.uint8:
            raise ValueError(
                f"camera frame must be (h, w, 3) uint8, got {camera.shape} {camera.dtype}"
            )
        ch, cw = camera.shape[:2]
        mirror = float(cw) if mirror_display else None
        if (cw, ch) == (w, h):
            out = cv2.flip(camera, 1) if mirror_display else camera.copy()
            return Canvas(out, Placement(1.0, 0.0, 0.0, mirror))
        scale = min(w / cw, h / ch)
        nw, nh = max(1, round(cw * scale)), max(1, round(ch * scale))
        x0, y0 = (w - nw) // 2, (h - nh) // 2
        out = np.zeros((h, w, 3), np.uint8)
        resized = resize(camera, nw, nh)
        out[y0 : y0 + nh, x0 : x0 + nw] = cv2.flip(resized, 1) if mirror_display else resized
        return Canvas(out, Placement(nw / cw, float(x0), float(y0), mirror))
