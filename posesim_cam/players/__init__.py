"""Several players in one picture: who is who (``assign``) and finding each (``regions``).

Imports ``pose`` and ``errors`` only; the session's ``round`` uses it.
"""

from posesim_cam.players.assign import (
    MAX_PLAYERS,
    PlayerMode,
    PlayerSetup,
    PlayerTracker,
    split_regions,
)

__all__ = ["MAX_PLAYERS", "PlayerMode", "PlayerSetup", "PlayerTracker", "split_regions"]
