"""How different two 3-D poses are, whatever the camera, the build and (optionally) mirroring.

Pure numpy. The distance between poses ``p`` and ``q`` (17 joints, +Y up) is the root mean
square joint distance after centring both on the pelvis, scaling each by its actor's stature and
turning ``q`` about the vertical axis to fit ``p`` best (the person's heading is not part of a
pose; tilt is, since leaning over is a pose). With ``mirror``, ``q`` is also tried as a mirror
image (reflected, left and right relabelled) and the nearer fit counts.

The turn has a closed form: with centred points, turning ``q`` by angle ``t`` about +Y leaves
the Y coordinates alone and rotates (x, z); the squared error is
``|p|^2 + |q|^2 - 2 (Y + A cos t + B sin t)`` with ``Y = sum p_y q_y``,
``A = sum (p_x q_x + p_z q_z)`` and ``B = sum (p_z q_x - p_x q_z)``, smallest at
``Y + sqrt(A^2 + B^2)``. So a whole batch of pairs costs a few (N, 17) x (17, N) products.
Imports only the skeleton; never the CLI, the commands, the session or the HUD.
"""

from __future__ import annotations

import numpy as np

from posesim_cam.skeleton import FLIP_INDEX, INDEX, NUM_KEYPOINTS

_HIPS = [INDEX["left_hip"], INDEX["right_hip"]]


def normalised_poses(points3d: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """(N, 17, 3) float64 poses centred on the pelvis and divided by the actors' statures."""
    p = np.asarray(points3d, np.float64)
    pelvis = p[:, _HIPS].mean(axis=1, keepdims=True)
    return (p - pelvis) / np.asarray(heights, np.float64)[:, None, None]


def _fitted_squared_error(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(N, M) sum of squared joint distances after the best turn of each q about +Y."""
    px, py, pz = p[..., 0], p[..., 1], p[..., 2]
    qx, qy, qz = q[..., 0], q[..., 1], q[..., 2]
    y = py @ qy.T
    a = px @ qx.T + pz @ qz.T
    b = pz @ qx.T - px @ qz.T
    norms = (p**2).sum(axis=(1, 2))[:, None] + (q**2).sum(axis=(1, 2))[None, :]
    return np.maximum(norms - 2.0 * (y + np.sqrt(a**2 + b**2)), 0.0)


def pose_distance_matrix(
    p: np.ndarray, q: np.ndarray | None = None, mirror: bool = False
) -> np.ndarray:
    """(N, M) RMS joint distance between normalised poses (``normalised_poses``), in statures.

    Args:
        p: (N, 17, 3) normalised poses.
        q: (M, 17, 3) normalised poses; ``p`` itself if omitted.
        mirror: also fit each q as its mirror image and keep the nearer.
    """
    q = p if q is None else q
    error = _fitted_squared_error(p, q)
    if mirror:
        reflected = q[:, FLIP_INDEX] * np.array([-1.0, 1.0, 1.0])
        error = np.minimum(error, _fitted_squared_error(p, reflected))
    return np.sqrt(error / NUM_KEYPOINTS)
