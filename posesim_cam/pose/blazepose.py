"""The default pose backend: MediaPipe BlazePose (its model ships in the wheel), COCO-17 output.

BlazePose finds one person per call, and its person detector looks for a face in a 224 x 224
view of the whole image: a user a third of a webcam frame tall, or one whose face is hidden,
is often missed. So this backend works top down and chooses the framing itself:

* tracking: each frame is cropped to a square around the previous frame's person and only that
  crop goes to MediaPipe, one call a frame;
* searching (first frame, or the person was lost): the full frame, then overlapping squares at
  two scales (``crop.search_windows``, at most 8), keeping the most prominent person: the
  largest, weighted by how much of them is visible.

Two MediaPipe graphs do this. Tracking uses a video-mode graph: once it has found the person
in the crop it follows them from its own previous landmarks without its detector (about 19 ms a
call instead of 31 ms here) and smooths the landmarks over time. For that the crop window stays
put while the person is well inside it and is re-placed only when they near its edge or change
size a lot. Searching uses a still-image graph, whose calls are independent of each other.

``BlazePoseHeavyEstimator`` (``blazepose-heavy``) is the same with MediaPipe's heavy landmark
model, which the user installs (``pose.models``). Imports ``pose.base``, ``pose.crop``,
``pose.graph``, ``pose.models`` and the skeleton only (registered lazily by ``pose.registry``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from posesim_cam.pose.base import Pose
from posesim_cam.pose.crop import CropWindow, search_windows, window_around
from posesim_cam.pose.graph import PoseGraph, pose_threads
from posesim_cam.pose.models import HEAVY, provide_to_mediapipe
from posesim_cam.skeleton import MIN_JOINT_SCORE

# BlazePose's 33 landmarks that are COCO-17 joints, in COCO order. Both name sides from the
# person's point of view, so no left/right swap is needed.
COCO_FROM_BLAZEPOSE = np.array(
    [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28], dtype=np.intp
)
_SHOULDERS = [11, 12]
_HIPS = [23, 24]

# A pose whose torso joints (shoulders, hips) are on average less visible than this is
# dropped as a false find; a user seated with hidden hips still scores about 0.5.
MIN_TORSO_VISIBILITY = 0.3
# Landmarks at least this visible count towards the person's box (the same rule as Pose).
BOX_VISIBILITY = MIN_JOINT_SCORE
# Tracking window: this many times the person's extent, so a fast limb stays inside it.
TRACK_MARGIN = 1.5
# The window is kept while the person stays this far (a fraction of its side) inside its
# edges and their wanted window side stays within these ratios of its side.
KEEP_INSET = 0.05
KEEP_SIDE_RATIO = (0.75, 1.33)
# Pixels per side of the crops given to MediaPipe: its networks look at 224 (detector) and
# 256 (landmarks) pixels, and a person 1/1.5 of a 384 crop is 256 tall; more only costs copying.
CROP_SIZE = 384
# While nobody is found, frames after the first full search try this many grid windows each
# (taking turns), so an empty room costs 3 calls a frame instead of 9.
IDLE_WINDOWS_PER_FRAME = 2


@dataclass(frozen=True)
class _Person:
    """A person found in a frame, in BlazePose's 33 landmarks.

    Attributes:
        xy: (33, 2) float32 frame pixels; hidden joints are guesses, possibly outside the frame.
        visibility: (33,) float32 in [0, 1].
        window: the crop they were found in, or None for the full frame.
    """

    xy: np.ndarray
    visibility: np.ndarray
    window: CropWindow | None

    @property
    def torso_visibility(self) -> float:
        return float(self.visibility[_SHOULDERS + _HIPS].mean())

    @property
    def center(self) -> np.ndarray:
        """(2,) float32 pixels: the middle of the torso."""
        return self.xy[_SHOULDERS + _HIPS].mean(axis=0)

    @property
    def size(self) -> float:
        """Body scale in pixels: the longer of torso length and shoulder width.

        Unlike the box it stays put when the arms go up or the knees bend, and it is sensible
        for a half-visible person (BlazePose places hidden hips where they would be).
        """
        shoulders, hips = self.xy[_SHOULDERS], self.xy[_HIPS]
        torso = float(np.linalg.norm(shoulders.mean(axis=0) - hips.mean(axis=0)))
        width = float(np.linalg.norm(shoulders[0] - shoulders[1]))
        return max(torso, width)

    @property
    def prominence(self) -> float:
        """How much this is the main person: size times the mean visibility of the 17 joints.

        A person cut by the frame edge or mostly hidden counts for less than a smaller one seen
        whole: the scorer needs the whole body, and a user stands in view to be scored.
        """
        return self.size * float(self.visibility[COCO_FROM_BLAZEPOSE].mean())

    def same_as(self, other: _Person) -> bool:
        """Whether two finds are plausibly the same person (torsos close, similar size)."""
        scale = max(self.size, other.size, 1.0)
        near = float(np.linalg.norm(self.center - other.center)) < 0.5 * scale
        return near and 0.5 < self.size / max(other.size, 1.0) < 2.0

    def to_pose(self) -> Pose:
        """The COCO-17 pose; its box spans the visible landmarks, hands and feet included."""
        visible = self.visibility >= BOX_VISIBILITY
        pts = self.xy[visible] if visible.any() else self.xy
        return Pose(
            keypoints=np.ascontiguousarray(self.xy[COCO_FROM_BLAZEPOSE], np.float32),
            scores=np.ascontiguousarray(self.visibility[COCO_FROM_BLAZEPOSE], np.float32),
            box=np.array([*pts.min(axis=0), *pts.max(axis=0)], np.float32),
        )


def _as_bgr(frame: np.ndarray) -> np.ndarray:
    """Check a frame: (H, W, 3) uint8 BGR; (H, W) grey and (H, W, 4) BGRA are converted."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 images, got dtype {frame.dtype}")
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frames must be (H, W, 3) BGR images, got shape {frame.shape}")
    return frame


