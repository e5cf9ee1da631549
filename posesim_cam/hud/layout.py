"""The output frame's geometry: its size, the mirror setting and the HUD's layout unit.

Every size in the layers is written in pixels of a 720-line frame and turned into output
pixels here (``px``, ``thick``, ``font``), so the layout holds at 640x480 and 1280x720 alike.
May import only ``hud.draw`` (for the font's cap height); knows nothing of HUD state or layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from posesim_cam.hud.draw import FONT_CAP

MIN_WIDTH, MIN_HEIGHT = 160, 120


@dataclass(frozen=True)
class Layout:
    """Output size and scale of the HUD.

    Args:
        width, height: output frame size in pixels (at least 160x120).
        mirror_display: the camera picture (and the user's skeleton) is flipped horizontally
            for a selfie view; text is drawn afterwards, so it always reads normally.

    ``unit`` is one layout unit in output pixels: a pixel of a 1280x720 frame. Narrow frames
    scale by width instead (``min(height / 720, width / 960)``), so the corner panels never
    meet.
    """

    width: int
    height: int
    mirror_display: bool = False
    unit: float = field(init=False)

    def __post_init__(self) -> None:
        if self.width < MIN_WIDTH or self.height < MIN_HEIGHT:
            raise ValueError(
                f"output must be at least {MIN_WIDTH}x{MIN_HEIGHT}, got {self.width}x{self.height}"
            )
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))
        object.__setattr__(self, "mirror_display", bool(self.mirror_display))
        object.__setattr__(self, "unit", min(self.height / 720.0, self.width / 960.0))

    def px(self, size: float) -> int:
        """A size given in 720p pixels, in output pixels (at least 1)."""
        return max(1, round(size * self.unit))

    def thick(self, size: float) -> int:
        """A line thickness given in 720p pixels, in output pixels (at least 1)."""
        return max(1, round(size * self.unit))

    def font(self, cap_height: float) -> float:
        """fontScale whose capital letters are ``cap_height`` 720p pixels tall."""
        return cap_height * self.unit / FONT_CAP
