"""The score HUD drawn over the webcam picture for the virtual camera.

``Compositor(width, height).compose(camera_bgr, hud)`` makes one output frame from a camera
frame and a ``HudState`` (``SummaryCard`` is its end-of-attempt card, ``Phase`` picks what is
drawn). Inside: ``theme`` (colours), ``layout`` (output size and scale), ``draw`` (shared
drawing primitives), ``layers`` and ``cards`` (one class per panel), ``compositor`` (the
background and the phase -> layers table), ``state`` (the values). The package may import the
clock, skeleton, pose types and scoring outcomes; nothing of cameras, sessions or outputs.
"""

from posesim_cam.clock import Phase
from posesim_cam.hud.compositor import Compositor
from posesim_cam.hud.layout import Layout
from posesim_cam.hud.state import HudState, PlayerScore, SummaryCard
from posesim_cam.hud.theme import Theme

__all__ = ["Compositor", "HudState", "Layout", "Phase", "PlayerScore", "SummaryCard", "Theme"]
