"""Motion capture to COCO-17: 3-D keypoints from BVH clips, and pinhole renders of them.

World frame (that of the iClone "CC_Base_*" BVH clips): centimetres, +Y up. In the rest pose
(the T-pose frame that some clips start with) the actor stands at the origin facing +Z, so the
person's left is +X: ``left = up x forward = Y x Z = X``. This was measured from the data: in
the T-pose frames of 007_03..007_12 the toes point along +Z (toe minus ankle ~ (0, -2, 13) cm)
and CC_Base_L_* joints sit at +X; most other clips also start facing +Z (see ``facing_directions``).

Cameras use the image convention: x right, y DOWN, z forward (the OpenCV camera frame), so a
camera in front of a person facing it sees the person's left shoulder at the larger image x.
Imports the skeleton, ``errors`` and ``training.bvh``; never the CLI, the commands, the session
or the HUD.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posesim_cam.errors import UserError
from posesim_cam.skeleton import INDEX, NUM_KEYPOINTS
from posesim_cam.training.bvh import Motion, load_bvh

__all__ = [
    "BODY_JOINTS",
    "FRONT",
    "HEAD_JOINT",
    "HEAD_PITCH_DEG",
    "HEAD_POINTS_LOCAL",
    "UP",
    "Camera",
    "coco3d_from_motion",
    "face_points_local",
    "facing_directions",
    "first_frame_is_tpose",
    "load_clip_coco3d",
    "look_at",
    "random_cameras",
    "render_views",
    "render_views_with_scores",
    "stature",
]

UP = np.array([0.0, 1.0, 0.0])
# Direction the actors face in the rest (T-pose) frame; yaw 0 puts the camera on this side.
FRONT = np.array([0.0, 0.0, 1.0])

# COCO body joint -> CC_Base joint at that anatomical joint. The CC "Upperarm" bone starts at
# the shoulder joint (the Clavicle bone starts at the sternum), "Forearm" at the elbow, "Hand"
# at the wrist, "Thigh" at the hip joint, "Calf" at the knee and "Foot" at the ankle.
BODY_JOINTS: dict[str, str] = {
    "left_shoulder": "CC_Base_L_Upperarm",
    "right_shoulder": "CC_Base_R_Upperarm",
    "left_elbow": "CC_Base_L_Forearm",
    "right_elbow": "CC_Base_R_Forearm",
    "left_wrist": "CC_Base_L_Hand",
    "right_wrist": "CC_Base_R_Hand",
    "left_hip": "CC_Base_L_Thigh",
    "right_hip": "CC_Base_R_Thigh",
    "left_knee": "CC_Base_L_Calf",
    "right_knee": "CC_Base_R_Calf",
    "left_ankle": "CC_Base_L_Foot",
    "right_ankle": "CC_Base_R_Foot",
}
HEAD_JOINT = "CC_Base_Head"

# Face keypoints in the head joint's local frame, in cm, before HEAD_PITCH_DEG. The CC head joint
# sits at the top of the neck (skull base); in the T-pose its world rotation is the identity, so
# its local axes are +X = the person's left, +Y = up, +Z = forward. The skeleton's own eye joints
# (CC_Base_L_Eye, the eyeball centres) sit at (+-3.3, 8.2, 8.2) in this frame; the COCO eye
# keypoint is on the eye's surface, a little further forward. The nose tip is ~3 cm below and
# ~3 cm ahead of the eyes; the ear keypoints (tragus) are ~7.5 cm to each side, level with the
# skull base's front.
_FACE_REST: dict[str, tuple[float, float, float]] = {
    "nose": (0.0, 5.0, 11.5),
    "left_eye": (3.2, 8.2, 9.0),
    "right_eye": (-3.2, 8.2, 9.0),
    "left_ear": (7.5, 6.0, 0.5),
    "right_ear": (-7.5, 6.0, 0.5),
}
# The face turned up by this much about the head joint's left-right axis. In the recorded motion
# the head joint carries the face about 15-20 degrees further down than people hold it: in
# upright frames seen from the front, the nose, eyes and ears sit 0.28 / 0.36 / 0.38 torso
# lengths above the shoulders in the mocap, against 0.36 / 0.42 / 0.39 in MediaPipe's poses of
# the clips that may be trained on (squats, dance) and the three full-body stills (the mean of
# the five; `python bench/face_geometry.py` prints both). 15 degrees brings the mocap to
# 0.35 / 0.42 / 0.39. Left uncorrected, the 70 of 136 distances that involve a face point
# differ between mocap and an estimator for every pose.
HEAD_PITCH_DEG = 15.0


def face_points_local(pitch_deg: float = HEAD_PITCH_DEG) -> dict[str, tuple[float, float, float]]:
    """The face keypoints in the head frame, turned up (the front rising) by ``pitch_deg``
    about the head joint's left-right axis."""
    t = np.radians(pitch_deg)
    return {
        name: (x, y * np.cos(t) + z * np.sin(t), z * np.cos(t) - y * np.sin(t))
        for name, (x, y, z) in _FACE_REST.items()
    }


