"""posesim-cam: score a live pose against a target video; send the picture to a virtual camera.

The package's face holds only its version and imports nothing, so every module may import it.
"""

__version__ = "0.1.0"
