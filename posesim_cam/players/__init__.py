"""Several players in one picture: who is who (``assign``) and finding each (``regions``)."""

from posesim_cam.players.assign import MAX_PLAYERS, PlayerMode, PlayerTracker, split_regions

__all__ = ["MAX_PLAYERS", "PlayerMode", "PlayerTracker", "split_regions"]