HEAD_POINTS_LOCAL = face_points_local()


def first_frame_is_tpose(motion: Motion) -> bool:
    """Whether frame 0 is a rest T-pose rather than the first frame of the movement.

    Only some clips carry one (of the test clips, 007_03..007_12); in the others frame 0 is part
    of the motion. A T-pose frame has both arms horizontal and is discontinuous with frame 1
    (the actor jumps from the rest pose at the origin to the first captured pose).
    """
    if motion.num_frames < 2:
        return False
    names = [
        "CC_Base_L_Upperarm", "CC_Base_R_Upperarm", "CC_Base_L_Hand", "CC_Base_R_Hand",
        "CC_Base_L_Thigh", "CC_Base_R_Thigh", "CC_Base_Head",
    ]  # fmt: skip
    p = motion.world_positions([0, 1], names).astype(np.float64)
    shoulder_width = np.linalg.norm(p[0, 0] - p[0, 1])
    arms_level = bool(np.all(np.abs(p[0, 2:4, 1] - p[0, 0:2, 1]) < 0.3 * shoulder_width))
    arms_out = np.linalg.norm(p[0, 2] - p[0, 3]) > 3.0 * shoulder_width
    # Joints move at most a few metres per second, i.e. a few cm between 60 fps frames.
    jump = float(np.median(np.linalg.norm(p[1] - p[0], axis=-1)))
    return arms_level and bool(arms_out) and jump > shoulder_width


def _source_fps(motion: Motion) -> float:
    """Frame rate of the clip, snapped to a whole number when the header rounded it.

    Files store "Frame Time: 0.016667" for 60 fps; taken literally that is 59.9988 fps, which
    would make 30 fps resampling blend neighbouring frames instead of taking every other one.
    """
    fps = motion.fps
    whole = round(fps)
    return float(whole) if whole > 0 and abs(fps - whole) < 1e-3 * whole else fps


