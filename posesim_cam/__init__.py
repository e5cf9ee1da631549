"""posesim-cam: score a live pose against a target video; send the picture to a virtual camera."""

__version__ = "0.1.0"