class BlazePoseEstimator:
    """MediaPipe BlazePose with top-down person finding; at most one pose, the main person.

    The main person is the most prominent one when first found (``_Person.prominence``), then
    that person for as long as they are tracked.

    Args:
        static_image: True for unrelated stills (each call searches the whole image); False for
            the frames of one video or camera in order (tracking; ``reset`` between videos).
        min_confidence: MediaPipe's detection and tracking thresholds, in [0, 1].
        threads: XNNPACK threads per model call; None: ``pose.graph.pose_threads()`` (the
            cores here, or POSESIM_POSE_THREADS).

    Not thread-safe: use one estimator per thread.
    """

    name = "blazepose"
    complexity = 1  # MediaPipe's model complexity: 1 is "full", inside the wheel

    def __init__(
        self,
        static_image: bool = False,
        min_confidence: float = 0.5,
        threads: int | None = None,
        **_: Any,
    ) -> None:
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be in [0, 1], got {min_confidence}")
        self.static_image = static_image
        self.min_confidence = min_confidence
        self.threads = pose_threads() if threads is None else max(1, int(threads))
        self._provide_model()
        self._searcher = PoseGraph(False, min_confidence, self.complexity, self.threads)
        self._tracker: PoseGraph | None = None  # made on the first video frame that needs it
        self._track: _Person | None = None  # the previous frame's person
        self._window: CropWindow | None = None  # the window the tracker last looked at
        self._misses = 0  # frames in a row without anybody
        self._turn = 0  # the next search window to try while idle
        # MediaPipe calls so far, by graph: for benchmarks and tests.
        self.calls = {"search": 0, "track": 0}

    def _provide_model(self) -> None:
        """Make the landmark model available to MediaPipe (full's is inside the wheel)."""

    # -- the PoseEstimator interface --------------------------------------------------------

    def estimate(self, frame_bgr: np.ndarray) -> list[Pose]:
        """Poses in one (H, W, 3) uint8 BGR frame: [] or [main person], keypoints in pixels."""
        frame = _as_bgr(frame_bgr)
        if min(frame.shape[:2]) < 2:
            return []
        if self.static_image:
            person = self._find_in_still(frame)
        else:
            person = self._follow(frame) if self._track is not None else None
            if person is None:
                person = self._acquire(frame)
        return [] if person is None else [person.to_pose()]

    def reset(self) -> None:
        """Forget the tracked person (call between videos)."""
        if self._tracker is not None:
            self._tracker.forget()
        self._track = None
        self._window = None
        self._misses = 0
        self._turn = 0

    def close(self) -> None:
        """Free the MediaPipe graphs; the estimator cannot be used afterwards."""
        self._searcher.close()
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None

    def __enter__(self) -> BlazePoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- finding ------------------------------------------------------------------------------

    def _look(
        self, graph: PoseGraph, frame: np.ndarray, window: CropWindow | None
    ) -> _Person | None:
        """Run ``graph`` on ``window`` of ``frame`` (None: the whole frame); pixels of the frame
        out, whatever the torso visibility."""
        if window is None:
            image = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        else:
            image = window.extract(frame, to_rgb=True)
        self.calls["track" if graph.video else "search"] += 1
        found = graph.run(image)
        if found is None:
            return None
        xy, visibility = found
        if window is None:
            xy = xy * np.array([frame.shape[1], frame.shape[0]], np.float32)
        else:
            xy = window.to_frame(xy)
        return _Person(xy, visibility, window)

    def _search(self, frame: np.ndarray, windows: list[CropWindow]) -> _Person | None:
        """The most prominent confident person in the full frame or any of ``windows``."""
        best: _Person | None = None
        for window in [None, *windows]:
            person = self._look(self._searcher, frame, window)
            if person is None or person.torso_visibility < MIN_TORSO_VISIBILITY:
                continue
            if best is None or person.prominence > best.prominence:
                best = person
        return best

    def _find_in_still(self, frame: np.ndarray) -> _Person | None:
        """Full search of an unrelated still; a find in a grid window, which may cut the
        person, is looked at again in a window framed around them."""
        person = self._search(frame, search_windows(frame.shape, CROP_SIZE))
        if person is None or person.window is None:
            return person
        window = window_around(person.xy, frame.shape, TRACK_MARGIN, size=CROP_SIZE)
        again = self._look(self._searcher, frame, window)
        if (
            again is not None
            and again.torso_visibility >= MIN_TORSO_VISIBILITY
            and again.same_as(person)
        ):
            return again
        return person

    def _acquire(self, frame: np.ndarray) -> _Person | None:
        """Search a video frame for the main person and start tracking them in it."""
        windows = search_windows(frame.shape, CROP_SIZE)
        if self._misses > 0 and windows:
            # Still nobody: a few windows a frame, taking turns, bound the cost of an empty room.
            count = min(IDLE_WINDOWS_PER_FRAME, len(windows))
            picked = [windows[(self._turn + i) % len(windows)] for i in range(count)]
            self._turn = (self._turn + count) % len(windows)
            windows = picked
        person = self._search(frame, windows)
        if person is None:
            self._misses += 1
            return None
        self._misses = 0
        # Start the tracker on this frame, framed around the person. Its first call runs
        # BlazePose's detector inside the crop; should it find nothing, or somebody else,
        # this frame keeps the search's find and the next frame tries again.
        self._track, self._window = person, None
        tracked = self._follow(frame)
        if tracked is not None and tracked.same_as(person):
            return tracked
        if self._tracker is not None:
            self._tracker.forget()
        self._track, self._window = person, None
        return person

    # -- tracking -----------------------------------------------------------------------------

    def _next_window(self, frame_shape: tuple[int, ...], person: _Person) -> CropWindow:
        """The tracking window for a frame, from the previous frame's ``person``.

        The previous window is kept while it still frames the person well: the video graph
        tracks and smooths in the crop's coordinates, which a moved window would disturb.
        """
        wanted = window_around(person.xy, frame_shape, TRACK_MARGIN, size=CROP_SIZE)
        current = self._window
        if current is None:
            return wanted
        height, width = frame_shape[:2]
        pts = np.clip(person.xy, [0.0, 0.0], [float(width), float(height)])
        extent = np.array([*pts.min(axis=0), *pts.max(axis=0)], np.float32)
        low, high = KEEP_SIDE_RATIO
        if current.contains(extent, KEEP_INSET) and low <= wanted.side / current.side <= high:
            return current
        return wanted

    def _follow(self, frame: np.ndarray) -> _Person | None:
        """The previous frame's person, looked for in a window around them; None if lost."""
        assert self._track is not None
        if self._tracker is None:
            self._tracker = PoseGraph(True, self.min_confidence, self.complexity, self.threads)
        window = self._next_window(frame.shape, self._track)
        person = self._look(self._tracker, frame, window)
        if person is None or person.torso_visibility < MIN_TORSO_VISIBILITY:
            self._tracker.forget()  # if only the torso check failed, MediaPipe still holds it
            self._track, self._window = None, None
            return None
        self._track, self._window = person, window
        return person


class BlazePoseHeavyEstimator(BlazePoseEstimator):
    """BlazePose GHUM heavy: the same top-down crops through MediaPipe's heaviest landmark
    model (about three times full's cost a call), which agrees better with itself across
    camera views. Its model file is installed with ``posesim-cam models add``.

    Raises:
        UserError: the heavy model is not installed (and cannot be fetched).
    """

    name = "blazepose-heavy"
    complexity = 2

    def _provide_model(self) -> None:
        provide_to_mediapipe(HEAVY)