def coco3d_from_motion(
    motion: Motion,
    fps: float = 30.0,
    skip_tpose: bool | None = None,
    head_pitch_deg: float = HEAD_PITCH_DEG,
) -> np.ndarray:
    """COCO-17 3-D keypoints of a CC_Base skeleton clip, resampled to ``fps``.

    Body joints are the CC joints in ``BODY_JOINTS``; nose, eyes and ears are fixed points of
    the head (``face_points_local(head_pitch_deg)``, by default ``HEAD_POINTS_LOCAL``) carried by
    the head joint's world rotation.

    Args:
        motion: a clip on the iClone CC_Base skeleton.
        fps: output frame rate; frames are linearly interpolated between source frames.
        skip_tpose: drop frame 0 (the rest T-pose). None decides per clip with
            ``first_frame_is_tpose``, since only some clips start with one.
        head_pitch_deg: how far the face is turned up from the skeleton's head frame.

    Returns:
        (T', 17, 3) float32 world positions in cm, +Y up, joints in ``skeleton.KEYPOINT_NAMES``
        order. T' = floor(duration * fps) + 1 where duration spans the frames kept.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    missing = [n for n in [*BODY_JOINTS.values(), HEAD_JOINT] if n not in motion.names]
    if missing:
        raise UserError(
            f"the clip lacks the CC_Base joints {', '.join(missing)}",
            "Use BVH clips on the iClone CC_Base skeleton",
        )
    if skip_tpose is None:
        skip_tpose = first_frame_is_tpose(motion)
    start = 1 if skip_tpose else 0
    n = motion.num_frames - start
    if n <= 0:
        return np.zeros((0, NUM_KEYPOINTS, 3), np.float32)

    source_fps = _source_fps(motion)
    duration = (n - 1) / source_fps
    count = int(np.floor(duration * fps + 1e-9)) + 1
    position = np.arange(count) * (source_fps / fps)  # fractional source frame, from `start`
    lower = np.minimum(np.floor(position + 1e-9).astype(np.intp), n - 1)
    upper = np.minimum(lower + 1, n - 1)
    weight = np.clip(position - lower, 0.0, 1.0)[:, None, None]
    needed = np.unique(np.concatenate([lower, upper]))
    # FK only on the source frames the output touches: half of them at 30 fps from 60.
    points = _coco3d_frames(motion, needed + start, face_points_local(head_pitch_deg))
    lookup = np.searchsorted(needed, lower), np.searchsorted(needed, upper)
    out = points[lookup[0]] * (1.0 - weight) + points[lookup[1]] * weight
    return out.astype(np.float32)


def _coco3d_frames(
    motion: Motion, frames: np.ndarray, face: dict[str, tuple[float, float, float]]
) -> np.ndarray:
    """COCO-17 points of the given source frames: (len(frames), 17, 3) float64, cm."""
    body_names = list(BODY_JOINTS)
    cc_names = [BODY_JOINTS[name] for name in body_names] + [HEAD_JOINT]
    rotations, positions = motion.world_transforms(frames, cc_names)
    out = np.empty((len(frames), NUM_KEYPOINTS, 3), np.float64)
    for k, name in enumerate(body_names):
        out[:, INDEX[name]] = positions[:, k]
    head_rot = rotations[:, -1]  # (T, 3, 3)
    head_pos = positions[:, -1]
    for name, local in face.items():
        out[:, INDEX[name]] = head_pos + head_rot @ np.asarray(local)
    return out


def load_clip_coco3d(path: str | Path, fps: float = 30.0) -> np.ndarray:
    """Read a CC_Base BVH clip and return its COCO-17 3-D keypoints: (T', 17, 3) float32 cm."""
    return coco3d_from_motion(load_bvh(path), fps=fps)


def facing_directions(points3d: np.ndarray) -> np.ndarray:
    """Horizontal unit vector the person faces, per frame, from shoulders and hips.

    ``forward = left x up`` where ``left`` is the mean of (left - right) shoulder and hip vectors.

    Args:
        points3d: (..., 17, 3) COCO-17 points, +Y up.

    Returns:
        (..., 3) float64 unit vectors with zero Y component.
    """
    p = np.asarray(points3d, np.float64)
    left = (
        p[..., INDEX["left_shoulder"], :]
        - p[..., INDEX["right_shoulder"], :]
        + p[..., INDEX["left_hip"], :]
        - p[..., INDEX["right_hip"], :]
    )
    forward = np.cross(left, UP)
    forward[..., 1] = 0.0
    return forward / np.maximum(np.linalg.norm(forward, axis=-1, keepdims=True), 1e-9)


def stature(points3d: np.ndarray) -> float:
    """Standing height estimated from segment lengths, so it does not depend on the pose: cm.

    Sum of shin, thigh, pelvis-to-shoulder-centre and shoulder-centre-to-eyes lengths (medians
    over frames, legs averaged left/right), plus 14 cm: eye to crown (~11 cm) and ankle to sole
    (~6 cm on the CC skeleton), less ~3 cm since the neck segment leans forward. The CC T-pose
    (eyes at 174 cm) gives 186 cm.

    Args:
        points3d: (T, 17, 3) or (17, 3) COCO-17 points in cm.
    """
    p = np.asarray(points3d, np.float64).reshape(-1, NUM_KEYPOINTS, 3)

    def length(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.median(np.linalg.norm(a - b, axis=-1)))

    def mid(a: str, b: str) -> np.ndarray:
        return (p[:, INDEX[a]] + p[:, INDEX[b]]) / 2

    legs = [
        length(p[:, INDEX[f"{s}_ankle"]], p[:, INDEX[f"{s}_knee"]])
        + length(p[:, INDEX[f"{s}_knee"]], p[:, INDEX[f"{s}_hip"]])
        for s in ("left", "right")
    ]
    torso = length(mid("left_hip", "right_hip"), mid("left_shoulder", "right_shoulder"))
    neck_head = length(mid("left_shoulder", "right_shoulder"), mid("left_eye", "right_eye"))
    return float(np.mean(legs) + torso + neck_head + 14.0)


@dataclass(frozen=True)
class Camera:
    """A pinhole camera without distortion.

    Attributes:
        rotation: (3, 3) world-to-camera rotation; its rows are the camera's x (image right),
            y (image down) and z (viewing direction) axes in world coordinates.
        position: (3,) camera centre in world units (cm).
        focal: focal length in pixels (square pixels).
        width: image width in pixels.
        height: image height in pixels.
    """

    rotation: np.ndarray
    position: np.ndarray
    focal: float
    width: int
    height: int

    @property
    def principal_point(self) -> tuple[float, float]:
        """Image centre (cx, cy) in pixels."""
        return self.width / 2.0, self.height / 2.0

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) to camera coordinates (..., 3): x right, y down, z depth."""
        return (np.asarray(points, np.float64) - self.position) @ self.rotation.T

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) to pixels (..., 2) float64.

        Points at or behind the camera plane get their depth clamped to 1e-3 so the result is
        finite; ``render_views_with_scores`` marks them with score 0.
        """
        cam = self.to_camera(points)
        depth = np.maximum(cam[..., 2:3], 1e-3)
        cx, cy = self.principal_point
        return cam[..., :2] / depth * self.focal + np.array([cx, cy])


