"""Several players in one picture: who is who (``assign``), finding each (``regions``), and
each one's poses in a recorded video (``recorded``).

Imports ``pose``, ``errors``, ``sequence`` and the targets' cache; the session's ``round`` and
the ``score`` command use it.
"""

from posesim_cam.players.assign import (
    MAX_PLAYERS,
    PlayerMode,
    PlayerSetup,
    PlayerTracker,
    split_regions,
)

__all__ = ["MAX_PLAYERS", "PlayerMode", "PlayerSetup", "PlayerTracker", "split_regions"]