def look_at(
    position: np.ndarray,
    target: np.ndarray,
    focal: float,
    width: int = 640,
    height: int = 480,
    up: np.ndarray = UP,
) -> Camera:
    """A camera at ``position`` (3,) looking at ``target`` (3,), level (no roll), world cm.

    Raises ValueError when the viewing direction is parallel to ``up``.
    """
    position = np.asarray(position, np.float64)
    forward = np.asarray(target, np.float64) - position
    forward /= np.linalg.norm(forward)
    # Image y points down, i.e. along -up; x = y x z keeps the frame right-handed.
    right = np.cross(forward, np.asarray(up, np.float64))
    norm = np.linalg.norm(right)
    if norm < 1e-9:
        raise ValueError("camera looks straight along the up direction; its roll is undefined")
    right /= norm
    down = np.cross(forward, right)
    return Camera(np.stack([right, down, forward]), position, float(focal), int(width), int(height))


def _orbit_target(points3d: np.ndarray) -> tuple[np.ndarray, float]:
    """Look-at point (3,) and stature (cm): mean hip centre (x, z) at the body's mid height."""
    p = np.asarray(points3d, np.float64).reshape(-1, NUM_KEYPOINTS, 3)
    hips = (p[:, INDEX["left_hip"]] + p[:, INDEX["right_hip"]]) / 2
    mid_height = float(np.mean((p[..., 1].max(axis=1) + p[..., 1].min(axis=1)) / 2))
    return np.array([hips[:, 0].mean(), mid_height, hips[:, 2].mean()]), stature(p)


def random_cameras(
    rng: np.random.Generator,
    n: int,
    points3d: np.ndarray,
    yaw_range: tuple[float, float] = (-180.0, 180.0),
    pitch_range: tuple[float, float] = (-20.0, 30.0),
    distance_range: tuple[float, float] = (2.5, 6.0),
    focal_range: tuple[float, float] = (450.0, 1000.0),
    image_sizes: Sequence[tuple[int, int]] = ((640, 480), (480, 640)),
    max_fill: float = 0.85,
) -> list[Camera]:
    """Cameras orbiting a person at random yaw, pitch, distance and focal length.

    Each camera sits on a sphere around the look-at point (the person's mean hip position,
    at the mid height of the body) and looks at it, level.

    Args:
        rng: the random source.
        n: number of cameras.
        points3d: (T, 17, 3) COCO-17 points in cm, +Y up (from ``coco3d_from_motion``).
        yaw_range: degrees about +Y from the front (``FRONT``, +Z): 0 faces a person in the
            rest pose, +90 is on the person's left (+X), 180 behind.
        pitch_range: degrees of elevation; positive puts the camera above, looking down.
        distance_range: metres for a 1.7 m person, scaled by the person's stature, so the
            framing does not depend on the actor's size.
        focal_range: focal length in pixels.
        image_sizes: (width, height) choices, drawn uniformly.
        max_fill: the focal length is capped so a standing person spans at most this fraction
            of the image height (a webcam user is framed to fit).

    Returns:
        n ``Camera`` objects.
    """
    target, height_cm = _orbit_target(points3d)
    out: list[Camera] = []
    for _ in range(n):
        yaw = np.deg2rad(rng.uniform(*yaw_range))
        pitch = np.deg2rad(rng.uniform(*pitch_range))
        distance = rng.uniform(*distance_range) * 100.0 * height_cm / 170.0
        width, height = image_sizes[int(rng.integers(len(image_sizes)))]
        focal = rng.uniform(*focal_range)
        focal = min(focal, max_fill * height * distance / height_cm)
        # Rotating FRONT (+Z) by yaw about +Y: (sin yaw, 0, cos yaw).
        direction = np.array(
            [np.sin(yaw) * np.cos(pitch), np.sin(pitch), np.cos(yaw) * np.cos(pitch)]
        )
        out.append(look_at(target + distance * direction, target, focal, width, height))
    return out


def _follow(points3d: np.ndarray) -> np.ndarray:
    """Shift each frame horizontally so the hip centre stays at its mean position (x, z)."""
    p = np.asarray(points3d, np.float64)
    hips = (p[:, INDEX["left_hip"]] + p[:, INDEX["right_hip"]]) / 2  # (T, 3)
    shift = hips - hips.mean(axis=0)
    shift[:, 1] = 0.0
    return p - shift[:, None, :]


def render_views_with_scores(
    points3d: np.ndarray, cameras: Sequence[Camera], follow: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Project a 3-D keypoint sequence into several cameras, with per-joint scores.

    Args:
        points3d: (T, 17, 3) world points in cm.
        cameras: V cameras.
        follow: keep the person's hip centre horizontally fixed (a camera that pans with a
            walking person) instead of letting them walk across a fixed view.

    Returns:
        keypoints: (V, T, 17, 2) float32 pixels, x right, y down.
        scores: (V, T, 17) float32, 1.0 (mocap is exact) except 0.0 for joints at or behind the
            camera plane. Out-of-image joints keep 1.0; see ``augment`` for cropping.
    """
    p = _follow(points3d) if follow else np.asarray(points3d, np.float64)
    keypoints = np.empty((len(cameras), *p.shape[:-1], 2), np.float32)
    scores = np.empty((len(cameras), *p.shape[:-1]), np.float32)
    for v, camera in enumerate(cameras):
        keypoints[v] = camera.project(p)
        scores[v] = camera.to_camera(p)[..., 2] > 1e-3
    return keypoints, scores


def render_views(
    points3d: np.ndarray, cameras: Sequence[Camera], follow: bool = False
) -> np.ndarray:
    """Project (T, 17, 3) world points (cm) into V cameras: (V, T, 17, 2) float32 pixels.

    See ``render_views_with_scores`` for ``follow`` and for per-joint scores.
    """
    return render_views_with_scores(points3d, cameras, follow)[0]
